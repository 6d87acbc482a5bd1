"""Ingest: encodings, zips, header aliases, and the errors for unusable files."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pandas as pd
import pytest

from seqcast.data.ingest import normalise_header, read_table
from seqcast.errors import DataError
from seqcast.spec.dataset import get_spec

WEEKLY = b"year,week,AvgTemp\n2010,1,-3\n2010,2,-7.5\n"
UCI_HEADER = (
    "Date,Rented Bike Count,Hour,Temperature(\u00b0C),Humidity(%),Wind speed (m/s),"
    "Visibility (10m),Dew point temperature(\u00b0C),Solar Radiation (MJ/m2),Rainfall(mm),"
    "Snowfall (cm),Seasons,Holiday,Functioning Day"
)
UCI_ROW = "01/12/2017,254,0,-5.2,37,2.2,2000,-17.6,0,0,0,Winter,No Holiday,Yes"


def _zip(files: dict[str, bytes]) -> bytes:
    """A zip of ``files`` with a fixed timestamp: the same bytes in every process (the bytes
    name the parametrized tests, and two xdist workers collecting across a second boundary
    once saw different names and refused to run)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Temperature(\u00b0C)", "temperature"),
        ("Wind speed (m/s)", "windspeed"),
        ("Dew point temperature(\u00b0C)", "dewpointtemperature"),
        (" Rented Bike Count ", "rentedbikecount"),
        ("avg_temp", "avgtemp"),
    ],
)
def test_normalise_header_drops_units_case_and_punctuation(raw, canonical):
    """Header names compare without units, case, spaces or punctuation."""
    assert normalise_header(raw) == canonical


def test_uci_headers_in_cp1252_map_to_canonical_names():
    """The original UCI release (units, degree sign, cp1252) reads with canonical names."""
    content = f"{UCI_HEADER}\n{UCI_ROW}\n".encode("cp1252")
    got = read_table(content, "uci.csv", get_spec("bike-hourly"))
    assert got.encoding == "cp1252"
    assert list(got.frame.columns) == [c.name for c in get_spec("bike-hourly").columns]
    assert got.renamed["Temperature(\u00b0C)"] == "Temperature"
    assert got.frame.loc[0, "Dew point temperature"] == -17.6


def test_records_sha256_of_the_raw_bytes():
    """The fingerprint is the SHA-256 of the file as given (zip included)."""
    zipped = _zip({"t.csv": WEEKLY})
    assert (
        read_table(WEEKLY, "t.csv", get_spec("weekly-temperature")).sha256
        == hashlib.sha256(WEEKLY).hexdigest()
    )
    got = read_table(zipped, "t.zip", get_spec("weekly-temperature"))
    assert got.sha256 == hashlib.sha256(zipped).hexdigest()
    assert got.member == "t.csv"
    assert got.frame["AvgTemp"].tolist() == [-3.0, -7.5]


def test_utf8_bom_is_accepted():
    """A UTF-8 byte-order mark does not end up in the first column's name."""
    got = read_table(b"\xef\xbb\xbf" + WEEKLY, "t.csv", get_spec("weekly-temperature"))
    assert got.encoding == "utf-8-sig"
    assert list(got.frame.columns) == ["year", "week", "AvgTemp"]


def test_utf16_with_bom_is_decoded_and_binary_is_rejected():
    """UTF-16 with a byte-order mark reads; NUL bytes without one are a clear error."""
    got = read_table(WEEKLY.decode().encode("utf-16"), "t.csv", get_spec("weekly-temperature"))
    assert got.encoding == "utf-16" and got.frame["AvgTemp"].tolist() == [-3.0, -7.5]
    with pytest.raises(DataError, match="not a text CSV"):
        read_table(WEEKLY.decode().encode("utf-16-le"), "t.csv", get_spec("weekly-temperature"))


def test_extra_columns_are_ignored_and_listed():
    """Unknown columns are dropped from the frame and named in the ingest report."""
    got = read_table(
        b"year,week,AvgTemp,station\n2010,1,-3,A\n", "t.csv", get_spec("weekly-temperature")
    )
    assert list(got.frame.columns) == ["year", "week", "AvgTemp"]
    assert got.meta["extra_columns_ignored"] == ["station"]


@pytest.mark.parametrize(
    ("content", "delimiter", "decimal"),
    [
        (b"year;week;AvgTemp\n2010;1;-3\n2010;2;-7.5\n", ";", "."),
        (b"year;week;AvgTemp\n2010;1;-3\n2010;2;-7,5\n", ";", ","),
        (b"year\tweek\tAvgTemp\n2010\t1\t-3\n2010\t2\t-7,5\n", "\t", ","),
        (b"year|week|AvgTemp\n2010|1|-3\n2010|2|-7.5\n", "|", "."),
        (b'year,week,AvgTemp,note\n2010,1,-3,"a;b;c"\n2010,2,-7.5,d\n', ",", "."),
    ],
    ids=[
        "semicolon",
        "semicolon-decimal-comma",
        "tab-decimal-comma",
        "pipe",
        "comma-semicolon-text",
    ],
)
def test_other_separators_and_decimal_commas_read_like_the_comma_file(content, delimiter, decimal):
    """A ;, tab or | separated copy of a file (decimal commas or points) gives the same frame;
    a ; inside a field of a comma file does not make it ;-separated."""
    spec = get_spec("weekly-temperature")
    got = read_table(content, "t.csv", spec)
    pd.testing.assert_frame_equal(got.frame, read_table(WEEKLY, "t.csv", spec).frame)
    assert (got.meta["delimiter"], got.meta["decimal"]) == (delimiter, decimal)


def test_a_semicolon_file_without_the_spec_columns_says_how_it_was_read():
    """When the columns still do not match, the hint says the file was read as ;-separated
    with decimal commas and lists the columns found."""
    with pytest.raises(DataError) as info:
        read_table(b"Jahr;Woche;Temp\n2010;1;-3,5\n", "t.csv", get_spec("weekly-temperature"))
    assert "columns found: ['Jahr', 'Woche', 'Temp'] (read as ';'-separated, decimal commas" in (
        info.value.hint
    )


@pytest.mark.parametrize(
    ("content", "column", "check"),
    [
        (b"", "(file)", "file is empty"),
        (b"   \n", "(file)", "file is empty"),
        (b"year,week,AvgTemp\n", "(file)", "header only"),
        (b"year,AvgTemp\n2010,1\n", "week", "required column is missing"),
        (_zip({"a.csv": WEEKLY, "b.csv": WEEKLY}), "(file)", "exactly one CSV"),
        (_zip({"a.csv": WEEKLY})[:40], "(file)", "corrupt or truncated zip"),
        (b"year,week,AvgTemp,Avg Temp\n2010,1,2,3\n", "AvgTemp", "two columns map to it"),
    ],
)
def test_unusable_files_raise_data_error_naming_the_problem(content, column, check):
    """Each unusable file gets a DataError naming the source, column and check."""
    with pytest.raises(DataError) as info:
        read_table(content, "bad.csv", get_spec("weekly-temperature"))
    err = info.value
    assert err.source == "bad.csv"
    assert err.stage == "ingest"
    assert err.problems[0].column == column
    assert check in err.problems[0].check
    assert "bad.csv" in err.report()
