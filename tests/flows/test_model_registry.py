"""The MLflow model registry: every run's chosen model a new version of seqcast-<dataset>,
the ``champion`` alias moved only by the promotion rule, and the registered pyfunc model
predicting in a fresh process exactly what ``seqcast forecast`` predicts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from seqcast.config import ForecastConfig, TrainConfig
from seqcast.evaluation.records import RunRef
from seqcast.io.tracking import RegisteredVersion
from tasks.publish import promote_champion
from tests.conftest import PROJECT_ROOT, best_deep, tiny_in_process

pytestmark = pytest.mark.usefixtures("prefect_server")

ROOT = PROJECT_ROOT
NAME = "seqcast-weekly-temperature"


def _uri(out: Path) -> str:
    return f"sqlite:///{out.resolve()}/mlflow.db"


def test_alias_moves_only_when_the_promotion_rule_says_so(tmp_path, monkeypatch):
    """Versions are added by every run; the alias follows the rule: same data and a higher
    backtest MAE leaves it, a lower one or other data moves it."""
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out = tmp_path / "out"
    out.mkdir()
    client = MlflowClient(tracking_uri=_uri(out), registry_uri=_uri(out))
    client.create_registered_model(NAME)
    cfg = TrainConfig(dataset="weekly-temperature", out=str(out))

    def run(name: str, mae: float, sha: str) -> tuple[RunRef, RegisteredVersion]:
        version = client.create_model_version(  # tagged as register-model tags it
            NAME,
            source=f"file:///runs/{name}/model",
            tags={"data_sha256": sha, "backtest_mae": repr(mae), "seqcast.run_id": name},
        )
        ref = RunRef(
            run_id=name,
            dir=f"/runs/{name}",
            dataset="weekly-temperature",
            champion="lstm",
            champion_reason="",
            champion_backtest_mae=mae,
            champion_val_mae=mae,
            champion_test_mae=mae,
            bundle=f"/runs/{name}/champion/bundle.json",
            data_sha256=sha,
        )
        registered = RegisteredVersion(
            name=NAME,
            version=str(version.version),
            model_uri=f"models:/{NAME}/{version.version}",
            tracking_uri=_uri(out),
            backtest_mae=mae,
            data_sha256=sha,
        )
        return ref, registered

    def alias() -> str:
        return str(client.get_model_version_by_alias(NAME, "champion").version)

    promote_champion.fn(cfg, *run("r1", 1.0, "aaa"))
    assert alias() == "1"
    promote_champion.fn(cfg, *run("r2", 2.0, "aaa"))  # worse on the same data
    assert alias() == "1"
    promote_champion.fn(cfg, *run("r3", 0.5, "aaa"))  # better
    assert alias() == "3"
    promote_champion.fn(cfg, *run("r4", 9.0, "bbb"))  # other data
    assert alias() == "4"
    assert len(client.search_model_versions(f"name='{NAME}'")) == 4
    assert not (out / "weekly-temperature" / "champion.json").exists()  # the registry is the record


@pytest.mark.slow
@pytest.mark.xdist_group("weekly-run")  # one worker trains the shared run
def test_registered_champion_predicts_what_forecast_predicts(weekly_run, tmp_path, monkeypatch):
    """A run registers its champion with its tags and the alias; loaded by alias in a fresh
    process, the pyfunc model gives the forecast flow's prediction for the same rows."""
    from mlflow.tracking import MlflowClient

    from flows.forecast import forecast

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out, run_dir = weekly_run
    client = MlflowClient(tracking_uri=_uri(out), registry_uri=_uri(out))
    version = client.get_model_version_by_alias(NAME, "champion")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert version.tags["data_sha256"] == manifest["data_fingerprint"]["sha256"]
    assert version.tags["seqcast.run_id"] == manifest["run_id"]
    assert float(version.tags["backtest_mae"]) > 0 and version.tags["trained_to"]

    sample = ROOT / "data" / "raw" / "weekly_temperature_sample.csv"
    rows = pd.read_parquet(forecast(ForecastConfig(dataset="weekly-temperature", out=str(out))))
    assert rows["step"].tolist() == [1, 2, 3, 4]  # the weekly default: the next 4 weeks
    expected = rows.iloc[-1]
    script = (
        "import sys, mlflow, pandas as pd\n"
        f"model = mlflow.pyfunc.load_model('models:/{NAME}@champion')\n"
        f"got = model.predict(pd.read_csv({str(sample)!r}).tail(40))\n"
        "print(got.to_json(orient='records', date_format='iso'))\n"
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": _uri(out)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = pd.read_json(io.StringIO(done.stdout.strip().splitlines()[-1]), orient="records")
    assert got["step"].tolist() == rows["step"].tolist()
    assert pd.to_datetime(got["target_time"]).tolist() == rows["target_time"].tolist()
    for column in ("prediction", "lower_80", "upper_80", "lower_95", "upper_95"):
        assert got[column].tolist() == pytest.approx(rows[column].tolist(), rel=1e-5), column

    # `seqcast forecast` with no Prefect server configured: the same steps in its own
    # process, no temporary server (PREFECT_HOME gets no database), the same forecast
    home = tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "MLFLOW_"))}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "seqcast"), "forecast", "--dataset",
         "weekly-temperature", "--out", str(out)],
        env={**env, "PREFECT_HOME": str(home)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert not home.exists() or not list(home.rglob("*.db"))
    again = pd.read_parquet(out / "weekly-temperature" / "forecasts.parquet")
    assert len(again) == len(rows)  # the same origin: its path replaced, not duplicated
    assert again.iloc[-1]["prediction"] == pytest.approx(float(expected["prediction"]), rel=1e-6)
    assert "forecast of AvgTemp (°C) from data up to" in done.stdout
    assert f"{expected['period']}  4" in done.stdout  # the week named, e.g. "2015 week 1, ..."
    assert "week" in expected["period"] and "80 % interval" in done.stdout


@pytest.mark.slow
def test_a_run_dying_while_logging_its_model_leaves_the_alias_alone(tmp_path, monkeypatch):
    """The alias moves only after the model's files are logged and the version registered: a
    run that dies while logging leaves the alias on the previous version, whose files load."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from flows.train import train

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr("seqcast.evaluation.selection.choose_champion", best_deep)
    out = tmp_path / "out"

    def tiny(seed: int) -> TrainConfig:
        return tiny_in_process("weekly-temperature", out, seed=seed)

    train(tiny(1))
    client = MlflowClient(tracking_uri=_uri(out), registry_uri=_uri(out))
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == "1"

    def dies(*args, **kwargs):
        raise OSError("disk full while logging the model")

    monkeypatch.setattr(mlflow.pyfunc, "log_model", dies)
    state = train(tiny(2), return_state=True)
    assert state.is_failed()
    assert len(client.search_model_versions(f"name='{NAME}'")) == 1
    monkeypatch.undo()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", _uri(out))
    model = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    sample = ROOT / "data" / "raw" / "weekly_temperature_sample.csv"
    assert model.predict(pd.read_csv(sample).tail(40))["prediction"].notna().all()


@pytest.mark.slow
def test_forecast_without_a_registered_champion_says_how_to_make_one(tmp_path, monkeypatch):
    from flows.forecast import forecast
    from seqcast.serving.champion import NoChampion

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out = tmp_path / "out"
    with pytest.raises(NoChampion, match="has no models:/seqcast-weekly-temperature@champion"):
        forecast(ForecastConfig(dataset="weekly-temperature", out=str(out)))

    # under a deployment (an output root set, out relative to it) the hint names the train
    # deployment and the folder itself, not the relative `out` a CLI run would misread
    monkeypatch.setenv("SEQCAST_OUTPUT_ROOT", str(tmp_path))
    with pytest.raises(NoChampion) as err:
        forecast(ForecastConfig(dataset="weekly-temperature", out="."))
    assert str(err.value).endswith(
        "train one first: run the deployment train/train-weekly-temperature, or "
        f"seqcast train --dataset weekly-temperature --out {tmp_path.resolve()}"
    )


@pytest.mark.slow
def test_forecast_after_a_train_that_promoted_nothing_says_why(tmp_path, monkeypatch):
    """After a train whose candidates all lose to a reference, forecast names that run, the
    reference that won and by how much, and what to try, instead of 'train one first'."""
    from flows.forecast import forecast
    from flows.train import train
    from seqcast.serving.champion import NoChampion

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr(
        "seqcast.evaluation.selection.choose_champion",
        lambda board, require_deep=False: (None, "stand-in", "deep"),
    )
    out = tmp_path / "out"
    run_dir = Path(train(tiny_in_process("weekly-temperature", out)))
    with pytest.raises(NoChampion) as err:
        forecast(ForecastConfig(dataset="weekly-temperature", out=str(out)))
    text = str(err.value)
    assert f"the last train (run {run_dir.name}) promoted nothing: stand-in" in text
    assert "to try:" in text and "train one first" not in text
    assert str(run_dir / "report.html") in text
