"""Validate a frame against a pandera schema lazily and turn failures into a readable report."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from seqcast.errors import Problem

FAILURE_COLUMNS = ["column", "check", "row", "file_line", "failure_case", "key"]


@dataclass(frozen=True)
class Validation:
    failure_cases: pd.DataFrame  # one row per failing cell (FAILURE_COLUMNS); empty when valid
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_frame(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema | type[pa.DataFrameModel],
    key_columns: list[str],
    *,
    file_lines: bool = True,
) -> Validation:
    """Run every check at once (lazy) and group the failures by column and check.

    ``file_lines``: the frame's rows are the file's data rows in order, so row ``r`` is line
    ``r + 2`` of the file (the header is line 1).
    """
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = _tidy(err.failure_cases, frame, key_columns, file_lines)
        return Validation(cases, _problems(cases))
    return Validation(pd.DataFrame(columns=FAILURE_COLUMNS), [])


def _tidy(
    raw: pd.DataFrame, frame: pd.DataFrame, key_columns: list[str], file_lines: bool
) -> pd.DataFrame:
    cases = raw.copy()
    cases["check"] = cases["check"].astype(str)
    cases["column"] = cases["column"].astype(str)
    unique_checks = cases["check"].str.contains("uniqueness|unique", regex=True)
    # A multi-column uniqueness failure is one problem with the time key, not one per column.
    cases.loc[unique_checks, "column"] = "+".join(key_columns)
    cases.loc[unique_checks, "check"] = "duplicate time key"
    cases = cases.drop_duplicates(subset=["column", "check", "index"])
    # A column that failed dtype coercion also fails every comparison with a TypeError and a
    # dtype check: those repeat the same fault, so keep the coercion failure only.
    coerced = set(cases.loc[cases["check"].str.startswith("coerce_dtype"), "column"])
    noise = cases["column"].isin(coerced) & (
        cases["check"].str.startswith("dtype(") | cases["index"].isna()
    )
    cases = cases[~noise]
    rows = pd.to_numeric(cases["index"], errors="coerce")
    key = []
    for r in rows:
        if pd.isna(r) or int(r) not in frame.index:
            key.append("")
        else:
            rec = frame.loc[int(r), key_columns]
            key.append(", ".join(f"{k}={rec[k]}" for k in key_columns))
    return pd.DataFrame(
        {
            "column": cases["column"].to_numpy(),
            "check": cases["check"].map(_readable_check).to_numpy(),
            "row": rows.astype("Int64").to_numpy(),
            "file_line": ((rows + 2) if file_lines else rows * pd.NA).astype("Int64").to_numpy(),
            "failure_case": cases["failure_case"].astype(str).to_numpy(),
            "key": key,
        }
    )


def _readable_check(check: str) -> str:
    replacements = {
        "coerce_dtype": "wrong type (cannot convert",
        "greater_than_or_equal_to": "below the minimum",
        "less_than_or_equal_to": "above the maximum",
        "isin": "not an allowed value",
        "str_matches": "wrong format",
        "date_format": "wrong format (not a date/time in the spec's format)",
        "not_nullable": "missing value",
        "field_uniqueness": "duplicate value",
        "whole_number": "not a whole number",
        "not_entirely_missing": "column is entirely missing values",
        "column_in_dataframe": "required column is missing",
    }
    for raw, nice in replacements.items():
        if check.startswith(raw):
            rest = check[len(raw) :]
            if raw == "coerce_dtype":
                return f"{nice} to {rest.strip('()')})"
            return f"{nice} {rest}".strip()
    return check


def _problems(cases: pd.DataFrame) -> list[Problem]:
    problems = []
    for (column, check), group in cases.groupby(["column", "check"], sort=False):
        examples = []
        for _, case in group.head(5).iterrows():
            if pd.notna(case["file_line"]):
                where = f"line {case['file_line']}"
            elif pd.notna(case["row"]):
                where = f"row {case['row']}"
            else:
                where = "whole column"
            key = f" ({case['key']})" if case["key"] else ""
            examples.append(f"{where}{key}: value {case['failure_case']!r}")
        problems.append(Problem(str(column), str(check), len(group), examples))
    return problems
