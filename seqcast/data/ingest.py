"""Ingest: raw bytes -> a frame with canonical column names (pure; no file or network I/O).

Accepts a CSV or a zip holding exactly one CSV; decodes UTF-8 (with or without BOM), UTF-16
with a BOM, and falls back to cp1252, then latin-1 (other binary content is rejected); detects
the field separator (``,`` ``;`` tab or ``|``) and decimal commas from the first lines; maps
header names to the spec's canonical names, including the original UCI release's names with
units and a degree sign (``Temperature(°C)``).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

import pandas as pd

from seqcast.errors import DataError, Problem
from seqcast.io.sources import sha256_of
from seqcast.spec.dataset import DatasetSpec

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_CHARS, SAMPLE_LINES = 64 * 1024, 50  # what the separator is detected from
_COMMA_DECIMAL = re.compile(r"[-+]?\d*,\d+")
_POINT_DECIMAL = re.compile(r"[-+]?\d*\.\d+")


@dataclass(frozen=True)
class Table:
    """A CSV as read: every column as it came, and how the file was laid out."""

    frame: pd.DataFrame
    encoding: str
    member: str | None  # the CSV's name inside a zip
    delimiter: str
    decimal: str

    @property
    def layout(self) -> str:
        sep = "tab" if self.delimiter == "\t" else repr(self.delimiter)
        point = "decimal commas" if self.decimal == "," else "decimal points"
        encoding = "UTF-8" if self.encoding == "utf-8-sig" else self.encoding
        return f"{sep}-separated, {point}, {encoding}"


@dataclass(frozen=True)
class Ingested:
    frame: pd.DataFrame
    sha256: str
    encoding: str
    member: str | None
    renamed: dict[str, str] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)
    delimiter: str = ","
    decimal: str = "."

    @property
    def meta(self) -> dict:
        return {
            "sha256": self.sha256,
            "encoding": self.encoding,
            "zip_member": self.member,
            "delimiter": self.delimiter,
            "decimal": self.decimal,
            "rows": len(self.frame),
            "columns": list(self.frame.columns),
            "renamed": self.renamed,
            "extra_columns_ignored": self.extra_columns,
        }


def normalise_header(name: str) -> str:
    """``'Temperature(°C)'`` -> ``'temperature'``; ``'Wind speed (m/s)'`` -> ``'windspeed'``."""
    name = re.sub(r"\(.*?\)", "", str(name))
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _unzip(content: bytes, source: str) -> tuple[bytes, str | None]:
    if not content.startswith(b"PK"):
        return content, None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            members = [
                m for m in zf.namelist() if m.lower().endswith(".csv") and not m.startswith("__")
            ]
            if len(members) != 1:
                raise DataError(
                    source,
                    "ingest",
                    [
                        Problem(
                            "(file)", f"zip must hold exactly one CSV, found {members or 'none'}"
                        )
                    ],
                )
            return zf.read(members[0]), members[0]
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise DataError(
            source, "ingest", [Problem("(file)", f"corrupt or truncated zip: {exc}")]
        ) from None


def _decode(raw: bytes, source: str) -> tuple[str, str]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    if b"\x00" in raw:
        raise DataError(
            source,
            "ingest",
            [Problem("(file)", "not a text CSV (NUL bytes: binary, or UTF-16/32 without a BOM)")],
            hint="save the file as a UTF-8 CSV",
        )
    for enc in ENCODINGS:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte string")  # pragma: no cover


def _canonical_map(spec: DatasetSpec) -> dict[str, str]:
    names: dict[str, str] = {}
    for col in spec.columns:
        for alias in (col.name, *col.aliases):
            names[normalise_header(alias)] = col.name
    return names


def sniff_layout(text: str) -> tuple[str, str]:
    """The field separator and the decimal mark of a CSV, from its first lines.

    The separator is the one of ``DELIMITERS`` that splits the header into the most fields
    and every sampled line into as many; failing that, the one that splits the header into the
    most; ``,`` when none splits it. Decimal commas are assumed with another separator when
    number fields with a comma (``1,5``) occur and none with a point (``1.5``).
    """
    sample = text[:SAMPLE_CHARS]
    if len(text) > SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # the last line is cut
    lines = [line for line in sample.splitlines()[:SAMPLE_LINES] if line.strip()]
    if not lines:
        return ",", "."
    rows = {d: list(csv.reader(lines, delimiter=d)) for d in DELIMITERS}
    width = {d: len(r[0]) for d, r in rows.items()}
    even = [d for d, r in rows.items() if width[d] > 1 and all(len(x) == width[d] for x in r)]
    split = [d for d in DELIMITERS if width[d] > 1]
    chosen = even or split
    delimiter = max(chosen, key=lambda d: width[d]) if chosen else ","  # ties: DELIMITERS order
    if delimiter == ",":
        return ",", "."
    fields = [f.strip() for row in rows[delimiter][1:] for f in row]
    commas = any(_COMMA_DECIMAL.fullmatch(f) for f in fields)
    points = any(_POINT_DECIMAL.fullmatch(f) for f in fields)
    return delimiter, "," if commas and not points else "."


def parse_csv(content: bytes, source: str) -> Table:
    """Parse ``content`` (a CSV's or a one-CSV zip's bytes), every column as it came."""
    raw, member = _unzip(content, source)
    text, encoding = _decode(raw, source)
    if not text.strip():
        raise DataError(source, "ingest", [Problem("(file)", "file is empty")])
    delimiter, decimal = sniff_layout(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, decimal=decimal, skipinitialspace=True
        )
    except pd.errors.ParserError as exc:
        raise DataError(
            source,
            "ingest",
            [Problem("(file)", f"not a valid CSV (read as {delimiter!r}-separated): {exc}")],
        ) from None
    return Table(frame, encoding, member, delimiter, decimal)


def read_table(content: bytes, source: str, spec: DatasetSpec) -> Ingested:
    """Parse ``content`` (the raw file's bytes) into a frame with canonical headers."""
    digest = sha256_of(content)
    table = parse_csv(content, source)
    frame = table.frame

    canonical = _canonical_map(spec)
    renamed: dict[str, str] = {}
    extra: list[str] = []
    seen: dict[str, str] = {}
    for col in frame.columns:
        target = canonical.get(normalise_header(col))
        if target is None:
            extra.append(str(col))
            continue
        if target in seen:
            raise DataError(
                source,
                "ingest",
                [Problem(target, f"two columns map to it: {seen[target]!r} and {col!r}")],
            )
        seen[target] = str(col)
        if col != target:
            renamed[str(col)] = target

    missing = [c.name for c in spec.columns if c.required and c.name not in seen]
    if missing:
        raise DataError(
            source,
            "ingest",
            [Problem(m, "required column is missing") for m in missing],
            hint=f"columns found: {[str(c) for c in frame.columns]} "
            f"(read as {table.layout}); the dataset spec "
            f"{spec.name!r} declares {missing} in [[columns]] (give other header spellings as "
            "aliases, or required = false for a column that may be absent)",
        )
    frame = frame.rename(columns=renamed).drop(columns=extra)
    frame = frame[[c.name for c in spec.columns if c.name in frame.columns]]
    if frame.empty:
        raise DataError(source, "ingest", [Problem("(file)", "header only: no data rows")])
    return Ingested(
        frame,
        digest,
        table.encoding,
        table.member,
        renamed,
        extra,
        table.delimiter,
        table.decimal,
    )
