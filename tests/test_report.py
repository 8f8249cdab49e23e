"""The offline HTML report: self-contained, readable, the same numbers as the result."""

from __future__ import annotations

import datetime as dt
import re
from html import escape as html_escape

import pytest

from dashboard.figures import HistoryPoint
from dashboard.report import build_report
from drift_core import compare_profiles
from drift_core.demo import demo_files
from drift_core.io import profile_file

WHEN = dt.datetime(2024, 5, 17, 9, 30, tzinfo=dt.UTC)


def _profile(name: str) -> dict:
    data, preds, spec = demo_files()[name]
    return profile_file(data, spec, sample_size=None, predictions_path=preds)


@pytest.fixture(scope="module")
def text_report() -> tuple[str, dict]:
    ref, new = _profile("text-reference"), _profile("text-batch-drifted")
    result = compare_profiles(ref, new)
    history = [HistoryPoint("2024-05-01T00:00:00", "last week", "ok", 0.05, "Sequence length")]
    return build_report(result, ref, new, "text-reference", "text-batch-drifted", history, WHEN), result


def test_report_embeds_plotly_js_once_and_loads_nothing_from_the_network(text_report):
    html, _ = text_report
    assert html.count("plotly.js v") == 1  # the library's banner comment: inlined exactly once
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert "cdn.plot.ly/plotly" not in html


def test_report_has_every_figure(text_report):
    html, _ = text_report
    for key in ("scores", "seq_length", "tokens", "predictions", "history"):
        assert f'id="figure-{key}"' in html


def test_report_states_status_and_summary_in_words(text_report):
    html, result = text_report
    assert result["status"] == "alert"
    assert "Alert: drift detected" in html
    assert html_escape(result["summary"]) in html
    assert "text-batch-drifted vs text-reference" in html
    assert "2024-05-17 09:30 UTC" in html


def test_report_table_lists_every_metric_with_its_status(text_report):
    html, result = text_report
    table = html[html.index('<table class="scores">') : html.index("</table>")]
    for detail in result["metrics"].values():
        assert f"<td>{detail['label']}</td>" in table
    assert table.count("✖ alert") == sum(1 for s in result["metric_status"].values() if s == "alert")


def test_report_explains_the_scores_and_keeps_the_raw_result(text_report):
    html, result = text_report
    assert "Jensen-Shannon distance" in html and "Noise floor" in html
    assert "Raw result (JSON)" in html and f"&quot;max_drift&quot;: {result['max_drift']}" in html


def test_report_escapes_names():
    ref, new = _profile("vision-reference"), _profile("vision-batch-ok")
    html = build_report(compare_profiles(ref, new), ref, new, "<script>alert(1)</script>", "new & <b>", (), WHEN)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "new &amp; &lt;b&gt;" in html


def test_ok_report_for_a_batch_from_the_same_source():
    ref, new = _profile("vision-reference"), _profile("vision-batch-ok")
    result = compare_profiles(ref, new)
    html = build_report(result, ref, new, "vision-reference", "vision-batch-ok", (), WHEN)
    assert result["status"] == "ok" and "OK: no significant drift" in html
    assert 'id="figure-channels"' in html and 'id="figure-brightness"' in html
    assert 'id="figure-history"' not in html


def test_report_lists_what_moved_most_for_each_flagged_metric(text_report):
    html, _ = text_report
    section = html.split("<h2>What moved most</h2>")[1].split("</ul>")[0]
    assert section.count("<li>") == 3  # sequence length, token frequencies, predicted classes
    assert "<b>#1</b> class 3: 9% -&gt; 44% of predictions" in section
