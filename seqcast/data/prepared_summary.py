"""``summary.json`` of a prepared dataset: what every stage reported, in one document.

Written beside the windows by the last stage (``temporalize``); a training run's documents
and its registered model read it back.
"""

from __future__ import annotations

from seqcast.config import PrepareConfig
from seqcast.data.stage_keys import StageRef
from seqcast.io.paths import Layout


def prepared_summary(ref: StageRef, cfg: PrepareConfig) -> dict:
    """The summary of the prepared dataset ``ref`` (the ``temporalize`` stage's ref, whose
    meta holds every stage's report and key)."""
    m = ref.meta
    return {
        "dataset": cfg.dataset_name,
        "source": ref.source,
        "data_fingerprint": {"sha256": m["source"]["sha256"]},
        "key": ref.key,
        "config": cfg.model_dump(mode="json"),
        "spec": cfg.spec.model_dump(mode="json"),
        "rows": {
            "in": m["ingest"]["rows"],
            "after_clean": m["clean"]["rows_out"],
            "supervised": m["target"]["rows_out"],
            "windows": {s: shape[0] for s, shape in m["temporalize"]["shapes"].items()},
        },
        "extra_columns_ignored": m["ingest"]["extra_columns_ignored"],
        "renamed_columns": m["ingest"]["renamed"],
        "encoding": m["ingest"]["encoding"],
        "rows_reordered": m["clean"]["rows_reordered"],
        "timestamps_inserted": m["clean"]["timestamps_inserted"],
        "filled_cells": m["clean"]["filled_cells"],
        "filled_cells_by_column": m["clean"]["filled_cells_by_column"],
        "windows_removed_for_gaps": m["temporalize"]["windows_removed_for_gaps"],
        "split_periods": m["split"]["periods"],
        "scaler_fitted_on": m["scale"]["fitted_on"],
        "shapes": m["temporalize"]["shapes"],
        "feature_names": cfg.spec.feature_names,
        "covariate_names": cfg.spec.covariate_names,
        "timesteps": cfg.resolved_timesteps,
        "horizon": cfg.resolved_horizon,
        "steps": cfg.resolved_steps,
        "stage_keys": m["keys"],
        "stage_dirs": {
            stage: str(Layout.of(cfg.out, cfg.dataset_name).stage_dir(stage, key))
            for stage, key in m["keys"].items()
        },
    }
