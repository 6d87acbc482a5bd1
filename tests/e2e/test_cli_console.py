"""The real command line in a subprocess, as a new user runs it: a brand-new PREFECT_HOME and
no PREFECT_API_URL (the command starts its own temporary API), the whole console output read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, api_env

ROOT = PROJECT_ROOT


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(home)
    return env


def _seqcast(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Exit status and the whole console output (stdout and stderr interleaved)."""
    done = subprocess.run(
        [sys.executable, "-m", "seqcast.app.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=400,
    )
    return done.returncode, done.stdout


@pytest.mark.timeout(900)
@pytest.mark.slow
def test_first_run_on_a_brand_new_prefect_home(tmp_path):
    """A first ``prepare`` with an empty PREFECT_HOME works; the console shows the stages (with
    their states) and the closing lines, the library logs land in the log file; bad input then
    prints its report, no traceback, in at most 20 lines."""
    home, out = tmp_path / "brand-new-home", tmp_path / "out"
    env = _env(home)

    code, console = _seqcast(env, "prepare", "--dataset", "weekly-temperature", "--out", str(out))

    assert code == 0, console
    lines = console.splitlines()
    assert "Traceback" not in console
    assert len(lines) <= 15, console
    (stages,) = [line for line in lines if line.split()[1:3] == ["prepare", "Completed"]]
    listed = stages.split("Completed: ", 1)[1]  # every stage, in the order it ran
    names = [part.split()[0].rstrip(",") for part in listed.split(", ")]
    stage_names = ("fetch", "ingest", "validate", "clean", "target", "split", "scale")
    assert names == [*stage_names, "temporalize"]
    assert Path(lines[-1]).is_dir() and Path(lines[-1]).is_relative_to(out)
    (log,) = (out / "weekly-temperature" / "logs").glob("*-prepare.log")
    assert "Finished in state Completed" in log.read_text()  # Prefect's own log lines
    assert (home / "prefect.db").exists()

    bad = tmp_path / "bad.csv"
    sample = (ROOT / "data/raw/weekly_temperature_sample.csv").read_text().splitlines()
    header, first, *rest = sample
    bad.write_text("\n".join([header, first.rsplit(",", 1)[0] + ",warm", *rest]) + "\n")
    code, console = _seqcast(
        env, "prepare", "--dataset", "weekly-temperature", "--source", str(bad), "--out", str(out)
    )
    assert code == 2, console
    assert "Traceback" not in console and "database is locked" not in console
    assert len(console.splitlines()) <= 20, console
    assert "column 'AvgTemp': wrong type" in console
    assert "line 2 (year=" in console


@pytest.mark.slow
def test_a_bad_file_is_reported_whole_before_any_api_starts(tmp_path):
    """'twelve' at line 503 and 'n/a' for 8 hours from line 102 of the bike sample (the
    policy fills 4): one report names both, exit 2, and the command never started a Prefect
    API (the brand-new PREFECT_HOME holds no database) nor wrote a prepared stage."""
    import csv

    with open(ROOT / "data" / "raw" / "bike_hourly_sample.csv") as f:
        header, *rows = list(csv.reader(f))
    col = header.index("Temperature")
    rows[501][col] = "twelve"  # line 503 (the header is line 1)
    for r in range(100, 108):  # lines 102..109
        rows[r][col] = "n/a"
    bad = tmp_path / "bad.csv"
    with open(bad, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    home, out = tmp_path / "home", tmp_path / "out"
    code, console = _seqcast(
        _env(home), "prepare", "--dataset", "bike-hourly", "--source", str(bad), "--out", str(out)
    )
    assert code == 2, console
    assert "Traceback" not in console
    assert "line 503 (Date=" in console and "value 'twelve'" in console
    assert "8 missing step(s)" in console and "found by clean" in console
    assert not list(home.rglob("*.db")) and not (out / "bike-hourly" / "prepared").exists()


@pytest.mark.slow
def test_a_prefect_api_that_cannot_start_is_a_clear_error(tmp_path):
    """A PREFECT_HOME where no database can be made: exit 2, what failed and what to try."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, console = _seqcast(
        _env(blocker / "home"),
        "prepare",
        "--dataset",
        "weekly-temperature",
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 2, console
    assert "Traceback" not in console
    assert "could not create or migrate the Prefect database" in console
    assert "try: run the command again" in console and "PREFECT_API_URL" in console


@pytest.mark.slow
def test_quiet_prints_only_the_output_path(tmp_path, prefect_server):
    """``-q``: the console holds the output directory alone (on the session's server: a
    temporary one is the first test's subject)."""
    code, console = _seqcast(
        api_env(prefect_server, tmp_path / "home"),
        "prepare",
        "-q",
        "--dataset",
        "weekly-temperature",
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 0, console
    assert len(console.splitlines()) == 1 and Path(console.strip()).is_dir()


@pytest.mark.parametrize("command", ["train", "prepare", "forecast"])
def test_a_missing_source_is_reported_before_anything_starts(tmp_path, command):
    """A --source that is not there: exit 2 naming it, and nothing started (no output folder,
    no log, no Prefect database under a brand-new PREFECT_HOME)."""
    out = tmp_path / "out"
    code, text = _seqcast(
        _env(tmp_path / "home"),
        command, "--dataset", "weekly-temperature", "--out", str(out),
        "--source", str(tmp_path / "missing.csv"),
    )  # fmt: skip
    assert code == 2
    assert f"--source {tmp_path / 'missing.csv'} does not exist" in text
    assert "Traceback" not in text
    assert not out.exists() and not (tmp_path / "home").exists()


def test_the_prepare_summary_counts_windows_not_split_rows(tmp_path):
    """105 training rows make 102 four-step windows (the first target needs a full window
    before it): the closing line counts the windows the arrays hold."""
    import json

    from seqcast.report.summaries import prepared_summary

    (tmp_path / "summary.json").write_text(
        json.dumps(
            {
                "timesteps": 4,
                "steps": [1, 2, 3, 4],
                "split_periods": {"train": {"rows": 105}, "val": {"rows": 53}},
                "shapes": {"train": [102, 4, 3], "val": [53, 4, 3]},
            }
        )
    )
    assert prepared_summary(str(tmp_path)) == [
        "windows: train 102, val 53 (4 timesteps; each forecasts steps 1..4)"
    ]


def test_forecast_runs_as_a_recorded_flow_only_where_a_server_is_configured(monkeypatch):
    """With PREFECT_API_URL the forecast is a flow run on that server (recorded there);
    without it the same steps run in the command's process, with no API to start."""
    import argparse

    from seqcast.app.cli import _cmd_forecast

    args = argparse.Namespace(
        dataset="weekly-temperature", source=None, out="outputs", known=None, mlflow_uri=None
    )
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert _cmd_forecast(args).needs_api
    monkeypatch.delenv("PREFECT_API_URL")
    monkeypatch.setattr("prefect.settings.PREFECT_API_URL.value", lambda: None)
    assert not _cmd_forecast(args).needs_api
