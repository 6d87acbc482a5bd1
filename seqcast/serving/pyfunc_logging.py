"""Logging a champion as an MLflow pyfunc model (:mod:`seqcast.serving.pyfunc_model`) and
registering it: models-from-code over its bundle folder, with its requirements, a signature and
an input example. MLflow is imported only when a function needs it."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from seqcast.io.tracking import TrackedRun
from seqcast.serving.bundle import Bundle
from seqcast.serving.predict import forecast_from_raw

# What a served model's environment installs.
REQUIREMENTS = [
    "mlflow",
    "seqcast",
    "keras",
    "tensorflow",
    "pandas",
    "pandera",
    "scikit-learn",
    "lightgbm",
    "skops",
    "pyarrow",
]
PYFUNC_CODE = Path(__file__).resolve().with_name("pyfunc_model.py")  # the model's code
EXAMPLE_SLACK_ROWS = 24  # the input example's rows beyond the longest member window


def input_example(raw: pd.DataFrame, bundle: Bundle) -> pd.DataFrame:
    """The newest rows of the raw training frame: enough for every member's window and the
    history it reads (``history_rows``), plus a day of slack (:data:`EXAMPLE_SLACK_ROWS`),
    renumbered from 0."""
    from seqcast.models.statistical import history_rows

    rows = max(max(m.timesteps, history_rows(m.forecaster, m.units)) for m in bundle.members)
    return raw.tail(rows + EXAMPLE_SLACK_ROWS).reset_index(drop=True)


def model_signature(example: pd.DataFrame, bundle: Bundle, folder: Path):
    """The model's signature: raw rows as a file holds them (each declared column of any type,
    since a whole-number column may come as floats and a date as text: seqcast's own checks
    validate them), the output inferred from the forecast of ``example``, and a
    ``known_<column>`` param per known-future column of the spec."""
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types.schema import AnyType, ColSpec, Schema

    params = {f"known_{c}": float("nan") for c in bundle.spec.known_future}
    known = {name.removeprefix("known_"): 0.0 for name in params}
    output = forecast_from_raw(example, bundle, folder, "input example", known)
    with warnings.catch_warnings():  # its integer-column hint is about the input schema,
        warnings.simplefilter("ignore", UserWarning)  # which is replaced just below
        inferred = infer_signature(example, output, params=params or None)
    inputs = Schema([ColSpec(AnyType(), c.name, required=c.required) for c in bundle.spec.columns])
    return ModelSignature(inputs=inputs, outputs=inferred.outputs, params=inferred.params)


def log_and_register_champion(
    tracked: TrackedRun,
    folder: Path,
    signature,
    example: pd.DataFrame,
    name: str,
    tags: dict[str, str],
):
    """Log the champion in ``folder`` as the pyfunc model ``model`` of the MLflow run
    ``tracked``, then register it as a new version of the registered model ``name``, tagged
    ``tags``; returns that MLflow ``ModelVersion``."""
    import mlflow

    with _store(tracked.tracking_uri):
        with mlflow.start_run(run_id=tracked.run_id), warnings.catch_warnings():
            # "Any type ... not validated": on purpose, seqcast's own checks validate the rows
            warnings.filterwarnings("ignore", message=r".*Any type hint is inferred as AnyType")
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(PYFUNC_CODE),
                artifacts={"champion": str(folder)},
                signature=signature,
                input_example=example,
                pip_requirements=REQUIREMENTS,
            )
        return mlflow.register_model(info.model_uri, name, tags=tags)


STORE_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@contextmanager
def _store(uri: str) -> Iterator[None]:
    """MLflow's process-wide tracking and registry URI set to ``uri`` for the block (what
    ``log_model`` and ``register_model`` write to), and put back as they were after it.
    ``mlflow.set_tracking_uri`` also writes ``MLFLOW_TRACKING_URI`` into this process's
    environment, where a later run in the same process (a worker, a replay, tests), with
    another output root, would read it as the user's choice of store."""
    import mlflow

    saved = {name: os.environ.get(name) for name in STORE_ENV}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        # None unsets it (and its environment variable)
        mlflow.set_tracking_uri(saved["MLFLOW_TRACKING_URI"])  # type: ignore[arg-type]
        mlflow.set_registry_uri(saved["MLFLOW_REGISTRY_URI"])  # type: ignore[arg-type]
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
