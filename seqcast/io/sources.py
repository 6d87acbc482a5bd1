"""Fetching a source's bytes: a local path, or an http(s) URL with timeout, retries, a size
limit and a download cache keyed by content hash. This is the I/O edge of ingest."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from seqcast.errors import SourceError
from seqcast.io import storage


def sha256_of(content: bytes) -> str:
    """The hex SHA-256 of ``content``: what names a cached download and records a source."""
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Fetched:
    content: bytes
    path: Path  # the local file the bytes came from (downloads: the cached copy)
    source: str


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetch(
    source: str,
    downloads: Path,
    *,
    timeout_s: float = 30.0,
    retries: int = 3,
    max_bytes: int = 200 * 2**20,
    backoff_s: float = 0.5,
) -> Fetched:
    """Read ``source``'s bytes. URLs are retried on network errors and 5xx answers only."""
    if not is_url(source):
        path = Path(source)
        if not path.is_file():
            raise SourceError(f"source file not found: {source}")
        if path.stat().st_size > max_bytes:
            raise SourceError(f"{source} is larger than the {max_bytes} byte limit")
        return Fetched(path.read_bytes(), path.resolve(), source)

    last = ""
    for attempt in range(retries + 1):
        try:
            content = _download(source, timeout_s, max_bytes)
            break
        except _Retryable as exc:
            last = str(exc)
            if attempt < retries:
                time.sleep(backoff_s * 2**attempt)
    else:
        raise SourceError(f"could not download {source} after {retries + 1} attempt(s): {last}")

    suffix = ".zip" if content.startswith(b"PK") else ".csv"
    cached = downloads / f"{sha256_of(content)}{suffix}"
    if not cached.exists():
        storage.write_bytes(cached, content)
    return Fetched(content, cached, source)


class _Retryable(Exception):
    pass


def _download(url: str, timeout_s: float, max_bytes: int) -> bytes:
    try:
        with httpx.stream("GET", url, timeout=timeout_s, follow_redirects=True) as resp:
            if resp.status_code >= 500:
                raise _Retryable(f"HTTP {resp.status_code}")
            if resp.status_code >= 400:
                raise SourceError(f"could not download {url}: HTTP {resp.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise SourceError(f"{url} is larger than the {max_bytes} byte limit")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.TimeoutException as exc:
        raise _Retryable(f"timed out after {timeout_s}s ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise _Retryable(f"{type(exc).__name__}: {exc}") from None
