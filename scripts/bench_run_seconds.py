"""Where a whole train run's time goes: ``python scripts/bench_run_seconds.py [DATASET ...]``
(``make bench-run-seconds``; default: both real Seoul datasets).

Runs ``seqcast train`` on the real file, default settings (seed 42), in a fresh output folder
and a brand-new ``PREFECT_HOME``, as a user would, and times it end to end; then reads the
run's ``metrics.json`` (``fit_seconds``: ``seqcast.evaluation.costs.seconds_by_kind``) and
prints and writes to docs/BENCHMARKS.md, one section per dataset ("Where a train run's time
goes: DATASET"): the wall time, and the seconds each kind of fit took, summed over the fits
(they run on parallel workers, so the sum exceeds the wall time). The section's previous
measurement stays beside the new one, as "Before". ``--keep DIR`` keeps each run's output
folder under DIR (to serve a forecast from its champion afterwards); by default it is removed.

Reads ../shared/datasets/; says so and exits 0 without writing when they are absent. One heavy
job at a time: run it on an idle machine.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import REAL, ROOT, replace_section, section, user_env
from bench_common import SEOUL_FILES as FILES

SECTION = "## Where a train run's time goes: "
PREFIX = "`scripts/bench_run_seconds.py`, "  # how the measurement's sentence starts


def measure(dataset: str, work: Path) -> dict:
    env = user_env(work / "prefect")
    argv = [str(Path(sys.executable).parent / "seqcast"), "train", "--dataset", dataset,
            "--source", str(REAL / FILES[dataset]), "--out", str(work / "out")]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    metrics_file = sorted(glob.glob(str(work / "out" / dataset / "runs" / "*" / "metrics.json")))
    metrics = json.loads(Path(metrics_file[-1]).read_text())
    champion = next(m for m in metrics["models"] if m["name"] == metrics["champion"])
    return {
        "dataset": dataset,
        "wall": wall,
        "rows": metrics["fit_seconds"],
        "champion": metrics["champion_label"],
        "backtest": champion["backtest"]["mae"],
        "test": champion["test"]["mae"],
    }


def previous(dataset: str) -> str | None:
    """The last measurement's sentence in the page's section for ``dataset`` (None without)."""
    lines = section(SECTION + dataset).splitlines()
    found = [ln for ln in lines if ln.startswith(PREFIX)]
    return found[0] if found else None


def lines(r: dict, before: str | None = None) -> list[str]:
    total = sum(row["seconds"] for row in r["rows"])
    out = [
        SECTION + r["dataset"],
        "",
        f"`scripts/bench_run_seconds.py`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"one job at a time: `seqcast train --dataset {r['dataset']}` on the real file, default "
        f"settings, seed 42, fresh output folder and `PREFECT_HOME`: **{r['wall']:.0f} s wall** "
        f"(champion {r['champion']}: backtest MAE {r['backtest']:.4g}, test MAE "
        f"{r['test']:.4g}). Fit seconds are summed over the fits, which run on parallel "
        f"workers: {total:.0f} s in all.",
        "",
        *([f"Before: {before.removeprefix(PREFIX)}", ""] if before else []),
        "| kind of fit | fits | epochs | seconds | share of fit seconds |",
        "|---|---|---|---|---|",
    ]
    for row in r["rows"]:
        epochs = row.get("epochs", "")
        share = 100 * row["seconds"] / total if total else 0.0
        out.append(
            f"| {row['kind']} | {row['fits']} | {epochs} | {row['seconds']:.1f} | {share:.0f} % |"
        )
    return out


def main(argv: list[str]) -> int:
    keep = None
    if "--keep" in argv:
        at = argv.index("--keep")
        if at + 1 >= len(argv):
            print("bench-run-seconds: --keep needs a folder: --keep DIR [DATASET ...]")
            return 2
        keep, argv = Path(argv[at + 1]), argv[:at] + argv[at + 2 :]
    datasets = argv or list(FILES)
    unknown = [d for d in datasets if d not in FILES]
    if unknown:
        print(f"bench-run-seconds: unknown dataset(s) {', '.join(unknown)}; use {', '.join(FILES)}")
        return 2
    if not all((REAL / FILES[d]).exists() for d in datasets):
        print(f"bench-run-seconds: the real datasets are not in {REAL}; nothing measured")
        return 0
    for dataset in datasets:
        if keep is not None:
            work = keep / dataset
            if work.exists():
                raise SystemExit(f"bench-run-seconds: {work} exists; give --keep a new folder")
            work.mkdir(parents=True)
            r = measure(dataset, work)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                r = measure(dataset, Path(tmp))
        section = lines(r, previous(dataset))
        print("\n".join(section), "\n")
        replace_section(section[0], "\n".join(section) + "\n")
    print("wrote docs/BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
