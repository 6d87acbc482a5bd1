"""The HTML report's zoomable test-period figure: inline SVG drawn from the data, every value
behind the hover read-out, nothing fetched from the network."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace

import numpy as np
import pytest

from seqcast.report.page import render
from seqcast.report.zoom import HEIGHT, zoomable_figure, zoomable_test_period
from tests.unit.report.samples import hourly_report


def _data(page: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/json" class="data">(.*?)</script>', page).group(1)
    )


def test_lines_map_the_values_onto_the_plot_height():
    """Values 0, 10, 5 over three hours: x is the index, y 1000 (bottom), 0 (top), 500; the
    read-out holds the times at the data's frequency and the values, written at one
    precision: whole numbers for a count, four significant digits of the largest otherwise;
    the time axis names the first, middle and last hour."""
    times = np.arange("2020-01-01T00", "2020-01-01T03", dtype="datetime64[h]")
    values = {"actual": np.array([0.0, 10.0, 5.0])}
    page = zoomable_figure("t", times, values, "hourly", "count", whole=True)
    assert HEIGHT == 1000
    assert 'points="0,1000.0 1,0.0 2,500.0"' in page
    assert 'viewBox="0 0 2 1000"' in page
    assert _data(page)["times"] == ["2020-01-01 00:00", "2020-01-01 01:00", "2020-01-01 02:00"]
    assert _data(page)["values"] == {"actual": ["0", "10", "5"]}
    ticks = re.findall(r'<span class="tick"[^>]*>([^<]*)</span>', page)
    assert ticks[0] == "2020-01-01 00:00" and ticks[2] == "2020-01-01 01:00"
    assert ticks[-1] == "2020-01-01 02:00"
    assert ">10</div>" in page and ">0</div>" in page  # the value axis, whole numbers

    large = {"employed": np.array([143_325.75, 143_218.8, 143_509.2])}
    page = zoomable_figure("t", times, large, "hourly", "thousands")
    assert _data(page)["values"] == {"employed": ["143,326", "143,219", "143,509"]}
    assert ">143,509</div>" in page and "e+05" not in page


def test_zoomable_test_period_holds_actual_champion_reference_and_the_80_band():
    """480 hourly windows: three lines of 480 points, the 80 % band (not the 95 %) as one
    polygon of 960 points; the page loads nothing from elsewhere."""
    r = hourly_report(days=20)
    t = r.test_truth
    page = zoomable_test_period(
        replace(r, test_bounds={"80": (t - 3, t + 3), "95": (t - 6, t + 6)})
    )
    assert page is not None
    lines = re.findall(r'<polyline points="([^"]*)"', page)
    assert [len(p.split()) for p in lines] == [480, 480, 480]
    assert len(re.search(r'<polygon points="([^"]*)"', page).group(1).split()) == 960
    assert "gru: 80 % interval" in page and "95 %" not in page
    assert _data(page)["names"] == ["actual", "gru", "ridge"]
    shown = _data(page)["values"]["gru"][:2]
    assert [float(v.replace(",", "")) for v in shown] == pytest.approx(t[:2, 0] + 2.0, abs=0.05)
    assert not re.search(r'(src|href)="?https?:', page)


def test_five_months_of_hourly_data_stay_well_under_a_megabyte():
    """150 days (3600 windows), three lines and a band: the whole HTML report under 1.5 MB."""
    r = hourly_report(days=150)
    t = r.test_truth
    report = render(replace(r, test_bounds={"80": (t - 3, t + 3)}))
    assert "Test period, to zoom into" in report.html
    assert len(report.html.encode()) < 1_500_000


NODE = shutil.which("node")

# a page with only what the script touches: the figure, its plot, the read-outs, the data
FAKE_PAGE = """
const handlers = {}, attrs = {};
const el = (name) => ({name, attrs: {}, textContent: '', setAttribute(k, v) { this.attrs[k] = v; },
  addEventListener(kind, f) { handlers[name + ':' + kind] = f; },
  getBoundingClientRect() { return {left: 0, width: 1000}; }});
const parts = {'svg.plot': el('svg'), '.span': el('span'), '.read': el('read'),
  '.cursor': el('cursor'), 'script.data': el('data')};
const ticks = [0, 1, 2, 3, 4].map((k) => el('tick' + k));
parts['script.data'].textContent = JSON.stringify(DATA);
globalThis.window = el('window');
globalThis.document = {currentScript: {parentElement: {querySelector: (q) => parts[q],
  querySelectorAll: (q) => ticks}}};
const fire = (kind, e) => (handlers['svg:' + kind] || handlers['window:' + kind])(
  Object.assign({preventDefault() {}}, e));
const seen = () => [parts['svg.plot'].attrs.viewBox, parts['.span'].textContent,
  parts['.read'].textContent, ticks.map((t) => t.textContent)];
const out = [];
SCRIPT
out.push(seen());
fire('wheel', {clientX: 500, deltaY: -1}); out.push(seen());
fire('mousemove', {clientX: 0}); out.push(seen());
fire('dblclick', {}); out.push(seen());
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_script_zooms_about_the_pointer_reads_the_value_and_resets(tmp_path):
    """101 hourly values 0..100 in a 1000 px plot: the script shows them all; a wheel step in
    at the middle keeps the middle (50) there with 80 % of the span (x 10 to 90); the pointer
    at the left edge reads hour 10 and its value; a double-click shows all 101 again."""
    times = np.datetime64("2020-01-01T00", "h") + np.arange(101)
    page = zoomable_figure("t", times, {"actual": np.arange(101.0)}, "hourly", "count")
    data = _data(page)
    script = re.search(r"<script>(.*)</script></figure>", page, re.S).group(1)
    program = FAKE_PAGE.replace("DATA", json.dumps(data)).replace("SCRIPT", script)
    (tmp_path / "run.js").write_text(program)
    done = subprocess.run(
        [NODE, str(tmp_path / "run.js")], capture_output=True, text=True, timeout=60, check=True
    )
    shown, zoomed, pointed, reset = json.loads(done.stdout)
    assert shown[:2] == ["0 0 100 1000", "2020-01-01 00:00 to 2020-01-05 04:00"]
    assert zoomed[:2] == ["10 0 80 1000", "2020-01-01 10:00 to 2020-01-04 18:00"]
    assert pointed[2] == "2020-01-01 10:00: actual 10.0"
    assert reset[:2] == shown[:2]
    # the time axis follows the zoom: hours 0, 25, 50, 75, 100, then 10, 30, 50, 70, 90
    assert shown[3] == [f"2020-01-0{1 + h // 24} {h % 24:02d}:00" for h in (0, 25, 50, 75, 100)]
    assert zoomed[3] == [f"2020-01-0{1 + h // 24} {h % 24:02d}:00" for h in (10, 30, 50, 70, 90)]
