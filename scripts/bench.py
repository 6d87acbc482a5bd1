"""``make bench``: train on both real Seoul datasets with the default config and write
docs/BENCHMARKS.md (test leaderboard with the references, wall time per stage, speedup of
parallel training over one worker, and an unchanged rerun against the first run).

Reads ../shared/datasets/; says so and exits 0 without writing when they are absent.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "datasets"
# Aims from the issue: the strongest references' test MAE in ../shared/datasets/README.md.
AIMS = {"weekly-temperature": 2.0, "bike-hourly": 105.0}
DATASETS = {
    "weekly-temperature": "seoul_weekly_temperature.csv",
    "bike-hourly": "seoul_bike_hourly.csv",
}


def run(config) -> tuple[Path, float, list[dict]]:
    from flows.train import train

    start = time.perf_counter()
    state = train(config, return_state=True)
    wall = time.perf_counter() - start
    from flows.runs import run_tree

    return Path(state.result()), wall, run_tree(state.state_details.flow_run_id)


def stage_table(runs: list[dict]) -> list[tuple[str, str, float]]:
    order = ["fetch", "ingest", "validate", "clean", "target", "split", "scale", "temporalize"]
    rows = []
    for name in order:
        for r in runs:
            if r["kind"] == "task" and r["name"] == name:  # tasks run under their own name
                rows.append((name, r["state"], r["seconds"]))
    for r in sorted(runs, key=lambda r: r["name"]):
        if r["kind"] == "task" and r["name"].startswith(("train-", "references-")):
            rows.append((r["name"], r["state"], r["seconds"]))
    for r in runs:
        if r["kind"] == "task" and r["name"] in ("publish-run", "promote-champion"):
            rows.append((r["name"], r["state"], r["seconds"]))
    for r in runs:
        if r["kind"] == "flow":
            rows.append((f"flow {r['name']}", r["state"], r["seconds"]))
    return rows


def _is_subflow(run: dict) -> bool:
    return run["name"].rsplit("-", 1)[0] in ("prepare", "fit-models")


def flow_seconds(runs: list[dict], name: str) -> float:
    return next(r["seconds"] for r in runs if r["kind"] == "flow" and r["name"] == name)


def main() -> int:
    if not REAL.exists():
        print(f"bench skipped: the real datasets are not at {REAL}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="seqcast-bench-"))
    os.environ["PREFECT_HOME"] = str(work / "prefect")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    sys.path.insert(0, str(ROOT))
    from flows.api import shared_api

    with shared_api():
        return measure(work)


def measure(work: Path) -> int:
    from seqcast.config import TrainConfig

    sections = []
    for dataset, file in DATASETS.items():
        source = str(REAL / file)
        cfg = TrainConfig(dataset=dataset, source=source, out=str(work / "parallel"))
        print(f"[bench] {dataset}: first run, {cfg.worker_count} workers", flush=True)
        run_dir, first_wall, first_runs = run(cfg)
        print(f"[bench] {dataset}: unchanged rerun", flush=True)
        _, rerun_wall, rerun_runs = run(cfg)
        # Subflow runs also appear as task runs (named like "prepare-0"); leave them out.
        rerun_tasks = [r for r in rerun_runs if r["kind"] == "task" and not _is_subflow(r)]
        cached = sum(r["state"] == "Cached" for r in rerun_tasks)
        tasks = len(rerun_tasks)
        ran = sorted(r["name"] for r in rerun_tasks if r["state"] != "Cached")
        print(f"[bench] {dataset}: one worker", flush=True)
        one = cfg.model_copy(update={"workers": 1, "out": str(work / "one-worker")})
        _, one_wall, one_runs = run(one)
        par_fit = flow_seconds(first_runs, "fit-models")
        one_fit = flow_seconds(one_runs, "fit-models")
        metrics = json.loads((run_dir / "metrics.json").read_text())
        sections.append(
            {
                "dataset": dataset,
                "source": file,
                "metrics": metrics,
                "workers": cfg.worker_count,
                "first_wall": first_wall,
                "rerun_wall": rerun_wall,
                "cached": cached,
                "tasks": tasks,
                "ran": ran,
                "one_wall": one_wall,
                "par_fit": par_fit,
                "one_fit": one_fit,
                "stages": stage_table(first_runs),
                "config": {
                    "variant": cfg.resolved_variant.model_dump(),
                    "training": cfg.resolved_training.model_dump(),
                    "timesteps": cfg.resolved_timesteps,
                },
            }
        )
    write(sections)
    return 0


def targets(dataset: str, metrics: dict) -> list[str]:
    """The benchmark targets, stated against what this run measured."""
    test = {e["name"]: e["test"]["mae"] for e in metrics["models"] if e["test"]}
    deep = {
        e["name"]: e["test"]["mae"] for e in metrics["models"] if e["kind"] == "deep" and e["test"]
    }
    best = min(deep, key=deep.get)
    naive = max(test["persistence"], test["seasonal-naive"])
    champ = metrics["champion"]
    aim = AIMS[dataset]
    lines = [
        f"Targets: the best deep variant on test, {best} ({deep[best]:.3f}), "
        f"{'beats' if deep[best] < naive else 'does not beat'} persistence "
        f"({test['persistence']:.3f}) and seasonal-naive ({test['seasonal-naive']:.3f}).",
    ]
    if champ:
        lines.append(
            f"The champion (chosen on validation) has test MAE {test[champ]:.3f}: the aim of "
            f"<= {aim:g} is {'met' if test[champ] <= aim else 'not met'}."
        )
    return lines


def write(sections: list[dict]) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` (`scripts/bench.py`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, CPU only. Default config; "
        "data: the real Seoul files in `../shared/datasets/`. Every figure below is measured "
        "in that run; rerun `make bench` to refresh.",
    ]
    for s in sections:
        m = s["metrics"]
        lines += [
            "",
            f"## {s['dataset']} (`{s['source']}`)",
            "",
            f"Champion: **{m['champion']}** ({m['champion_reason']}).",
            "",
            *targets(s["dataset"], m),
            "",
            f"Config: timesteps {s['config']['timesteps']}, variant "
            f"`{json.dumps(s['config']['variant'])}`, training "
            f"`{json.dumps(s['config']['training'])}`.",
            "",
            "### Test leaderboard (original units, sorted by validation MAE)",
            "",
            "| model | kind | val MAE | test MAE | test RMSE | test R² | test MASE | test WAPE % |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for e in m["models"]:
            v, t = e["val"] or {}, e["test"] or {}
            cells = [
                f"{x:.3f}" if isinstance(x, float) else "-"
                for x in (
                    v.get("mae"),
                    t.get("mae"),
                    t.get("rmse"),
                    t.get("r2"),
                    t.get("mase"),
                    t.get("wape"),
                )
            ]
            lines.append(f"| {e['name']} | {e['kind']} | " + " | ".join(cells) + " |")
        lines += [
            "",
            "### Wall time per stage (first run)",
            "",
            "| stage | state | seconds |",
            "|---|---|---|",
        ]
        lines += [f"| {n} | {st} | {sec:.2f} |" for n, st, sec in s["stages"]]
        lines += [
            "",
            "### Parallel training and caching",
            "",
            "| measure | seconds |",
            "|---|---|",
            f"| first run, whole flow ({s['workers']} workers) | {s['first_wall']:.1f} |",
            f"| fit-models with {s['workers']} worker processes | {s['par_fit']:.1f} |",
            f"| fit-models with 1 worker process | {s['one_fit']:.1f} |",
            f"| speedup of parallel training | {s['one_fit'] / s['par_fit']:.2f}x |",
            f"| unchanged rerun, whole flow ({s['cached']} of {s['tasks']} tasks Cached; "
            f"run every time by design: {', '.join(s['ran'])}) | {s['rerun_wall']:.1f} |",
            f"| rerun / first run | {s['rerun_wall'] / s['first_wall']:.3f} |",
        ]
    out = ROOT / "docs" / "BENCHMARKS.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    sys.exit(main())
