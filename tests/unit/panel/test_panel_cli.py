"""init-spec drafts a panel spec from a long file; train refuses single-series options."""

from __future__ import annotations

import pandas as pd
import pytest

from seqcast.app.cli import main
from seqcast.panel.draft import find_layout
from seqcast.panel.spec import load_panel_spec
from seqcast.panel.synthetic import panel_frame
from tests.conftest import ROOT

SAMPLE = ROOT / "data" / "raw" / "panel_monthly_sample.csv"


def test_a_long_file_is_recognised_and_a_wide_one_is_not():
    long = panel_frame(4, 20, 4, frequency="MS")
    assert find_layout(long.astype(str)) == ("series", "time", "datetime")
    steps = panel_frame(4, 20, 4)
    assert find_layout(steps.astype(str)) == ("series", "time", "step")
    wide = pd.DataFrame({"time": range(30), "a": range(30), "b": range(30)}).astype(str)
    assert find_layout(wide) is None


def test_init_spec_drafts_a_panel_spec_that_loads(tmp_path, capsys):
    target = tmp_path / "p.toml"
    assert main(["init-spec", "--source", str(SAMPLE), "--spec", str(target)]) == 0
    spec = load_panel_spec(target)
    assert (spec.series, spec.time.column, spec.time.kind) == ("series", "time", "datetime")
    assert (spec.time.frequency, spec.period, spec.horizon) == ("monthly", 12, 12)
    assert "long format: series column 'series' (12 series)" in capsys.readouterr().out


def test_train_refuses_options_a_panel_run_does_not_read(capsys):
    code = main(["train", "--dataset", "panel-sample", "--timesteps", "12", "--units", "8"])
    assert code == 2
    err = capsys.readouterr().err
    assert "panel-sample is a many-series dataset" in err
    assert "--timesteps" in err and "--units" in err


def test_an_unknown_panel_variant_is_a_clear_error(capsys):
    assert main(["train", "--dataset", "panel-sample", "--variants", "gru,transformer"]) == 2
    assert "variants" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["panel-sample", "tourism-monthly", "tourism-quarterly"])
def test_the_builtin_panel_specs_load(name):
    from seqcast.panel.config import BUILTIN_DIR

    assert load_panel_spec(BUILTIN_DIR / f"{name}.toml").name == name
