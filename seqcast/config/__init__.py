"""Typed configuration: dataset specs (what a dataset is) and run config (what to do with it).

A :class:`DatasetSpec` is declarative: column names and aliases, how the time index is built,
target, horizon, features, covariates, default window length and split sizes. Two specs are
read from spec files (:mod:`seqcast.spec.dataset`). A :class:`PrepareConfig` is the one
object that drives a ``prepare`` run and doubles as the Prefect UI form.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self, get_args

from pydantic import AfterValidator, ConfigDict, Field, PrivateAttr, model_validator

from seqcast.config.folds import Folds
from seqcast.config.model_settings import TrainingConfig, VariantConfig, VariantName
from seqcast.io.paths import StageName, checked_out
from seqcast.spec.choices import (
    LongGapAction,
    ReferenceName,
    ScalerKind,
    StepsKind,
    forecast_steps,
    resolved_references,
)
from seqcast.spec.dataset import (
    ColumnSpec,
    DatasetSpec,
    FlagSpec,
    Frozen,
    SplitSpec,
    TimeIndexSpec,
    TrainingDefaults,
    builtin_names,
    check_dataset,
    get_spec,
)
from seqcast.spec.form import form_schema

__all__ = [
    "ColumnSpec",
    "DatasetSpec",
    "FlagSpec",
    "Frozen",
    "SplitSpec",
    "StageName",
    "TimeIndexSpec",
    "TrainingDefaults",
    "builtin_names",
    "get_spec",
]

# A dataset parameter: a built-in name or the path of a spec file, checked when given.
DatasetRef = Annotated[str, AfterValidator(check_dataset)]


class Form(Frozen):
    """A run config, which is also a Prefect UI form: bounds in words, optional fields as
    plain ones (:func:`seqcast.spec.form.form_schema`)."""

    model_config = ConfigDict(json_schema_extra=form_schema)


def _check_levels(levels: tuple[float, ...]) -> tuple[float, ...]:
    if not all(0.0 < v < 1.0 for v in levels):
        raise ValueError(f"interval levels must lie strictly between 0 and 1, got {levels}")
    return tuple(sorted(set(levels)))


class SelectionConfig(Form):
    """How candidates are compared and combined: the rolling-origin backtest, seed
    ensembles and the model ensemble. Empty fields take the dataset's defaults."""

    folds: int | None = Field(
        default=None,
        ge=1,
        le=20,
        title="Backtest folds",
        description="Expanding-window folds before the test period. Every candidate is "
        "fitted per fold and chosen on its mean error over them. Empty: the dataset's.",
    )
    fold_start: float | None = Field(
        default=None,
        ge=0.0,
        lt=1.0,
        title="Backtest start",
        description="The share of the pre-test rows that only train before the first fold: "
        "the folds divide the rest equally, so they score every season of the training "
        "period (0.2: the first fifth). 0, or one fold: each fold as long as the validation "
        "split, the newest being it. Empty: the dataset's.",
    )
    seeds: int | None = Field(
        default=None,
        ge=1,
        le=20,
        title="Seeds per shortlisted variant",
        description="Fits with seeds seed, seed+1, ... of each shortlisted variant; their "
        "mean forecast is a candidate of its own (a seed ensemble). Empty: the dataset's.",
    )
    shortlist: int | None = Field(
        default=None,
        ge=0,
        le=7,
        title="Variants given more seeds",
        description="How many deep variants (the best on the backtest with one seed) get "
        "the extra seeds. 0: none. Empty: the dataset's (2).",
    )
    ensemble_size: int | None = Field(
        default=None,
        ge=0,
        le=100,
        title="Ensemble picks",
        description="The 'ensemble' candidate is a weighted mean chosen on the backtest by "
        "forward selection with replacement from the best deep candidate: at most this many "
        "picks, so 10 gives weights in tenths (ridge and gradient boosting may be members). "
        "Below 2: no ensemble. Empty: the dataset's (10).",
    )
    require_deep: bool = Field(
        default=False,
        title="Require a deep champion",
        description="Promote only a deep candidate that beats every reference on the "
        "backtest, else nothing. Off: when none does, the best candidate of all on the "
        "backtest (a reference, or an ensemble with one) is promoted and served, labelled as "
        "the fallback, so there is always a forecast.",
    )


class GapPolicy(Form):
    """How missing values and missing timestamps are handled."""

    max_fill_steps: int | None = Field(
        default=None,
        title="Longest gap filled (steps)",
        ge=0,
        le=1000,
        description="Gaps of up to this many steps are filled by time interpolation "
        "(default: the dataset spec's max_fill_steps).",
    )
    on_long_gap: LongGapAction | None = Field(
        default=None,
        title="On a longer gap",
        description="A longer gap fails the run (fail), or removes every window whose inputs "
        "or target touch it (drop-windows). Empty: the dataset spec's on_long_gap (fail).",
    )


# An MLflow tracking URI given as a parameter: a server or a database.
MlflowUri = Annotated[
    str | None,
    Field(
        max_length=2000,
        pattern=r"^(https?://|sqlite:///|postgresql(\+\w+)?://|mysql(\+\w+)?://|databricks)\S*$",
    ),
]

# An output directory given as a parameter: refused where it would leave the output root.
OutputDir = Annotated[str, AfterValidator(checked_out)]


class PrepareConfig(Form):
    """Prepare one dataset: read the raw file, validate, clean, build the shifted target, split
    chronologically, scale and cut it into windows. Empty fields take the dataset's defaults."""

    dataset: DatasetRef = Field(
        title="Dataset",
        description=f"A built-in dataset ({', '.join(builtin_names())}) or the path of a "
        "dataset spec file (.toml; inside SEQCAST_SPECS_DIR where that is set).",
    )
    source: str | None = Field(
        default=None,
        title="Source file or URL",
        description="Local path or http(s) URL of a CSV or a zip holding one CSV. "
        "Empty: the bundled synthetic sample.",
    )
    out: OutputDir = Field(
        default="outputs",
        title="Output folder",
        description="Output root directory (inside SEQCAST_OUTPUT_ROOT where that is set); "
        "must not contain '..'.",
    )
    timesteps: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        title="Window length (timesteps)",
        description="Past steps each window holds. Empty: the dataset spec's timesteps.",
    )
    horizon: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        title="Forecast horizon (steps ahead)",
        description="How many steps ahead to forecast. Empty: the dataset spec's horizon.",
    )
    steps: StepsKind | None = Field(
        default=None,
        title="Steps forecast",
        description="all: every step 1..horizon from each origin (a path); last: only the "
        "horizon-th step. Empty: the dataset spec's steps.",
    )
    scaler: ScalerKind = Field(
        default="minmax",
        title="Scaler",
        description="minmax (to 0..1) or standard (mean 0, sd 1); fitted on training rows only.",
    )
    scale_target: bool | None = Field(
        default=None,
        title="Scale the target too",
        description="Empty: the dataset spec's scale_target (on for large counts). "
        "Metrics are always reported in original units.",
    )
    gaps: GapPolicy = Field(
        default_factory=GapPolicy,
        title="Gap policy",
        description="Which gaps are filled by interpolation, and what a longer gap does.",
    )
    download_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=600,
        title="Download timeout (seconds)",
        description="Per attempt, for an http(s) source.",
    )
    download_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        title="Download retries",
        description="Further attempts after a failed download (timeouts, 5xx answers).",
    )
    max_download_mb: float = Field(
        default=200.0,
        gt=0,
        le=10_000,
        title="Largest download (MB)",
        description="A larger source is refused before it fills the disk.",
    )

    # The spec, read once when the config is made (a run never reads the file again, whatever
    # happens to it mid-run) and carried with the config into every task, in any process.
    _spec: DatasetSpec | None = PrivateAttr(default=None)
    _spec_of: str | None = PrivateAttr(default=None)  # the dataset value it was read for

    def model_post_init(self, context: object) -> None:
        self._bind(get_spec(self.dataset))

    def _bind(self, spec: DatasetSpec) -> None:
        self._spec, self._spec_of = spec, self.dataset

    def with_spec(self, spec: DatasetSpec) -> Self:
        """This config bound to ``spec`` itself rather than to the file ``dataset`` names (a
        champion forecasts with the spec it was trained with, whatever the file says now)."""
        out = self.model_copy()
        out._bind(spec)
        return out

    @property
    def spec(self) -> DatasetSpec:
        """The dataset spec this config was made with (read again only for a copy whose
        ``dataset`` was changed)."""
        if self._spec is None or self._spec_of != self.dataset:
            self._bind(get_spec(self.dataset))
        assert self._spec is not None
        return self._spec

    @property
    def dataset_name(self) -> str:
        """The spec's name: the dataset's folder under the output root."""
        return self.spec.name

    @property
    def resolved_timesteps(self) -> int:
        return self.timesteps or self.spec.timesteps

    @property
    def resolved_horizon(self) -> int:
        return self.horizon or self.spec.horizon

    @property
    def resolved_steps(self) -> list[int]:
        """The steps ahead forecast from each origin, e.g. ``[1, .., 24]`` or ``[2]``."""
        return forecast_steps(self.resolved_horizon, self.steps or self.spec.steps)

    @property
    def resolved_scale_target(self) -> bool:
        return self.spec.scale_target if self.scale_target is None else self.scale_target

    @property
    def resolved_on_long_gap(self) -> LongGapAction:
        return self.gaps.on_long_gap or self.spec.on_long_gap

    @property
    def resolved_max_fill_steps(self) -> int:
        g = self.gaps.max_fill_steps
        return self.spec.max_fill_steps if g is None else g


TaskRunnerKind = Literal["process", "thread", "dask"]
TrainMode = Literal["full", "refresh"]


ALL_VARIANTS: tuple[VariantName, ...] = get_args(VariantName)


class TrainConfig(PrepareConfig):
    """Train and compare deep forecasters: prepare the data, fit every chosen variant and the
    reference forecasts in parallel, publish the leaderboard and report, promote a champion.
    Empty fields take the dataset's defaults."""

    mode: TrainMode = Field(
        default="full",
        title="Mode",
        description="full: backtest every candidate and choose a champion. refresh: refit the "
        "served champion's members on every row up to the newest for the epochs they were "
        "trained for, then register and serve the result; no backtest, and the champion's "
        "settings, not this form's, decide the fit (minutes instead of the full run).",
    )
    timesteps_sweep: tuple[int, ...] = Field(
        default=(),
        max_length=16,
        title="Window lengths to sweep",
        description="Train every variant at each of these window lengths (each 1 to 1000); "
        "overrides the window length. Empty: one window length.",
    )
    variants: tuple[VariantName, ...] = Field(
        default=ALL_VARIANTS,
        min_length=1,
        title="Deep variants",
        description="Which deep variants to train and compare; all seven by default.",
    )
    references: tuple[ReferenceName, ...] | None = Field(
        default=None,
        title="References",
        description="Which references to fit beside the deep variants, each the yardstick a "
        "candidate must beat on the backtest; persistence is always fitted (every skill figure "
        "is measured against it). Empty: the dataset's list, else every reference.",
    )
    variant: VariantConfig = Field(
        default_factory=VariantConfig,
        title="Architecture",
        description="Layer sizes, dropout and learning rate shared by the variants.",
    )
    training: TrainingConfig = Field(
        default_factory=TrainingConfig,
        title="Training",
        description="Epochs, early stopping, batch size, loss, target transform and the seed.",
    )
    selection: SelectionConfig = Field(
        default_factory=SelectionConfig,
        title="Backtest and ensembles",
        description="Backtest folds, seeds per shortlisted variant, ensemble size.",
    )
    interval_levels: Annotated[tuple[float, ...], AfterValidator(_check_levels)] = Field(
        default=(0.8, 0.95),
        min_length=1,
        title="Prediction interval levels",
        description="Central prediction intervals served with every forecast, as coverage "
        "levels strictly between 0 and 1 (0.8: the 80 % interval); conformal, from the "
        "backtest's residuals.",
    )
    task_runner: TaskRunnerKind = Field(
        default="process",
        title="Run variants in",
        description="process: one process per variant (reproducible); thread; dask: an "
        "existing Dask cluster at the Dask address.",
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        le=256,
        title="Parallel workers",
        description="Variants trained at once. Empty: one per CPU core.",
    )
    dask_address: str | None = Field(
        default=None,
        pattern=r"^(tcp|tls)://[^\s/]+:\d+$",
        title="Dask address",
        description="Scheduler of an existing Dask cluster, e.g. tcp://host:8786 (only with "
        "task runner 'dask').",
    )
    mlflow_uri: MlflowUri = Field(
        default=None,
        title="MLflow tracking URI",
        description="Where the run is tracked and its model registered: an MLflow server "
        "(http://host:5000) or a database URI. Empty: MLFLOW_TRACKING_URI where set, else a "
        "SQLite database under the output root (DIR/mlflow.db).",
    )

    @model_validator(mode="after")
    def _check_runner(self) -> TrainConfig:
        if self.task_runner == "dask" and not self.dask_address:
            raise ValueError("task_runner 'dask' needs dask_address (tcp://HOST:PORT)")
        if any(t < 1 or t > 1000 for t in self.timesteps_sweep):
            raise ValueError("every sweep window length must be within 1..1000")
        if len(set(self.variants)) != len(self.variants):
            raise ValueError("variants must not repeat")
        if self.references is not None and len(set(self.references)) != len(self.references):
            raise ValueError("references must not repeat")
        return self

    @property
    def resolved_references(self) -> tuple[ReferenceName, ...]:
        """The references this run fits, in their fixed order, persistence among them."""
        chosen = self.references if self.references is not None else self.spec.training.references
        return resolved_references(chosen)

    @property
    def resolved_variant(self) -> VariantConfig:
        """The variant config with the dataset's defaults filled in."""
        if self.variant.learning_rate is not None:
            return self.variant
        return self.variant.model_copy(update={"learning_rate": self.spec.training.learning_rate})

    @property
    def resolved_training(self) -> TrainingConfig:
        """The training config with the dataset's defaults filled in."""
        d = self.spec.training
        return self.training.model_copy(
            update={
                "max_epochs": self.training.max_epochs or d.max_epochs,
                "patience": self.training.patience or d.patience,
                "batch_size": self.training.batch_size or d.batch_size,
                "loss": self.training.loss or d.loss,
                "target_transform": self.training.target_transform or d.target_transform,
                "lr_decay": self.training.lr_decay or d.lr_decay,
                "ema_momentum": d.ema_momentum
                if self.training.ema_momentum is None
                else self.training.ema_momentum,
                "warm_refit": d.warm_refit
                if self.training.warm_refit is None
                else self.training.warm_refit,
            }
        )

    @property
    def resolved_selection(self) -> SelectionConfig:
        """The selection config with the dataset's defaults filled in."""
        d, sel = self.spec.training, self.selection
        return sel.model_copy(
            update={
                name: getattr(sel, name) if getattr(sel, name) is not None else getattr(d, name)
                for name in ("folds", "fold_start", "seeds", "shortlist", "ensemble_size")
            }
        )

    @property
    def backtest_folds(self) -> Folds:
        """The backtest's layout (one fold when the selection sets none;
        ``seqcast.evaluation.backtest.Folds``)."""
        sel = self.resolved_selection
        count = sel.folds or 1
        # one fold is the validation split: a start share only spreads two or more
        return Folds(count, (sel.fold_start or None) if count > 1 else None)

    @property
    def seed_list(self) -> list[int]:
        """The seeds of a shortlisted variant's fits: seed, seed + 1, ..."""
        n = self.resolved_selection.seeds or 1
        return [self.training.seed + i for i in range(n)]

    def fit_settings(self) -> dict:
        """What decides the result of every fit of a run with this config, each setting
        resolved against the dataset's defaults: the data and its windows, the variants and
        references, the architecture, training and backtest. Two configs with equal fit
        settings make the same fits (a rerun compares them with a train run's)."""
        data = self.prepare_configs()[0]
        return {
            "source": self.source,
            "timesteps": [c.resolved_timesteps for c in self.prepare_configs()],
            "horizon": data.resolved_horizon,
            "steps": data.resolved_steps,
            "scaler": self.scaler,
            "scale_target": data.resolved_scale_target,
            "max_fill_steps": data.resolved_max_fill_steps,
            "on_long_gap": data.resolved_on_long_gap,
            "variants": list(self.variants),
            "references": list(self.resolved_references),
            "variant": self.resolved_variant.model_dump(mode="json"),
            "training": self.resolved_training.model_dump(mode="json"),
            "selection": self.resolved_selection.model_dump(mode="json"),
        }

    def prepare_configs(self) -> list[PrepareConfig]:
        """One prepare config per window length of the run."""
        base = self.model_dump(include=set(PrepareConfig.model_fields))
        lengths = self.timesteps_sweep or (self.timesteps,)
        return [PrepareConfig(**{**base, "timesteps": t}).with_spec(self.spec) for t in lengths]

    @property
    def worker_count(self) -> int:
        import os

        return self.workers or os.cpu_count() or 1


class LiveConfig(Form):
    """How served forecasts are held to the backtest's promise once their actuals arrive."""

    window: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        title="Live window (periods)",
        description="Live quality is measured over the newest this many target times with "
        "an actual. Empty: 7 days of hourly data, 8 weeks of weekly, 28 days of daily.",
    )
    factor: float = Field(
        default=1.3,
        gt=1.0,
        le=100.0,
        title="Degradation factor",
        description="Degraded when the live MAE exceeds this many times the MAE the "
        "champion's backtest promised for the same steps.",
    )
    min_scored: int = Field(
        default=20,
        ge=1,
        le=1_000_000,
        title="Fewest scored forecasts",
        description="No verdict on fewer scored forecasts in the window than this.",
    )
    coverage_floor: float = Field(
        default=0.65,
        gt=0.0,
        lt=1.0,
        title="Coverage floor of the first interval level",
        description="Degraded when the first (narrowest) interval, 80 % by default, holds "
        "fewer actuals than this share.",
    )
    cooldown_hours: float = Field(
        default=24.0,
        ge=0.0,
        le=24 * 365,
        title="Cooldown between degradation events (hours)",
        description="After a seqcast.forecast.degraded event, the next is emitted only this "
        "much later, so the retrain it triggers cannot loop.",
    )


class ForecastConfig(Form):
    """Forecast the next horizon: the promoted champion of the dataset predicts from the newest
    data, which is validated and cleaned exactly as in training."""

    dataset: DatasetRef = Field(
        title="Dataset",
        description=f"Whose champion forecasts: a built-in dataset ({', '.join(builtin_names())})"
        " or the path of the dataset spec file it was trained from.",
    )
    source: str | None = Field(
        default=None,
        title="Newest data (file or URL)",
        description="Local path or http(s) URL of the newest data. Empty: the bundled sample.",
    )
    out: OutputDir = Field(
        default="outputs",
        title="Output folder",
        description="Output root holding the champion (inside SEQCAST_OUTPUT_ROOT where that "
        "is set).",
    )
    mlflow_uri: MlflowUri = Field(
        default=None,
        title="MLflow tracking URI",
        description="Where the champion is registered (models:/seqcast-<dataset>@champion). "
        "Empty: MLFLOW_TRACKING_URI where set, else DIR/mlflow.db under the output root.",
    )
    known: dict[str, float] = Field(
        default_factory=dict,
        title="Known-future values",
        description="The values at the target time of the spec's known_future columns "
        "(e.g. a holiday flag), by column name. Needed only when the spec has such columns.",
    )
    live: LiveConfig = Field(
        default_factory=LiveConfig,
        title="Live quality",
        description="The window, the degradation factor and floor that served forecasts are "
        "held to once their actuals arrive.",
    )

    _name: str | None = PrivateAttr(default=None)  # the spec's name, read once

    def model_post_init(self, context: object) -> None:
        self._name = get_spec(self.dataset).name

    @property
    def dataset_name(self) -> str:
        """The spec's name: the dataset's folder under the output root."""
        if self._name is None:
            self._name = get_spec(self.dataset).name
        return self._name
