"""The install cannot drift: requirements.lock pins every package with hashes, matches the
ranges declared in pyproject.toml, and is what this environment was installed from."""

from __future__ import annotations

import importlib.util
from importlib import metadata

from packaging.markers import Marker

from tests.conftest import PROJECT_ROOT

ROOT = PROJECT_ROOT
_spec = importlib.util.spec_from_file_location("lock_stamp", ROOT / "scripts" / "lock_stamp.py")
assert _spec and _spec.loader
lock_stamp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock_stamp)


def test_the_lock_matches_pyproject():
    """The committed lock was made from today's declaration and pins inside every range."""
    assert lock_stamp.problems() == []


def test_every_pin_carries_hashes():
    """pip's --require-hashes refuses a pin without a hash; each one has at least one."""
    lines = lock_stamp.LOCK.read_text().splitlines()
    pinned = [i for i, ln in enumerate(lines) if lock_stamp.PIN.match(ln)]
    assert len(pinned) > 100
    for i in pinned:
        assert lines[i + 1].strip().startswith("--hash=sha256:"), lines[i]


def test_a_changed_declaration_or_an_out_of_range_pin_is_named(tmp_path):
    """Editing pyproject's dependencies without relocking, or a pin outside its range, fails."""
    pyproject = tmp_path / "pyproject.toml"
    lock = tmp_path / "requirements.lock"
    pyproject.write_text(
        '[project]\nname = "x"\nrequires-python = ">=3.11"\n'
        'dependencies = ["sqlalchemy>=2.0,<2.1"]\n'
        "[project.optional-dependencies]\ndev = []\n"
    )
    lock.write_text("sqlalchemy==2.0.58 \\\n    --hash=sha256:00\n")
    lock_stamp.write_stamp(pyproject, lock)
    assert lock_stamp.problems(pyproject, lock) == []

    old = '"sqlalchemy>=2.0,<2.1"'
    pyproject.write_text(pyproject.read_text().replace(old, f'{old}, "rich>=13"'))
    assert lock_stamp.problems(pyproject, lock) == [
        "the dependencies in pyproject.toml changed after requirements.lock was made: "
        "run make lock and commit both",
        "rich is declared in pyproject.toml but not pinned in requirements.lock",
    ]

    lock.write_text("sqlalchemy==2.1.9 \\\n    --hash=sha256:00\n")
    lock_stamp.write_stamp(pyproject, lock)
    assert "requirements.lock pins sqlalchemy==2.1.9, outside 'sqlalchemy>=2.0,<2.1'" in (
        lock_stamp.problems(pyproject, lock)
    )


def test_this_environment_is_the_locked_one():
    """Every package the lock pins for this platform is installed at exactly that version
    (a package installed or upgraded by hand would make tests pass that CI cannot)."""
    wrong = []
    for name, choices in lock_stamp.pins().items():
        for version, marker in choices:
            if marker and not Marker(marker).evaluate():
                continue
            try:
                have = metadata.version(name)
            except metadata.PackageNotFoundError:
                have = "not installed"
            if have != version:
                wrong.append(f"{name}: locked {version}, installed {have}")
    assert wrong == [], "run make setup (it installs from requirements.lock)"


def test_the_scheduler_safe_sqlalchemy_is_locked():
    """SQLAlchemy 2.1 breaks Prefect 3.8's scheduler: the lock keeps 2.0."""
    ((version, _),) = lock_stamp.pins()["sqlalchemy"]
    assert version.startswith("2.0.")
