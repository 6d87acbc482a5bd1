"""Candidate labels and where each candidate's windows come from (pure).

A deep variant or reference trained at one window length is labelled by its name; in a sweep
of window lengths each label carries its length (``gru-t24``). The flow fans out fits by these
labels and the champion's reference members are refitted from the windows their label names.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol


def label_of(name: str, timesteps: int, sweep: bool) -> str:
    """``name`` as a candidate label: ``name-t<timesteps>`` in a sweep, else ``name``."""
    return f"{name}-t{timesteps}" if sweep else name


def reference_source(
    label: str, prepared: list[str], lengths: list[int], sweep: bool
) -> tuple[str, int, str]:
    """The prepared windows a reference member was fitted on (its ``-t<len>`` in a sweep),
    its window length and the reference's name."""
    name, cut, ts = label.rpartition("-t")
    if not sweep or not cut or not ts.isdigit():  # one length, or a window-free reference
        return prepared[0], lengths[0], label
    return prepared[lengths.index(int(ts))], int(ts), name


class MemberLike(Protocol):
    """What the plan reads of a champion's member (``selection.Member``)."""

    @property
    def kind(self) -> str: ...  # "deep": a candidate fitted per seed; "reference"

    @property
    def label(self) -> str: ...

    @property
    def seed(self) -> int | None: ...


def seeded_members(members: Sequence[MemberLike]) -> list[tuple[str, int]]:
    """The (label, seed) of every member fitted per seed: each is refitted on every window by
    its own task, for the epochs of its refit before the test period."""
    return [(m.label, m.seed) for m in members if m.kind == "deep" and m.seed is not None]


def served_references(
    members: Sequence[MemberLike], prepared: list[str], lengths: list[int], sweep: bool
) -> dict[tuple[str, int], tuple[str, ...]]:
    """The champion's reference members by the windows they are refitted on: (prepared
    directory, window length) -> reference names, in the members' order. One served
    ``fit-references`` task per window length fits them all, so its console line
    (``references-t24-all``) is one step, not one line per reference under the same name."""
    out: dict[tuple[str, int], tuple[str, ...]] = {}
    for m in members:
        if m.kind == "reference":
            d, ts, name = reference_source(m.label, prepared, lengths, sweep)
            out[(d, ts)] = (*out.get((d, ts), ()), name)
    return out


def backtest_references(
    names: Sequence[str], window_free: Collection[str], lengths: Sequence[int]
) -> list[tuple[str, ...]]:
    """The references fitted on each window length's windows (in ``lengths``' order): every
    one of ``names`` at the first length; at the others only those that read the window, since
    a ``window_free`` reference forecasts the same at every length and only the first length's
    fit is ranked. A length left with none is an empty tuple (no task is submitted for it)."""
    return [
        tuple(names) if i == 0 else tuple(n for n in names if n not in window_free)
        for i in range(len(lengths))
    ]
