"""Bad input through the CLI, on both datasets where it applies: exit status 2, a one-screen
report naming the file, the column and example rows; the raw file untouched; nothing partial
left in the output directory. Two oddities are accepted and reported instead."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqcast.app.cli import main

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

SAMPLES = {
    "weekly-temperature": Path("data/raw/weekly_temperature_sample.csv"),
    "bike-hourly": Path("data/raw/bike_hourly_sample.csv"),
}
TEMP_COLUMN = {"weekly-temperature": "AvgTemp", "bike-hourly": "Temperature"}


def _frame(dataset: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLES[dataset], dtype=str, keep_default_na=False)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _edit(fn: Callable[[pd.DataFrame, str], pd.DataFrame]) -> Callable[[str], bytes]:
    return lambda dataset: _csv(fn(_frame(dataset).copy(), dataset))


def _set(frame: pd.DataFrame, row: int, column: str, value: str) -> pd.DataFrame:
    frame.loc[row, column] = value
    return frame


def _long_gap(frame: pd.DataFrame, dataset: str) -> pd.DataFrame:
    frame.loc[20:29, TEMP_COLUMN[dataset]] = ""  # 10 missing steps > the fill policy
    return frame


def _truncated_zip(dataset: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.csv", SAMPLES[dataset].read_bytes())
    return buf.getvalue()[: len(buf.getvalue()) // 2]


# name -> (content for a dataset, expected column in the report, expected text, datasets)
CASES = {
    "empty file": (lambda d: b"", "(file)", "file is empty", None),
    "header only": (lambda d: _csv(_frame(d).head(0)), "(file)", "header only", None),
    "missing column": (
        _edit(lambda f, d: f.drop(columns=[TEMP_COLUMN[d]])),
        None,
        "required column is missing",
        None,
    ),
    "text in numeric column": (
        _edit(lambda f, d: _set(f, 7, TEMP_COLUMN[d], "warm")),
        None,
        "wrong type",
        None,
    ),
    "duplicate timestamps": (
        _edit(lambda f, d: pd.concat([f.iloc[:5], f.iloc[4:]], ignore_index=True)),
        "+",
        "duplicate time key",
        None,
    ),
    "gap longer than policy": (_edit(_long_gap), None, "gap longer than", None),
    "negative count": (
        _edit(lambda f, d: _set(f, 9, "Rented Bike Count", "-4")),
        "Rented Bike Count",
        "below the minimum",
        ("bike-hourly",),
    ),
    "temperature out of range": (
        _edit(lambda f, d: _set(f, 3, TEMP_COLUMN[d], "61.5")),
        None,
        "above the maximum",
        None,
    ),
    "column entirely missing": (
        _edit(lambda f, d: f.assign(**{TEMP_COLUMN[d]: ""})),
        None,
        "entirely missing",
        None,
    ),
    "unexpected encoding": (
        lambda d: SAMPLES[d].read_text().encode("utf-16-le"),
        "(file)",
        "not a text CSV",
        None,
    ),
    "truncated zip": (_truncated_zip, "(file)", "zip", None),
    # 60 weeks cannot hold 53 + 53 evaluation weeks; 30 hours leave 16 training rows < 24.
    "too few rows": (
        _edit(lambda f, d: f.head(60 if d == "weekly-temperature" else 30)),
        "(rows)",
        "too few rows",
        None,
    ),
}
PARAMS = [
    pytest.param(name, dataset, id=f"{name}-{dataset}")
    for name, (_, _, _, only) in CASES.items()
    for dataset in SAMPLES
    if only is None or dataset in only
]


def _prepare(dataset: str, source, out) -> int:
    """``seqcast prepare`` through the CLI entry point; returns its exit status."""
    return main(["prepare", "--dataset", dataset, "--source", str(source), "--out", str(out)])


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


@pytest.mark.parametrize(("case", "dataset"), PARAMS)
def test_bad_input_is_reported_and_leaves_nothing_partial(case, dataset, tmp_path, capfd):
    """Exit 2; the console holds only the progress lines and the report (file, column, check),
    no traceback; raw file untouched; no prepared/ or .tmp."""
    content_for, column, text, _ = CASES[case]
    src = tmp_path / ("bad.zip" if "zip" in case else "bad.csv")
    src.write_bytes(content_for(dataset))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "out"

    code = _prepare(dataset, src, out)

    captured = capfd.readouterr()
    everything = captured.out + captured.err  # the whole console: both file descriptors
    assert code == 2
    assert "Traceback" not in everything
    assert len(everything.splitlines()) <= 20  # one screen, progress lines included
    report = captured.err[captured.err.index("seqcast prepare: error") :]
    assert str(src) in report
    assert text in report
    expected_column = column or TEMP_COLUMN[dataset]
    if expected_column != "+":
        assert f"column {expected_column!r}" in report
    log = Path(report.rsplit("full log: ", 1)[1].strip())
    assert log.is_file() and log.is_relative_to(out)  # the full story is kept, out of sight
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest
    assert not (out / dataset / "prepared").exists()
    assert not [p for p in _tree(out) if ".tmp" in p]


def test_example_rows_name_the_file_line_and_time_key(tmp_path, capfd):
    """A bad value's example names its line in the file and its Date/Hour."""
    frame = _set(_frame("bike-hourly"), 9, "Humidity", "140")
    src = tmp_path / "bad.csv"
    src.write_bytes(_csv(frame))
    assert _prepare("bike-hourly", src, tmp_path / "out") == 2
    err = capfd.readouterr().err
    assert f"line 11 (Date={frame.loc[9, 'Date']}, Hour=9): value '140.0'" in err


def test_extra_columns_and_unsorted_rows_are_accepted_and_reported(tmp_path, capfd):
    """Unknown columns are ignored and listed; unsorted rows are sorted and counted."""
    frame = _frame("weekly-temperature").assign(station="Seoul", note="x")
    frame = frame.iloc[np.r_[5, 0:5, 6 : len(frame)]]  # one row out of place
    src = tmp_path / "odd.csv"
    src.write_bytes(_csv(frame))
    assert _prepare("weekly-temperature", src, tmp_path / "out") == 0
    prepared = Path(capfd.readouterr().out.strip().splitlines()[-1])
    summary = json.loads((prepared / "summary.json").read_text())
    assert summary["extra_columns_ignored"] == ["station", "note"]
    assert summary["rows_reordered"] == 6


def test_unreachable_url_is_a_clear_error(tmp_path, capfd):
    """A URL nobody answers on fails after the retries with the URL in the message."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connections are refused
    url = f"http://127.0.0.1:{port}/data.csv"
    assert _prepare("weekly-temperature", url, tmp_path / "out") == 2
    assert f"could not download {url}" in capfd.readouterr().err


def test_a_sweep_whose_lengths_score_different_windows_stops_before_any_fit(tmp_path, capfd):
    """With drop-windows a longer window drops more windows around a gap, so window lengths 4
    and 8 would be scored on different weeks: ``train`` stops after preparing, before any
    fit, with exit 2 and the reason and the way out; the raw file is untouched."""
    frame = _frame("weekly-temperature")
    frame.loc[150:153, "AvgTemp"] = ""  # 4 missing weeks in the backtest's blocks
    src = tmp_path / "gap.csv"
    src.write_bytes(_csv(frame))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "out"
    args = ["--source", str(src), "--out", str(out), "--on-long-gap", "drop-windows"]

    code = main(["train", "--dataset", "weekly-temperature", *args, "--timesteps", "4,8"])

    captured = capfd.readouterr()
    assert code == 2
    assert "Traceback" not in captured.out + captured.err
    assert re.search(
        r"window lengths 4 and 8 score different windows in (fold-\d|test) \(", captured.err
    )
    assert "Train each window length in its own run (--timesteps N)" in captured.err
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest
    tree = _tree(out / "weekly-temperature")
    assert len([p for p in tree if p.startswith("prepared/") and p.count("/") == 1]) == 2
    assert not [p for p in tree if p.startswith(("models", "runs"))]  # nothing fitted
