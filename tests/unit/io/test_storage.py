"""Atomic writes: a failed write leaves the old file or directory whole; no temp file stays."""

from __future__ import annotations

import os
import stat
import sys
import threading

import pandas as pd
import pyarrow as pa
import pytest

from seqcast.io import storage


def test_failed_directory_build_leaves_the_previous_output_untouched(tmp_path):
    """An error while building a stage directory keeps the published one as it was."""
    final = tmp_path / "stages" / "clean" / "k1"
    with storage.staged_dir(final) as tmp:
        (tmp / "frame.txt").write_text("v1")
    with pytest.raises(RuntimeError), storage.staged_dir(final) as tmp:
        (tmp / "frame.txt").write_text("half")
        raise RuntimeError("crash mid-write")
    assert (final / "frame.txt").read_text() == "v1"
    assert sorted(p.name for p in (tmp_path / "stages").iterdir()) == ["clean"]  # no .tmp


def test_nothing_is_published_when_the_first_build_fails(tmp_path):
    """No directory appears (not even its parent) when the build fails."""
    final = tmp_path / "prepared" / "k1"
    with pytest.raises(ValueError), storage.staged_dir(final):
        raise ValueError("bad input")
    assert not (tmp_path / "prepared").exists()


def test_rebuild_replaces_the_directory_as_a_whole(tmp_path):
    """A recompute replaces the old directory; files it no longer writes are gone."""
    final = tmp_path / "stages" / "scale" / "k"
    with storage.staged_dir(final) as tmp:
        (tmp / "a").write_text("1")
        (tmp / "old").write_text("x")
    with storage.staged_dir(final) as tmp:
        (tmp / "a").write_text("2")
    assert sorted(p.name for p in final.iterdir()) == ["a"]
    assert (final / "a").read_text() == "2"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux-only")
def test_a_reader_never_finds_a_replaced_directory_missing(tmp_path):
    """While a directory is rebuilt over and over, a reader always finds it whole."""
    final = tmp_path / "prepared" / "k"
    with storage.staged_dir(final) as tmp:
        (tmp / "summary.json").write_text("0")
    stop, misses = threading.Event(), []

    def read() -> None:
        while not stop.is_set():
            if not (final / "summary.json").exists():
                misses.append(1)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(1, 300):
            with storage.staged_dir(final) as tmp:
                (tmp / "summary.json").write_text(str(i))
    finally:
        stop.set()
        reader.join()
    assert misses == []
    assert (final / "summary.json").read_text() == "299"
    assert not (tmp_path / ".tmp").exists()


def test_concurrent_writers_of_the_same_key_both_succeed(tmp_path):
    """Eight threads publishing the same key: no error, one whole directory remains. Repeated
    100 times on fresh roots: the races on the shared scratch root (made and removed by the
    writers as they start and finish) showed up in about 1 round in 40."""
    errors = []

    def write(final):
        try:
            with storage.staged_dir(final) as tmp:
                (tmp / "frame.txt").write_text("same content")
        except Exception as exc:
            errors.append(exc)

    for round_ in range(100):
        final = tmp_path / str(round_) / "stages" / "target" / "k"
        threads = [threading.Thread(target=write, args=(final,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert (final / "frame.txt").read_text() == "same content"


def test_scratch_is_made_again_when_its_shared_root_moved_under_it(tmp_path, monkeypatch):
    """The race the eight threads above can hit: pathlib's mkdir(parents=True) raises
    FileExistsError when another writer made the shared scratch root and a third removed it
    before pathlib looked. The writer tries again instead of failing."""
    from pathlib import Path

    real, calls = Path.mkdir, []

    def racing(self, *args, **kwargs):
        calls.append(self.name)
        if len(calls) == 1:
            raise FileExistsError(17, "File exists")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", racing)
    scratch = tmp_path / ".tmp" / "k.1.abc"
    storage._make_scratch(scratch)
    assert scratch.is_dir() and calls[:2] == ["k.1.abc", "k.1.abc"]


def test_atomic_file_write_failure_keeps_the_old_file(tmp_path):
    """A writer that fails half-way leaves the previous file intact and no temp file."""
    path = tmp_path / "champion.json"
    storage.write_json(path, {"model": "gru"})

    def crash(tmp):
        tmp.write_text("{half")
        raise TypeError("boom")

    with pytest.raises(TypeError):
        storage.atomic_write(path, crash)
    assert storage.read_json(path) == {"model": "gru"}
    assert [p.name for p in tmp_path.iterdir()] == ["champion.json"]


def test_scratch_left_by_a_dead_writer_is_swept(tmp_path):
    """A scratch directory whose writer process is gone is removed by the next write."""
    import subprocess

    scratch = tmp_path / "models" / ".tmp"
    proc = subprocess.Popen(["true"])
    proc.wait()  # its process id now belongs to no running process
    stale = scratch / f"gru-abc.{proc.pid}.deadbeef"
    stale.mkdir(parents=True)
    (stale / "model.keras").write_text("half")
    with storage.staged_dir(tmp_path / "models" / "key" / "rnn-abc") as tmp:
        (tmp / "model.keras").write_text("whole")
    assert not scratch.exists()
    assert (tmp_path / "models" / "key" / "rnn-abc" / "model.keras").read_text() == "whole"


@pytest.fixture
def restore_umask():
    """Give the process its umask back after a test that sets one."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"),
    [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)],
    ids=["umask-022", "umask-027"],
)
def test_written_files_and_directories_get_the_umask_like_open(
    tmp_path, restore_umask, mask, file_mode, dir_mode
):
    """Every storage writer leaves mode 0666 / 0777 less the umask, as open() and mkdir do."""
    os.umask(mask)
    frame = pd.DataFrame({"a": [1, 2]})
    final = tmp_path / "stages" / "clean" / "k"
    with storage.staged_dir(final) as tmp:
        storage.write_text(tmp / "inner.txt", "x")
    written = [
        storage.write_bytes(tmp_path / "a.bin", b"x"),
        storage.write_text(tmp_path / "a.txt", "x"),
        storage.write_json(tmp_path / "a.json", {"a": 1}),
        storage.write_frame(tmp_path / "a.parquet", frame),
        storage.write_table(tmp_path / "b.parquet", pa.Table.from_pandas(frame)),
        storage.write_csv(tmp_path / "a.csv", frame),
        storage.atomic_write(tmp_path / "c.txt", lambda p: p.write_text("x")),
        final / "inner.txt",
    ]
    storage.write_text(tmp_path / "a.txt", "replaced")  # a rewrite keeps the mode too
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in written}
    assert modes == {p.name: oct(file_mode) for p in written}
    assert oct(stat.S_IMODE(final.stat().st_mode)) == oct(dir_mode)
    assert oct(stat.S_IMODE((tmp_path / "stages").stat().st_mode)) == oct(dir_mode)


def test_weights_come_back_in_order_and_a_changed_or_missing_file_is_named(tmp_path):
    """``write_weights`` / ``read_weights``: the arrays in their order, shapes and dtypes, and
    the sha256 that names them; a file rewritten since, or removed, is a clear error."""
    import numpy as np

    weights = [np.arange(6, dtype=np.float32).reshape(2, 3), np.array([0.5], np.float32)]
    path = tmp_path / "w.npz"
    sha = storage.write_weights(path, weights)
    back = storage.read_weights(path, sha)
    assert [w.shape for w in back] == [(2, 3), (1,)] and back[0].dtype == np.float32
    assert all(np.array_equal(a, b) for a, b in zip(back, weights, strict=True))
    assert not list(tmp_path.glob(".*.tmp"))
    storage.write_weights(path, weights[::-1])
    with pytest.raises(ValueError, match="changed since the fit that starts from them"):
        storage.read_weights(path, sha)
    path.unlink()
    with pytest.raises(FileNotFoundError, match=r"w\.npz: the weights to start from are not there"):
        storage.read_weights(path, sha)
