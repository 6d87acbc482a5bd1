"""The served champion as the forecast flow holds it: from its bundle, its row in the store,
its model downloaded once per version, what to say when there is none, the input example."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from seqcast.config import ForecastConfig
from seqcast.io.paths import OUTPUT_ROOT_ENV
from seqcast.serving.bundle import Bundle, bundle_of
from seqcast.serving.champion import (
    champion_ref,
    forecast_rows,
    no_champion_hint,
    served_bundle,
)
from seqcast.serving.pyfunc_logging import PYFUNC_CODE, input_example
from seqcast.spec.dataset import get_spec

SPEC = get_spec("weekly-temperature")


def member(timesteps: int) -> dict:
    return {"kind": "deep", "label": "gru", "seed": timesteps, "variant": "gru",
            "timesteps": timesteps, "file": f"gru-s{timesteps}.keras", "units": {}}  # fmt: skip


def bundle() -> Bundle:
    """A bundle as written before paths, weights, the fallback and schema versions."""
    return bundle_of(
        {
            "dataset": "weekly-temperature",
            "candidate": "ensemble",
            "members": [member(4), member(8)],
            "horizon": 1,
            "spec": SPEC.model_dump(mode="json"),
            "max_fill_steps": 2,
            "on_long_gap": "drop-windows",
        }
    )


def test_a_champion_keeps_its_bundle_and_is_prepared_with_its_own_gaps(tmp_path):
    config = ForecastConfig(dataset="weekly-temperature", source="new.csv", out=str(tmp_path))
    got = champion_ref(config, bundle(), tmp_path / "bundle.json", "run-1")
    assert (got.model, got.run_id, got.horizon) == ("ensemble", "run-1", 1)
    assert got.bundle_file == str(tmp_path / "bundle.json") and len(got.bundle.members) == 2
    assert got.spec == SPEC
    prepare = got.prepare
    assert (prepare.source, prepare.out) == ("new.csv", str(tmp_path))
    assert (prepare.resolved_max_fill_steps, prepare.resolved_on_long_gap) == (2, "drop-windows")


def test_forecast_rows_name_their_dataset_champion_run_and_data_one_per_step(tmp_path):
    config = ForecastConfig(dataset="weekly-temperature", out=str(tmp_path))
    champion = champion_ref(config, bundle(), tmp_path / "bundle.json", "run-1", "7")
    assert champion.bundle.steps == [1]  # a bundle made before paths: its one horizon
    assert champion.policy == "deep"  # a bundle made before the fallback: a deep champion
    forecast = pd.DataFrame(
        {
            "origin_time": pd.Timestamp("2015-01-02"),
            "step": [1, 2],
            "target_time": ["t1", "t2"],
            "prediction": [2.5, 3.0],
            "lower_80": [1.0, 1.5],
        }
    )
    rows = forecast_rows(champion, forecast, "abc", pd.Timestamp("2026-01-01"))
    assert rows[1] == {
        "dataset": "weekly-temperature",
        "model": "ensemble",
        "run_id": "run-1",
        "model_version": "7",
        "promoted_as": "deep",
        "origin_time": pd.Timestamp("2015-01-02"),
        "step": 2,
        "target_time": "t2",
        "prediction": 3.0,
        "lower_80": 1.5,
        "horizon": 1,
        "created_at": pd.Timestamp("2026-01-01"),
        "data_sha256": "abc",
    }
    assert [r["step"] for r in rows] == [1, 2]


def test_with_no_run_yet_the_hint_says_how_to_train_one(tmp_path, monkeypatch):
    monkeypatch.delenv(OUTPUT_ROOT_ENV, raising=False)
    config = ForecastConfig(dataset="weekly-temperature", out="outputs")
    assert no_champion_hint(config, tmp_path, None) == (
        "train one first: seqcast train --dataset weekly-temperature --out outputs"
    )
    monkeypatch.setenv(OUTPUT_ROOT_ENV, str(tmp_path))
    deployed = ForecastConfig(dataset="weekly-temperature", out=".")
    assert no_champion_hint(deployed, tmp_path / "team", None) == (
        "train one first: run the deployment train/train-weekly-temperature, or "
        f"seqcast train --dataset weekly-temperature --out {tmp_path / 'team'}"
    )


def test_after_a_train_that_promoted_nothing_the_hint_says_why_and_names_its_report(
    tmp_path, monkeypatch
):
    monkeypatch.delenv(OUTPUT_ROOT_ENV, raising=False)
    config = ForecastConfig(dataset="weekly-temperature", out="outputs")
    metrics = {"run_id": "r1", "champion_reason": "no candidate beat naive; nothing promoted"}
    lines = no_champion_hint(config, tmp_path, (tmp_path / "runs" / "r1", metrics)).splitlines()
    assert lines[0] == "the last train (run r1) promoted nothing: no candidate beat naive"
    assert lines[-1] == f"its report: {tmp_path / 'runs' / 'r1' / 'report.html'}"


def test_a_version_is_downloaded_once(tmp_path):
    logged = tmp_path / "logged" / "model"
    (logged / "artifacts" / "champion").mkdir(parents=True)
    (logged / "artifacts" / "champion" / "bundle.json").write_text(json.dumps({"horizon": 1}))
    asked: list[tuple[str, str]] = []

    def download_uri(name: str, version: str) -> str:
        asked.append((name, version))
        return str(logged)

    client = SimpleNamespace(get_model_version_download_uri=download_uri)
    folder = tmp_path / "served" / "3"
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first = served_bundle(client, "seqcast-weekly-temperature", "3", folder, uri)
    again = served_bundle(client, "seqcast-weekly-temperature", "3", folder, uri)
    assert first == again and json.loads(first.read_text()) == {"horizon": 1}
    assert folder in first.parents and Path(first).name == "bundle.json"
    assert asked == [("seqcast-weekly-temperature", "3")]


def test_the_input_example_is_the_longest_window_and_a_day_of_newest_rows():
    raw = pd.DataFrame({"v": range(100)}, index=range(100, 200))
    got = input_example(raw, bundle())  # longest member: 8 timesteps, plus 24 rows
    assert got["v"].tolist() == list(range(68, 100))
    assert got.index.tolist() == list(range(32))
    assert PYFUNC_CODE.name == "pyfunc_model.py" and PYFUNC_CODE.is_file()
