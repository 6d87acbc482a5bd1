"""The prepare flow under a Prefect test server: outputs, chronology, caching, run-stage, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from seqcast.app.cli import main
from seqcast.app.runs import task_states
from seqcast.config import PrepareConfig
from seqcast.data.windows import from_table
from seqcast.errors import DataError

pytestmark = pytest.mark.usefixtures("prefect_server")


def run_prepare(cfg: PrepareConfig):
    from flows.prepare import prepare

    state = prepare(cfg, return_state=True)
    states = task_states(state.state_details.flow_run_id)
    return Path(state.result()), {name.rsplit("-", 1)[0]: s for name, s in states.items()}


def load(prepared: Path, split: str):
    return from_table(pq.read_table(prepared / f"{split}.parquet"))


def test_prepare_sample_writes_windows_scaler_and_summary(out):
    """The sample prepares into train/val/test windows whose targets, every step's, never
    cross a split: the 4-week path purges the last 3 origins before each boundary."""
    prepared, _ = run_prepare(PrepareConfig(dataset="weekly-temperature", out=str(out)))
    assert prepared.parent.name == "prepared"
    summary = json.loads((prepared / "summary.json").read_text())
    sets = {s: load(prepared, s) for s in ("train", "val", "test")}
    assert [len(sets[s]) for s in ("val", "test")] == [53 - 3, 53]
    assert sets["train"].x.shape[1:] == (4, 3) and sets["train"].y.shape[1] == 4
    assert summary["shapes"]["test"] == [53, 4, 3]
    assert sets["train"].target_time.max() < sets["val"].target_time.min()
    assert sets["val"].target_time.max() < sets["test"].target_time.min()
    assert summary["data_fingerprint"]["sha256"] and summary["rows"]["in"] == 212
    scaler = json.loads((prepared / "scaler.json").read_text())
    assert scaler["fitted_on"]["split"] == "train"
    # the target is scaled too (the spec's scale_target), fitted on training rows only: every
    # training target lies in [0, 1] and the windows hold the scaled values
    t = scaler["target"]
    scaled = sets["train"].y_raw * t["scale"][0] + t["shift"][0]
    assert t["kind"] == "minmax" and scaled.min() >= 0 and scaled.max() <= 1
    np.testing.assert_allclose(sets["train"].y, scaled, rtol=1e-5, atol=1e-6)


def test_windows_hold_the_scaled_source_rows(out):
    """Each window's last row equals the scaled source row at the window's own time (the
    single step 2 hours ahead: the forecast before paths)."""
    cfg = PrepareConfig(dataset="bike-hourly", out=str(out), timesteps=6, horizon=2, steps="last")
    prepared, _ = run_prepare(cfg)
    scaler = json.loads((prepared / "scaler.json").read_text())
    raw = pd.read_csv("data/raw/bike_hourly_sample.csv")
    test = load(prepared, "test")
    count_col = test.feature_names.index("Rented Bike Count")
    scale, shift = scaler["features"]["scale"][count_col], scaler["features"]["shift"][count_col]
    # Origin of the last test window = its target time - 2 h = the file's second-to-last row.
    last_input = test.x[-1, -1, count_col]
    assert last_input == pytest.approx(raw["Rented Bike Count"].iloc[-3] * scale + shift, rel=1e-5)
    assert test.y_raw[-1] == raw["Rented Bike Count"].iloc[-1]
    # The origin's value (what persistence forecasts and a relative target is taken from).
    assert test.y_last_raw[-1] == raw["Rented Bike Count"].iloc[-3]
    # The target is scaled for bikes, and y_raw is its inverse.
    t = scaler["target"]
    np.testing.assert_allclose((test.y - t["shift"][0]) / t["scale"][0], test.y_raw, rtol=1e-4)


@pytest.mark.slow
def test_second_run_with_only_timesteps_changed_reuses_earlier_stages(out):
    """Changing timesteps recomputes temporalize only; an unchanged rerun is all Cached."""
    _, first = run_prepare(PrepareConfig(dataset="weekly-temperature", out=str(out)))
    assert first["clean"] == "Completed"
    _, second = run_prepare(PrepareConfig(dataset="weekly-temperature", out=str(out), timesteps=6))
    assert {k: v for k, v in second.items() if k != "fetch"} == {
        "ingest": "Cached",
        "validate": "Cached",
        "clean": "Cached",
        "target": "Cached",
        "split": "Cached",
        "scale": "Cached",
        "temporalize": "Completed",
    }
    _, third = run_prepare(PrepareConfig(dataset="weekly-temperature", out=str(out), timesteps=6))
    assert third["temporalize"] == "Cached"


@pytest.mark.slow
def test_a_stage_output_removed_by_hand_is_computed_again(out):
    """Deleting a cached stage's stored output makes that stage run again (Completed) and
    write it back; the stages before and after it stay Cached and the result is the same."""
    cfg = PrepareConfig(dataset="weekly-temperature", out=str(out))
    prepared, _ = run_prepare(cfg)
    before = load(prepared, "test")
    [clean_dir] = (out / "weekly-temperature" / "stages" / "clean").iterdir()
    shutil.rmtree(clean_dir)
    again, states = run_prepare(cfg)
    assert {k: v for k, v in states.items() if k != "fetch"} == {
        "ingest": "Cached",
        "validate": "Cached",
        "clean": "Completed",
        "target": "Cached",
        "split": "Cached",
        "scale": "Cached",
        "temporalize": "Cached",
    }
    assert (clean_dir / "frame.parquet").exists() and (clean_dir / "meta.json").exists()
    assert again == prepared
    np.testing.assert_array_equal(load(again, "test").x, before.x)
    _, third = run_prepare(cfg)
    assert third["clean"] == "Cached"


def test_bad_input_fails_with_report_and_no_prepared_dir(out, tmp_path):
    """A negative count fails validation, writes the failure cases, leaves no prepared/."""
    raw = pd.read_csv("data/raw/bike_hourly_sample.csv")
    raw.loc[10, "Rented Bike Count"] = -3
    bad = tmp_path / "bad.csv"
    raw.to_csv(bad, index=False)
    before = bad.read_bytes()
    from flows.prepare import prepare

    with pytest.raises(DataError) as info:
        prepare(PrepareConfig(dataset="bike-hourly", source=str(bad), out=str(out)))
    err = info.value
    assert err.problems[0].column == "Rented Bike Count"
    assert "line 12" in err.problems[0].examples[0]
    cases = pd.read_csv(err.failure_cases_path)
    assert cases["failure_case"].tolist() == [-3.0]
    assert cases["file_line"].tolist() == [12]
    assert not (out / "bike-hourly" / "prepared").exists()
    assert bad.read_bytes() == before  # the raw file is never modified


def test_run_stage_recomputes_one_stage_from_stored_output(out):
    """run-stage reruns the chosen stage (Completed) into the same keyed directory."""
    cfg = PrepareConfig(dataset="weekly-temperature", out=str(out))
    run_prepare(cfg)
    from flows.run_stage import run_stage

    state = run_stage("scale", cfg, return_state=True)
    states = task_states(state.state_details.flow_run_id)
    assert [s for name, s in states.items() if name.startswith("scale")] == ["Completed"]
    assert (
        Path(state.result())
        == out.resolve() / "weekly-temperature" / "stages" / "scale" / Path(state.result()).name
    )
    assert (Path(state.result()) / "scaler.json").exists()


@pytest.mark.slow
def test_run_stage_without_stored_output_says_what_to_do(out, capfd):
    """run-stage before any prepare exits 2 with a hint to run prepare first."""
    code = main(["run-stage", "clean", "--dataset", "weekly-temperature", "--out", str(out)])
    assert code == 2
    assert "run `seqcast prepare` with the same options first" in capfd.readouterr().err


@pytest.mark.slow
def test_cli_prints_prepared_dir_last_and_reports_bad_input(out, tmp_path, capfd):
    """The CLI's last stdout line is the prepared dir; bad input exits 2 with a summary."""
    assert main(["prepare", "--dataset", "weekly-temperature", "--out", str(out)]) == 0
    last = capfd.readouterr().out.strip().splitlines()[-1]
    assert (Path(last) / "summary.json").exists()

    bad = tmp_path / "text.csv"
    bad.write_text("year,week,AvgTemp\n2010,1,1.0\n2010,2,warm\n")
    assert (
        main(
            ["prepare", "--dataset", "weekly-temperature", "--source", str(bad), "--out", str(out)]
        )
        == 2
    )
    err = capfd.readouterr().err
    assert f"validate failed for {bad}" in err
    assert "column 'AvgTemp': wrong type" in err and "line 3" in err


def test_cli_rejects_out_of_range_option_before_any_work(out, capfd):
    """--timesteps 0 is rejected by the config, naming the option."""
    assert (
        main(["prepare", "--dataset", "weekly-temperature", "--timesteps", "0", "--out", str(out)])
        == 2
    )
    assert "--timesteps" in capfd.readouterr().err
    assert not out.exists()
