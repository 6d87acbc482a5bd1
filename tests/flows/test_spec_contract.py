"""The dataset contract: every spec shipped in the package and in tests/specs/ goes through
the whole pipeline (prepare, a tiny train, a forecast) on synthetic rows generated from the
spec itself, as every model variant goes through one contract test in test_models.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqcast.config import ForecastConfig
from seqcast.data.synthetic import rows_from_spec
from seqcast.errors import ConfigError
from seqcast.spec.choices import forecast_steps
from seqcast.spec.dataset import BUILTIN_DIR, get_spec
from seqcast.spec.timeindex import steps_from_raw, times_of
from tests.conftest import SPEC_FIXTURES, best_deep, tiny_in_process

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

SPEC_FILES = sorted(BUILTIN_DIR.glob("*.toml")) + sorted((SPEC_FIXTURES).glob("*.toml"))
# Enough rows for every spec's split sizes and window length (the weekly spec holds 53 + 53
# weeks out; the monthly test spec 24 + 24 months).
PERIODS = 260


def _tiny_train(dataset: str, source: Path, out: Path, variant: str) -> Path:
    """One variant, two epochs, one fold, in threads: the run's directory."""
    from flows.train import train

    cfg = tiny_in_process(dataset, out, variant, epochs=2, source=str(source))
    return Path(train(cfg))


@pytest.mark.parametrize("spec_file", SPEC_FILES, ids=lambda p: p.stem)
def test_every_spec_prepares_trains_and_forecasts(spec_file, tmp_path, monkeypatch):
    monkeypatch.setattr("seqcast.evaluation.selection.choose_champion", best_deep)
    dataset = spec_file.stem if spec_file.parent == BUILTIN_DIR else str(spec_file)
    spec = get_spec(dataset)
    source = tmp_path / "rows.csv"
    rows = rows_from_spec(spec, PERIODS, seed=3)
    rows.to_csv(source, index=False)
    out = tmp_path / "out"
    from flows.forecast import forecast

    run_dir = _tiny_train(dataset, source, out, "gru")
    assert run_dir.parent.parent == out / spec.name  # the spec's name is the dataset folder
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["spec"]["name"] == spec.name and manifest["champion"] == "gru"
    periods = json.loads((run_dir / "metrics.json").read_text())["periods"]
    assert periods["train"]["end"] < periods["val"]["start"] < periods["test"]["start"]

    if spec.known_future:  # their values at the target time must be given
        with pytest.raises(ConfigError, match="known-future column"):
            forecast(ForecastConfig(dataset=dataset, source=str(source), out=str(out)))
    known = {c: 1.0 for c in spec.known_future}
    predicted = pd.read_parquet(
        forecast(ForecastConfig(dataset=dataset, source=str(source), out=str(out), known=known))
    )
    last = steps_from_raw(rows, spec, "rows.csv")[-1]
    steps = forecast_steps(spec.horizon, spec.steps)  # every step of a path, or the last
    expected = times_of(last + np.array(steps), spec.time_index)
    assert predicted["target_time"].tolist() == list(expected)
    assert predicted["step"].tolist() == steps
    assert predicted["prediction"].notna().all()
    # nested bands (a biased tiny model may have both bounds on one side of its forecast:
    # the offsets are quantiles of its signed errors)
    assert (predicted["lower_95"] <= predicted["lower_80"]).all()
    assert (predicted["lower_80"] <= predicted["upper_80"]).all()
    assert (predicted["upper_80"] <= predicted["upper_95"]).all()


def test_forecast_uses_the_spec_the_champion_was_trained_with(tmp_path, monkeypatch, caplog):
    """Editing the spec file after training changes nothing for that champion: it is fed
    with its own stored spec (here: the horizon stays 1), and the log says the file changed."""
    monkeypatch.setattr("seqcast.evaluation.selection.choose_champion", best_deep)
    spec_file = tmp_path / "demand.toml"
    spec_file.write_text((SPEC_FIXTURES / "monthly-demand.toml").read_text())
    spec = get_spec(str(spec_file))
    source = tmp_path / "rows.csv"
    rows = rows_from_spec(spec, 120, seed=4)
    rows.to_csv(source, index=False)
    out = tmp_path / "out"
    from flows.forecast import forecast

    _tiny_train(str(spec_file), source, out, "rnn")
    spec_file.write_text(spec_file.read_text().replace("horizon = 1", "horizon = 3"))
    import os

    os.utime(spec_file, ns=(1, 10**18))
    assert get_spec(str(spec_file)).horizon == 3
    cfg = ForecastConfig(dataset=str(spec_file), source=str(source), out=str(out))
    predicted = pd.read_parquet(forecast(cfg))
    last = steps_from_raw(rows, spec, "rows.csv")[-1]
    assert predicted["target_time"].tolist() == [times_of(np.array([last + 1]), spec.time_index)[0]]
    assert "changed since the champion" in caplog.text
