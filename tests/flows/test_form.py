"""The Prefect UI form of every flow, read from the parameter schema the UI renders: each field
has a human title and a description that states its bounds; no docstring markup leaks; the
variant list's default is explicit."""

from __future__ import annotations

import re

import pytest
from prefect.utilities.callables import parameter_schema

from flows.forecast import forecast
from flows.prepare import prepare
from flows.run_stage import rerun, run_stage
from flows.train import train

FLOWS = [train, prepare, forecast, run_stage, rerun]
MARKUP = re.compile(r"``|:class:|:func:|:meth:")


def _definitions(flow) -> dict:
    return parameter_schema(flow).model_dump()["definitions"]


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_every_field_has_a_title_and_a_description_with_its_bounds(flow):
    """No machine-made title, no bare field; limits written where they exist."""
    for model, definition in _definitions(flow).items():
        assert definition.get("description") and not MARKUP.search(definition["description"])
        for name, prop in definition["properties"].items():
            where = f"{model}.{name}"
            title, text = prop.get("title", ""), prop.get("description", "")
            assert title, where
            if "_" in name:  # pydantic would make "Download Timeout S" of download_timeout_s
                assert title != name.replace("_", " ").title(), where
            assert text and not MARKUP.search(text), where
            limits = [prop, *prop.get("anyOf", [])]
            for lim in limits:
                for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                    if key in lim:
                        value = lim[key]
                        assert "Allowed:" in text, where
                        assert str(value) in text or f"{value:,}" in text, where


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_flow_description_has_no_markup(flow):
    assert flow.description and not MARKUP.search(flow.description)


def test_variants_default_lists_every_variant():
    """The form shows all seven variants selected, not '0 selected'."""
    from seqcast.models.deep import DEEP_VARIANTS

    prop = _definitions(train)["TrainConfig"]["properties"]["variants"]
    assert prop["default"] == list(DEEP_VARIANTS)
    assert "Allowed: at least 1 item(s)." in prop["description"]


def test_bounds_in_words():
    """Limits read as a person would write them."""
    from seqcast.spec.form import bounds_text

    assert bounds_text({"anyOf": [{"minimum": 1, "maximum": 1000}, {"type": "null"}]}) == (
        "Allowed: at least 1, at most 1000."
    )
    assert bounds_text({"minimum": 0.0, "exclusiveMaximum": 1.0}) == (
        "Allowed: at least 0.0, below 1.0."
    )
    assert bounds_text({"maxItems": 16}) == "Allowed: 0 to 16 items."
    assert bounds_text({"type": "string"}) == ""
