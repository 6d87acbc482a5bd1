"""A **refresh**: the served champion's members refitted on every row up to the newest, for
the epochs each was trained for, and published as a run of its own with no backtest (pure:
documents in, documents out; ``tasks/refresh.py`` reads and writes them).

A refresh keeps everything the champion's run decided: the members, their weights, window
lengths and settings, the target transform, the conformal intervals and the promise its
backtest made (live quality is held to that promise). Only the fitted weights and the data
they were fitted on change. It is the cheap answer to a degraded forecast; a full train
(``mode = "full"``) is the answer when a refresh does not bring the error back.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from seqcast.errors import ConfigError
from seqcast.models.catalog import capabilities
from seqcast.numbers import figure
from seqcast.report.documents import served_members
from seqcast.report.page import _html_table, _md_table
from seqcast.serving.bundle import Bundle


class RefreshMember(BaseModel):
    """A champion's member as the refresh refits it (``evaluation.plan.MemberLike``)."""

    kind: str
    label: str
    seed: int | None
    timesteps: int
    epochs: int | None  # the epochs a member fitted per seed is refitted for
    # the weights a warm-started refresh starts it from (``plan.start_after``'s form): its
    # served weights in the champion's folder; None: from its seeded start
    start: dict | None = None


class RefreshPlan(BaseModel):
    """What a refresh refits, read off the champion's run (its bundle, manifest, metrics)."""

    run_id: str  # the run whose champion is refreshed
    run_dir: str
    version: str  # its registered version ("" when the run was named directly)
    config: dict  # the TrainConfig document that run trained with
    target_transform: str | None  # the transform "auto" chose; None: the config's own
    members: list[RefreshMember]
    bundle: Bundle
    entry: dict  # the champion's leaderboard entry in that run (its promise and figures)
    policy: str  # how it was promoted: "deep" or "fallback"


def refresh_plan(
    bundle: Bundle, manifest: dict, metrics: dict, run_dir: str, version: str = ""
) -> RefreshPlan:
    """The plan to refresh the champion of the run in ``run_dir``. A bundle written before
    members recorded their epochs cannot be refreshed: the error says to train in full."""
    members = []
    for m in bundle.members:
        per_seed = capabilities(m.forecaster).per_seed
        if per_seed and m.epochs is None:
            raise ConfigError(
                f"the champion of run {metrics['run_id']} ({run_dir}) was trained before "
                "seqcast recorded its members' epochs, so it cannot be refreshed: train in "
                "full (mode 'full') once, and later refreshes will work"
            )
        members.append(
            RefreshMember(
                kind=m.kind,
                label=m.label,
                seed=m.seed,
                timesteps=m.timesteps,
                epochs=m.epochs,
                start=None
                if m.weights is None
                else {
                    "weights": str(Path(run_dir) / "champion" / m.weights),
                    "sha256": m.weights_sha256,
                },
            )
        )
    chosen = (metrics.get("target_transform") or {}).get("chosen")
    champion = metrics["champion"]
    return RefreshPlan(
        run_id=metrics["run_id"],
        run_dir=run_dir,
        version=version,
        config=manifest["config"],
        target_transform=chosen,
        members=members,
        bundle=bundle,
        entry=next(e for e in metrics["models"] if e["name"] == champion),
        policy=metrics.get("champion_policy") or "deep",
    )


@dataclass(frozen=True)
class RefreshDocuments:
    metrics: dict
    manifest: dict
    bundle: Bundle
    markdown: str
    html: str


def refresh_documents(
    plan: RefreshPlan,
    run_id: str,
    created: str,
    prepared_dirs: list[str],
    summary: dict,
    served: list[dict],
    versions: dict,
) -> RefreshDocuments:
    """Every document of a refresh run. ``summary``: the first prepared dataset's
    ``summary.json``; ``served``: the refitted members (``FitRef`` dumps), in the bundle's
    order."""
    old = plan.bundle
    weight = {(m.kind, m.label, m.seed): m.weight for m in old.members}
    by_step = {(m.kind, m.label, m.seed): m.by_step for m in old.members if m.by_step}
    members = served_members(served, weight, by_step)
    trained_on = served[0]["scaler"]["fitted_on"]
    source = {"run_id": plan.run_id, "version": plan.version, "trained_on": old.trained_on}
    bundle = old.model_copy(
        update={"members": members, "trained_on": trained_on, "refreshed_from": source}
    )
    seconds = sum(f["seconds"] for f in served)
    champion = old.candidate
    reason = (
        f"refresh of {champion} from run {plan.run_id}"
        + (f" (version {plan.version})" if plan.version else "")
        + f": its {len(members)} member(s) refitted on every window up to "
        f"{trained_on['target_end']} ({trained_on['windows']} windows) for their recorded "
        "epochs; no backtest, so the figures and the promise are that run's"
    )
    metrics = {
        "dataset": old.dataset,
        "run_id": run_id,
        "mode": "refresh",
        "refreshed_from": source,
        "seeds": sorted({m.seed for m in plan.members if m.seed is not None}),
        "models": [plan.entry],  # the champion's figures in the run refreshed
        "champion": champion,
        "champion_reason": reason,
        "champion_policy": plan.policy,
        "target_transform": {"chosen": plan.target_transform},
        "refit_seconds": seconds,
        "trained_on": trained_on,
    }
    manifest = {
        "run_id": run_id,
        "dataset": old.dataset,
        "created": created,
        "mode": "refresh",
        "refreshed_from": source,
        "config": plan.config,
        "spec": old.spec.model_dump(mode="json"),
        "data_fingerprint": summary["data_fingerprint"],
        "source": summary["source"],
        "prepared": prepared_dirs,
        "served_model_trained_on": trained_on,
        "versions": versions,
        "champion": champion,
        "champion_policy": plan.policy,
        "champion_members": [m.model_dump(mode="json") for m in members],
        "fits": [
            {k: f[k] for k in ("label", "kind", "seed", "fit", "epochs", "seconds", "timesteps")}
            for f in served
        ],
    }
    rows = [
        [m.label, "-" if m.seed is None else str(m.seed), f"{m.weight:.3f}",
         "-" if m.epochs is None else str(m.epochs), f"{f['seconds']:.1f}"]
        for m, f in zip(members, served, strict=True)
    ]  # fmt: skip
    head = ["member", "seed", "weight", "epochs", "refit seconds"]
    bt = plan.entry["backtest"]["mae"]
    title = f"{old.dataset}: refresh {run_id}"
    text = [
        reason + ".",
        f"Served from now: {champion}, trained on target times {trained_on['target_start']} .. "
        f"{trained_on['target_end']}. Live forecasts are held to run {plan.run_id}'s "
        f"backtest promise (mean MAE {figure(bt)}). Refit time: {seconds:.1f} s.",
    ]
    closing = (
        "A refresh does not compare candidates. When live quality stays degraded after it, "
        "train in full (mode full)."
    )
    markdown = "\n\n".join([f"# {title}", *text, _md_table(head, rows), closing]) + "\n"
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>"
        + "".join(f"<p>{html.escape(t)}</p>" for t in text)
        + _html_table(head, rows)
        + f"<p>{html.escape(closing)}</p></body></html>"
    )
    return RefreshDocuments(metrics, manifest, bundle, markdown, page)
