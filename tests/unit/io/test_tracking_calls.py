"""What a training run and a champion's version are tagged with, and the MLflow client calls
that record a run (against a stand-in client that keeps what it is given)."""

from __future__ import annotations

from types import SimpleNamespace

from seqcast.io.tracking import (
    BATCH,
    TrackedRun,
    champion_version,
    experiment_id,
    log_run_figures,
    run_tags,
    run_url,
    version_tags,
)

RUN = {
    "run_id": "20260101T000000-ab",
    "dataset": "weekly-temperature",
    "champion": "gru",
    "champion_reason": "gru beats every reference",
    "champion_policy": "deep",
    "data_sha256": "abc",
    "champion_backtest_mae": 1.25,
    "champion_val_mae": 1.5,
    "champion_test_mae": None,
}


class Client:
    """Keeps every call; the experiment ``known`` exists, any other is created as ``new``."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def get_experiment_by_name(self, name):
        return SimpleNamespace(experiment_id="7") if name == "known" else None

    def create_experiment(self, name, artifact_location=None):
        self.calls.append(("create_experiment", name, artifact_location))
        return "new"

    def log_batch(self, run_id, metrics=(), params=()):
        self.calls.append(("log_batch", run_id, len(metrics), len(params)))

    def create_run(self, experiment, run_name, tags):
        self.calls.append(("create_run", experiment, run_name, tags))
        return SimpleNamespace(info=SimpleNamespace(run_id=f"child-{run_name}"))

    def set_terminated(self, run_id):
        self.calls.append(("set_terminated", run_id))

    def get_model_version_by_alias(self, name, alias):
        from mlflow.exceptions import MlflowException

        if name != "seqcast-served":
            raise MlflowException(f"no alias {alias} on {name}")
        return SimpleNamespace(version="3")


def test_a_run_is_tagged_with_its_run_data_code_and_flow_run():
    tags = run_tags(RUN, {"seqcast": "1.2.0", "git_commit": "deadbee"}, None)
    assert tags == {
        "seqcast.run_id": "20260101T000000-ab",
        "seqcast.dataset": "weekly-temperature",
        "seqcast.champion": "gru",
        "seqcast.champion_policy": "deep",
        "seqcast.data_sha256": "abc",
        "seqcast.code_version": "1.2.0",
        "seqcast.git_commit": "deadbee",
        "prefect.flow_run_id": "",
    }
    assert run_tags({**RUN, "champion": None}, {}, "f-1")["seqcast.champion"] == ""
    assert run_tags(RUN, {}, "f-1")["prefect.flow_run_id"] == "f-1"


def test_a_version_is_tagged_with_what_the_promotion_rule_compares():
    local = TrackedRun(tracking_uri="sqlite:///m.db", experiment_id="1", run_id="r9", url=None)
    tags = version_tags(RUN, {"target_start": "2010-01-08", "target_end": "2014-12-26"}, local)
    assert tags == {
        "seqcast.run_id": "20260101T000000-ab",
        "seqcast.candidate": "gru",
        "seqcast.champion_policy": "deep",
        "seqcast.champion_reason": "gru beats every reference",
        "data_sha256": "abc",
        "backtest_mae": "1.25",
        "val_mae": "1.5",
        "test_mae": "None",
        "trained_from": "2010-01-08",
        "trained_to": "2014-12-26",
        "mlflow_run_id": "r9",
    }
    fallback = {**RUN, "champion": "ridge", "champion_policy": "fallback"}
    assert version_tags(fallback, {}, local)["seqcast.champion_policy"] == "fallback"
    served = local.model_copy(update={"url": "http://m/#/experiments/1/runs/r9"})
    assert version_tags(RUN, {}, served)["run_url"] == "http://m/#/experiments/1/runs/r9"
    assert version_tags(RUN, {}, served)["trained_from"] == ""


def test_only_a_server_gives_a_run_page():
    assert run_url("http://mlflow:5000/", "1", "r9") == "http://mlflow:5000/#/experiments/1/runs/r9"
    assert run_url("sqlite:///tmp/mlflow.db", "1", "r9") is None


def test_an_experiment_is_found_or_created_with_local_artifacts_for_sqlite(tmp_path):
    client = Client()
    assert experiment_id(client, "known", tmp_path, "sqlite:///x.db") == "7"
    assert experiment_id(client, "seqcast-a", tmp_path, "sqlite:///x.db") == "new"
    assert experiment_id(client, "seqcast-b", tmp_path, "http://mlflow:5000") == "new"
    location = (tmp_path.resolve() / "mlartifacts").as_uri() + "/seqcast-a"
    assert client.calls == [
        ("create_experiment", "seqcast-a", location),
        ("create_experiment", "seqcast-b", None),
    ]


def test_figures_are_logged_in_batches_and_each_history_in_a_finished_nested_run():
    client = Client()
    figures = {f"m{i}": float(i) for i in range(BATCH + 1)}  # one more than a batch holds
    histories = [("gru-s42-fold-1", {"loss": [3.0, 2.0], "val_loss": [4.0, 3.5]})]
    log_run_figures(client, "7", "parent", {"seed": "42"}, figures, histories)
    assert client.calls == [
        ("log_batch", "parent", 0, 1),
        ("log_batch", "parent", BATCH, 0),
        ("log_batch", "parent", 1, 0),
        (
            "create_run",
            "7",
            "gru-s42-fold-1",
            {"mlflow.parentRunId": "parent", "seqcast.fit": "gru-s42-fold-1"},
        ),
        ("log_batch", "child-gru-s42-fold-1", 4, 0),  # two metrics, two epochs each
        ("set_terminated", "child-gru-s42-fold-1"),
    ]


def test_no_champion_alias_is_none():
    assert champion_version(Client(), "seqcast-served").version == "3"
    assert champion_version(Client(), "seqcast-other") is None
