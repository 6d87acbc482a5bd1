"""The application layer: the command line, its console, the Prefect API it runs against and the
deployments it registers. The only part of seqcast that imports Prefect, flows or tasks."""
