"""pandera schemas for the raw and the cleaned frame, generated from a dataset spec.

Every check comes from the spec's columns (``min``, ``max``, ``integral``, ``allowed``, the
time index's format), so a user's spec file gets the same readable failure reports as the
built-in datasets. ``SCHEMA_VERSION`` is part of every stage's cache key: bump it when the
generated checks change.
"""

from schemas.generated import clean_schema, raw_schema

SCHEMA_VERSION = "2"

__all__ = ["SCHEMA_VERSION", "clean_schema", "raw_schema"]
