"""The champion bundle as a typed document: it round-trips through JSON, bundles written
before it carried a schema version are migrated in one place, and one written by the code
before the typed bundle still serves the same forecast."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from seqcast.serving.bundle import SCHEMA_VERSION, Bundle, bundle_of, migrate, read_bundle
from seqcast.spec.dataset import get_spec

FIXTURE = Path(__file__).parents[2] / "fixtures" / "bundle-v1-weekly"
SAMPLE = Path(__file__).parents[3] / "data" / "raw" / "weekly_temperature_sample.csv"
SPEC = get_spec("weekly-temperature")


def _oldest() -> dict:
    """A bundle as the first released versions wrote it: one horizon, no steps, no policy,
    members naming their deep variant (``variant``) and no weights or epochs."""
    member = {"kind": "deep", "variant": "gru", "label": "gru", "seed": 42, "timesteps": 4,
              "file": "gru-s42.keras", "units": {"features": {}, "target": None}}  # fmt: skip
    reference = {**member, "kind": "reference", "variant": None, "label": "ridge", "seed": None,
                 "file": "ridge.skops"}  # fmt: skip
    return {
        "dataset": "weekly-temperature",
        "candidate": "ensemble",
        "combine": "weighted-mean",
        "horizon": 4,
        "spec": SPEC.model_dump(mode="json"),
        "max_fill_steps": 2,
        "on_long_gap": "fail",
        "members": [member, reference],
    }


def test_the_oldest_bundle_is_migrated_to_the_current_version():
    got = bundle_of(_oldest())
    assert got.schema_version == SCHEMA_VERSION
    assert got.steps == [4] and got.policy == "deep"  # before paths: the one horizon
    assert [m.forecaster for m in got.members] == ["gru", "ridge"]  # variant, else the label
    assert [m.weight for m in got.members] == [0.5, 0.5]  # before weights: equal
    assert [m.epochs for m in got.members] == [None, None]


def test_a_version_2_bundle_reads_with_no_weights_and_no_warm_refits():
    """A bundle of version 2 (before members carried their weights) reads as the current
    version: its deep members have no weights to continue from, its spec warm_refit 0."""
    doc = bundle_of(_oldest()).to_json()
    doc["schema_version"] = 2
    for m in doc["members"]:
        del m["weights"], m["weights_sha256"]
    del doc["spec"]["training"]["warm_refit"]
    got = bundle_of(doc)
    assert got.schema_version == SCHEMA_VERSION == 4
    assert [m.weights for m in got.members] == [None, None]
    assert got.spec.training.warm_refit == 0.0


def test_a_bundle_round_trips_through_json_unchanged():
    got = bundle_of(_oldest())
    again = Bundle.model_validate(json.loads(json.dumps(got.to_json())))
    assert again == got
    assert migrate(got.to_json()) == got.to_json()  # the current version is left alone


def test_a_newer_version_and_a_misspelled_field_are_refused():
    with pytest.raises(ValueError, match="newer than this seqcast reads"):
        bundle_of({**_oldest(), "schema_version": SCHEMA_VERSION + 1})
    doc = bundle_of(_oldest()).to_json()
    doc["members"][0]["wieght"] = 1.0
    with pytest.raises(ValidationError, match="wieght"):
        Bundle.model_validate(doc)
    with pytest.raises(ValidationError, match="members"):
        Bundle.model_validate({**bundle_of(_oldest()).to_json(), "members": []})


@pytest.mark.slow
def test_a_bundle_written_before_the_typed_bundle_still_serves_the_same_forecast(tmp_path):
    """``tests/fixtures/bundle-v1-weekly`` is the champion folder a quick-start weekly run
    wrote (two GRU seeds) before bundles carried a version; ``expected_forecast.csv`` is the
    forecast that code made from the weekly sample. Read and served by today's code, the
    forecast is the same to 1e-5."""
    from seqcast.serving.predict import forecast_from_raw

    folder = tmp_path / "champion"
    shutil.copytree(FIXTURE, folder)
    assert "schema_version" not in json.loads((folder / "bundle.json").read_text())
    bundle = read_bundle(folder / "bundle.json")
    got = forecast_from_raw(pd.read_csv(SAMPLE), bundle, folder)
    expected = pd.read_csv(folder / "expected_forecast.csv")
    assert got["step"].tolist() == expected["step"].tolist() == [1, 2, 3, 4]
    for column in ("prediction", "lower_80", "upper_80", "lower_95", "upper_95"):
        assert got[column].to_numpy() == pytest.approx(expected[column].to_numpy(), abs=1e-5)
