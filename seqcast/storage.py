"""Atomic file and directory writes: a reader never sees a half-written file.

Every writer writes to a temporary name in the destination's directory and renames it into
place (``os.replace`` is atomic on one filesystem). A stage's whole output directory is built
under a temporary name and renamed as one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    return _atomic(path, lambda p: p.write_bytes(data))


def write_text(path: Path, text: str) -> Path:
    return _atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_frame(path: Path, frame: pd.DataFrame) -> Path:
    return _atomic(path, lambda p: frame.to_parquet(p, index=False))


def read_frame(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def write_table(path: Path, table: pa.Table) -> Path:
    return _atomic(path, lambda p: pq.write_table(table, p))


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    return _atomic(path, lambda p: frame.to_csv(p, index=False))


@contextmanager
def staged_dir(final: Path) -> Iterator[Path]:
    """Yield a fresh temporary directory; on success it replaces ``final`` as a whole.

    On error the temporary directory is removed and ``final`` (if it existed) is untouched.
    The parent of ``final`` is created only once the output is complete.
    """
    scratch_root = final.parent.parent / ".tmp"
    scratch_root.mkdir(parents=True, exist_ok=True)
    tmp = scratch_root / f"{final.name}.{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        yield tmp
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            trash = scratch_root / f"{final.name}.old.{uuid.uuid4().hex}"
            os.replace(final, trash)
            os.replace(tmp, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        _remove_if_empty(scratch_root)


def _remove_if_empty(path: Path) -> None:
    with suppress(OSError):
        path.rmdir()
