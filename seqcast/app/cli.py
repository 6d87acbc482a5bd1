"""The seqcast command line. Each command prints its output directory as its last line.

By default the console shows a compact progress view (each stage and variant as it finishes,
running ones as live rows) and a few closing lines; -q shows only the closing line,
--verbose streams every log line too. Everything that Prefect, TensorFlow and the worker
processes print goes to the command's full log under OUT/DATASET/logs/.
Errors in the input or the options are reported as a short readable summary on standard error
with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from seqcast.app.console import ProgressView, Verbosity, captured_output
from seqcast.config import ForecastConfig, GapPolicy, PrepareConfig, TrainConfig
from seqcast.errors import ConfigError, SeqcastError
from seqcast.io.paths import STAGES, Layout
from seqcast.models.deep import DEEP_VARIANTS
from seqcast.spec.dataset import builtin_names

DATASET_HELP = (
    f"a built-in dataset ({', '.join(builtin_names())}) or the path of a spec file (.toml)"
)


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
        "--scaler",
        choices=["minmax", "standard"],
        default="minmax",
        help="feature scaling, fitted on training rows only (default: minmax)",
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
        choices=["fail", "drop-windows"],
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
        loc = ".".join(str(p) for p in path).replace("_", "-")
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
    )
    fields: dict = {
        **data,
        "timesteps_sweep": tuple(lengths) if len(lengths) > 1 else (),
        "variant": variant,
        "training": training,
        "selection": _given(
            folds=args.folds,
            seeds=args.seeds,
            shortlist=args.shortlist,
            ensemble_size=args.ensemble_size,
        ),
        "task_runner": args.task_runner,
        "workers": args.workers,
        "dask_address": args.dask_address,
        "mlflow_uri": args.mlflow_uri,
    }
    if args.variants:
        fields["variants"] = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    try:
        return TrainConfig(**fields)
    except ValidationError as exc:
        raise ConfigError(_pydantic_message(exc)) from None


def _add_train_options(t: argparse.ArgumentParser) -> None:
    t.add_argument(
        "--variants", help=f"comma-separated subset of: {', '.join(DEEP_VARIANTS)} (default: all)"
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
    t.add_argument("--units", type=int, help="units per recurrent layer (default: 32)")
    t.add_argument(
        "--layers", type=int, help="recurrent layers of the stacked variants (default: 2)"
    )
    t.add_argument(
        "--dropout", type=float, help="dropout rate of the dropout variants (default: 0.2)"
    )
    t.add_argument("--seed", type=int, help="first seed: numpy, Keras and the split (default: 42)")
    t.add_argument(
        "--loss", choices=["mse", "mae", "huber"], help="training loss (default: the dataset's)"
    )
    t.add_argument(
        "--target-transform",
        choices=["none", "log1p"],
        help="transform of the target before scaling (default: the dataset's)",
    )
    t.add_argument(
        "--lr-decay", type=float, help="learning-rate factor per epoch, e.g. 0.97 (default: 1)"
    )
    t.add_argument(
        "--ema-momentum",
        type=float,
        help="refits keep a moving average of their weights, momentum per step, e.g. 0.99; "
        "0: off (default: the dataset's)",
    )
    t.add_argument("--folds", type=int, help="backtest folds (default: the dataset's)")
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
    t.add_argument("--workers", type=int, help="parallel training workers (default: one per core)")
    t.add_argument(
        "--task-runner",
        choices=["process", "thread", "dask"],
        default="process",
        help="where fits run: worker processes, threads, or a Dask cluster (default: process)",
    )
    t.add_argument("--dask-address", help="existing Dask scheduler, e.g. tcp://HOST:8786")
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
        "the champion predicts the next horizon from the newest data",
        [
            "seqcast forecast --dataset bike-hourly --source newest_bike.csv",
            "seqcast forecast --dataset examples/dc-bike-hourly.toml --source dc.csv "
            "--known holiday=0 --known workingday=1",
        ],
    ),
    "init-spec": (
        "draft a dataset spec file from a CSV",
        [
            "seqcast init-spec --source my_series.csv",
            "seqcast init-spec --source sales.csv --target units --horizon 7 --spec sales.toml",
        ],
    ),
    "deploy": (
        "register a dataset's train and forecast deployments on the Prefect server",
        [
            "seqcast deploy --dataset weekly-temperature --timezone Asia/Seoul",
            "seqcast deploy --dataset my_series.toml --train-cron '0 4 * * SUN' "
            "--forecast-cron '' --variants gru,lstm",
        ],
    ),
    "run-stage": (
        "rerun one stage from the stored output before it",
        [
            "seqcast run-stage clean --dataset bike-hourly --max-fill-steps 6",
            "seqcast run-stage temporalize --dataset weekly-temperature --timesteps 8",
        ],
    ),
}


def _build_parser(plain: bool = False) -> argparse.ArgumentParser:
    """The command line's parser; ``plain`` formats help without colour (the docs page)."""
    fmt: type[argparse.HelpFormatter] = argparse.RawDescriptionHelpFormatter
    if not plain:
        from rich_argparse import RawDescriptionRichHelpFormatter

        fmt = RawDescriptionRichHelpFormatter
    parser = argparse.ArgumentParser(prog="seqcast", description=__doc__, formatter_class=fmt)
    loudness = argparse.ArgumentParser(add_help=False)
    group = loudness.add_mutually_exclusive_group()
    group.add_argument(
        "-v", "--verbose", action="store_true", help="stream every log line to the console too"
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", help="print only errors and the output path"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, description: str = "", loud: bool = True) -> argparse.ArgumentParser:
        summary, examples = USAGE[name]
        return sub.add_parser(
            name,
            parents=[loudness] if loud else [],
            help=summary,
            description=f"{summary}.{' ' + description if description else ''}",
            epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
            formatter_class=fmt,
        )

    p = command("prepare")
    _add_data_options(p)
    p.add_argument("--refresh", action="store_true", help="recompute every stage")

    t = command("train")
    _add_data_options(t, timesteps_list=True)
    _add_train_options(t)

    f = command("forecast")
    f.add_argument("--dataset", required=True, help=DATASET_HELP)
    f.add_argument("--source", help="newest data: local path or http(s) URL (default: sample)")
    f.add_argument("--out", default="outputs", help="output root holding the champion")
    f.add_argument(
        "--known",
        action="append",
        type=_known_value,
        metavar="COLUMN=VALUE",
        help="a known-future column's value at the target time (repeat for each)",
    )
    f.add_argument("--mlflow-uri", help="where the champion is registered (default: as for train)")

    d = command("init-spec", loud=False)
    d.add_argument("--source", required=True, help="the CSV to describe (a local file)")
    d.add_argument("--target", help="the column to forecast (default: guessed, and said so)")
    d.add_argument("--horizon", type=int, default=1, help="steps ahead (default: 1)")
    d.add_argument("--name", help="dataset name (default: from the file name)")
    d.add_argument("--spec", help="where to write the spec (default: <name>.toml here)")
    d.add_argument("--force", action="store_true", help="overwrite an existing spec file")

    g = command(
        "deploy",
        "Any training option given here becomes the deployments' default parameter, so "
        "scheduled runs use it (the UI's custom-run form shows it).",
        loud=False,
    )
    _add_data_options(
        g,
        timesteps_list=True,
        out=(".", "output folder inside the deployments' output root, ROOT/outputs (default: .)"),
    )
    _add_train_options(g)
    g.add_argument(
        "--train-cron",
        default="0 3 * * *",
        help="retrain schedule (cron); '': no schedule (default: '0 3 * * *', daily 03:00)",
    )
    g.add_argument(
        "--forecast-cron",
        default="5 * * * *",
        help="forecast schedule (cron); '': no schedule (default: '5 * * * *', hourly at :05)",
    )
    g.add_argument("--timezone", default="UTC", help="time zone of both schedules (default: UTC)")
    g.add_argument(
        "--pool",
        default="seqcast-process",
        help="process work pool, made if absent (default: seqcast-process)",
    )

    r = command("run-stage")
    r.add_argument("stage", choices=STAGES)
    _add_data_options(r)
    return parser


@dataclass(frozen=True)
class Command:
    """A parsed command, ready to run: its config, the flow call and the closing lines."""

    name: str
    dataset: str
    out: str
    run: Callable[[], str]
    summary: Callable[[str], list[str]]
    needs_api: bool = True  # False: runs in this process with no Prefect API at all


def _cmd_prepare(args: argparse.Namespace) -> Command:
    cfg = _prepare_config(args)

    def run() -> str:
        if args.refresh:
            os.environ["PREFECT_TASKS_REFRESH_CACHE"] = "true"
        from flows.prepare import prepare

        return prepare(cfg)

    return Command("prepare", cfg.dataset_name, cfg.out, run, _prepared_summary)


def _cmd_train(args: argparse.Namespace) -> Command:
    cfg = _train_config(args)

    def run() -> str:
        from flows.train import train

        return train(cfg)

    return Command("train", cfg.dataset_name, cfg.out, run, _run_summary)


def _cmd_forecast(args: argparse.Namespace) -> Command:
    try:
        cfg = ForecastConfig(
            dataset=args.dataset,
            source=args.source,
            out=args.out,
            known=dict(args.known or []),
            mlflow_uri=args.mlflow_uri,
        )
    except ValidationError as exc:
        raise ConfigError(_pydantic_message(exc)) from None

    # With a server configured the forecast is a flow run recorded there; without one it is
    # the same steps called in this process (a temporary server would take longer than they do).
    recorded = _api_configured()

    def run() -> str:
        from flows.forecast import forecast, forecast_in_process

        return forecast(cfg) if recorded else forecast_in_process(cfg)

    return Command("forecast", cfg.dataset_name, cfg.out, run, _forecast_summary, recorded)


def _api_configured() -> bool:
    """Whether a Prefect API is configured (environment or the active Prefect profile)."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def _cmd_run_stage(args: argparse.Namespace) -> Command:
    cfg = _prepare_config(args)

    def run() -> str:
        from flows.run_stage import run_stage

        return run_stage(args.stage, cfg)

    return Command("run-stage", cfg.dataset_name, cfg.out, run, lambda out: [])


def _prepared_summary(out: str) -> list[str]:
    summary = json.loads((Path(out) / "summary.json").read_text())
    # (samples, timesteps, features) per split: the windows themselves, after any dropped
    counts = ", ".join(f"{split} {shape[0]}" for split, shape in summary["shapes"].items())
    return [f"windows: {counts} ({summary.get('timesteps')} timesteps)"]


def _run_summary(out: str) -> list[str]:
    metrics = json.loads((Path(out) / "metrics.json").read_text())
    lines = []
    champion = metrics.get("champion")
    board = {e["name"]: e for e in metrics["models"]}

    def figures(e: dict) -> str:
        test = f"{e['test']['mae']:.4g}" if e["test"] else "-"
        return f"backtest MAE {e['backtest']['mae']:.4g}, val {e['val']['mae']:.4g}, test {test}"

    if champion:
        lines.append(f"champion: {champion}  {figures(board[champion])}")
    else:
        lines.append("no champion promoted: " + metrics.get("champion_reason", ""))
    refs = [e for e in metrics["models"] if e["kind"] == "reference" and e["backtest"]]
    if refs:
        best = min(refs, key=lambda e: e["backtest"]["mae"])
        lines.append(f"best reference: {best['name']}  {figures(best)}")
    lines.append(f"report: {Path(out) / 'report.html'}")
    tracked = Path(out) / "mlflow.json"
    if tracked.exists():
        t = json.loads(tracked.read_text())
        root = Path(out).parents[2]  # OUT/<dataset>/runs/<run id>
        ui = (
            "make mlflow"
            if root.resolve() == Path("outputs").resolve()
            else f"make mlflow OUT={root}"
        )
        where = t["url"] or f"{t['tracking_uri']} ({ui})"
        lines.append(f"mlflow run: {t['run_id']}  {where}")
        if t.get("registered_model"):
            lines.append(f"registered: {t['registered_model']}")
    return lines


def _forecast_summary(out: str) -> list[str]:
    import pandas as pd

    last = pd.read_parquet(out).iloc[-1]
    return [
        f"forecast: {last['prediction']:.4g} for {last['target_time']} "
        f"(model {last['model']}, from data up to {last['origin_time']})"
    ]


COMMANDS: dict[str, Callable[[argparse.Namespace], Command]] = {
    "prepare": _cmd_prepare,
    "train": _cmd_train,
    "forecast": _cmd_forecast,
    "run-stage": _cmd_run_stage,
}


def _execute(command: Command, console: Console, verbosity: Verbosity) -> str:
    """Run the command's flow with the API up; with the progress view unless quiet/verbose."""
    if not command.needs_api:
        return command.run()
    from prefect import tags

    from seqcast.app.api import shared_api
    from seqcast.app.runs import Watcher

    with shared_api():
        if verbosity != "normal":
            return command.run()
        tag = f"seqcast-cli-{uuid.uuid4().hex[:8]}"
        with ProgressView(console) as view, Watcher(tag, view.update), tags(tag):
            return command.run()


def _init_spec(args: argparse.Namespace) -> int:
    """Draft a spec from a CSV, check it loads, write it, and say what to check."""
    from seqcast.data.draft import draft_spec
    from seqcast.data.ingest import parse_csv
    from seqcast.io import storage
    from seqcast.spec.dataset import load_spec

    source = Path(args.source)
    try:
        if not source.is_file():
            raise ConfigError(f"source {source} is not a file")
        if args.horizon < 1:
            raise ConfigError("--horizon must be at least 1")
        try:
            table = parse_csv(source.read_bytes(), str(source))  # as seqcast train reads it
        except (ValueError, UnicodeDecodeError) as err:
            raise ConfigError(f"{source} cannot be read as a CSV: {err}") from None
        name = args.name or source.stem
        try:
            draft = draft_spec(table.frame, name, args.target, args.horizon)
        except ValueError as err:
            raise ConfigError(f"{source}: {err}") from None
        draft.notes.insert(0, f"file: {table.layout}")
        target = Path(args.spec or f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.toml")
        if target.exists() and not args.force:
            raise ConfigError(f"{target} exists; give --force to overwrite it or --spec PATH")
        trial = target.with_name(f".{target.name}.draft.toml")
        try:
            load_spec(storage.write_text(trial, draft.text))  # what is written always loads
            trial.replace(target)
        finally:
            trial.unlink(missing_ok=True)
    except SeqcastError as exc:
        print(f"seqcast init-spec: error\n{exc.report()}", file=sys.stderr)
        return 2
    for note in draft.notes:
        print(f"detected: {note}")
    for item in draft.undecided:
        print(f"check: {item}")
    print(f"next: edit the spec, then seqcast train --dataset {target} --source {source}")
    print(target)
    return 0


def _deploy(args: argparse.Namespace) -> int:
    """Register the dataset's two deployments on the configured Prefect server."""
    from seqcast.app.deployments import check_server, existing, plan_deployments, register

    try:
        _check_source(args)
        settings = _train_config(args).model_dump(mode="json", exclude_defaults=True)
        url = check_server()
        plan = plan_deployments(
            args.dataset, args.train_cron or None, args.forecast_cron or None, settings
        )
        replaced = existing(plan)
        names = register(plan, pool=args.pool, timezone=args.timezone)
    except SeqcastError as exc:
        print(f"seqcast deploy: error\n{exc.report()}", file=sys.stderr)
        return 2
    for name, cron in zip(names, (plan.train_cron, plan.forecast_cron), strict=True):
        when = f"cron {cron!r} ({args.timezone})" if cron else "no schedule"
        print(f"deployed: {name}  {when}")
        if name in replaced:
            print(f"  replaced the deployment of that name, which had {replaced[name]}")
    given = {k: v for k, v in plan.train_parameters.items() if k != "dataset"}
    print("default parameters of the train runs: " + json.dumps(given, sort_keys=True))
    for note in plan.notes:
        print(f"note: {note}")
    print(f"runs on work pool {args.pool!r}; start a worker: make worker  (server: {url})")
    return 0


def _check_source(args: argparse.Namespace) -> None:
    """A local source that is not there is reported at once, before anything starts."""
    from seqcast.io.sources import is_url

    source = getattr(args, "source", None)
    if source and not is_url(source) and not Path(source).is_file():
        where = "is a folder, not a file" if Path(source).is_dir() else "does not exist"
        raise ConfigError(f"--source {source} {where} (working directory: {Path.cwd()})")


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = _build_parser().parse_args(argv)
    if args.command == "init-spec":
        return _init_spec(args)
    if args.command == "deploy":
        return _deploy(args)
    verbosity: Verbosity = "verbose" if args.verbose else "quiet" if args.quiet else "normal"
    try:
        _check_source(args)
        command = COMMANDS[args.command](args)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        log = Layout.of(command.out, command.dataset).log_file(command.name, stamp)
    except SeqcastError as exc:
        print(f"seqcast {args.command}: error\n{exc.report()}", file=sys.stderr)
        return 2
    with captured_output(log, verbosity) as (out, err):
        console = Console(file=out, highlight=False, soft_wrap=True)
        if verbosity == "normal":
            console.print(f"seqcast {command.name} {command.dataset}  [dim](full log: {log})[/]")
        try:
            result = _execute(command, console, verbosity)
            lines = command.summary(result)
        except SeqcastError as exc:
            report = f"seqcast {command.name}: error\n{exc.report()}"
            print(report, file=sys.stderr)  # into the log
            print(f"{report}\nfull log: {log}", file=err)
            return 2
        except KeyboardInterrupt:
            print(f"seqcast {command.name}: interrupted\nfull log: {log}", file=err)
            return 130
        except Exception as exc:
            traceback.print_exc()  # into the log
            print(
                f"seqcast {command.name}: unexpected error: {type(exc).__name__}: {exc}\n"
                f"the traceback is in the full log: {log}",
                file=err,
            )
            return 1
        if verbosity != "quiet":
            for line in lines:
                console.print(line)
        print(Path(result), file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
