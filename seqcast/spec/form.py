"""The Prefect UI form is the JSON schema of the run configs: every field's description also
states its bounds, so a person filling the form sees them before submitting."""

from __future__ import annotations

from typing import Any


def _fmt(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) and abs(v) >= 10_000 else str(v)


def bounds_text(prop: dict[str, Any]) -> str:
    """'Allowed: 1 to 1000.' from a property's limits (looking inside Optional's anyOf)."""
    parts = [prop, *prop.get("anyOf", [])]
    for p in parts:
        lo = p.get("minimum", p.get("exclusiveMinimum"))
        hi = p.get("maximum", p.get("exclusiveMaximum"))
        if lo is None and hi is None:
            if "maxItems" in p:
                return f"Allowed: {p.get('minItems', 0)} to {p['maxItems']} items."
            if "minItems" in p:
                return f"Allowed: at least {p['minItems']} item(s)."
            continue
        lo_text = (
            None
            if lo is None
            else (f"above {_fmt(lo)}" if "exclusiveMinimum" in p else f"at least {_fmt(lo)}")
        )
        hi_text = (
            None
            if hi is None
            else (f"below {_fmt(hi)}" if "exclusiveMaximum" in p else f"at most {_fmt(hi)}")
        )
        return "Allowed: " + ", ".join(t for t in (lo_text, hi_text) if t) + "."
    return ""


def with_bounds(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` hook: append each property's bounds to its description."""
    for prop in schema.get("properties", {}).values():
        text = bounds_text(prop)
        if text and text not in prop.get("description", ""):
            prop["description"] = f"{prop.get('description', '').rstrip()} {text}".strip()


def plain_optionals(schema: dict[str, Any]) -> None:
    """An optional field (``X | None = None``) as the plain field ``X``, not required and
    without a default: Prefect's form renders ``anyOf: [X, null]`` as tabs that open on the
    null one ("Property is type None") and would hide an enum's dropdown behind a tab. An
    empty field is left out of the parameters, so pydantic fills in None, as before; Prefect's
    schema enforcement still accepts an explicit null for a field without a default (it adds
    the null branch back), except for an enum field (the enum excludes null).
    ``bool | None`` keeps its null branch: a toggle cannot show "the dataset's", and Prefect's
    older form sets an untouched toggle to false."""
    for name, prop in schema.get("properties", {}).items():
        branches = prop.get("anyOf", [])
        if len(branches) != 2 or prop.get("default", ...) is not None:
            continue
        real = [b for b in branches if b != {"type": "null"}]
        if len(real) != 1 or real[0].get("type") == "boolean":
            continue
        rest = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
        schema["properties"][name] = {**real[0], **rest}


def form_schema(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` hook of the run configs (the Prefect form): bounds in words
    (:func:`with_bounds`), optional fields as plain ones (:func:`plain_optionals`)."""
    with_bounds(schema)
    plain_optionals(schema)
