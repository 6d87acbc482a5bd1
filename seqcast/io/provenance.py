"""Which code and libraries made a run: recorded in every run's manifest."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

import seqcast

LIBRARIES = (
    "prefect",
    "tensorflow",
    "keras",
    "pandas",
    "pandera",
    "scikit-learn",
    "pyarrow",
    "numpy",
)


def versions(root: Path | None = None) -> dict[str, str]:
    """The installed version of every library that shapes a result, seqcast's version, and
    the code's git description (``git describe --always --dirty`` of ``root``, the project's
    checkout by default; a note when it is not a checkout)."""
    out = {lib: metadata.version(lib) for lib in LIBRARIES}
    out["seqcast"] = seqcast.__version__
    root = root or Path(__file__).resolve().parents[2]
    try:
        out["code"] = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out["code"] = f"seqcast {seqcast.__version__} (no git checkout)"
    return out
