"""Errors that reach the user as a readable report instead of a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One failed check: which column, which check, how many rows, a few examples."""

    column: str
    check: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


class SeqcastError(Exception):
    """Base class of every error the CLI reports without a traceback."""

    def report(self) -> str:
        return str(self)


class ConfigError(SeqcastError):
    """A parameter or option is invalid; raised before any work starts."""


class DataError(SeqcastError):
    """The input data is unusable: names the file, the stage and each failed check."""

    def __init__(
        self,
        source: str,
        stage: str,
        problems: list[Problem],
        *,
        hint: str = "",
        failure_cases_path: str | None = None,
    ) -> None:
        self.source = source
        self.stage = stage
        self.problems = problems
        self.hint = hint
        self.failure_cases_path = failure_cases_path
        super().__init__(self.report())

    def report(self) -> str:
        lines = [f"{self.stage} failed for {self.source}: {len(self.problems)} problem(s)"]
        for p in self.problems:
            count = f" ({p.count} row(s))" if p.count else ""
            lines.append(f"  - column {p.column!r}: {p.check}{count}")
            lines.extend(f"      {ex}" for ex in p.examples[:5])
        if self.failure_cases_path:
            lines.append(f"  every failure case: {self.failure_cases_path}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def __reduce__(self):  # keep the error picklable across process pools
        return (
            _rebuild_data_error,
            (self.source, self.stage, self.problems, self.hint, self.failure_cases_path),
        )


def _rebuild_data_error(source, stage, problems, hint, failure_cases_path) -> DataError:
    return DataError(source, stage, problems, hint=hint, failure_cases_path=failure_cases_path)


class StageOutputMissing(SeqcastError):
    """A stage's stored output is not on disk (never prepared, or removed after caching)."""


class SourceError(SeqcastError):
    """The source could not be read or fetched (missing file, HTTP error, timeout, bad zip)."""
