"""The data stages, raw file to windows (ingest, validate, clean, target, split, scale,
temporalize), as pure functions, the stage key chain that names their outputs, and drafting a
spec from a CSV by the same rules."""
