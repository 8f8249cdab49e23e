"""The ok / warn / alert rule's helpers."""

import pytest

from drift_core.status import items_needed


def test_items_needed_follows_the_one_over_sqrt_n_scaling():
    # equal sides of 100: n_eff 50; a floor twice the warn line needs 4x the effective size
    assert items_needed(0.2, 100, 100, 0.1) == 400
    assert items_needed(0.16, 300, 150, 0.1) == 512
    assert items_needed(0.1, 100, 100, 0.1) == 0  # exactly at the line: nothing more needed
    with pytest.raises(ValueError, match="warn > 0"):
        items_needed(0.2, 100, 100, 0.0)
