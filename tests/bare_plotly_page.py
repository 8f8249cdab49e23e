"""The yardstick of the browser test's timings: a bare Streamlit page with one Plotly chart.

Served with ``streamlit run`` on its own port by ``test_browser.py``; the dashboard's cold times are
printed as multiples of the time this page takes to show its chart.
"""

import plotly.graph_objects as go
import streamlit as st

st.plotly_chart(go.Figure(go.Bar(x=["a", "b", "c"], y=[1, 3, 2])), theme=None)
