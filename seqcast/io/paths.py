"""Where every file lives. The only module that builds output paths.

Layout under the output root ``DIR``::

    DIR/downloads/<sha256>.<ext>                    downloaded sources, by content hash
    DIR/<dataset>/stages/<stage>/<key>/             a stage's stored output (run-stage reads it)
    DIR/<dataset>/validation/<key>/failure_cases.csv  every failed check, one row per cell
    DIR/<dataset>/prepared/<key>/    train/val/test parquet, scaler.json, summary.json
    DIR/<dataset>/models/<prepared key>/<model>-<config hash>/   one served fit (cache)
    DIR/<dataset>/runs/<run_id>/     metrics.json, predictions.parquet (every scored window),
                                     report.md/.html, champion/, manifest.json
    DIR/<dataset>/served/<version>/  the registry's champion versions, downloaded to serve
    DIR/mlflow.db, DIR/mlartifacts/  the local MLflow tracking store and model registry
    DIR/<dataset>/forecasts.parquet  served forecasts: one row per origin time and step
    DIR/<dataset>/scored.parquet     served forecasts scored against their actuals
    DIR/<dataset>/logs/<stamp>-<command>.log   everything a command and its workers logged
    DIR/<dataset>/panel-runs/<run_id>/   a many-series (panel) train: metrics, scores, report
    DIR/<dataset>/panel-champion/        the served panel champion (models, intervals)
    DIR/<dataset>/panel-forecasts.parquet  a panel forecast: one row per series, origin, step
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

OUTPUT_ROOT_ENV = "SEQCAST_OUTPUT_ROOT"


def checked_out(out: str) -> str:
    """Validate an output directory given as a parameter; return it unchanged when safe.

    ``..`` components are always refused. Where ``SEQCAST_OUTPUT_ROOT`` is set (the
    deployments set it for their flow runs), ``out`` is taken relative to that root and must
    resolve, links followed, inside it: absolute paths elsewhere and links out are refused.
    """
    if ".." in Path(out).parts:
        raise ValueError(f"output path {out!r} must not contain '..'")
    root = os.environ.get(OUTPUT_ROOT_ENV)
    if root:
        base = Path(root).resolve()
        target = resolved_out(out)
        if target != base and base not in target.parents:
            raise ValueError(
                f"output path {out!r} resolves to {target}, outside the output root {base} "
                f"({OUTPUT_ROOT_ENV})"
            )
    return out


def resolved_out(out: str | Path) -> Path:
    """The absolute output directory: ``out`` taken inside ``SEQCAST_OUTPUT_ROOT`` where that
    is set (an absolute ``out`` stands for itself), links followed."""
    root = os.environ.get(OUTPUT_ROOT_ENV)
    return (Path(root) / out if root else Path(out)).resolve()


# The prepare stages, in the order they run (a closed set: the run-stage form's dropdown).
StageName = Literal["ingest", "validate", "clean", "target", "split", "scale", "temporalize"]
STAGES: tuple[StageName, ...] = get_args(StageName)
RANKING = "ranking"  # what run-stage and the rerun flow call the ranking of a train run
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Layout:
    root: Path
    dataset: str

    @classmethod
    def of(cls, root: str | Path, dataset: str) -> Layout:
        """The layout under ``root`` (see :func:`checked_out`); the dataset folder must not be
        a link leading out of the root."""
        resolved = resolved_out(root)
        layout = cls(resolved, dataset)
        if layout.base.is_symlink() and resolved not in layout.base.resolve().parents:
            raise ValueError(f"{layout.base} is a link out of the output root {resolved}")
        return layout

    @classmethod
    def of_prepared(cls, prepared_dir: str | Path) -> tuple[Layout, str]:
        """The layout a ``DIR/<dataset>/prepared/<key>`` directory belongs to, and its key."""
        path = Path(prepared_dir).resolve()
        return cls(path.parents[2], path.parents[1].name), path.name

    @property
    def base(self) -> Path:
        return self.root / self.dataset

    @property
    def downloads(self) -> Path:
        return self.root / "downloads"

    def stage_dir(self, stage: str, key: str) -> Path:
        if stage == "temporalize":
            return self.prepared_dir(key)
        return self.base / "stages" / stage / key

    def prepared_dir(self, key: str) -> Path:
        return self.base / "prepared" / key

    def model_dir(self, prepared_key: str, variant: str, config_hash: str) -> Path:
        return self.base / "models" / prepared_key / f"{variant}-{config_hash}"

    @classmethod
    def fitted_model_dir(cls, prepared_dir: str | Path, name: str, settings: dict) -> Path:
        """Where a served fit of ``name`` on the windows of ``prepared_dir`` stores its model:
        one folder per distinct ``settings`` (hashed)."""
        layout, key = cls.of_prepared(prepared_dir)
        return layout.model_dir(key, name, settings_hash(settings))

    def run_dir(self, run_id: str) -> Path:
        return self.base / "runs" / run_id

    def log_file(self, command: str, stamp: str) -> Path:
        """The full log of one command (Prefect, libraries, worker processes)."""
        return self.base / "logs" / f"{stamp}-{command}.log"

    @property
    def served(self) -> Path:
        """Champion models downloaded from the registry for serving, by version."""
        return self.base / "served"

    @property
    def forecasts(self) -> Path:
        return self.base / "forecasts.parquet"

    @property
    def forecast_fan(self) -> Path:
        """The newest forecast's fan chart (path and intervals after the recent actuals)."""
        return self.base / "forecast_fan.png"

    @property
    def forecasts_lock(self) -> Path:
        return self.base / ".forecasts.lock"

    @property
    def scored(self) -> Path:
        """Served forecasts scored against their actuals (``seqcast.evaluation.live``)."""
        return self.base / "scored.parquet"

    @property
    def degraded(self) -> Path:
        """When the last degradation event was emitted (the cooldown reads it)."""
        return self.base / "degraded.json"

    @property
    def scored_lock(self) -> Path:
        return self.base / ".scored.lock"

    @property
    def champion_lock(self) -> Path:
        return self.base / ".champion.lock"

    @property
    def mlflow_lock(self) -> Path:
        """Serialises creating or upgrading the output root's own MLflow database (one per
        root, shared by its datasets) and its experiments."""
        return self.root / ".mlflow.lock"

    def panel_run_dir(self, run_id: str) -> Path:
        """A panel train's run: metrics.json, scores.parquet (per series and candidate),
        forecasts.parquet (every scored block), windows.parquet, report.html, champion/."""
        return self.base / "panel-runs" / run_id

    @property
    def panel_champion(self) -> Path:
        """The served panel champion: a copy of the newest panel run's champion/."""
        return self.base / "panel-champion"

    @property
    def panel_served(self) -> Path:
        """Every panel forecast served so far (one row per series, origin and step)."""
        return self.base / "panel-served.parquet"

    @property
    def panel_scored(self) -> Path:
        """Served panel forecasts scored against the actuals that came after them."""
        return self.base / "panel-scored.parquet"

    @property
    def panel_status(self) -> Path:
        """The newest forecast run's live quality: per series and over series."""
        return self.base / "panel-status.json"

    @property
    def panel_forecasts(self) -> Path:
        """A panel forecast run's output: one row per series, origin and step."""
        return self.base / "panel-forecasts.parquet"

    def failure_cases(self, key: str) -> Path:
        return self.base / "validation" / key / "failure_cases.csv"

    @staticmethod
    def frame_file(stage_dir: Path) -> Path:
        return stage_dir / "frame.parquet"

    @staticmethod
    def meta_file(stage_dir: Path) -> Path:
        return stage_dir / "meta.json"

    @staticmethod
    def split_file(stage_dir: Path, split: str) -> Path:
        return stage_dir / f"{split}.parquet"

    @staticmethod
    def scaler_file(stage_dir: Path) -> Path:
        return stage_dir / "scaler.json"

    @staticmethod
    def summary_file(stage_dir: Path) -> Path:
        return stage_dir / "summary.json"


def settings_hash(settings: dict) -> str:
    """A short, stable name for a settings document (key order does not matter)."""
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def run_name(started: datetime, flow_run_id: object | None) -> str:
    """A run folder's name: its UTC start time, then the random end of the flow run's id.
    Prefect's ids are time-ordered (their first hex digits are a clock), so runs started by
    one schedule minutes apart share a prefix; the last 8 hex digits are random."""
    stamp = started.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    tail = str(flow_run_id or "").replace("-", "")[-8:]
    return f"{stamp}-{tail or 'local'}"
