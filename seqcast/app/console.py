"""What a person sees on the console while a command runs, and where everything else goes.

:func:`captured_output` sends everything written to file descriptors 1 and 2, by this process
and every process it starts (TensorFlow's C++ logging, Prefect's logs and tracebacks, the
temporary API server, pool workers), into a log file; the command's own console is a stream
on the original standard output. :class:`ProgressView` renders the snapshots of a running flow
(stages, variants with their epochs) with ``rich``: finished steps as one line each, running
ones as live bars below them.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn

Verbosity = Literal["quiet", "normal", "verbose"]


@contextmanager
def captured_output(log_path: Path, verbosity: Verbosity) -> Iterator[tuple[TextIO, TextIO]]:
    """Route fds 1 and 2 (this process and its children) into ``log_path``.

    Yields ``(out, err)``: text streams on the original standard output and error, for what
    the user should see. With ``verbose`` everything written to the log is also copied to the
    original standard error as it arrives.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    log = open(log_path, "ab", buffering=0)  # noqa: SIM115 - closed below
    copier: threading.Thread | None = None
    if verbosity == "verbose":
        read_end, write_end = os.pipe()
        copier = threading.Thread(
            target=_copy, args=(read_end, log.fileno(), saved_err), daemon=True
        )
        copier.start()
        target = write_end
    else:
        target = log.fileno()
    os.dup2(target, 1)
    os.dup2(target, 2)
    out = open(os.dup(saved_out), "w", buffering=1, encoding="utf-8")  # noqa: SIM115
    err = open(os.dup(saved_err), "w", buffering=1, encoding="utf-8")  # noqa: SIM115
    try:
        yield out, err
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        if copier is not None:
            os.close(target)  # the copier sees end-of-file once no process holds the pipe
            copier.join(timeout=5)
        out.close()
        err.close()
        os.close(saved_out)
        os.close(saved_err)
        log.close()


def _copy(read_end: int, *targets: int) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            for fd in targets:
                os.write(fd, chunk)


@dataclass(frozen=True)
class Step:
    """One task run as the console shows it."""

    id: str
    name: str
    state: str  # Prefect's state name: Pending, Running, Completed, Cached, Failed, ...
    final: bool
    seconds: float
    progress: float | None = None  # 0..100, from the task's progress artifact
    detail: str = ""  # the progress artifact's description
    group: str = ""  # a flow run shown as one line (its stages listed), or ""
    is_group: bool = False  # this step is that flow run itself


GRACE_S = 1.5  # how long a finished group waits for late task records before its line
# Off a terminal (a log file, CI) running steps have no live rows: after this long without a
# line, one line says what is still running, so a long fit is not mistaken for a hang.
QUIET_S = 60.0

NAME_WIDTH = 26  # the name column's narrowest width; it widens to the longest name known

MARKS = {"Completed": "[green]✓[/]", "Cached": "[cyan]✓[/]"}


def step_line(step: Step, members: Sequence[Step] = (), width: int = NAME_WIDTH) -> str:
    """``  ✓ train-gru        Completed   12.3 s  41 epochs, ...`` (rich markup), the name
    padded to ``width``. A group's line lists its members by state, with the seconds of those
    that took half a second or more: ``Completed: fetch, validate 0.7 s; Cached: ingest, ...``."""
    mark = MARKS.get(step.state, "[red]✗[/]")
    detail = step.detail
    if members:
        by_state: dict[str, list[str]] = {}
        for m in members:
            took = f" {m.seconds:.1f} s" if m.seconds >= 0.5 else ""
            by_state.setdefault(m.state, []).append(m.name + took)
        detail = "; ".join(f"{state}: {', '.join(names)}" for state, names in by_state.items())
    detail = f"  {detail}" if detail else ""
    return f"  {mark} {step.name:<{width}} {step.state:<9} {step.seconds:6.1f} s{detail}"


class ProgressView:
    """Finished steps printed once each, in the order they finish; running ones as live rows.

    The name column is as wide as the longest name known: ``names`` (the steps a command
    expects, so the first lines are already that wide) and every step a snapshot lists,
    pending ones included (a flow's tasks are listed when submitted, before they finish)."""

    def __init__(self, console: Console, names: Sequence[str] = ()) -> None:
        self.console = console
        self.width = max([NAME_WIDTH, *map(len, names)])
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[detail]}"),
            console=console,
            transient=True,
        )
        self._rows: dict[str, TaskID] = {}
        self._names: dict[str, str] = {}  # a live row's step name, by step id
        self._printed: set[str] = set()
        self._last: list[Step] = []
        self._final_since: dict[str, float] = {}
        self._started = self._last_line = time.monotonic()

    def __enter__(self) -> ProgressView:
        if self.console.is_terminal:  # elsewhere (a log, CI) only the finished lines
            self.progress.start()
        self._started = self._last_line = time.monotonic()
        return self

    def _print(self, line: str) -> None:
        self.console.print(line, highlight=False)
        self._last_line = time.monotonic()

    def _still_running(self, steps: list[Step]) -> None:
        """Off a terminal, after :data:`QUIET_S` without a line: what is running (with each
        one's epochs so far), how many steps have finished, and for how long the run has
        gone."""
        now = time.monotonic()
        if self.console.is_terminal or now - self._last_line < QUIET_S:
            return
        running = [s for s in steps if s.state == "Running" and not s.is_group]
        if not running:
            return
        named = ", ".join(f"{s.name} ({s.detail})" if s.detail else s.name for s in running)
        done = sum(1 for s in steps if s.final and not s.is_group)
        minutes = (now - self._started) / 60
        self._print(f"  … {minutes:.0f} min in, {done} step(s) done; running: {named}")

    def __exit__(self, *exc: object) -> None:
        self._print_groups(self._last, waiting_ok=True)  # whatever the last poll knew
        self.update(self._last)  # steps held back behind those groups
        if self.progress.live.is_started:
            self.progress.stop()

    def _print_groups(self, steps: list[Step], waiting_ok: bool = False) -> None:
        """A finished group's line, once all its members are final too and the group has been
        final for ``GRACE_S`` (the API may record a task, or its final state, after its
        flow's end), or at the end with what is known."""
        now = time.monotonic()
        for step in steps:
            if not step.is_group or not step.final or step.id in self._printed:
                continue
            since = self._final_since.setdefault(step.id, now)
            members = [m for m in steps if m.group == step.group and not m.is_group]
            settled = all(m.final for m in members) and now - since >= GRACE_S
            if not (waiting_ok or settled):
                continue
            self._printed.add(step.id)
            self._print(step_line(step, members, self.width))
            for m in members:
                if m.id in self._rows:
                    self.progress.remove_task(self._rows.pop(m.id))

    def _widen(self, steps: list[Step]) -> None:
        """The name column as wide as the longest name in ``steps``; live rows follow."""
        width = max([self.width, *(len(s.name) for s in steps)])
        if width == self.width:
            return
        self.width = width
        for step_id, row in self._rows.items():
            self.progress.update(row, description=self._names[step_id].ljust(width))

    def update(self, steps: list[Step]) -> None:
        self._widen(steps)
        self._last = steps
        # a finished group not printed yet (its grace period) ended before this poll's
        # finished steps: they wait for its line, so lines stay in finishing order
        behind_group = any(s.is_group and s.final and s.id not in self._printed for s in steps)
        for step in steps:
            if step.id in self._printed or step.group:
                continue  # a group's steps are printed together (_print_groups)
            if step.final and behind_group:
                continue
            if step.final:
                self._printed.add(step.id)
                if step.id in self._rows:
                    self.progress.remove_task(self._rows.pop(step.id))
                self._print(step_line(step, width=self.width))
            elif step.state == "Running":
                self._show_running(step)
        for step in steps:
            if step.group and not step.is_group and step.state == "Running":
                self._show_running(step)
        self._print_groups(steps)
        self._still_running(steps)

    def _show_running(self, step: Step) -> None:
        row = self._rows.get(step.id)
        if row is None:
            row = self.progress.add_task(step.name.ljust(self.width), total=None, detail="")
            self._names[step.id] = step.name
            self._rows[step.id] = row
        if step.progress is not None:
            self.progress.update(row, total=100, completed=step.progress)
        self.progress.update(row, detail=step.detail)
