"""How scores work: the metric registry in plain words, for readers who never saw a JS formula."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.figures import STATUS_HEADLINES, STATUS_ICONS
from drift_core import METRICS

st.title("How Driftboard scores drift")

st.markdown(
    """
Driftboard compares a **new batch** of data with a **reference** (usually the training or validation
data) and gives one of three statuses:
"""
)
for status in ("ok", "warn", "alert"):
    st.markdown(f"- **{STATUS_ICONS[status]} {STATUS_HEADLINES[status]}**")
st.markdown(
    """
Each metric compares one aspect of the data (how long the texts are, which words they use, how bright the
images are, which classes the model predicts). A metric turns **warn** when its score passes the warn
threshold and **alert** when it passes the alert threshold, but only if the shift is **statistically
significant**: on a small batch, random variation alone can produce large scores, and Driftboard will not
raise an alarm for that. The overall status is the worst status of any metric.

**JS distance** (Jensen-Shannon, log base 2) is 0 when both datasets have the same distribution and 1
when they have nothing in common. As a feel for the scale: 0.1 is roughly a quarter of a standard
deviation shift of the average, 0.2 about half. **KL** (in bits) and the channel-mean distance are shown
for information and do not change the status unless you give them thresholds (CLI / API).
"""
)

st.subheader("Metrics")
st.table(
    pd.DataFrame(
        [
            {
                "Metric": info.label.replace("{c}", "c"),
                "Name": name,
                "Data": info.group,
                "Scale": info.unit,
                "Default warn / alert": (
                    f"{info.default_thresholds[0]:g} / {info.default_thresholds[1]:g}"
                    if info.default_thresholds
                    else "informational"
                ),
                "What it measures": info.description,
            }
            for name, info in METRICS.items()
        ]
    ).set_index("Metric"),
)
