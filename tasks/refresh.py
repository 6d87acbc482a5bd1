"""Tasks of the ``refresh`` mode of the ``train`` flow: find the champion to refresh, publish
the refreshed run (``seqcast.report.refresh`` decides what is written)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from seqcast.config import TrainConfig
from seqcast.errors import ConfigError
from seqcast.evaluation.records import FitRef, RunRef
from seqcast.io import storage
from seqcast.io.paths import Layout, run_name
from seqcast.io.provenance import versions
from seqcast.report.refresh import RefreshPlan, refresh_documents, refresh_plan
from seqcast.serving.bundle import read_bundle
from tasks.publish import write_champion

# What the refresh takes from the form it was started with; every other setting is the
# champion's run's own.
RUN_SETTINGS = ("source", "out", "mlflow_uri", "task_runner", "workers", "dask_address")


@task(name="plan-refresh", task_run_name="plan-refresh", cache_policy=NO_CACHE)
def plan_refresh(config: TrainConfig, run_dir: str | None = None) -> RefreshPlan:
    """The champion to refresh: the run in ``run_dir``, else the run of the registry's
    champion (``models:/seqcast-<dataset>@champion``)."""
    version = ""
    if run_dir is None:
        from mlflow.tracking import MlflowClient

        from seqcast.io.tracking import champion_version, registered_model_name, tracking_uri

        layout = Layout.of(config.out, config.dataset_name)
        uri = tracking_uri(layout.root, config.mlflow_uri)
        name = registered_model_name(config.dataset_name)
        found = champion_version(MlflowClient(tracking_uri=uri, registry_uri=uri), name)
        if found is None:
            raise ConfigError(
                f"nothing to refresh: the registry at {uri} has no champion of "
                f"{config.dataset_name}; train in full first (mode 'full')"
            )
        version = str(found.version)
        run_dir = str(layout.run_dir(found.tags.get("seqcast.run_id", "")))
    folder = Path(run_dir)
    bundle_file = folder / "champion" / "bundle.json"
    if not bundle_file.exists():
        raise ConfigError(
            f"nothing to refresh in {folder}: no champion/bundle.json there (the run "
            "promoted nothing, or its folder was removed); train in full (mode 'full')"
        )
    return refresh_plan(
        read_bundle(bundle_file),
        storage.read_json(folder / "manifest.json"),
        storage.read_json(folder / "metrics.json"),
        str(folder),
        version,
    )


def champion_config(config: TrainConfig, plan: RefreshPlan) -> TrainConfig:
    """The champion's run's training config, with this run's data, output and workers, and
    the target transform its members learned."""
    doc = {**plan.config, **config.model_dump(include=set(RUN_SETTINGS)), "mode": "refresh"}
    if plan.target_transform is not None:  # what "auto" chose in that run
        doc["training"] = {**doc["training"], "target_transform": plan.target_transform}
    return TrainConfig.model_validate(doc)


@task(name="publish-refresh", task_run_name="publish-refresh", cache_policy=NO_CACHE)
def publish_refresh(
    config: TrainConfig, plan: RefreshPlan, prepared_dirs: list[str], served: list[FitRef]
) -> RunRef:
    """Write the refresh's run directory atomically: metrics, report, manifest and the
    refreshed champion (``champion/bundle.json`` and its members)."""
    first = Path(prepared_dirs[0])
    summary = storage.read_json(first / "summary.json")
    run_id = run_name(datetime.now(UTC), flow_run.get_id())
    docs = refresh_documents(
        plan,
        run_id,
        datetime.now(UTC).isoformat(),
        prepared_dirs,
        summary,
        [f.model_dump() for f in served],
        versions(),
    )
    final = Layout.of(config.out, config.dataset_name).run_dir(run_id)
    with storage.staged_dir(final) as tmp:
        storage.write_json(tmp / "metrics.json", docs.metrics)
        storage.write_text(tmp / "report.md", docs.markdown)
        storage.write_text(tmp / "report.html", docs.html)
        write_champion(tmp / "champion", served, docs.bundle)
        storage.write_json(tmp / "manifest.json", docs.manifest)
    create_markdown_artifact(
        key=f"{config.dataset_name.replace('_', '-')}-summary",
        markdown=docs.markdown,
        description="refresh summary",
    )
    entry = plan.entry
    return RunRef(
        run_id=run_id,
        dir=str(final),
        dataset=config.dataset_name,
        champion=docs.bundle.candidate,
        champion_reason=docs.metrics["champion_reason"],
        champion_policy=plan.policy,
        champion_backtest_mae=entry["backtest"]["mae"],
        champion_val_mae=entry["val"]["mae"],
        champion_test_mae=entry["test"]["mae"] if entry.get("test") else None,
        bundle=str(final / "champion" / "bundle.json"),
        data_sha256=summary["data_fingerprint"]["sha256"],
    )
