"""Which train run a rerun of one of its fits (or of its ranking) belongs to: the newest run of
the dataset under the output root whose settings make the same fits, read from each run's
``manifest.json``. A rerun with other settings would train another fit and compare it with
nothing, so it is refused, naming the settings that differ."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from seqcast.config import TrainConfig
from seqcast.errors import ConfigError
from seqcast.io.paths import Layout
from seqcast.spec.dataset import DatasetSpec

SHOWN_DIFFERENCES = 6  # settings named when no run matches; the rest are counted


@dataclass(frozen=True)
class RunMatch:
    run_dir: Path  # the matching train run
    run_id: str


def _flat(doc: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= _flat(value, f"{name}.")
        else:
            out[name] = value
    return out


def differences(mine: dict, theirs: dict) -> list[str]:
    """Each setting that differs between two :meth:`TrainConfig.fit_settings`, as
    ``training.max_epochs: 100 here, 3 in the run``."""
    a, b = _flat(mine), _flat(theirs)
    return [
        f"{k}: {a.get(k)!r} here, {b.get(k)!r} in the run"
        for k in sorted(a.keys() | b.keys())
        if a.get(k) != b.get(k)
    ]


def _settings_of(run_dir: Path) -> dict | None:
    """The fit settings a train run recorded, or None for a run that is no full train (a
    refresh) or whose manifest cannot be read."""
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text())
        if manifest["config"].get("mode", "full") != "full":
            return None
        spec = DatasetSpec.model_validate(manifest["spec"])
        return TrainConfig(**manifest["config"]).with_spec(spec).fit_settings()
    except (OSError, ValueError, KeyError):
        return None


def matching_train_run(config: TrainConfig) -> RunMatch:
    """The newest train run of ``config``'s dataset under its output root with the same fit
    settings; :class:`ConfigError` when there is none, naming what differs from the newest
    train run (or saying there is no train run at all)."""
    runs = Layout.of(config.out, config.dataset_name).base / "runs"
    found = sorted((p for p in runs.iterdir() if p.is_dir()), reverse=True) if runs.is_dir() else []
    mine = config.fit_settings()
    newest: tuple[Path, dict] | None = None
    for run_dir in found:  # newest first: run ids start with their UTC time
        theirs = _settings_of(run_dir)
        if theirs is None:
            continue
        if theirs == mine:
            return RunMatch(run_dir, run_dir.name)
        newest = newest or (run_dir, theirs)
    if newest is None:
        raise ConfigError(
            f"no train run of {config.dataset_name} under {runs.parent}: a fit or the ranking "
            "is rerun from a train run's stored work; run seqcast train with these options first"
        )
    diff = differences(mine, newest[1])
    more = f" (and {len(diff) - SHOWN_DIFFERENCES} more)" if len(diff) > SHOWN_DIFFERENCES else ""
    raise ConfigError(
        f"no train run of {config.dataset_name} used these settings, so this rerun would train "
        f"another fit than any run made; the newest train run, {newest[0].name}, differs in:\n"
        + "\n".join(f"  {d}" for d in diff[:SHOWN_DIFFERENCES])
        + more
        + f"\n  give that run's options (its settings: {newest[0] / 'manifest.json'})"
    )
