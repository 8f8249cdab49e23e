"""Driftboard dashboard: ``streamlit run dashboard/app.py``.

The entry point only sets up the page and the navigation; each page lives in ``app_pages/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ (not the repository) on sys.path.
_REPO = Path(__file__).resolve().parents[1]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

st.set_page_config(page_title="Driftboard", page_icon=":material/monitoring:", layout="wide")

#: Widget state of the Compare page that must survive a visit to another page. Streamlit drops the
#: state of widgets not drawn in a run; writing each value back keeps it (uploads are kept by the
#: page itself, in ``cmp_upload_kept``, as an uploader's value cannot be written).
KEPT_WIDGETS = (
    "cmp_db_path", "cmp_modality", "cmp_ref", "cmp_source", "cmp_new", "cmp_sample_size", "cmp_path",
    "cmp_pred_path", "cmp_alpha", "cmp_js_warn", "cmp_js_alert", "cmp_top_warn", "cmp_top_alert",
)
for key in KEPT_WIDGETS:
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]

navigation = st.navigation(
    [
        st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:", default=True),
        st.Page("app_pages/scores.py", title="How scores work", icon=":material/menu_book:"),
    ]
)
navigation.run()
