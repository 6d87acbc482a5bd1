"""``seqcast run-stage <fit name>``: one fit of a train run refitted alone, by the name its
console printed, reproducing the stored figures exactly (same seed), its learning curve
written beside it; ``seqcast run-stage ranking``: the ranking again from the stored fits;
a misspelt name lists the valid ones."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqcast.app.cli import main
from tests.conftest import CHEAP_REFERENCES_OPTION, best_deep, tiny_in_process

pytestmark = pytest.mark.usefixtures("prefect_server")

OPTIONS = ["--dataset", "weekly-temperature", "--variants", "rnn", "--units", "4",
           "--layers", "1", "--dense-units", "4", "--learning-rate", "0.01",
           "--max-epochs", "3", "--patience", "1",
           "--seed", "1", "--folds", "1", "--seeds", "1", "--shortlist", "0",
           "--ensemble-size", "0", "--task-runner", "thread", "--workers", "1",
           *CHEAP_REFERENCES_OPTION]  # fmt: skip


@pytest.mark.slow
@pytest.mark.xdist_group("weekly-run")  # one worker trains the shared run
def test_one_fit_is_refitted_alone_and_reproduces_its_stored_figures(weekly_run, monkeypatch):
    """The run's settings on the command line name its fits: each is refitted alone with
    the same figures as in the run; the ranking again gives its leaderboard."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr("seqcast.evaluation.selection.choose_champion", best_deep)
    out, run = weekly_run
    stored = pd.read_parquet(run / "predictions.parquet")
    argv = ["run-stage", "--out", str(out), *OPTIONS]

    assert main([*argv[:1], "rnn-s1-fold-1", *argv[1:]]) == 0
    folder = out / "weekly-temperature" / "reruns" / "rnn-s1-fold-1"
    (fit,) = json.loads((folder / "fit.json").read_text())
    # the run it repeats, and its MAE beside the run's own (the same fit: the same figure)
    assert fit["train_run"] == run.name and fit["scored_on"] == "fold-1"
    assert fit["mae"] == pytest.approx(fit["run_mae"], rel=1e-6)
    mine = stored[(stored["model"] == "rnn") & (stored["fit"] == "fold-1")]
    assert np.asarray(fit["predictions"]).reshape(-1) == pytest.approx(
        mine["predicted"].to_numpy(), rel=1e-6
    )
    assert (folder / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"

    # the refit before the test period, for the epochs its fold stopped at
    assert main([*argv[:1], "rnn-s1-pretest", *argv[1:]]) == 0
    (refit,) = json.loads((out / "weekly-temperature" / "reruns" / "rnn-s1-pretest" /
                           "fit.json").read_text())  # fmt: skip
    test = stored[(stored["model"] == "rnn") & (stored["fit"] == "test")]
    assert np.asarray(refit["predictions"]).reshape(-1) == pytest.approx(
        test["predicted"].to_numpy(), rel=1e-6
    )
    assert refit["epochs"] == fit["best_epoch"]

    # the ranking again from the stored fits: the run's leaderboard and champion, nothing
    # published (still one run)
    assert main([*argv[:1], "ranking", *argv[1:]]) == 0
    folder = out / "weekly-temperature" / "reruns" / "ranking"
    ranking = json.loads((folder / "ranking.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    assert ranking["champion"] == metrics["champion"]
    assert [(e["name"], e["backtest"]["mae"]) for e in ranking["board"]] == [
        (e["name"], e["backtest"]["mae"]) for e in metrics["models"]
    ]
    assert f"Champion: **{metrics['champion']}**" in (folder / "ranking.md").read_text()
    assert len(list(run.parent.iterdir())) == 1

    # the rerun flow (the UI's rerun deployment) takes the same names
    from flows.run_stage import rerun

    cfg = tiny_in_process("weekly-temperature", out)
    assert rerun("ranking", cfg) == str(folder)
    assert Path(rerun("clean", cfg)).parent.name == "clean"


@pytest.mark.slow
@pytest.mark.xdist_group("weekly-run")  # one worker trains the shared run
def test_a_rerun_with_other_settings_than_any_train_run_is_refused(weekly_run, capfd):
    """Without the run's --max-epochs 3 the rerun would train another fit (300 epochs) and
    compare it with nothing: refused, naming the setting and the run; with no train run at
    all under the output root, said so."""
    out, run = weekly_run
    other = [o for o in OPTIONS if o not in ("--max-epochs", "3")]
    assert main(["run-stage", "rnn-s1-fold-1", "--out", str(out), *other]) == 2
    err = capfd.readouterr().err
    assert f"the newest train run, {run.name}, differs in:" in err
    assert "training.max_epochs: 300 here, 3 in the run" in err
    assert not (out / "weekly-temperature" / "reruns" / "rnn-s1-fold-1-100").exists()


def test_a_misspelt_fit_name_lists_the_valid_ones(tmp_path, capsys):
    argv = ["run-stage", "rnn-s1-fold1", "--out", str(tmp_path), *OPTIONS]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no fit named 'rnn-s1-fold1'" in err and "did you mean rnn-s1-fold-1" in err
    assert "references-t8-pretest" in err or "references-t" in err
    assert "(and ranking, or a prepare stage)" in err


def test_the_rerun_flow_refuses_a_misspelt_name_with_the_valid_ones(tmp_path):
    from flows.run_stage import rerun
    from seqcast.errors import ConfigError

    with pytest.raises(ConfigError, match=r"did you mean rnn-s1-fold-1.*\(and ranking, or"):
        rerun("rnn-s1-fold1", tiny_in_process("weekly-temperature", tmp_path))
