"""The publishing tasks of the ``train`` flow: write a run's directory and artifacts, move the
registry's champion alias."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from seqcast.config import TrainConfig
from seqcast.evaluation.costs import seconds_by_kind
from seqcast.evaluation.leaderboard import best_reference
from seqcast.evaluation.records import FitRef, RunRef
from seqcast.evaluation.selection import Ranking
from seqcast.io import storage
from seqcast.io.forecast_store import locked
from seqcast.io.paths import Layout, run_name
from seqcast.io.provenance import versions
from seqcast.report.documents import leaderboard_rows, run_documents, run_ref, summary_markdown
from seqcast.serving.bundle import Bundle
from tasks.windows import load_windows


@task(name="publish-run", task_run_name="publish-run", cache_policy=NO_CACHE)
def publish_run(
    config: TrainConfig,
    prepared_dirs: list[str],
    fits: list[FitRef],
    served: list[FitRef],
    ranking: Ranking,
) -> RunRef:
    """Write the run directory atomically: metrics, every scored forecast, report, manifest
    and the served champion (``champion/bundle.json`` and its members)."""
    first = Path(prepared_dirs[0])
    run_id = run_name(datetime.now(UTC), flow_run.get_id())
    docs = run_documents(
        config,
        run_id,
        datetime.now(UTC).isoformat(),
        prepared_dirs,
        load_windows(first),
        storage.read_json(first / "summary.json"),
        storage.read_json(first / "scaler.json"),
        ranking,
        [f.model_dump() for f in fits],
        [f.model_dump() for f in served],
        versions(),
        seconds_by_kind(fits, served, config.training.seed),
    )
    final = Layout.of(config.out, config.dataset_name).run_dir(run_id)
    with storage.staged_dir(final) as tmp:
        storage.write_json(tmp / "metrics.json", docs.metrics)
        storage.write_frame(tmp / "predictions.parquet", docs.predictions)
        storage.write_text(tmp / "report.md", docs.report.markdown)
        storage.write_text(tmp / "report.html", docs.report.html)
        for name, png in docs.report.figures.items():
            storage.write_bytes(tmp / "figures" / name, png)
        if docs.bundle is not None:
            write_champion(tmp / "champion", served, docs.bundle)
        storage.write_json(tmp / "manifest.json", docs.manifest)
    run = run_ref(run_id, final, config.dataset_name, ranking, docs)
    key = run.dataset.replace("_", "-")
    create_table_artifact(
        key=f"{key}-leaderboard",
        table=leaderboard_rows(ranking.board),
        description=f"{run.dataset} leaderboard, run {run.run_id}",
    )
    create_markdown_artifact(
        key=f"{key}-summary",
        markdown=summary_markdown(run, best_reference(ranking.board)),
        description="training run summary",
    )
    create_link_artifact(
        key=f"{key}-report",
        link=Path(run.dir, "report.html").as_uri(),
        link_text="report.html",
        description="full evaluation report",
    )
    return run


def write_champion(folder: Path, served: list[FitRef], bundle: Bundle) -> None:
    """The served champion in a run's (staged) folder: each member's stored model under
    the file name its bundle entry gives, then ``bundle.json``. A naive reference stores
    nothing: it is read off the data."""
    for f, member in zip(served, bundle.members, strict=True):
        if f.model is not None:
            storage.write_bytes(folder / member.file, Path(f.model).read_bytes())
        if f.weights is not None and member.weights is not None:  # a warm refresh's start
            data = storage.weights_bytes(Path(f.weights), f.weights_sha256)  # the fit's own
            storage.write_bytes(folder / member.weights, data)
    storage.write_json(folder / "bundle.json", bundle.to_json())


@task(name="promote-champion", task_run_name="promote-champion", cache_policy=NO_CACHE)
def promote_champion(config: TrainConfig, run: RunRef, registered=None) -> dict | None:
    """Move the model registry's ``champion`` alias to this run's registered version when
    the promotion rule says so (``seqcast.io.tracking.replaces``): the check and the move under
    one lock, so two runs promoting at once end with the alias on the better model. Returns
    the decision, or None when the run chose no model."""
    if run.champion is None or registered is None:
        return None
    from seqcast.io.tracking import move_alias_if_better

    layout = Layout.of(config.out, config.dataset_name)
    with locked(layout.champion_lock):
        return move_alias_if_better(registered)
