"""The editable install (`make setup`'s `pip install --no-deps -e .`) builds without a
setuptools warning, which pip would print as a BuildBackendWarning block."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import PROJECT_ROOT

BUILD = """
import sys, warnings
from setuptools import build_meta
from setuptools.warnings import SetuptoolsWarning
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    build_meta.build_editable(sys.argv[1])
for w in seen:
    if issubclass(w.category, SetuptoolsWarning):
        print(f"setuptools warning: {w.category.__name__}: {w.message}")
"""


def test_the_editable_build_gives_no_setuptools_warning(tmp_path):
    """setuptools' build hook, as pip runs it, on a copy of the project: no warning."""
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, src / name)
    for name in ("seqcast", "flows", "tasks", "schemas"):
        shutil.copytree(PROJECT_ROOT / name, src / name, ignore=ignore)
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(tmp_path / "wheel")],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = [ln for ln in done.stdout.splitlines() if ln.startswith("setuptools warning:")]
    assert found == []
