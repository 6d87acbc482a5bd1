"""Log a panel champion as an MLflow pyfunc model (:mod:`seqcast.panel.pyfunc_model`) in the
run's own MLflow run and register it as a new version of ``seqcast-<dataset>`` with the
``champion`` alias, in the output root's local store unless a tracking URI is given."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from seqcast.io.tracking import (
    experiment_id,
    experiment_name,
    registered_model_name,
    tracking_uri,
)
from seqcast.serving.pyfunc_logging import REQUIREMENTS, _store

PYFUNC_CODE = Path(__file__).resolve().parent / "pyfunc_model.py"


def log_panel_champion(
    out_root: Path, dataset: str, folder: Path, metrics: dict, example: pd.DataFrame
) -> dict:
    """Log and register the champion in ``folder``; returns the run id, model URI and
    version."""
    import mlflow
    from mlflow import MlflowClient

    uri = tracking_uri(out_root)
    name = registered_model_name(dataset)
    with _store(uri):
        exp = experiment_id(MlflowClient(), experiment_name(dataset), out_root, uri)
        with mlflow.start_run(experiment_id=exp, run_name=f"panel-{folder.parent.name}") as run:
            mlflow.log_params(
                {
                    "kind": "panel",
                    "champion": metrics["champion"],
                    "series": metrics["series"],
                    "horizon": metrics["horizon"],
                }
            )
            mlflow.log_metrics(
                {
                    f"{k.replace(' ', '_')}.{c.replace('-', '_')}": v
                    for c, row in metrics["candidates"].items()
                    for k, v in row.items()
                    if isinstance(v, float)
                }
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                info = mlflow.pyfunc.log_model(
                    name="model",
                    python_model=str(PYFUNC_CODE),
                    artifacts={"champion": str(folder)},
                    input_example=example,
                    pip_requirements=REQUIREMENTS,
                )
        version = mlflow.register_model(info.model_uri, name, tags={"kind": "panel"})
        MlflowClient().set_registered_model_alias(name, "champion", version.version)
    return {
        "tracking_uri": uri,
        "run_id": run.info.run_id,
        "model": name,
        "version": int(version.version),
    }
