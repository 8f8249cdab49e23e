"""How scores work: the metric registry and the words on the Compare page (p-value, noise floor,
alpha), in plain language, for readers who never saw a JS formula."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.figures import NOISE_ICON, STATUS_HEADLINES, STATUS_ICONS
from drift_core import METRICS

st.title("How Driftboard scores drift")

st.markdown(
    """
Driftboard compares a **new batch** of data with a **reference** (usually the training or validation
data). Each *metric* looks at one aspect of the data: how long the texts are, which words they use, how
bright the images are, which classes the model predicts. Each metric gets one of these statuses:
"""
)
for status in ("ok", "warn", "alert"):
    st.markdown(f"- **{STATUS_ICONS[status]} {STATUS_HEADLINES[status]}**")
st.markdown(f"- **{NOISE_ICON} ok: within noise**: the score crossed its threshold, but a batch this "
            "small can produce such a score by chance alone, so it is not counted as drift.")
st.markdown(
    """
The overall status is the worst status of any metric.

### The score
Most scores are a **JS distance** (Jensen-Shannon): **0** when the two datasets are spread the same way,
**1** when they have nothing in common. As a feel for the scale: 0.1 is roughly a shift of the average
by a quarter of a standard deviation, 0.2 about half. The **top-token turnover** is the share of the 100
most common tokens that were replaced (0 = the same top 100, 1 = all new).

Some metrics are **informational**: they are shown but do not change the status, unless you give them
thresholds. **KL** measures how surprising the reference looks from the new data, in *bits* (0 = same,
no upper limit); the **channel-mean distance** is how far the average colour moved on the 0-1 scale.
To make one count, open **Thresholds per metric** under the scores on the Compare page, tick
*Monitored* and enter its warn and alert values.

### What moved most
A JS or KL score adds up one part per bin (a range of sequence lengths or brightness, a predicted
class, a token). The Compare page lists, under the scores, the three bins that carry the largest parts
of each flagged score, e.g. *class 3: 9% → 44% of predictions (63% of the divergence)*, and marks them
#1, #2, #3 in the charts. The percentage is of the **divergence**, the sum of the parts; the JS distance
shown as the score is its square root.

### Thresholds
A metric turns **warn** when its score reaches the *warn* line and **alert** when it passes the *alert*
line. The sidebar sets the lines for all JS distances at once (and for the token turnover); the
per-metric table overrides them for one metric.

### p-value, alpha and the noise floor: why small batches do not cry wolf
Two samples of the *same* data never look exactly alike, and the smaller they are the more they differ
by chance. So a score above the line is only flagged when the difference is also **statistically real**:

- the **p-value** is the chance of seeing a score at least this large if nothing had changed (adjusted
  because several metrics are tested at once). A small p-value means "hard to explain by chance";
- **alpha** (the *significance level* in the sidebar, 0.01 by default) is how small the p-value must be
  for a crossing to count. With 0.01, a batch with no drift raises a false warning at most about 1 time
  in 100. A larger alpha catches weaker drift on small batches, at the price of more false alarms;
- the **noise floor** is the score that chance alone stays below 99% of the time at these batch sizes.
  When the noise floor is above the warn line, the batch is too small to see warn-level drift at all:
  the Compare page says so and estimates how many items would be needed (the noise shrinks like
  1/√n: four times the items halve it).
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
                "What it measures": info.description.replace("KL(ref || new)", "KL of the reference from the new data"),
            }
            for name, info in METRICS.items()
        ]
    ).set_index("Metric"),
)
