"""Break one guarantee at a time in a copy of the project and show the test suite fails.

Each mutation below edits one line of the library the way a plausible mistake would (the
champion rule's comparison, the purge before a fold boundary, the forecast store's upsert),
in a scratch copy of the working tree; the tests run there (``pytest -m "not slow"`` by
default, ``--all`` for the whole suite) and must fail. The working tree is never touched.

    .venv/bin/python scripts/mutation_check.py            # every mutation, the fast tests
    .venv/bin/python scripts/mutation_check.py purge --all
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name: (file, the line as it is, the line broken, what the mistake is)
MUTATIONS = {
    "champion-rule": (
        "seqcast/evaluation/leaderboard.py",
        'if not mae < ref["backtest"]["mae"]:',
        'if not mae < 1.05 * ref["backtest"]["mae"]:',
        "a deep candidate within 5 % of a reference counts as beating it",
    ),
    "purge": (
        "seqcast/evaluation/backtest.py",
        "gap = max(steps) - 1  # windows whose last target lies after the next block's first "
        "origin",
        "gap = 0",
        "no window is left out before a fold's scored block",
    ),
    "upsert": (
        "seqcast/io/forecast_store.py",
        "keep = ~existing.set_index(KEY).index.isin(keys)",
        "keep = existing.index >= 0",
        "a rerun for an origin appends its path instead of replacing it",
    ),
}


def _copy(dest: Path) -> None:
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "outputs", ".prefect", "site", "__pycache__", "*_cache"
    )
    shutil.copytree(ROOT, dest, ignore=ignore)


def check(name: str, marker: str) -> bool:
    """Apply mutation ``name`` in a scratch copy and run the tests there; True when they
    fail (the mutation is caught)."""
    file, good, bad, what = MUTATIONS[name]
    with tempfile.TemporaryDirectory(prefix=f"mutant-{name}-") as tmp:
        copy = Path(tmp) / "project"
        _copy(copy)
        path = copy / file
        text = path.read_text()
        if text.count(good) != 1:
            raise SystemExit(f"{name}: the line to break is not in {file} once; update MUTATIONS")
        path.write_text(text.replace(good, bad))
        env = {**os.environ, "PYTHONPATH": str(copy)}  # the copy's code before the install's
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"]
        args += [] if marker == "all" else ["-m", marker]
        start = time.monotonic()
        done = subprocess.run(args, cwd=copy, env=env, capture_output=True, text=True)
        failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
        caught = done.returncode == 1 and bool(failed)
        verdict = "caught" if caught else f"NOT caught (exit {done.returncode})"
        print(f"{name}: {what}: {verdict} in {time.monotonic() - start:.0f} s")
        for line in failed:
            print(f"  {line}")
        return caught


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"of {', '.join(MUTATIONS)} (default: all)")
    parser.add_argument("--all", action="store_true", help="run the whole suite, not the fast")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in MUTATIONS]
    if unknown:
        parser.error(f"unknown mutation(s) {', '.join(unknown)}; known: {', '.join(MUTATIONS)}")
    results = [check(n, "all" if args.all else "not slow") for n in args.names or MUTATIONS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
