"""The served champion: the registry's champion as the ``forecast`` flow holds it (its bundle,
the spec and data settings it was trained with), its files downloaded once per version, the
row its forecast adds to the store, and what to say when the registry has none."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from seqcast.config import DatasetSpec, ForecastConfig, GapPolicy, PrepareConfig
from seqcast.errors import SeqcastError
from seqcast.io import storage
from seqcast.io.paths import OUTPUT_ROOT_ENV
from seqcast.serving.bundle import Bundle
from seqcast.serving.forecast_input import why_no_champion

# Where a logged pyfunc model (``seqcast.serving.pyfunc_logging``) keeps the champion's bundle.
BUNDLE_IN_MODEL = "artifacts/champion/bundle.json"


class NoChampion(SeqcastError):
    """The registry has no champion for the dataset: nothing trained, or nothing promoted."""


class ChampionRef(BaseModel):
    """The registry's champion as the ``forecast`` flow passes it between its tasks: its
    typed bundle, where that is, the registry version and the data settings it was trained
    with."""

    bundle: Bundle
    bundle_file: str  # its bundle.json (the members' model files beside it)
    run_id: str
    version: str = ""  # its registered model version
    mlflow_run_id: str = ""  # the MLflow run it was logged in (live metrics go there)
    trained_with: PrepareConfig

    @property
    def model(self) -> str:  # the champion candidate's name
        return self.bundle.candidate

    @property
    def policy(self) -> str:  # how it was promoted: "deep" or "fallback"
        return self.bundle.policy

    @property
    def spec(self) -> DatasetSpec:  # the spec the champion was trained with
        return self.bundle.spec

    @property
    def horizon(self) -> int:
        return self.bundle.horizon

    @property
    def promise(self) -> dict | None:  # what its backtest promised (``evaluation.live``)
        return self.bundle.promise

    @property
    def folder(self) -> Path:
        return Path(self.bundle_file).parent

    @property
    def prepare(self) -> PrepareConfig:
        """The data settings of the champion's training, bound to its own spec."""
        return self.trained_with.with_spec(self.spec)


def champion_ref(
    config: ForecastConfig,
    bundle: Bundle,
    bundle_file: Path,
    run_id: str,
    version: str = "",
    mlflow_run_id: str = "",
) -> ChampionRef:
    """The champion ``bundle`` describes, with the data settings it was trained with: this
    run's dataset, source and output, the bundle's gaps."""
    prepare = PrepareConfig(
        dataset=config.dataset,
        source=config.source,
        out=config.out,
        gaps=GapPolicy(max_fill_steps=bundle.max_fill_steps, on_long_gap=bundle.on_long_gap),
    )
    return ChampionRef(
        bundle=bundle,
        bundle_file=str(bundle_file),
        run_id=run_id,
        version=version,
        mlflow_run_id=mlflow_run_id,
        trained_with=prepare,
    )


def served_bundle(client, name: str, version: str, folder: Path, uri: str) -> Path:
    """The ``bundle.json`` of version ``version`` of the registered model ``name``, its model
    downloaded into ``folder`` (atomically) unless an earlier forecast did."""
    from mlflow.artifacts import download_artifacts

    if not list(folder.rglob(BUNDLE_IN_MODEL)):
        with storage.staged_dir(folder) as tmp:
            # the version's own location: a models:/ URI would be resolved against MLflow's
            # default registry (./mlflow.db), not this one
            source = client.get_model_version_download_uri(name, version)
            download_artifacts(artifact_uri=source, dst_path=str(tmp), tracking_uri=uri)
    (bundle_file,) = folder.rglob(BUNDLE_IN_MODEL)
    return bundle_file


def no_champion_hint(config: ForecastConfig, root: Path, last_run: tuple[Path, dict] | None) -> str:
    """What to do when the registry serves nothing for ``config``'s dataset: train one first
    (under a deployment, with the train deployment, naming the output folder ``root`` itself,
    since ``out`` is relative to the output root there), or, after a train that promoted
    nothing (``last_run``: the newest run's folder and ``metrics.json``), why, and its report."""
    deployed = bool(os.environ.get(OUTPUT_ROOT_ENV))
    out = str(root) if deployed else config.out
    if last_run is None:
        deployment = (
            f"run the deployment train/train-{config.dataset_name}, or " if deployed else ""
        )
        return f"train one first: {deployment}seqcast train --dataset {config.dataset} --out {out}"
    run_dir, metrics = last_run
    report = run_dir / "report.html"
    return why_no_champion(metrics, config.dataset, out) + f"\nits report: {report}"


def forecast_rows(
    champion: ChampionRef, forecast: pd.DataFrame, data_sha256: str, created_at: pd.Timestamp
) -> list[dict]:
    """The forecast store's rows for ``forecast`` (``forecast_from_clean``'s path: one row
    per step with its bounds): the dataset, the champion and its run, the horizon, when it
    was made and the SHA-256 of the data it was made from."""
    return [
        {
            "dataset": champion.prepare.dataset_name,
            "model": champion.model,
            "run_id": champion.run_id,
            "model_version": champion.version,
            "promoted_as": champion.policy,
            **row,
            "horizon": champion.horizon,
            "created_at": created_at,
            "data_sha256": data_sha256,
        }
        for row in forecast.to_dict("records")
    ]
