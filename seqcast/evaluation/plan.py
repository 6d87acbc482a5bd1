"""The run's plan (pure): every fit a train run makes, by name, with its inputs and the fits
before it (``RunPlan``), and the candidate labels it names them by.

A deep variant or reference trained at one window length is labelled by its name; in a sweep
of window lengths each label carries its length (``gru-t24``). The train flow walks the plan,
``run-stage`` reruns one of its fits by name, and the console lists its names.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from seqcast.config.folds import Folds
from seqcast.errors import ConfigError
from seqcast.evaluation.backtest import SERVE_FIT, TEST_FIT, fold_names, refit_epochs
from seqcast.io.paths import RANKING, STAGES

if TYPE_CHECKING:
    from seqcast.config import TrainConfig

RERUN_NAMES = (RANKING, *STAGES)  # what run-stage reruns besides a fit


def label_of(name: str, timesteps: int, sweep: bool) -> str:
    """``name`` as a candidate label: ``name-t<timesteps>`` in a sweep, else ``name``."""
    return f"{name}-t{timesteps}" if sweep else name


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


# The name of each fit, as its task run carries it on the console and in the UI, and as
# ``run-stage`` takes it: a deep candidate with one seed on one fit, or one window length's
# references on one fit.
DEEP_NAME = "{label}-s{seed}-{fit}"
REFERENCES_NAME = "references-t{timesteps}-{fit}"


@dataclass(frozen=True)
class FitJob:
    """One fit of a train run: a deep candidate (``label``, a ``variant`` at ``timesteps``)
    with one ``seed``, or the ``references`` of one window length, on one ``fit`` (a backtest
    fold, ``pretest`` or ``all``). ``after`` names the jobs whose results decide its inputs:
    a refit before the test period trains for its folds' mean best epoch, a served fit for
    as long as that refit."""

    name: str
    kind: str  # "deep" or "reference"
    fit: str
    timesteps: int
    seed: int
    label: str = ""  # the deep candidate's label; "" for the references
    variant: str = ""  # the deep variant; "" for the references
    references: tuple[str, ...] = ()  # the references fitted (a references job)
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunPlan:
    """Every fit a train run makes, by name, with its inputs and the fits before it: what
    the train flow walks (the backtest folds, each candidate's refit before the test period
    as soon as its folds are done, more seeds for the shortlist, the champion's served fits),
    what ``run-stage`` reruns by name, and what the console lists. Built once per run by
    ``RunPlan.of``; pure."""

    lengths: tuple[int, ...]  # the window lengths, in the order the prepared folders come
    variants: tuple[str, ...]
    seeds: tuple[int, ...]  # the base seed first; the others for the shortlisted variants
    folds: Folds
    references: tuple[tuple[str, ...], ...]  # the references fitted at each length

    @classmethod
    def of(cls, config: TrainConfig, window_free: Collection[str]) -> RunPlan:
        """The plan of a train run with ``config``; ``window_free``: the references whose
        forecast is the same at every window length (fitted at the first length only)."""
        lengths = tuple(c.resolved_timesteps for c in config.prepare_configs())
        refs = backtest_references(config.resolved_references, window_free, lengths)
        return cls(lengths, tuple(config.variants), tuple(config.seed_list),
                   config.backtest_folds, tuple(refs))  # fmt: skip

    @property
    def sweep(self) -> bool:
        return len(self.lengths) > 1

    @property
    def fold_fits(self) -> list[str]:
        return fold_names(self.folds)

    @property
    def base_seed(self) -> int:
        return self.seeds[0]

    @property
    def extra_seeds(self) -> tuple[int, ...]:
        return self.seeds[1:]

    @property
    def candidates(self) -> dict[str, tuple[int, str]]:
        """Each deep candidate's label -> its window length and variant."""
        return {label_of(v, ts, self.sweep): (ts, v) for ts in self.lengths for v in self.variants}

    def deep(self, label: str, seed: int, fit: str) -> FitJob:
        """The fit ``fit`` of the deep candidate ``label`` with ``seed``."""
        ts, variant = self.candidates[label]
        if fit == TEST_FIT:
            after = tuple(self.deep(label, seed, f).name for f in self.fold_fits)
        elif fit == SERVE_FIT:
            after = (self.deep(label, seed, TEST_FIT).name,)
        else:
            after = ()
        name = DEEP_NAME.format(label=label, seed=seed, fit=fit)
        return FitJob(name, "deep", fit, ts, seed, label, variant, after=after)

    def folds_of(self, labels: Sequence[str], seeds: Sequence[int]) -> list[FitJob]:
        """The backtest fold fits of ``labels`` with ``seeds``: label, then seed, then fold."""
        return [self.deep(lb, s, f) for lb in labels for s in seeds for f in self.fold_fits]

    def reference_job(self, timesteps: int, fit: str, names: Sequence[str]) -> FitJob:
        """The references ``names`` on one window length's windows, one fit: one task."""
        name = REFERENCES_NAME.format(timesteps=timesteps, fit=fit)
        return FitJob(name, "reference", fit, timesteps, self.base_seed, references=tuple(names))

    def reference_fits(self) -> list[FitJob]:
        """The references' fits the ranking reads: every backtest fold and the refit before
        the test period, at each window length that fits any."""
        return self._references_on([*self.fold_fits, TEST_FIT])

    def _references_on(self, fits: Sequence[str]) -> list[FitJob]:
        """Each window length's references (where it fits any) on each of ``fits``."""
        return [
            self.reference_job(ts, fit, names)
            for ts, names in zip(self.lengths, self.references, strict=True)
            if names
            for fit in fits
        ]

    def served(self, members: Sequence[MemberLike]) -> list[FitJob]:
        """The champion's ``members`` fitted on every window: each per-seed member by its own
        job, the reference members by one job per window length (in the members' order)."""
        jobs = [self.deep(lb, s, SERVE_FIT) for lb, s in seeded_members(members)]
        by_length: dict[int, tuple[str, ...]] = {}
        for m in members:
            if m.kind == "reference":
                ts, name = self.reference_of(m.label)
                by_length[ts] = (*by_length.get(ts, ()), name)
        return jobs + [self.reference_job(ts, SERVE_FIT, n) for ts, n in by_length.items()]

    def reference_of(self, label: str) -> tuple[int, str]:
        """A reference member's window length (its ``-t<len>`` in a sweep) and name."""
        name, cut, ts = label.rpartition("-t")
        if not self.sweep or not cut or not ts.isdigit():  # one length, or window-free
            return self.lengths[0], label
        return int(ts), name

    def jobs(self) -> dict[str, FitJob]:
        """Every fit a run of this plan can make, by name: each candidate per seed and fit
        (window length, then variant, seed and fit), then the references per length and fit
        (every reference at ``all``, as a served fit of any of them is named)."""
        fits = [*self.fold_fits, TEST_FIT, SERVE_FIT]
        deep = [self.deep(lb, s, f) for lb in self.candidates for s in self.seeds for f in fits]
        return {j.name: j for j in [*deep, *self._references_on(fits)]}

    def job(self, name: str) -> FitJob:
        """The fit named ``name`` (as the train console printed it); a clear error listing the
        valid names (the closest first) otherwise."""
        import difflib

        jobs = self.jobs()
        if name in jobs:
            return jobs[name]
        names = [*jobs, *RERUN_NAMES]  # what run-stage and the rerun flow also take
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(
            f"no fit named {name!r} in a train run with these settings{hint}; the valid names: "
            + ", ".join(jobs)
            + " (and ranking, or a prepare stage)"
        )

    def before(self, job: FitJob) -> list[FitJob]:
        """The jobs ``job`` needs the results of, each after its own: a served fit's folds,
        then its refit before the test period."""
        jobs = self.jobs()
        out: list[FitJob] = []

        def add_before(one: FitJob) -> None:
            for name in one.after:
                add_before(jobs[name])
                if jobs[name] not in out:
                    out.append(jobs[name])

        add_before(job)
        return out


class FitEpochs(Protocol):
    """What ``epochs_after`` and ``start_after`` read of a finished fit (``FitRef``)."""

    @property
    def best_epoch(self) -> int | None: ...

    @property
    def epochs(self) -> int | None: ...

    @property
    def weights(self) -> str | None: ...

    @property
    def weights_sha256(self) -> str | None: ...


def warm_epochs(cold: int, warm: float) -> int:
    """The epochs of a refit that a refit from scratch would train ``cold`` epochs: all of
    them from scratch (``warm`` 0), else the share ``warm`` of them, at least 1."""
    return cold if not warm else max(1, round(warm * cold))


def epochs_after(job: FitJob, done: Mapping[str, FitEpochs], warm: float = 0.0) -> int | None:
    """The epochs ``job`` trains for, from the fits before it (``done``: by name): a fold
    early-stops (None); a refit before the test period trains its folds' mean best epoch
    (``warm`` > 0: that share of it, from its last fold's weights); a served fit as long as
    its refit before the test period."""
    if job.fit == TEST_FIT:
        cold = refit_epochs([done[name].best_epoch or 1 for name in job.after])
        return warm_epochs(cold, warm)
    if job.fit == SERVE_FIT:
        return done[job.after[0]].epochs
    return None


def keeps_weights(fit: str, folds: Folds, warm: float, started: bool = False) -> bool:
    """Whether a deep fit ``fit`` stores its weights for a later fit to start from: with
    warm-started refits (``warm`` > 0), the last backtest fold (for the refit before the test
    period), that refit (for the served fit) and the served fit (for a refresh); and any fit
    that itself started from weights (``started``), whatever ``warm`` says now: its epochs
    are a warm share, so the refresh after it must continue from it too."""
    return started or (bool(warm) and fit in (fold_names(folds)[-1], TEST_FIT, SERVE_FIT))


def start_of(fit: FitEpochs) -> dict:
    """The weights a fit after ``fit`` starts from, as a fit task takes them."""
    return {"weights": fit.weights, "sha256": fit.weights_sha256}


def start_after(job: FitJob, done: Mapping[str, FitEpochs], warm: float = 0.0) -> dict | None:
    """The weights ``job`` starts from (``{"weights": path, "sha256": ...}``), None for a
    fit from its seeded start: a fold, or any fit when ``warm`` is 0. A refit before the test
    period starts from its last fold's weights, a served fit from its refit's."""
    if not warm or job.fit not in (TEST_FIT, SERVE_FIT):
        return None
    name = job.after[-1]  # the last fold (the folds are in order), or the refit
    before = done[name]
    if before.weights is None:
        raise ValueError(
            f"{job.name}: {name} stored no weights to start from; rerun it (its stored fit "
            "predates warm-started refits)"
        )
    return start_of(before)
