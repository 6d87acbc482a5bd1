"""Input and output: where everything is stored (paths), atomic writes, sources, the forecast store
and its locks, MLflow tracking."""
