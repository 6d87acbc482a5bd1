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
from seqcast.app.options import (
    DATASET_HELP,
    USAGE,
    _add_data_options,
    _add_train_options,
    _known_value,
    _prepare_config,
    _pydantic_message,
    _train_config,
)
from seqcast.app.panel_cli import is_panel
from seqcast.config import ForecastConfig, PrepareConfig, TrainConfig
from seqcast.errors import ConfigError, SeqcastError
from seqcast.io.paths import RANKING, STAGES, Layout
from seqcast.panel.config import panel_spec_path
from seqcast.report.summaries import (
    forecast_summary,
    prepared_summary,
    ranking_summary,
    replay_summary,
    rerun_summary,
    run_summary,
)


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

    st = command(
        "status",
        "Reads DIR/<dataset>/scored.parquet (written by every forecast run) and the served "
        "champion's promise; starts nothing.",
        loud=False,
    )
    st.add_argument("--dataset", required=True, help=DATASET_HELP)
    st.add_argument("--out", default="outputs", help="output root holding the forecasts")

    d = command("init-spec", loud=False)
    d.add_argument("--source", required=True, help="the CSV to describe (a local file)")
    d.add_argument("--target", help="the column to forecast (default: guessed, and said so)")
    d.add_argument(
        "--horizon",
        type=int,
        help="steps ahead (default: by the frequency: hourly 24, daily 14, weekly 4, monthly "
        "12, quarterly 8, yearly 4; fewer for a series too short for them, and said so)",
    )
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
        "--no-automation",
        action="store_true",
        help="register no automation (default: one that runs the train deployment when a "
        "forecast run finds the served forecasts degraded)",
    )
    g.add_argument(
        "--on-degradation",
        choices=["refresh", "full"],
        default="refresh",
        help="what the automation runs when the served forecasts degrade: refresh (refit the "
        "champion on the newest rows, minutes) or full (a whole train) (default: refresh)",
    )
    g.add_argument(
        "--pool",
        default="seqcast-process",
        help="process work pool, made if absent (default: seqcast-process)",
    )

    w = command(
        "worker",
        "Prefect's process worker, for the deployments on a Prefect server (PREFECT_API_URL): "
        "the first SIGTERM or Ctrl-C stops it taking new flow runs and it exits once the "
        "running ones finish (at once when idle); a second stops them too.",
        loud=False,
    )
    w.add_argument(
        "--pool", default="seqcast-process", help="work pool to serve (default: seqcast-process)"
    )
    w.add_argument("--limit", type=int, help="most flow runs at once (default: no limit)")

    r = command(
        "run-stage",
        "STAGE is a prepare stage, one fit of a train run by the name its console printed "
        "(gru-s42-fold-1, references-t24-pretest), or ranking: give the same options as that "
        "train run and the fit is refitted from the stored data and the stored fits before it "
        "(its record and learning curve written under OUT/<dataset>/reruns/<name>/), or every "
        "candidate is ranked again from the stored fits (OUT/<dataset>/reruns/ranking/).",
    )
    r.add_argument(
        "stage",
        metavar="STAGE",
        help=f"{', '.join(STAGES)}, a fit's name or ranking (see above)",
    )
    _add_data_options(r, timesteps_list=True)
    _add_train_options(r)

    rp = command(
        "replay",
        "Trains on the rows before --start, then walks every forecast time up to --end: "
        "forecast, score, check against the promise, refresh or retrain as the policy says, "
        "each fit a run of the train flow on the rows up to that time. Each policy replayed "
        "on the same span is compared in OUT/<dataset>/replay/<span>/report.html.",
    )
    _add_data_options(rp, timesteps_list=True)
    _add_train_options(rp)
    rp.add_argument("--start", required=True, help="first forecast time, e.g. 2018-10-01")
    rp.add_argument("--end", help="last forecast time (default: the file's last time)")
    rp.add_argument(
        "--policy",
        required=True,
        help="when to refit: never, refresh:EVERY, retrain:EVERY (EVERY like 7d, 12h, 2w), "
        "on-degradation (refresh when degraded) or on-degradation:retrain",
    )
    rp.add_argument(
        "--fault",
        help="a fault drill: the target multiplied by FACTOR from DATE on, in a copy of the "
        "file (e.g. 2018-10-20:1.8)",
    )
    rp.add_argument(
        "--live-window",
        type=int,
        help="periods of the live window the degradation check averages over (default: 7 days "
        "of hourly data, 8 weeks of weekly); shorter reacts sooner to a fault",
    )
    rp.add_argument(
        "--degradation-factor",
        type=float,
        default=1.3,
        help="degraded when live MAE exceeds this many times the promise (default: 1.3)",
    )
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
    # the names of the steps it expects, for the progress view's name column (read when run)
    step_names: Callable[[], list[str]] = list
    # the data it will read, checked before any orchestration starts (a bad file is reported
    # in a second or two instead of after the API's start); None: nothing to check
    source: PrepareConfig | None = None


def _check_data(cfg: PrepareConfig | None) -> None:
    """A local source checked as ingest, validate and clean will check it."""
    if cfg is not None:
        from seqcast.data.prepare_source import check_local_source

        check_local_source(cfg)


def _cmd_prepare(args: argparse.Namespace) -> Command:
    cfg = _prepare_config(args)

    def run() -> str:
        if args.refresh:
            os.environ["PREFECT_TASKS_REFRESH_CACHE"] = "true"
        from flows.prepare import prepare

        return prepare(cfg)

    return Command("prepare", cfg.dataset_name, cfg.out, run, prepared_summary, source=cfg)


def _cmd_train(args: argparse.Namespace) -> Command:
    cfg = _train_config(args)

    def run() -> str:
        from flows.train import train

        return train(cfg)

    return Command(
        "train",
        cfg.dataset_name,
        cfg.out,
        run,
        run_summary,
        step_names=lambda: _fit_names(cfg),
        source=cfg.prepare_configs()[0],
    )


def _fit_names(cfg: TrainConfig) -> list[str]:
    """The names a train run's fits get (the run's plan)."""
    from tasks.fit import run_plan

    return list(run_plan(cfg).jobs())


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

    return Command("forecast", cfg.dataset_name, cfg.out, run, forecast_summary, recorded)


def _cmd_replay(args: argparse.Namespace) -> Command:
    from seqcast.app.replay import Fault
    from seqcast.config import LiveConfig
    from seqcast.evaluation.replay import parse_policy

    if not args.source:
        raise ConfigError("seqcast replay needs --source: the file of history to replay")
    cfg = _train_config(args)
    policy = parse_policy(args.policy)
    fault = Fault.parse(args.fault) if args.fault else None
    try:
        live = LiveConfig(factor=args.degradation_factor, window=args.live_window)
    except ValidationError as exc:
        raise ConfigError(_pydantic_message(exc)) from None

    def run() -> str:
        from seqcast.app.replay import run_replay

        return run_replay(cfg, args.source, args.start, args.end, policy, fault, live)

    return Command("replay", cfg.dataset_name, cfg.out, run, replay_summary, source=cfg)


def _api_configured() -> bool:
    """Whether a Prefect API is configured (environment or the active Prefect profile)."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def _cmd_run_stage(args: argparse.Namespace) -> Command:
    if args.stage == RANKING:
        return _cmd_rerun_ranking(args)
    if args.stage not in STAGES:
        return _cmd_rerun_fit(args)
    if args.timesteps and len(args.timesteps) > 1:
        raise ConfigError("--timesteps: one window length for a prepare stage")
    cfg = _prepare_config(
        argparse.Namespace(**{**vars(args), "timesteps": (args.timesteps or [None])[0]})
    )

    def run() -> str:
        from flows.run_stage import run_stage

        return run_stage(args.stage, cfg)

    return Command("run-stage", cfg.dataset_name, cfg.out, run, lambda out: [])


def _cmd_rerun_fit(args: argparse.Namespace) -> Command:
    from tasks.fit import run_plan

    cfg = _train_config(args)
    job = run_plan(cfg).job(args.stage)  # a misspelt name fails here, listing the valid ones

    def run() -> str:
        from flows.run_stage import rerun_fit

        return rerun_fit(job.name, cfg)

    return Command("run-stage", cfg.dataset_name, cfg.out, run, rerun_summary)


def _cmd_rerun_ranking(args: argparse.Namespace) -> Command:
    cfg = _train_config(args)

    def run() -> str:
        from flows.run_stage import rerun_ranking

        return rerun_ranking(cfg)

    return Command("run-stage", cfg.dataset_name, cfg.out, run, ranking_summary)


COMMANDS: dict[str, Callable[[argparse.Namespace], Command]] = {
    "prepare": _cmd_prepare,
    "train": _cmd_train,
    "forecast": _cmd_forecast,
    "run-stage": _cmd_run_stage,
    "replay": _cmd_replay,
}


def _panel_command(args: argparse.Namespace) -> Command:
    """train / forecast on a many-series dataset (``seqcast.app.panel_cli``)."""
    from seqcast.app import panel_cli

    defaults = _build_parser(plain=True).parse_args([args.command, "--dataset", args.dataset])
    cfg = panel_cli.panel_config(args, defaults)
    name = cfg.layout().dataset
    if args.command == "train":

        def train() -> str:
            from flows.panel import train_panel

            return train_panel(cfg)

        return Command("train", name, cfg.out, train, panel_cli.train_summary)

    def forecast() -> str:
        from flows.panel import forecast_panel

        return forecast_panel(cfg)

    return Command("forecast", name, cfg.out, forecast, panel_cli.forecast_summary)


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
        view = ProgressView(console, command.step_names())
        with view, Watcher(tag, view.update), tags(tag):
            return command.run()


def _init_spec(args: argparse.Namespace) -> int:
    """Draft a spec from a CSV, check it loads, write it, and say what to check."""
    from seqcast.data.draft import draft_spec
    from seqcast.data.ingest import parse_csv
    from seqcast.io import storage
    from seqcast.panel.draft import draft_panel_spec
    from seqcast.panel.spec import load_panel_spec
    from seqcast.spec.dataset import load_spec

    source = Path(args.source)
    try:
        if not source.is_file():
            raise ConfigError(f"source {source} is not a file")
        if args.horizon is not None and args.horizon < 1:
            raise ConfigError("--horizon must be at least 1")
        try:
            table = parse_csv(source.read_bytes(), str(source))  # as seqcast train reads it
        except (ValueError, UnicodeDecodeError) as err:
            raise ConfigError(f"{source} cannot be read as a CSV: {err}") from None
        name = args.name or source.stem
        try:
            draft = draft_panel_spec(table.frame, name, args.target, args.horizon)
            panel = draft is not None
            if draft is None:
                draft = draft_spec(table.frame, name, args.target, args.horizon)
        except ValueError as err:
            raise ConfigError(f"{source}: {err}") from None
        draft.notes.insert(0, f"file: {table.layout}")
        target = Path(args.spec or f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.toml")
        if target.exists() and not args.force:
            raise ConfigError(f"{target} exists; give --force to overwrite it or --spec PATH")
        trial = target.with_name(f".{target.name}.draft.toml")
        try:
            written = storage.write_text(trial, draft.text)
            (load_panel_spec if panel else load_spec)(written)  # what is written always loads
            trial.replace(target)
        finally:
            trial.unlink(missing_ok=True)
    except SeqcastError as exc:
        return _error("init-spec", exc.report())
    for note in draft.notes:
        print(f"detected: {note}")
    for item in draft.undecided:
        print(f"check: {item}")
    print(f"next: edit the spec, then seqcast train --dataset {target} --source {source}")
    print(target)
    return 0


def _status(args: argparse.Namespace) -> int:
    """Print the live quality of the served forecasts (``seqcast.serving.status``)."""
    from seqcast.serving.status import status_lines

    try:
        if panel_spec_path(args.dataset) is not None:
            from seqcast.app.panel_cli import panel_config
            from seqcast.app.panel_cli import status_lines as panel_status

            for line in panel_status(panel_config(args, args)):
                print(line)
            return 0
        cfg = ForecastConfig(dataset=args.dataset, out=args.out)
        lines = status_lines(Layout.of(cfg.out, cfg.dataset_name), cfg.live)
    except ValidationError as exc:
        return _error("status", _pydantic_message(exc))
    except SeqcastError as exc:
        return _error("status", exc.report())
    for line in lines:
        print(line)
    return 0


def _deploy(args: argparse.Namespace) -> int:
    """Register the dataset's train, forecast and rerun deployments on the configured
    Prefect server."""
    from seqcast.app.deployments import (
        check_server,
        existing,
        plan_deployments,
        register,
        register_retrain_automation,
    )

    try:
        _check_source(args)
        settings = _train_config(args).model_dump(mode="json", exclude_defaults=True)
        url = check_server()
        plan = plan_deployments(
            args.dataset, args.train_cron or None, args.forecast_cron or None, settings
        )
        replaced = existing(plan)
        names = register(plan, pool=args.pool, timezone=args.timezone)
        automation = (
            None if args.no_automation else register_retrain_automation(plan, args.on_degradation)
        )
    except SeqcastError as exc:
        return _error("deploy", exc.report())
    crons = (plan.train_cron, plan.forecast_cron, None)
    for name, cron in zip(names, crons, strict=True):
        when = f"cron {cron!r} ({args.timezone})" if cron else "no schedule"
        if name.startswith("rerun/"):
            when += " (run it from the UI with a stage, a fit's name or ranking)"
        print(f"deployed: {name}  {when}")
        if name in replaced:
            print(f"  replaced the deployment of that name, which had {replaced[name]}")
    if automation:
        print(
            f"automation: {automation}  runs train/{plan.train} in mode "
            f"{args.on_degradation!r} when a forecast run emits seqcast.forecast.degraded for it "
            "(--on-degradation full: a whole train; --no-automation: none)"
        )
    given = {k: v for k, v in plan.train_parameters.items() if k != "dataset"}
    print("default parameters of the train runs: " + json.dumps(given, sort_keys=True))
    for note in plan.notes:
        print(f"note: {note}")
    print(f"runs on work pool {args.pool!r}; start a worker: make worker  (server: {url})")
    return 0


def _error(command: str, report: str) -> int:
    """A command's error as the user sees it (what is wrong and how to fix it): exit 2."""
    print(f"seqcast {command}: error\n{report}", file=sys.stderr)
    return 2


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
    if args.command == "worker":
        from seqcast.app.worker import run_worker

        return run_worker(args.pool, args.limit)
    if args.command == "status":
        return _status(args)
    verbosity: Verbosity = "verbose" if args.verbose else "quiet" if args.quiet else "normal"
    try:
        _check_source(args)
        command = _panel_command(args) if is_panel(args) else COMMANDS[args.command](args)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        log = Layout.of(command.out, command.dataset).log_file(command.name, stamp)
    except SeqcastError as exc:
        return _error(args.command, exc.report())
    with captured_output(log, verbosity) as (out, err):
        console = Console(file=out, highlight=False, soft_wrap=True)
        if verbosity == "normal":
            console.print(f"seqcast {command.name} {command.dataset}  [dim](full log: {log})[/]")
        try:
            _check_data(command.source)
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
