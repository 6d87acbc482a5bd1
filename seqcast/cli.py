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

from seqcast.config import SPECS, PrepareConfig
from seqcast.errors import ConfigError, SeqcastError
from seqcast.paths import STAGES


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", required=True, choices=sorted(SPECS))
    p.add_argument("--source", help="local path or http(s) URL (default: the bundled sample)")
    p.add_argument("--out", default="outputs", help="output root directory (default: outputs)")
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
            gaps={"max_fill_steps": args.max_fill_steps, "on_long_gap": args.on_long_gap},
        )
    except ValidationError as exc:
        raise ConfigError(_pydantic_message(exc)) from None


def _pydantic_message(exc: ValidationError) -> str:
    lines = ["invalid option(s):"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]).replace("_", "-")
        lines.append(f"  --{loc}: {err['msg']} (got {err.get('input')!r})")
    return "\n".join(lines)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seqcast", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare", help="raw file -> train/val/test windows (cached stages)")
    _add_data_options(p)
    p.add_argument("--refresh", action="store_true", help="recompute every stage")

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


def _cmd_run_stage(args: argparse.Namespace) -> str:
    cfg = _prepare_config(args)
    from flows.run_stage import run_stage

    return run_stage(args.stage, cfg)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = _build_parser().parse_args(argv)
    commands = {"prepare": _cmd_prepare, "run-stage": _cmd_run_stage}
    try:
        out = commands[args.command](args)
    except SeqcastError as exc:
        print(f"\nseqcast {args.command}: error\n{exc.report()}", file=sys.stderr)
        return 2
    print(Path(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
