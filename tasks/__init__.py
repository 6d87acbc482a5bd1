"""Thin Prefect tasks: load a stage's input, call the pure function in ``seqcast``, save."""
