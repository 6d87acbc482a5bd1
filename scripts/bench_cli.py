"""How long a person waits for help and for a forecast (what `make bench-cli` runs).

Times whole commands in fresh processes, as a user runs them, each N times (default 5), and
prints the median, min and max; writes them to docs/BENCHMARKS.md between the
``cli-timings`` markers (the rest of the file is left as it is):

- ``seqcast --help`` and ``seqcast train --help``;
- ``seqcast forecast`` from an already-served champion with no ``PREFECT_API_URL``, a brand-new
  ``PREFECT_HOME`` each time. The champion is trained once first (bike sample, a small GRU
  config that beats the references there), outside the timing.
- the same forecast with a Prefect server configured (``prefect server start`` on loopback),
  where the run is recorded on that server; optional (``--with-server``), since starting
  the server takes a while.

Aims (issue 21): help <= 1 s, forecast without a server <= 10 s, medians on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from bench_common import ROOT, user_env

BIN = Path(sys.executable).parent
START, END = "<!-- cli-timings:start -->", "<!-- cli-timings:end -->"
CHAMPION = [
    "--dataset", "bike-hourly", "--timesteps", "12", "--variants", "gru", "--workers", "1",
    "--units", "16", "--learning-rate", "0.01", "--max-epochs", "20", "--patience", "5",
    "--seed", "1", "--folds", "1", "--seeds", "1", "--shortlist", "0", "--ensemble-size", "3",
]  # fmt: skip


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return took


def _series(label: str, argv: list[str], n: int, env_of) -> dict:
    times = [_time(argv, env_of(i)) for i in range(n)]
    row = {
        "command": label,
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "n": n,
    }
    print(f"{label}: median {row['median']:.2f} s (min {row['min']:.2f}, max {row['max']:.2f})")
    return row


def _server(home: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = f"http://127.0.0.1:{port}/api"
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=user_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return proc, api
        except httpx.HTTPError:
            time.sleep(1)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("the Prefect server did not start within 180 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="runs per command (default 5)")
    parser.add_argument("--with-server", action="store_true", help="also time with a server")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    seqcast = str(BIN / "seqcast")
    work = Path(tempfile.mkdtemp(prefix="seqcast-bench-cli-"))
    try:
        out = work / "out"
        print("training a champion on the bike sample (not timed) ...")
        _time([seqcast, "train", *CHAMPION, "--out", str(out), "-q"], user_env(work / "train-home"))
        rows = [
            _series("seqcast --help", [seqcast, "--help"], args.n, lambda i: user_env(work / "h")),
            _series(
                "seqcast train --help",
                [seqcast, "train", "--help"],
                args.n,
                lambda i: user_env(work / "h"),
            ),
            _series(
                "seqcast forecast (served champion, no PREFECT_API_URL, new PREFECT_HOME)",
                [seqcast, "forecast", "--dataset", "bike-hourly", "--out", str(out), "-q"],
                args.n,
                lambda i: user_env(work / f"home-{i}"),
            ),
        ]
        if args.with_server:
            proc, api = _server(work / "server-home")
            try:
                rows.append(
                    _series(
                        "seqcast forecast (served champion, PREFECT_API_URL: a running server; "
                        "recorded there)",
                        [seqcast, "forecast", "--dataset", "bike-hourly", "--out", str(out), "-q"],
                        args.n,
                        lambda i: user_env(work / "server-home", api),
                    )
                )
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not args.no_write:
        write(rows, args.n)
    return 0


def section(rows: list[dict], n: int) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START,
        "## Waiting for help and for a forecast",
        "",
        f"Measured by `scripts/bench_cli.py` (`make bench-cli`) at {when}: each command run {n} "
        f"times in a fresh process, {os.cpu_count()} cores, Python {platform.python_version()}. "
        "The forecast is served by a champion trained once beforehand on the bike sample. "
        "Aims: help <= 1 s, forecast without a server <= 10 s (medians).",
        "",
        "| command | median s | min s | max s |",
        "|---|---|---|---|",
        *(
            f"| `{r['command']}` | {r['median']:.2f} | {r['min']:.2f} | {r['max']:.2f} |"
            for r in rows
        ),
        END,
    ]
    return "\n".join(lines)


def write(rows: list[dict], n: int) -> None:
    path = ROOT / "docs" / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    new = section(rows, n)
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + new + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
