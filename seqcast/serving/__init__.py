"""Serving: a champion's input from the newest data, the one raw-to-forecast path, and the MLflow
pyfunc model."""
