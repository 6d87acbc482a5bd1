"""How every number a person reads is written: one precision rule for the console, the report's
tables and charts, the forecasts and the status lines. Four significant digits of the largest
value shown together (a rounding error reads as 0), whole numbers for counts and from 1,000
up, thousands separators, never scientific notation."""

from __future__ import annotations

import math

SIGNIFICANT = 4  # digits kept of a row's largest value


def decimals_for(values, whole: bool = False) -> int:
    """The decimals that give the largest finite magnitude in ``values`` :data:`SIGNIFICANT`
    digits: 0 from 1,000 up (143,325.75 reads 143,326), 2 for 12.34, 4 for 0.1234; always 0
    for ``whole`` numbers (counts). 0 when nothing is finite or everything is 0."""
    if whole:
        return 0
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    largest = max(finite, default=0.0)
    return 0 if largest == 0 else max(0, SIGNIFICANT - 1 - math.floor(math.log10(largest)))


def number_text(value: float | None, decimals: int) -> str:
    """``value`` with ``decimals`` decimals and thousands separators (``143,326``, ``-0.25``);
    never scientific notation, never ``-0``; '-' when missing or not finite."""
    if value is None or not math.isfinite(value):
        return "-"
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def row_numbers(values: list[float | None], whole: bool = False) -> list[str]:
    """Each value at the row's precision (:func:`decimals_for`): ``[-4.83e-11, 0.7071, -1.0,
    1.0]`` reads ``['0.000', '0.707', '-1.000', '1.000']``, ``[704.63, 645.2, 0.0, 3556.0]``
    reads ``['705', '645', '0', '3,556']``. Missing: '-'."""
    decimals = decimals_for(values, whole)
    return [number_text(v, decimals) for v in values]


def figure(value: float | None) -> str:
    """One figure (an error, a score) at its own precision, as ``{:.4g}`` writes it but never
    in scientific notation and with thousands separators: ``231.2``, ``1.546``, ``0.25``,
    ``2``, ``143,326``."""
    text = row_numbers([value])[0] if value is not None else "-"
    return text.rstrip("0").rstrip(".") if "." in text else text
