"""Keep requirements.lock and pyproject.toml in step.

The lock's first line records a digest of the dependency declaration it was resolved from
(``[project].dependencies``, ``[project.optional-dependencies]`` and ``requires-python``).
``make lock`` re-resolves and then runs this script with ``--write``; without arguments it
checks and exits 1 naming every disagreement:

- the declaration changed since the lock was made (the digest differs);
- a declared requirement is missing from the lock, or pinned at a version its range refuses.

tests/project/test_lock.py runs the same check, so CI fails while the two disagree.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
STAMP = "# seqcast lock of pyproject.toml dependencies sha256="
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def declaration(pyproject: Path = PYPROJECT) -> dict:
    """The part of pyproject.toml that the lock is resolved from."""
    project = tomllib.loads(pyproject.read_text())["project"]
    return {
        "requires-python": project.get("requires-python", ""),
        "dependencies": sorted(project.get("dependencies", [])),
        "optional-dependencies": {
            k: sorted(v) for k, v in sorted(project.get("optional-dependencies", {}).items())
        },
    }


def digest(pyproject: Path = PYPROJECT) -> str:
    text = json.dumps(declaration(pyproject), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def pins(lock: Path = LOCK) -> dict[str, list[tuple[str, str | None]]]:
    """Every pinned package: name -> [(version, environment marker or None)]."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    for line in lock.read_text().splitlines():
        m = PIN.match(line)
        if m:
            found.setdefault(canonicalize_name(m[1]), []).append((m[2], m[3]))
    return found


def problems(pyproject: Path = PYPROJECT, lock: Path = LOCK) -> list[str]:
    """Why the lock does not match the declaration (empty when it does)."""
    if not lock.exists():
        return [f"{lock.name} is missing: run make lock"]
    first = lock.read_text().splitlines()[:1]
    out = []
    if not first or not first[0].startswith(STAMP):
        out.append(f"{lock.name} has no digest line: run make lock")
    elif first[0].removeprefix(STAMP).strip() != digest(pyproject):
        out.append(
            f"the dependencies in {pyproject.name} changed after {lock.name} was made: "
            "run make lock and commit both"
        )
    pinned = pins(lock)
    wanted = declaration(pyproject)
    for text in [*wanted["dependencies"], *wanted["optional-dependencies"].get("dev", [])]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name not in pinned:
            out.append(f"{req.name} is declared in {pyproject.name} but not pinned in {lock.name}")
            continue
        for version, _marker in pinned[name]:
            if req.specifier and not req.specifier.contains(version, prereleases=True):
                out.append(f"{lock.name} pins {req.name}=={version}, outside {text!r}")
    return out


def write_stamp(pyproject: Path = PYPROJECT, lock: Path = LOCK) -> None:
    lines = [ln for ln in lock.read_text().splitlines() if not ln.startswith(STAMP)]
    header = [
        f"{STAMP}{digest(pyproject)}",
        "# Made by `make lock` from the ranges in pyproject.toml; install with",
        "#   pip install --require-hashes -r requirements.lock && pip install --no-deps -e .",
    ]
    lock.write_text("\n".join([*header, *(ln for ln in lines if ln not in header)]) + "\n")


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        write_stamp()
        print(f"{LOCK.name}: {sum(len(v) for v in pins().values())} pins, stamped")
        return 0
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
