"""The command line's data and training options, each command's summary and examples
(``USAGE``), and the typed configs the options build: what ``seqcast --help`` and docs/cli.md
show, in one place."""

from __future__ import annotations

import argparse
from typing import get_args

from pydantic import BaseModel, ValidationError

from seqcast.config import GapPolicy, PrepareConfig, TaskRunnerKind, TrainConfig
from seqcast.config.model_settings import TrainingConfig, VariantConfig
from seqcast.errors import ConfigError
from seqcast.models.deep import DEEP_VARIANTS
from seqcast.spec.choices import (
    LongGapAction,
    LossName,
    ReferenceName,
    ScalerKind,
    StepsKind,
    TargetTransform,
)
from seqcast.spec.dataset import builtin_names

DATASET_HELP = (
    f"a built-in dataset ({', '.join(builtin_names())}) or the path of a spec file (.toml)"
)


def _default(model: type[BaseModel], name: str):
    """A config field's default: the one source of an option's default and of its help."""
    return model.model_fields[name].get_default(call_default_factory=True)


def _shown(model: type[BaseModel], name: str) -> str:
    """``(default: ...)`` for an option's help, from the config field's default."""
    value = _default(model, name)
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return f"(default: {value})"


def _add_data_options(
    p: argparse.ArgumentParser,
    timesteps_list: bool = False,
    out: tuple[str, str] = ("outputs", "output root directory (default: outputs)"),
) -> None:
    p.add_argument("--dataset", required=True, help=DATASET_HELP)
    p.add_argument("--source", help="local path or http(s) URL (default: the bundled sample)")
    p.add_argument("--out", default=out[0], help=out[1])
    if timesteps_list:
        p.add_argument(
            "--timesteps",
            type=_int_list,
            help="window length, or N,N,... to sweep lengths (default: the dataset's)",
        )
    else:
        p.add_argument("--timesteps", type=int, help="window length (default: the dataset's)")
    p.add_argument("--horizon", type=int, help="steps ahead (default: the dataset's)")
    p.add_argument(
        "--steps",
        choices=get_args(StepsKind),
        help="all: forecast every step 1..horizon from each origin; last: only the horizon-th "
        "(default: the dataset's)",
    )
    p.add_argument(
        "--scaler",
        choices=get_args(ScalerKind),
        default=_default(PrepareConfig, "scaler"),
        help=f"feature scaling, fitted on training rows only {_shown(PrepareConfig, 'scaler')}",
    )
    p.add_argument(
        "--scale-target",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="scale the target too (default: the dataset spec's scale_target)",
    )
    p.add_argument(
        "--max-fill-steps",
        type=int,
        help="longest gap filled by interpolation, in steps (default: the dataset's)",
    )
    p.add_argument(
        "--on-long-gap",
        choices=get_args(LongGapAction),
        help="a gap longer than --max-fill-steps: fail, or drop the windows touching it "
        "(default: the dataset spec's)",
    )


def _prepare_config(args: argparse.Namespace) -> PrepareConfig:
    try:
        return PrepareConfig(
            dataset=args.dataset,
            source=args.source,
            out=args.out,
            timesteps=args.timesteps,
            horizon=args.horizon,
            steps=args.steps,
            scaler=args.scaler,
            scale_target=args.scale_target,
            gaps=GapPolicy(max_fill_steps=args.max_fill_steps, on_long_gap=args.on_long_gap),
        )
    except ValidationError as exc:
        raise ConfigError(_pydantic_message(exc)) from None


NESTED = {("training",), ("variant",), ("selection",), ("gaps",)}


def _pydantic_message(exc: ValidationError) -> str:
    spec_faults = [e for e in exc.errors() if e["loc"] == ("dataset",)]
    if spec_faults:  # the spec file's own report names the file and the field
        return "\n".join(str(e["msg"]).removeprefix("Value error, ") for e in spec_faults)
    lines = ["invalid option(s):"]
    for err in exc.errors():
        # a nested field's option is named by its last part (training.max_epochs: --max-epochs)
        path = err["loc"][1:] if err["loc"][:1] in NESTED else err["loc"]
        # an item of a list option is named by the option (--variants, not --variants.1)
        loc = ".".join(str(p) for p in path if not isinstance(p, int)).replace("_", "-")
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"  --{loc}: {msg} (got {err.get('input')!r})")
    return "\n".join(lines)


def _known_value(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected COLUMN=NUMBER: {text!r}") from None


def _int_list(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or N,N,...: {text!r}") from None


def _given(**options: object) -> dict[str, object]:
    """The options the user set (unset ones fall back to the config's defaults)."""
    return {k: v for k, v in options.items() if v is not None}


def _train_config(args: argparse.Namespace) -> TrainConfig:
    lengths = args.timesteps or []
    data = _prepare_config(
        argparse.Namespace(**{**vars(args), "timesteps": lengths[0] if len(lengths) == 1 else None})
    ).model_dump()
    variant = _given(
        units=args.units,
        layers=args.layers,
        dropout=args.dropout,
        dense_units=args.dense_units,
        learning_rate=args.learning_rate,
    )
    training = _given(
        max_epochs=args.max_epochs,
        patience=args.patience,
        batch_size=args.batch_size,
        seed=args.seed,
        loss=args.loss,
        target_transform=args.target_transform,
        lr_decay=args.lr_decay,
        ema_momentum=args.ema_momentum,
        warm_refit=args.warm_refit,
    )
    fields: dict = {
        **data,
        "mode": getattr(args, "mode", "full"),
        "timesteps_sweep": tuple(lengths) if len(lengths) > 1 else (),
        "variant": variant,
        "training": training,
        "selection": _given(
            folds=args.folds,
            fold_start=args.fold_start,
            seeds=args.seeds,
            shortlist=args.shortlist,
            ensemble_size=args.ensemble_size,
            require_deep=args.require_deep or None,
        ),
        "task_runner": args.task_runner,
        **({"interval_levels": args.levels} if args.levels else {}),
        "workers": args.workers,
        "dask_address": args.dask_address,
        "mlflow_uri": args.mlflow_uri,
    }
    if args.variants:
        fields["variants"] = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    if args.references:
        fields["references"] = tuple(r.strip() for r in args.references.split(",") if r.strip())
    try:
        return TrainConfig(**fields)
    except ValidationError as exc:
        raise ConfigError(_pydantic_message(exc)) from None


def _levels(text: str) -> tuple[float, ...]:
    try:
        levels = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of levels: {text!r}") from None
    if not levels or not all(0 < v < 1 for v in levels):
        raise argparse.ArgumentTypeError(f"levels must lie strictly between 0 and 1: {text!r}")
    return levels


def _add_train_options(t: argparse.ArgumentParser) -> None:
    t.add_argument(
        "--mode",
        choices=["full", "refresh"],
        default=_default(TrainConfig, "mode"),
        help="full: backtest every candidate and choose a champion; refresh: refit the served "
        "champion's members on every row for their recorded epochs, with its run's settings, "
        f"and serve it, no backtest {_shown(TrainConfig, 'mode')}",
    )
    t.add_argument(
        "--levels",
        type=_levels,
        help="prediction interval levels, comma-separated "
        + _shown(TrainConfig, "interval_levels"),
    )
    t.add_argument(
        "--variants", help=f"comma-separated subset of: {', '.join(DEEP_VARIANTS)} (default: all)"
    )
    t.add_argument(
        "--references",
        help=f"comma-separated subset of: {', '.join(get_args(ReferenceName))}; persistence is "
        "always fitted (default: the dataset's list, else all)",
    )
    t.add_argument("--max-epochs", type=int, help="most epochs a fit runs (default: the dataset's)")
    t.add_argument(
        "--patience",
        type=int,
        help="epochs without improvement before stopping (default: the dataset's)",
    )
    t.add_argument(
        "--batch-size", type=int, help="windows per gradient step (default: the dataset's)"
    )
    t.add_argument("--learning-rate", type=float, help="Adam's step size (default: the dataset's)")
    t.add_argument(
        "--units", type=int, help=f"units per recurrent layer {_shown(VariantConfig, 'units')}"
    )
    t.add_argument(
        "--layers",
        type=int,
        help=f"recurrent layers of the stacked variants {_shown(VariantConfig, 'layers')}",
    )
    t.add_argument(
        "--dropout",
        type=float,
        help=f"dropout rate of the dropout variants {_shown(VariantConfig, 'dropout')}",
    )
    t.add_argument(
        "--dense-units",
        type=int,
        help="width of the multi-input model's dense branch for the target-time calendar "
        + _shown(VariantConfig, "dense_units"),
    )
    t.add_argument(
        "--seed",
        type=int,
        help=f"first seed: numpy, Keras and the split {_shown(TrainingConfig, 'seed')}",
    )
    t.add_argument(
        "--loss", choices=get_args(LossName), help="training loss (default: the dataset's)"
    )
    t.add_argument(
        "--target-transform",
        choices=get_args(TargetTransform),
        help="transform of the target before scaling: log1p (counts), difference (learn the "
        "change from the window's last value: trends, level shifts), normalize (that change "
        "in units of the window's own spread: a swing that grows with the level), auto (none, "
        "difference or normalize, whichever gradient boosting does better with on the "
        "backtest) (default: the dataset's)",
    )
    t.add_argument(
        "--lr-decay",
        type=float,
        help="learning-rate factor per epoch, e.g. 0.97 (default: the dataset's)",
    )
    t.add_argument(
        "--ema-momentum",
        type=float,
        help="refits keep a moving average of their weights, momentum per step, e.g. 0.99; "
        "0: off (default: the dataset's)",
    )
    t.add_argument(
        "--warm-refit",
        type=float,
        help="refits start from the fit before them (the last fold's weights, then the refit "
        "before the test period's) and train this share of the epochs, e.g. 0.5; 0: every "
        "refit from scratch (default: the dataset's)",
    )
    t.add_argument("--folds", type=int, help="backtest folds (default: the dataset's)")
    t.add_argument(
        "--fold-start",
        type=float,
        help="the share of the pre-test rows that only train before the first fold; the folds "
        "divide the rest equally, e.g. 0.2; 0 (or --folds 1): folds as long as the validation "
        "split (default: the dataset's)",
    )
    t.add_argument(
        "--seeds", type=int, help="seeds per shortlisted variant (default: the dataset's)"
    )
    t.add_argument(
        "--shortlist", type=int, help="variants given more seeds (default: the dataset's)"
    )
    t.add_argument(
        "--ensemble-size",
        type=int,
        help="most picks of the backtest-chosen weighted 'ensemble' (default: the dataset's); "
        "<2: none",
    )
    t.add_argument(
        "--require-deep",
        action="store_true",
        help="promote only a deep champion that beats every reference on the backtest, else "
        "nothing (default: the best candidate of all is served as the fallback)",
    )
    t.add_argument("--workers", type=int, help="parallel training workers (default: one per core)")
    t.add_argument(
        "--task-runner",
        choices=get_args(TaskRunnerKind),
        default=_default(TrainConfig, "task_runner"),
        help="where fits run: worker processes, threads, or a Dask cluster "
        + _shown(TrainConfig, "task_runner"),
    )
    t.add_argument("--dask-address", help="existing Dask scheduler, e.g. tcp://HOST:8786")
    t.add_argument(
        "--windows-per-series",
        type=int,
        help="many-series datasets: the newest training windows of each series per fit "
        "(default: the spec's)",
    )
    t.add_argument(
        "--series-identity",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="many-series datasets: give the global models a learned series-identity input "
        "(default: the spec's)",
    )
    t.add_argument(
        "--mlflow-uri",
        help="MLflow tracking URI (default: MLFLOW_TRACKING_URI, else DIR/mlflow.db)",
    )


# One line on what each command does, and two examples of it (``--help`` shows both).
USAGE: dict[str, tuple[str, list[str]]] = {
    "prepare": (
        "raw file -> train/val/test windows (cached stages)",
        [
            "seqcast prepare --dataset weekly-temperature",
            "seqcast prepare --dataset bike-hourly "
            "--source ../shared/datasets/seoul_bike_hourly.csv --timesteps 48",
        ],
    ),
    "train": (
        "prepare, backtest every variant and reference, refit, publish, promote a champion",
        [
            "seqcast train --dataset bike-hourly --source ../shared/datasets/seoul_bike_hourly.csv",
            "seqcast train --dataset weekly-temperature --variants lstm,gru --folds 1 --seeds 1",
        ],
    ),
    "forecast": (
        "the champion forecasts the next steps from the newest data, with intervals",
        [
            "seqcast forecast --dataset bike-hourly --source newest_bike.csv",
            "seqcast forecast --dataset examples/dc-bike-hourly.toml --source dc.csv "
            "--known holiday=0 --known workingday=1",
        ],
    ),
    "status": (
        "how the served forecasts did against their actuals, and against the promise",
        ["seqcast status --dataset bike-hourly", "seqcast status --dataset my.toml --out runs"],
    ),
    "init-spec": (
        "draft a dataset spec file from a CSV",
        [
            "seqcast init-spec --source my_series.csv",
            "seqcast init-spec --source sales.csv --target units --horizon 7 --spec sales.toml",
        ],
    ),
    "deploy": (
        "register a dataset's train, forecast and rerun deployments on the Prefect server",
        [
            "seqcast deploy --dataset weekly-temperature --timezone Asia/Seoul",
            "seqcast deploy --dataset my_series.toml --train-cron '0 4 * * SUN' "
            "--forecast-cron '' --variants gru,lstm",
        ],
    ),
    "replay": (
        "how an operating policy would have done on history: forecast, score, refit",
        [
            "seqcast replay --dataset bike-hourly --source ../shared/datasets/"
            "seoul_bike_hourly.csv --start 2018-10-01 --policy on-degradation",
            "seqcast replay --dataset bike-hourly --source bike.csv --start 2018-10-01 "
            "--policy refresh:7d --fault 2018-10-20:1.8",
        ],
    ),
    "worker": (
        "run the deployments' flow runs; stops cleanly on SIGTERM (after its running runs)",
        [
            "seqcast worker --pool seqcast-process",
            "seqcast worker --pool seqcast-process --limit 1",
        ],
    ),
    "run-stage": (
        "rerun one stage, one fit or the ranking from the stored output before it",
        [
            "seqcast run-stage clean --dataset bike-hourly --max-fill-steps 6",
            "seqcast run-stage gru-s42-fold-1 --dataset bike-hourly -v",
        ],
    ),
}
