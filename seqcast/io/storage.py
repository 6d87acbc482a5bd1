"""Atomic file and directory writes: a reader never sees a half-written file.

Every writer writes to a temporary name in the destination's directory and renames it into
place (``os.replace`` is atomic on one filesystem). A stage's whole output directory is built
under a temporary name and renamed as one.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` through ``write(tmp)`` on a temporary name, then rename it into place.

    The temporary file is created with mode 0666 less the umask, as a plain ``open()`` would
    (``tempfile.mkstemp`` makes it 0600, which the rename would carry to the written file).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_weights(path: Path, weights: list) -> str:
    """A model's weights (numpy arrays, in order) as one ``.npz`` file, written atomically;
    returns the file's sha256, by which a fit that starts from them names them."""
    import hashlib

    import numpy as np

    def write(tmp: Path) -> None:
        with tmp.open("wb") as f:
            np.savez(f, *weights)

    atomic_write(path, write)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def weights_bytes(path: Path, sha256: str | None = None) -> bytes:
    """The bytes of a weights file; a clear error when the file is gone or is no longer the
    one ``sha256`` names."""
    import hashlib

    if not path.is_file():
        raise FileNotFoundError(f"{path}: the weights to start from are not there")
    data = path.read_bytes()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(
            f"{path}: these weights changed since the fit that starts from them was planned; "
            "run again"
        )
    return data


def read_weights(path: Path, sha256: str | None = None) -> list:
    """The weights ``write_weights`` wrote (no pickled objects), in order; checked as
    :func:`weights_bytes` checks them."""
    import io

    import numpy as np

    data = weights_bytes(path, sha256)
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return [z[f"arr_{i}"] for i in range(len(z.files))]


def write_frame(path: Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda p: frame.to_parquet(p, index=False))


def read_frame(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def write_table(path: Path, table: pa.Table) -> Path:
    return atomic_write(path, lambda p: pq.write_table(table, p))


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda p: frame.to_csv(p, index=False))


@contextmanager
def staged_dir(final: Path) -> Iterator[Path]:
    """Yield a fresh temporary directory; on success it replaces ``final`` as a whole.

    On error the temporary directory is removed and ``final`` (if it existed) is untouched.
    The parent of ``final`` is created only once the output is complete. An existing ``final``
    is swapped with the new one in one step where the OS can (Linux ``renameat2`` with
    ``RENAME_EXCHANGE``), so a reader always finds a whole directory; elsewhere it is moved
    aside first, leaving a moment in which it is absent (outputs are keyed by content, so that
    only happens on an explicit recompute or a concurrent duplicate).
    """
    scratch_root = final.parent.parent / ".tmp"
    _sweep_dead(scratch_root)
    tmp = scratch_root / f"{final.name}.{os.getpid()}.{uuid.uuid4().hex}"
    _make_scratch(tmp)
    try:
        yield tmp
        final.parent.mkdir(parents=True, exist_ok=True)
        _swap_in(tmp, final, scratch_root)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        _remove_if_empty(scratch_root)


def _swap_in(tmp: Path, final: Path, scratch_root: Path) -> None:
    """Rename ``tmp`` to ``final``. An existing ``final`` is moved aside first. If a concurrent
    writer publishes the same key in between (same key, same content), its copy is kept."""
    try:
        os.replace(tmp, final)  # atomic when final is absent
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    if _exchange(tmp, final):
        return  # tmp now holds the replaced directory; the caller removes it
    trash = scratch_root / f"{final.name}.old.{uuid.uuid4().hex}"
    with contextlib.suppress(FileNotFoundError):
        os.replace(final, trash)
    try:
        os.replace(tmp, final)
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where
    the OS, the C library or the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.EXDEV, errno.ENOENT):
        return False  # unsupported here, or b vanished meanwhile: fall back to move-aside
    raise OSError(err, os.strerror(err), str(b))


def _sweep_dead(scratch_root: Path) -> None:
    """Remove scratch directories left by writers that died (killed mid-write): their names
    carry the writer's process id. The root is shared: another writer may remove it (when
    empty) at any moment, which leaves nothing to sweep."""
    try:
        entries = list(scratch_root.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        parts = entry.name.rsplit(".", 2)
        if len(parts) == 3 and parts[1].isdigit() and not _alive(int(parts[1])):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _make_scratch(tmp: Path, tries: int = 100) -> None:
    """Create ``tmp`` (a unique name) and its scratch root. Concurrent writers create and
    remove that shared root as they start and finish: ``Path.mkdir(parents=True)`` can then
    fail with FileNotFoundError (the root went away before ``tmp`` was made) or with
    FileExistsError (another writer made the root, and it was gone again when pathlib checked
    it). Either way the next try sees a settled root."""
    for _ in range(tries - 1):
        try:
            tmp.mkdir(parents=True)
            return
        except (FileNotFoundError, FileExistsError):
            continue
    tmp.mkdir(parents=True)


def _remove_if_empty(path: Path) -> None:
    with suppress(OSError):
        path.rmdir()
