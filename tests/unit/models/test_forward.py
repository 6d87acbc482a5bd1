"""The numpy inference pass of stored deep variants (``seqcast.models.forward``): the same
outputs as Keras' own call for every registered variant, a fallback to Keras for what it does
not compute, and a forecast process that never imports TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seqcast.config.model_settings import VariantConfig
from seqcast.models.deep import REGISTRY, build, fed_features, model_inputs
from seqcast.models.forward import Network, Unsupported

CFG = VariantConfig(units=5, layers=2, dense_units=4, dropout=0.3, learning_rate=0.01)
TIMESTEPS, FEATURES, COVARIATES, STEPS = 6, 3, 2, 4


def _inputs(name: str, n: int = 9):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, TIMESTEPS, FEATURES)).astype(np.float32)
    cov = rng.normal(size=(n, STEPS, COVARIATES)).astype(np.float32)
    return model_inputs(name, x, cov)


def _stored(name: str, folder: Path, seed: int = 3):
    """A built variant with every weight (biases too) drawn at random, saved by Keras."""
    cov = STEPS * COVARIATES
    model = build(name, CFG, TIMESTEPS, fed_features(name, FEATURES, COVARIATES), cov, seed=seed,
                  outputs=STEPS)  # fmt: skip
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=0.5, size=w.shape) for w in model.get_weights()])
    path = folder / f"{name}.keras"
    model.save(str(path))
    return model, path


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_variant_predicts_as_keras_does(name, tmp_path):
    """Stacked layers, Flatten, Dropout (nothing at inference), the Functional multi-input
    graph: the numpy pass matches Keras' call to float32 rounding."""
    model, path = _stored(name, tmp_path)
    fed = _inputs(name)
    keras_out = np.asarray(model(fed, training=False))  # (samples, steps)
    ours = Network.read(path)(fed)
    assert ours.shape == keras_out.shape == (9, STEPS)
    np.testing.assert_allclose(ours, keras_out, rtol=1e-5, atol=1e-5)


def test_a_file_laid_out_otherwise_is_refused_not_crashed_on(tmp_path):
    """A ``.keras`` file without its weights (or with weights that do not fit its layers) is
    ``Unsupported``: the forecaster then hands it to Keras, which says what is wrong."""
    import zipfile

    _, path = _stored("gru", tmp_path)
    bare = tmp_path / "bare.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bare, "w") as dst:
        dst.writestr("config.json", src.read("config.json"))
    with pytest.raises(Unsupported, match="not laid out as expected"):
        Network.read(bare)


def test_saturated_gates_raise_no_warning(tmp_path):
    """Inputs far below zero drive the sigmoid gates to exp overflow; the value (0) is right
    and no RuntimeWarning reaches a forecast's console."""
    import warnings

    _, path = _stored("lstm", tmp_path)
    net = Network.read(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = net(np.full((2, TIMESTEPS, FEATURES + COVARIATES), -1e4, np.float32))
    assert np.isfinite(out).all()


def test_the_inputs_count_must_match_the_models(tmp_path):
    _, path = _stored("multi-input", tmp_path)
    with pytest.raises(ValueError, match="takes 2 input"):
        Network.read(path)(np.zeros((1, TIMESTEPS, FEATURES), np.float32))


def test_a_layer_it_does_not_compute_is_refused_and_the_forecaster_loads_it_with_keras(tmp_path):
    import keras

    from seqcast.models import catalog
    from seqcast.models.forecaster import Settings

    model = keras.Sequential(
        [
            keras.Input(shape=(TIMESTEPS, FEATURES)),
            keras.layers.Bidirectional(keras.layers.GRU(3)),
            keras.layers.Dense(STEPS),
        ]
    )
    path = tmp_path / "bi.keras"
    model.save(str(path))
    with pytest.raises(Unsupported, match="Bidirectional"):
        Network.read(path)
    loaded = catalog.load("gru", path, Settings())
    assert isinstance(loaded.model, keras.Model)  # Keras runs what numpy does not


def test_a_served_deep_member_predicts_without_tensorflow(tmp_path):
    """A fresh process loads a stored variant through the catalog and predicts with it, and
    TensorFlow (and Keras) never load: a forecast does not pay their start-up."""
    model, path = _stored("gru", tmp_path)
    fed = _inputs("gru")
    np.save(tmp_path / "fed.npy", fed)
    np.save(tmp_path / "want.npy", np.asarray(model(fed, training=False)))
    script = f"""
import sys, numpy as np
from seqcast.models import catalog
from seqcast.models.forecaster import Settings
m = catalog.load("gru", __import__("pathlib").Path({str(path)!r}), Settings())
got = m.model(np.load({str(tmp_path / "fed.npy")!r}))
np.testing.assert_allclose(got, np.load({str(tmp_path / "want.npy")!r}), rtol=1e-5, atol=1e-5)
print(sorted(k for k in ("tensorflow", "keras") if k in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
