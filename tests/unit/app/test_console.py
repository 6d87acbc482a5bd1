"""The progress view on hand-made snapshots: finished steps printed once, in finishing order;
a prepare flow's stages on one line with their states; failures marked."""

from __future__ import annotations

import io

from rich.console import Console

from seqcast.app.console import ProgressView, Step


def _view() -> tuple[ProgressView, io.StringIO]:
    buf = io.StringIO()
    return ProgressView(Console(file=buf, width=200, color_system=None)), buf


def test_finished_steps_print_once_in_finishing_order():
    """A step polled twice after it finished appears once; running steps are not printed."""
    view, buf = _view()
    gru = Step("1", "train-gru", "Running", False, 3.0, 40.0, "epoch 4/10")
    rnn = Step("2", "train-rnn", "Completed", True, 5.0, 100.0, "10 epochs, best val loss 1")
    with view:
        view.update([gru, rnn])
        view.update([gru, rnn])
        view.update([Step("1", "train-gru", "Failed", True, 7.5), rnn])
    lines = buf.getvalue().splitlines()
    assert lines == [
        "  ✓ train-rnn                  Completed    5.0 s  10 epochs, best val loss 1",
        "  ✗ train-gru                  Failed       7.5 s",
    ]


def test_a_prepare_flow_is_one_line_listing_its_stages_by_state():
    """Stages are listed under their state; seconds only where a stage took 0.5 s or more."""
    view, buf = _view()
    stages = [
        Step("a", "fetch", "Completed", True, 0.01, group="p"),
        Step("b", "ingest", "Cached", True, 0.02, group="p"),
        Step("c", "validate", "Failed", True, 1.26, group="p"),
    ]
    with view:
        view.update(stages)  # the flow is still running: nothing printed yet
        assert buf.getvalue() == ""
        view.update([Step("p", "prepare", "Failed", True, 1.4, group="p", is_group=True), *stages])
    assert buf.getvalue().splitlines() == [
        "  ✗ prepare                    Failed       1.4 s  Completed: fetch; Cached: ingest; "
        "Failed: validate 1.3 s"
    ]


def test_a_group_waits_for_its_members_final_states():
    """The API may record a flow's end before its last task's: the group line waits for
    every member to be final, and at the end prints what is known."""
    view, buf = _view()
    flow = Step("p", "prepare", "Completed", True, 1.0, group="p", is_group=True)
    early = Step("a", "ingest", "Cached", True, 0.0, group="p")
    with view:
        view.update([flow, early, Step("b", "temporalize", "Running", False, 0.1, group="p")])
        assert buf.getvalue() == ""
        view.update([flow, early, Step("b", "temporalize", "Cached", True, 0.1, group="p")])
    assert "Cached: ingest, temporalize" in buf.getvalue()

    view, buf = _view()
    with view:
        view.update([flow, early, Step("b", "temporalize", "Running", False, 0.1, group="p")])
    assert "Cached: ingest; Running: temporalize" in buf.getvalue()  # the last known states


def test_a_step_finishing_right_after_a_group_is_printed_after_it():
    """A check that fails at once after the prepare flows: the group waits out its grace
    period, and the failed step waits for the group's line (finishing order), at the end too."""
    flow = Step("p", "prepare", "Completed", True, 0.5, group="p", is_group=True)
    stage = Step("a", "temporalize", "Completed", True, 0.1, group="p")
    check = Step("c", "check-sweep", "Failed", True, 0.0)
    view, buf = _view()
    with view:
        view.update([flow, stage, check])
        assert buf.getvalue() == ""  # both wait: the group for late records, the step for it
    assert [line.split()[1] for line in buf.getvalue().splitlines()] == ["prepare", "check-sweep"]


def _state_column(lines: list[str]) -> set[int]:
    return {min(line.index(s) for s in ("Completed", "Failed") if s in line) for line in lines}


def test_a_long_name_widens_the_name_column_for_every_line():
    """lstm-stacked-flatten-s42-fold-1 (31 characters) is listed while still pending: the
    line of gru finishing before it is already as wide, so the states line up."""
    view, buf = _view()
    long_name = "lstm-stacked-flatten-s42-fold-1"
    pending = Step("1", long_name, "Pending", False, 0.0)
    gru = Step("2", "gru-s42-fold-1", "Completed", True, 5.0)
    with view:
        view.update([pending, gru])
        view.update([Step("1", long_name, "Completed", True, 9.0), gru])
    lines = buf.getvalue().splitlines()
    assert lines == [
        "  ✓ gru-s42-fold-1                  Completed    5.0 s",
        "  ✓ lstm-stacked-flatten-s42-fold-1 Completed    9.0 s",
    ]


def test_names_a_command_expects_size_the_column_from_the_first_line():
    """The prepare line printed before any fit is listed is as wide as the longest fit name."""
    buf = io.StringIO()
    view = ProgressView(
        Console(file=buf, width=200, color_system=None), ["lstm-stacked-flatten-s42-pretest"]
    )
    with view:
        view.update([Step("p", "prepare", "Completed", True, 1.0, group="p", is_group=True)])
        view.update([Step("1", "lstm-stacked-flatten-s42-pretest", "Failed", True, 2.0)])
    assert len(_state_column(buf.getvalue().splitlines())) == 1


def test_a_train_command_expects_every_fit_name():
    """Every variant, seed and fit of the config, and the references per fit."""
    from seqcast.app.cli import _fit_names
    from seqcast.config import TrainConfig

    cfg = TrainConfig(
        dataset="weekly-temperature",
        variants=("lstm-stacked-flatten",),
        selection={"folds": 1, "seeds": 1},
    )
    assert _fit_names(cfg) == [
        "lstm-stacked-flatten-s42-fold-1",
        "lstm-stacked-flatten-s42-pretest",
        "lstm-stacked-flatten-s42-all",
        "references-t4-fold-1",
        "references-t4-pretest",
        "references-t4-all",
    ]


def test_off_a_terminal_a_quiet_minute_prints_what_is_still_running(monkeypatch):
    """Written to a file (no live rows), a minute with no finished step prints one line with
    the running steps and their epochs, the steps done and the minutes gone; not before the
    minute, and the next such line another quiet minute later."""
    import seqcast.app.console as console

    clock = [1000.0]
    monkeypatch.setattr(console.time, "monotonic", lambda: clock[0])
    view, buf = _view()
    gru = Step("1", "gru-s42-fold-1", "Running", False, 50.0, 34.0, "34/100 epochs")
    refs = Step("2", "references-t24-fold-1", "Running", False, 50.0)
    done = Step("3", "lstm-s42-fold-1", "Completed", True, 20.0)
    with view:
        clock[0] += 59
        view.update([gru, refs, done])  # prints lstm's line: the quiet minute starts again
        clock[0] += 59
        view.update([gru, refs, done])
        assert len(buf.getvalue().splitlines()) == 1
        clock[0] += 2
        view.update([gru, refs, done])
        clock[0] += 30
        view.update([gru, refs, done])
    lines = buf.getvalue().splitlines()
    assert lines[1:] == [
        "  … 2 min in, 1 step(s) done; running: gru-s42-fold-1 (34/100 epochs), "
        "references-t24-fold-1"
    ]


def test_the_closing_lines_say_what_the_champion_is_made_of_and_every_warning(tmp_path):
    """The run's closing lines read its metrics: the champion's label with its deep share,
    the best other reference, and every warning the report carries."""
    import json

    from seqcast.report.summaries import run_summary

    entry = {"backtest": {"mae": 1.479}, "val": {"mae": 1.479}, "test": {"mae": 1.57}}
    metrics = {
        "champion": "ensemble",
        "champion_label": "ensemble (11 % deep: multi-input 0.11; theta 0.89)",
        "champion_policy": "deep",
        "models": [
            {"name": "ensemble", "kind": "ensemble", **entry},
            {"name": "theta", "kind": "reference", **entry},
        ],
        "warnings": ["The champion is 11 % deep.", "Only 24 test windows (fewer than 50)."],
    }
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    lines = run_summary(str(tmp_path))
    assert lines[0].startswith("champion: ensemble (11 % deep: multi-input 0.11; theta 0.89)")
    # the line's three figures at one precision: 1.570, not 1.57 beside 1.479
    assert lines[0].endswith("backtest MAE 1.479, val 1.479, test 1.570")
    assert "warning: The champion is 11 % deep." in lines
    assert "warning: Only 24 test windows (fewer than 50)." in lines


def test_a_run_listed_before_its_first_state_reads_as_pending():
    """The API can list a task run before its first state is recorded (on a busy machine):
    its state reads "Pending", which ``task_states`` waits on, instead of crashing."""
    from types import SimpleNamespace

    from seqcast.app.runs import UNSETTLED, state_name

    assert state_name(SimpleNamespace(state=None)) == "Pending" and "Pending" in UNSETTLED
    assert state_name(SimpleNamespace(state=SimpleNamespace(name="Cached"))) == "Cached"
