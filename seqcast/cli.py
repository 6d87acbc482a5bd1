"""The ``seqcast`` command line. Each command prints its output directory as its last line.

Errors in the input or the options are reported as a short readable summary on standard error
with exit status 2; no traceback is the only message.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from seqcast.config import SPECS, ForecastConfig, GapPolicy, PrepareConfig, TrainConfig
from seqcast.errors import ConfigError, SeqcastError
from seqcast.models import DEEP_VARIANTS
from seqcast.paths import STAGES


def _add_data_options(p: argparse.ArgumentParser, timesteps_list: bool = False) -> None:
    p.add_argument("--dataset", required=True, choices=sorted(SPECS))
    p.add_argument("--source", help="local path or http(s) URL (default: the bundled sample)")
    p.add_argument("--out", default="outputs", help="output root directory (default: outputs)")
    if timesteps_list:
        p.add_argument(
            "--timesteps", type=_int_list, help="window length, or N,N,... to sweep lengths"
        )
    else:
        p.add_argument("--timesteps", type=int, help="window length (default: the dataset's)")
    p.add_argument("--horizon", type=int, help="steps ahead (default: the dataset's)")
    p.add_argument("--scaler", choices=["minmax", "standard"], default="minmax")
    p.add_argument(
        "--scale-target",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="scale the target too (default: on for bike-hourly, off for weekly-temperature)",
    )
    p.add_argument("--max-fill-steps", type=int, help="longest gap filled by interpolation")
    p.add_argument("--on-long-gap", choices=["fail", "drop-windows"], default="fail")


def _prepare_config(args: argparse.Namespace) -> PrepareConfig:
    try:
        return PrepareConfig(
            dataset=args.dataset,
            source=args.source,
            out=args.out,
            timesteps=args.timesteps,
            horizon=args.horizon,
            scaler=args.scaler,
            scale_target=args.scale_target,
            gaps=GapPolicy(max_fill_steps=args.max_fill_steps, on_long_gap=args.on_long_gap),
        )
    except ValidationError as exc:
        raise ConfigError(_pydantic_message(exc)) from None


def _pydantic_message(exc: ValidationError) -> str:
    lines = ["invalid option(s):"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]).replace("_", "-")
        lines.append(f"  --{loc}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


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
        learning_rate=args.learning_rate,
    )
    training = _given(
        max_epochs=args.max_epochs,
        patience=args.patience,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    fields: dict = {
        **data,
        "timesteps_sweep": tuple(lengths) if len(lengths) > 1 else (),
        "variant": variant,
        "training": training,
        "task_runner": args.task_runner,
        "workers": args.workers,
        "dask_address": args.dask_address,
    }
    if args.variants:
        fields["variants"] = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    try:
        return TrainConfig(**fields)
    except ValidationError as exc:
        raise ConfigError(_pydantic_message(exc)) from None


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seqcast", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare", help="raw file -> train/val/test windows (cached stages)")
    _add_data_options(p)
    p.add_argument("--refresh", action="store_true", help="recompute every stage")

    t = sub.add_parser("train", help="prepare, then train and compare every variant")
    _add_data_options(t, timesteps_list=True)
    t.add_argument("--variants", help=f"comma-separated subset of: {', '.join(DEEP_VARIANTS)}")
    t.add_argument("--max-epochs", type=int)
    t.add_argument("--patience", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--learning-rate", type=float)
    t.add_argument("--units", type=int)
    t.add_argument("--layers", type=int)
    t.add_argument("--dropout", type=float)
    t.add_argument("--seed", type=int)
    t.add_argument("--workers", type=int, help="parallel training workers (default: cores)")
    t.add_argument("--task-runner", choices=["process", "thread", "dask"], default="process")
    t.add_argument("--dask-address", help="existing Dask scheduler, e.g. tcp://HOST:8786")

    f = sub.add_parser("forecast", help="the champion predicts the next horizon")
    f.add_argument("--dataset", required=True, choices=sorted(SPECS))
    f.add_argument("--source", help="newest data: local path or http(s) URL (default: sample)")
    f.add_argument("--out", default="outputs", help="output root holding the champion")

    r = sub.add_parser("run-stage", help="rerun one stage from the stored output before it")
    r.add_argument("stage", choices=STAGES)
    _add_data_options(r)
    return parser


def _cmd_prepare(args: argparse.Namespace) -> str:
    cfg = _prepare_config(args)
    if args.refresh:
        os.environ["PREFECT_TASKS_REFRESH_CACHE"] = "true"
    from flows.prepare import prepare

    return prepare(cfg)


def _cmd_train(args: argparse.Namespace) -> str:
    cfg = _train_config(args)
    from flows.train import train

    return train(cfg)


def _cmd_forecast(args: argparse.Namespace) -> str:
    try:
        cfg = ForecastConfig(dataset=args.dataset, source=args.source, out=args.out)
    except ValidationError as exc:
        raise ConfigError(_pydantic_message(exc)) from None
    from flows.forecast import forecast

    return forecast(cfg)


def _cmd_run_stage(args: argparse.Namespace) -> str:
    cfg = _prepare_config(args)
    from flows.run_stage import run_stage

    return run_stage(args.stage, cfg)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = _build_parser().parse_args(argv)
    commands = {
        "prepare": _cmd_prepare,
        "train": _cmd_train,
        "forecast": _cmd_forecast,
        "run-stage": _cmd_run_stage,
    }
    try:
        from flows.api import shared_api

        with shared_api():
            out = commands[args.command](args)
    except SeqcastError as exc:
        print(f"\nseqcast {args.command}: error\n{exc.report()}", file=sys.stderr)
        return 2
    print(Path(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
