"""Fetching sources over HTTP from a server on loopback: retries, bounded time, clear errors,
size limit, and the download cache keyed by content hash."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from seqcast.errors import SourceError
from seqcast.io.sources import fetch

BODY = b"year,week,AvgTemp\n2010,1,-3\n"


class _Handler(BaseHTTPRequestHandler):
    plan: tuple[int, ...] = ()  # status codes to answer in turn; the last one repeats
    hits = 0

    def do_GET(self):
        cls = type(self)
        status = cls.plan[min(cls.hits, len(cls.plan) - 1)]
        cls.hits += 1
        body = BODY if status == 200 else b"nope"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _plan(*codes):
    _Handler.plan, _Handler.hits = codes, 0


def test_download_is_cached_by_content_hash(http_server, tmp_path):
    """A 200 answer is returned and kept under downloads/<sha256>.csv."""
    _plan(200)
    got = fetch(f"{http_server}/t.csv", tmp_path, retries=0)
    assert got.content == BODY
    assert got.path == tmp_path / f"{hashlib.sha256(BODY).hexdigest()}.csv"
    assert got.path.read_bytes() == BODY


def test_server_errors_are_retried_then_succeed(http_server, tmp_path):
    """Two 503 answers, then 200: three requests, success."""
    _plan(503, 503, 200)
    assert fetch(f"{http_server}/t.csv", tmp_path, retries=3, backoff_s=0.01).content == BODY
    assert _Handler.hits == 3


def test_404_fails_at_once_with_the_status(http_server, tmp_path):
    """A 404 is not retried and names the URL and status."""
    _plan(404)
    with pytest.raises(SourceError, match=r"HTTP 404"):
        fetch(f"{http_server}/missing.csv", tmp_path, retries=3, backoff_s=0.01)
    assert _Handler.hits == 1


def test_persistent_server_error_gives_up_after_retries(http_server, tmp_path):
    """Always 500: 1 + retries attempts, then a clear error."""
    _plan(500)
    with pytest.raises(SourceError, match=r"after 3 attempt\(s\): HTTP 500"):
        fetch(f"{http_server}/t.csv", tmp_path, retries=2, backoff_s=0.01)
    assert _Handler.hits == 3


def test_a_server_that_never_answers_fails_within_bounded_time(tmp_path):
    """Accepts the connection, never answers: retries, then an error, in bounded time."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        start = time.monotonic()
        with pytest.raises(SourceError, match="timed out"):
            fetch(
                f"http://127.0.0.1:{port}/t.csv", tmp_path, timeout_s=0.5, retries=2, backoff_s=0.01
            )
        assert time.monotonic() - start < 10
    finally:
        listener.close()


def test_size_limit(http_server, tmp_path):
    """A download larger than the limit is refused."""
    _plan(200)
    with pytest.raises(SourceError, match="larger than"):
        fetch(f"{http_server}/t.csv", tmp_path, max_bytes=5)


def test_missing_local_file(tmp_path):
    """A local path that does not exist names the path."""
    with pytest.raises(SourceError, match="source file not found"):
        fetch(str(tmp_path / "nope.csv"), tmp_path)
