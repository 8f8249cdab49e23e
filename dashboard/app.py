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

navigation = st.navigation(
    [
        st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:", default=True),
        st.Page("app_pages/scores.py", title="How scores work", icon=":material/menu_book:"),
    ]
)
navigation.run()
