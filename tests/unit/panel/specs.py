"""The small panel spec the unit tests build on: series ``id``, a step index ``t``, target
``y``, period 2, horizon 2, one fold, a window of 3 (each test overrides what it varies)."""

from __future__ import annotations

from seqcast.panel.spec import PanelSpec, PanelTime


def tiny_spec(**kw) -> PanelSpec:
    base = dict(
        name="t",
        series="id",
        time=PanelTime(column="t"),
        target="y",
        period=2,
        horizon=2,
        folds=1,
        window=3,
    )
    return PanelSpec(**{**base, **kw})
