"""The report's opening summary, read in ten seconds: what was forecast and how far ahead, the
champion, how much better than the best reference it is on the backtest and on test, and
what should make a reader doubt it."""

from __future__ import annotations

from dataclasses import dataclass

from seqcast.evaluation.leaderboard import (
    DEEP_SHARE_WARNING,
    champion_label,
    deep_share,
    members_text,
)
from seqcast.numbers import figure, row_numbers
from seqcast.report.figures import step_word
from seqcast.report.formats import time_text
from seqcast.report.inputs import ReportInput

FEW_TEST_WINDOWS = 50  # fewer test windows than this: the test figures are a small sample


@dataclass(frozen=True)
class TrustSummary:
    lines: list[str]  # what, how far ahead, the champion, its margins over the references
    warnings: list[str]  # each a reason to doubt the champion or its figures; [] for none


def ahead(steps: tuple[int, ...], frequency: str) -> str:
    """``(1, .., 24)``, hourly: '1 to 24 hours ahead (24 steps from each origin, hourly data)';
    ``(24,)``: '24 hours ahead (hourly data)'."""
    data = f"{frequency} data" if frequency else "steps of the data"
    if len(steps) == 1:
        return f"{step_word(steps[0], frequency)} ({data})"
    many = f"{len(steps)} steps from each origin"
    return f"{steps[0]} to {step_word(steps[-1], frequency)} ({many}, {data})"


def margin(champion_mae: float, reference_mae: float) -> str:
    """The champion's MAE against a reference's, in %: '20.0 % lower' or '5.0 % higher'."""
    if reference_mae == 0:
        return "equal" if champion_mae == 0 else "higher (the reference's MAE is 0)"
    change = 100 * (reference_mae - champion_mae) / reference_mae
    return f"{abs(change):.1f} % {'lower' if change >= 0 else 'higher'}"


def _best_reference(board: list[dict], split: str, other_than: str | None) -> dict | None:
    """The reference with the lowest MAE on ``split``, the champion itself left out (a
    reference champion is compared with the next best one, not with itself)."""
    refs = [e for e in board if e["kind"] == "reference" and e.get(split)]
    refs = [e for e in refs if e["name"] != other_than]
    return min(refs, key=lambda e: e[split]["mae"]) if refs else None


SHOWN_BEATERS = 3  # candidates named in the "loses on test" warning; the rest are counted


def trust_summary(r: ReportInput) -> TrustSummary:
    """The summary of a report's input; each margin names its split and its reference (the
    reference with the lowest MAE on that split)."""
    what = f"Forecast: {r.units} ({r.dataset}"
    what += f": {r.description})" if r.description else ")"
    lines = [
        f"{what}; errors are in its units.",
        f"How far ahead: {ahead(r.steps, r.frequency)}.",
    ]
    warnings = []
    champ = next((e for e in r.board if e["name"] == r.champion), None)
    if champ is None:
        lines.append("Champion: none promoted.")
    else:
        fallback = (
            " (promoted as the fallback: no deep model beat every reference)"
            if r.champion_policy == "fallback"
            else ""
        )
        lines.append(f"Champion: {champion_label(r.board, champ['name'])}{fallback}.")
        folds = len(champ["backtest"]["fold_mae"]) if champ["backtest"] else 0
        test = r.periods.get("test") or {}
        where = {
            "backtest": f"on the backtest (mean of {folds} fold{'s' if folds != 1 else ''})",
            "test": (
                f"on test ({time_text(test['target_start'], r.frequency)} to "
                f"{time_text(test['target_end'], r.frequency)})"
                if test
                else "on test"
            ),
        }
        itself = r.champion if champ["kind"] == "reference" else None
        for split in ("backtest", "test"):
            ref = _best_reference(r.board, split, itself)
            if ref is None or not champ.get(split):
                continue
            mine, theirs = champ[split]["mae"], ref[split]["mae"]
            best = "the best other reference" if itself else "the best reference"
            mine_text, theirs_text = row_numbers([mine, theirs])
            lines.append(
                f"{where[split][0].upper()}{where[split][1:]}: MAE {mine_text}, "
                f"{margin(mine, theirs)} than {best} there, {ref['name']} ({theirs_text})."
            )
        warnings += _champion_warnings(r.board, champ)
    collapsed = [
        f"{e['name']} ({e['collapsed']}, never chosen)" for e in r.board if e.get("collapsed")
    ]
    collapsed += [
        f"{e['name']} (seed {', '.join(str(a['seed']) for a in e['retried_after'])} collapsed "
        "and was refitted with a new seed)"
        for e in r.board
        if e.get("retried_after")
    ]
    if collapsed:
        warnings.append("Collapsed fits: " + "; ".join(collapsed) + ".")
    windows = len(r.test_truth)
    if windows < FEW_TEST_WINDOWS:
        warnings.append(
            f"Only {windows} test window{'s' if windows != 1 else ''} (fewer than "
            f"{FEW_TEST_WINDOWS}): the test figures are a small sample."
        )
    return TrustSummary(lines, warnings)


def _champion_warnings(board: list[dict], champ: dict) -> list[str]:
    """The reasons to doubt a champion that the board shows: another candidate (deep or a
    reference, never chosen on test) beats it on test; an ensemble champion that is mostly
    references; no deep model alone beating persistence on the backtest."""
    out = []
    name = champ["name"]
    if champ.get("test"):
        mine = champ["test"]["mae"]
        better = sorted(
            (e for e in board if e["name"] != name and e.get("test") and e["test"]["mae"] < mine),
            key=lambda e: e["test"]["mae"],
        )
        if better:
            told = better[:SHOWN_BEATERS]
            mine_text, *texts = row_numbers([mine, *(e["test"]["mae"] for e in told)])
            shown = ", ".join(f"{e['name']} ({t})" for e, t in zip(told, texts, strict=True))
            more = len(better) - SHOWN_BEATERS
            out.append(
                f"On test the champion (MAE {mine_text}) loses to {shown}"
                + (f" and {more} more" if more > 0 else "")
                + " (reported only: test never chooses)."
            )
    share = deep_share(board, name)
    if champ["kind"] == "ensemble" and share < DEEP_SHARE_WARNING:
        out.append(
            f"The champion is {100 * share:.0f} % deep: most of its forecast comes from "
            f"references ({members_text(board, name)})."
        )
    deep = [e for e in board if e["kind"] == "deep" and e.get("backtest")]
    persistence = next((e for e in board if e["name"] == "persistence" and e.get("backtest")), None)
    if deep and persistence and share > 0:
        top = min(deep, key=lambda e: e["backtest"]["mae"])
        if top["backtest"]["mae"] >= persistence["backtest"]["mae"]:
            out.append(
                "No deep model alone beats persistence on the backtest: the best, "
                f"{top['name']} (MAE {figure(top['backtest']['mae'])}), against "
                f"{figure(persistence['backtest']['mae'])}."
            )
    return out
