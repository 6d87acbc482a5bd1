"""Forecasting at many origins at once (what a replay serves from every forecast time) gives
exactly the forecast the forecast flow makes from the rows up to each origin, and reads
nothing after it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqcast.data.clean import clean
from seqcast.data.synthetic import rows_from_spec
from seqcast.serving.bundle import Bundle, bundle_of
from seqcast.serving.forecast_input import usable_origins
from seqcast.serving.predict import forecast_at, forecast_from_clean
from seqcast.spec.dataset import get_spec

SPEC = get_spec("weekly-temperature")
UNITS = {"features": {"kind": "standard", "columns": ["AvgTemp"], "scale": [1.0],
                      "shift": [0.0]}, "target": None}  # fmt: skip


def _bundle() -> Bundle:
    def member(name: str, weight: float) -> dict:
        return {"forecaster": name, "kind": "reference", "seed": None, "label": name,
                "file": name, "timesteps": 8, "units": UNITS, "weight": weight}  # fmt: skip

    return bundle_of({
        "dataset": SPEC.name,
        "candidate": "ensemble",
        "max_fill_steps": 2,
        "on_long_gap": "fail",
        "members": [
            member("persistence", 0.5),
            member("seasonal-naive", 0.3),
            member("drift", 0.2),
        ],
        "horizon": 4,
        "steps": [1, 2, 3, 4],
        "spec": SPEC.model_dump(mode="json"),
        "intervals": None,
    })  # fmt: skip


def _clean(rows: int) -> pd.DataFrame:
    raw = rows_from_spec(SPEC, rows, seed=3)
    return clean(raw, SPEC, max_fill_steps=2, on_long_gap="error", source="x").frame


def test_every_origin_gets_the_forecast_made_from_the_rows_up_to_it(tmp_path):
    frame = _clean(150)
    origins = np.array([60, 61, 100, 149])
    at = forecast_at(frame, SPEC, _bundle(), tmp_path, origins)
    assert len(at) == 4 * len(origins)
    for o in origins:
        alone = forecast_from_clean(frame.iloc[: o + 1], SPEC, _bundle(), tmp_path, "x")
        mine = at[at["origin_time"] == frame["time"].iloc[o]]
        assert mine["prediction"].to_numpy() == pytest.approx(alone["prediction"].to_numpy())
        assert mine["target_time"].tolist() == alone["target_time"].tolist()
        assert mine["step"].tolist() == [1, 2, 3, 4]


def test_a_forecast_at_an_origin_reads_nothing_after_it(tmp_path):
    frame = _clean(150)
    changed = frame.copy()
    changed.loc[changed.index[101:], "AvgTemp"] += 50.0  # rows after origin 100 only
    before = forecast_at(frame, SPEC, _bundle(), tmp_path, np.array([100]))
    after = forecast_at(changed, SPEC, _bundle(), tmp_path, np.array([100]))
    pd.testing.assert_frame_equal(before, after)


def test_an_origin_whose_window_touches_a_gap_or_the_start_is_not_usable():
    frame = pd.DataFrame({"gap": [False] * 10})
    frame.loc[4, "gap"] = True
    # windows of 3 rows: row 1 is too early; rows 4, 5 and 6 hold the gap in their window
    assert usable_origins(frame, 3, np.arange(10)).tolist() == [2, 3, 7, 8, 9]
