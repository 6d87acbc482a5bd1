"""LightGBM's text models evaluated in numpy (``seqcast.models.trees``): the same outputs as
LightGBM's own predict, missing values and zeros routed its way, without importing it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from seqcast.models.trees import Tree, TreeModel, Unsupported


def _booster(x, y, **params):
    import lightgbm as lgb

    base = {"objective": "regression", "verbosity": -1, "num_leaves": 15, "min_data_in_leaf": 5,
            "deterministic": True, "num_threads": 1, "seed": 3}  # fmt: skip
    return lgb.train({**base, **params}, lgb.Dataset(x, y), num_boost_round=30)


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_a_text_model_predicts_what_lightgbm_predicts(zero_as_missing):
    """Trained with missing values in every column (and zeros learnt as missing in the second
    case), scored on rows with NaNs, exact zeros and values past every threshold: the numpy
    sum of trees equals LightGBM's to float64 rounding."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 6))
    x[rng.random(x.shape) < 0.15] = np.nan
    x[rng.random(x.shape) < 0.1] = 0.0
    y = np.nan_to_num(x[:, 0]) * 2 + np.isnan(x[:, 1]) * 3 + (x[:, 2] == 0) + rng.normal(size=400)
    booster = _booster(x, y, zero_as_missing=zero_as_missing)
    new = rng.normal(size=(300, 6)) * 3
    new[rng.random(new.shape) < 0.2] = np.nan
    new[rng.random(new.shape) < 0.1] = 0.0
    model = TreeModel.parse(booster.model_to_string())
    np.testing.assert_allclose(model.predict(new), booster.predict(new), rtol=1e-12, atol=1e-12)
    assert model.text == booster.model_to_string()


def test_one_split_by_hand():
    """A stump on column 1 at 0.5 with NaN sent left: 1.0 -> right leaf, 0.2 and NaN -> left;
    the same split with missing type None reads NaN as 0 (left, 0 <= 0.5)."""
    stump = Tree(np.array([1]), np.array([0.5]), np.array([8 | 2]), np.array([-1]),
                 np.array([-2]), np.array([10.0, 20.0]))  # fmt: skip
    x = np.array([[9.0, 1.0], [9.0, 0.2], [9.0, np.nan]])
    assert stump.predict(x).tolist() == [20.0, 10.0, 10.0]
    none = Tree(np.array([1]), np.array([-0.5]), np.array([0]), np.array([-1]),
                np.array([-2]), np.array([10.0, 20.0]))  # fmt: skip
    assert none.predict(x).tolist() == [20.0, 20.0, 20.0]  # NaN -> 0 > -0.5: right


def test_what_numpy_does_not_evaluate_is_refused():
    """A categorical split, or an output LightGBM transforms (``regression sqrt`` squares
    it), is Unsupported: the caller loads the model with LightGBM."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 12, size=(400, 2)).astype(float)
    y = np.isin(x[:, 0], [2, 5, 7]) * 5.0 + rng.normal(size=400)
    import lightgbm as lgb

    booster = lgb.train(
        {"objective": "regression", "verbosity": -1, "min_data_in_leaf": 5, "num_threads": 1,
         "min_data_per_group": 5, "cat_smooth": 1},
        lgb.Dataset(x, y, categorical_feature=[0]),
        num_boost_round=5,
    )  # fmt: skip
    assert "num_cat=1" in booster.model_to_string()
    with pytest.raises(Unsupported):
        TreeModel.parse(booster.model_to_string())
    y = np.abs(y)
    squared = _booster(x, y, reg_sqrt=True)
    assert "objective=regression sqrt" in squared.model_to_string()
    with pytest.raises(Unsupported):
        TreeModel.parse(squared.model_to_string())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gradient-boosting", "lag-boosting"])
def test_a_stored_boosting_reference_is_served_without_lightgbm(name, tmp_path):
    """A boosting reference fitted and saved, then loaded in a fresh process: it predicts what
    the fitted model predicted, and neither lightgbm nor scikit-learn is imported."""
    from tests.unit.models.test_forecaster_contract import make, windows

    model = make(name)
    model.fit(windows(64, 0))
    np.save(tmp_path / "expected.npy", model.predict(windows(16, 2)))
    file = tmp_path / model.save(tmp_path)
    code = f"""
import sys
import numpy as np
from seqcast.models import catalog
from tests.unit.models.test_forecaster_contract import make, windows
model = catalog.load({name!r}, {str(file)!r}, make({name!r}).settings)
got = model.predict(windows(16, 2))
np.testing.assert_allclose(got, np.load({str(tmp_path / "expected.npy")!r}), rtol=1e-9)
assert "lightgbm" not in sys.modules and "sklearn" not in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
