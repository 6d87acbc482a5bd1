"""The data stages, raw file to windows (ingest, validate, clean, target, split, scale,
temporalize), as pure functions, and the stage key chain that names their outputs."""
