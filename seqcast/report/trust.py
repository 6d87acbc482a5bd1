"""The report's opening summary, read in ten seconds: what was forecast and how far ahead, the
champion, how much better than the best reference it is on the backtest and on test, and
what should make a reader doubt it."""

from __future__ import annotations

from dataclasses import dataclass

from seqcast.numbers import figure
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


def _best_reference(board: list[dict], split: str) -> dict | None:
    refs = [e for e in board if e["kind"] == "reference" and e.get(split)]
    return min(refs, key=lambda e: e[split]["mae"]) if refs else None


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
        lines.append(f"Champion: {r.champion}{fallback}.")
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
        for split in ("backtest", "test"):
            ref = _best_reference(r.board, split)
            if ref is None or not champ.get(split):
                continue
            mine, theirs = champ[split]["mae"], ref[split]["mae"]
            lines.append(
                f"{where[split][0].upper()}{where[split][1:]}: MAE {figure(mine)}, "
                f"{margin(mine, theirs)} than the best reference there, {ref['name']} "
                f"({figure(theirs)})."
            )
        if champ.get("test"):
            beaten_by = [
                f"{e['name']} ({figure(e['test']['mae'])})"
                for e in r.board
                if e["kind"] == "reference" and e.get("test")
                if e["test"]["mae"] < champ["test"]["mae"]
            ]
            if beaten_by:
                warnings.append(
                    f"On test the champion (MAE {figure(champ['test']['mae'])}) loses to "
                    f"{', '.join(beaten_by)}."
                )
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
