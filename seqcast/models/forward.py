"""A stored deep variant's inference pass in numpy: what ``seqcast forecast`` runs instead of
Keras, so that serving never imports TensorFlow (about 3.5 s of a forecast's start).

It reads the ``.keras`` file Keras wrote (a zip of ``config.json`` and ``model.weights.h5``;
nothing is executed, as with Keras' ``safe_mode``) and computes the layers every variant of
:mod:`seqcast.models.deep` is built from: ``SimpleRNN``, ``LSTM``, ``GRU`` (Keras' default
``reset_after`` form), ``Dense``, ``Flatten``, ``Dropout`` (nothing at inference) and
``Concatenate``, in a ``Sequential`` or a Functional graph. Each layer's equations are Keras'
own, in float32 as Keras computes them; a test holds every registered variant's output to
Keras' own call (``tests/unit/models/test_forward.py``). A file holding anything else raises
:class:`Unsupported`, and the caller loads it with Keras instead.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


class Unsupported(ValueError):
    """The stored model has a layer or setting this module does not compute."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp overflows to inf below about -88: sigmoid 0, right
        return 1.0 / (1.0 + np.exp(-x))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0.0),
}

Layer = Callable[[list[np.ndarray]], np.ndarray]


def _activation(config: dict, key: str = "activation") -> Callable[[np.ndarray], np.ndarray]:
    name = config.get(key, "linear")
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise Unsupported(f"activation {name!r} of layer {config.get('name')!r}")
    return ACTIVATIONS[name]


def _needs(config: dict, weights: list[np.ndarray], count: int) -> None:
    if len(weights) < count:
        raise Unsupported(f"layer {config.get('name')!r} has {len(weights)} weight arrays")


def _dense(config: dict, weights: list[np.ndarray]) -> Layer:
    _needs(config, weights, 2 if config.get("use_bias", True) else 1)
    act = _activation(config)
    kernel = weights[0]
    bias = weights[1] if config.get("use_bias", True) else np.zeros(kernel.shape[1], kernel.dtype)

    def run(inputs: list[np.ndarray]) -> np.ndarray:
        return act(inputs[0] @ kernel + bias)  # (batch, ..., in) -> (batch, ..., units)

    return run


def _recurrent(kind: str, config: dict, weights: list[np.ndarray]) -> Layer:
    """One recurrent layer over (batch, timesteps, features): the last state (batch, units),
    or every state (batch, timesteps, units) with ``return_sequences``."""
    for flag in ("go_backwards", "stateful", "return_state"):
        if config.get(flag):
            raise Unsupported(f"{flag} in layer {config.get('name')!r}")
    if kind == "GRU" and not config.get("reset_after", True):
        raise Unsupported(f"GRU {config.get('name')!r} with reset_after=False")
    if not config.get("use_bias", True):
        raise Unsupported(f"layer {config.get('name')!r} without a bias")
    _needs(config, weights, 3)
    units = int(config["units"])
    act = _activation(config)
    rec = _activation(config, "recurrent_activation") if kind != "SimpleRNN" else act
    kernel, recurrent, bias = weights[0], weights[1], weights[2]
    sequences = bool(config.get("return_sequences"))

    def run(inputs: list[np.ndarray]) -> np.ndarray:
        x = inputs[0]  # (batch, timesteps, features)
        batch, timesteps = x.shape[0], x.shape[1]
        h = np.zeros((batch, units), dtype=np.float32)
        c = np.zeros((batch, units), dtype=np.float32)  # the LSTM's cell state
        # a GRU's bias is (2, 3 units): the input's, then the recurrent one's
        in_bias = bias[0] if kind == "GRU" else bias
        xw = x @ kernel + in_bias  # (batch, timesteps, units; 4 units LSTM; 3 units GRU)
        states = []
        for t in range(timesteps):
            if kind == "SimpleRNN":
                h = act(xw[:, t] + h @ recurrent)
            elif kind == "LSTM":  # gates i, f, c, o
                z = xw[:, t] + h @ recurrent  # (batch, 4 units)
                i = rec(z[:, :units])
                f = rec(z[:, units : 2 * units])
                c = f * c + i * act(z[:, 2 * units : 3 * units])
                h = rec(z[:, 3 * units :]) * act(c)
            else:  # GRU, reset after the recurrent product
                inner = h @ recurrent + bias[1]  # (batch, 3 units)
                step = xw[:, t]
                z = rec(step[:, :units] + inner[:, :units])
                r = rec(step[:, units : 2 * units] + inner[:, units : 2 * units])
                cand = act(step[:, 2 * units :] + r * inner[:, 2 * units :])
                h = z * h + (1.0 - z) * cand
            if sequences:
                states.append(h)
        return np.stack(states, axis=1) if sequences else h

    return run


def _layer(class_name: str, config: dict, weights: list[np.ndarray]) -> Layer:
    dtype = config.get("dtype")
    policy = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    if policy not in (None, "float32"):
        raise Unsupported(f"layer {config.get('name')!r} computes in {policy}")
    if class_name == "Dense":
        return _dense(config, weights)
    if class_name in ("SimpleRNN", "LSTM", "GRU"):
        return _recurrent(class_name, config, weights)
    if class_name == "Dropout":
        return lambda inputs: inputs[0]  # nothing at inference
    if class_name == "Flatten":
        if config.get("data_format", "channels_last") != "channels_last":
            raise Unsupported(f"Flatten {config.get('name')!r} with {config['data_format']}")
        return lambda inputs: inputs[0].reshape(len(inputs[0]), -1)  # (batch, product)
    if class_name == "Concatenate":
        axis = int(config.get("axis", -1))
        return lambda inputs: np.concatenate(inputs, axis=axis)
    raise Unsupported(f"layer {class_name} ({config.get('name')!r})")


def _weights(h5_file) -> dict[str, list[np.ndarray]]:
    """Every layer's weights by layer name, in Keras' order (``vars/0``, ``vars/1``, ...; a
    recurrent layer's are its cell's)."""
    out: dict[str, list[np.ndarray]] = {}
    for group in h5_file["layers"].values():
        name = group["vars"].attrs.get("name")
        if name is None:
            raise Unsupported("a layer's weights are not named")
        held = group["cell"]["vars"] if "cell" in group else group["vars"]
        out[str(name)] = [
            np.asarray(held[str(i)], dtype=np.float32) for i in range(len(held.keys()))
        ]
    return out


class Network:
    """A stored model's graph, run in numpy: call it as the Keras model is called, with one
    array or a list of arrays (one per input, in the model's input order)."""

    def __init__(self, inputs: list[str], outputs: str, nodes: list[tuple[str, Layer, list[str]]]):
        self.inputs = inputs
        self.output = outputs
        self.nodes = nodes  # (name, layer, the names it reads), in an order that computes

    def __call__(self, inputs, training: bool = False) -> np.ndarray:
        given = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
        if len(given) != len(self.inputs):
            raise ValueError(f"the model takes {len(self.inputs)} input(s), got {len(given)}")
        values = {
            n: np.asarray(v, dtype=np.float32) for n, v in zip(self.inputs, given, strict=True)
        }
        for name, layer, reads in self.nodes:
            values[name] = layer([values[r] for r in reads])
        return values[self.output]

    @classmethod
    def read(cls, path: Path) -> Network:
        """The model in a ``.keras`` file; :class:`Unsupported` if it holds what this module
        does not compute, or is laid out otherwise than Keras 3 lays out the variants'
        files (a part missing, a layer without its weights): Keras then loads it."""
        import h5py

        try:
            with zipfile.ZipFile(path) as archive:
                doc = json.loads(archive.read("config.json"))
                with archive.open("model.weights.h5") as raw, h5py.File(raw, "r") as h5:
                    weights = _weights(h5)
            kind, config = doc.get("class_name"), doc.get("config", {})
            if kind == "Sequential":
                return cls._sequential(config["layers"], weights)
            if kind == "Functional":
                return cls._functional(config, weights)
        except Unsupported:
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise Unsupported(f"{path} is not laid out as expected: {exc!r}") from exc
        raise Unsupported(f"model class {kind}")

    @classmethod
    def _sequential(cls, layers: Sequence[dict], weights: dict) -> Network:
        first, *rest = layers
        if first["class_name"] != "InputLayer":
            raise Unsupported("a Sequential model without an InputLayer")
        previous = first["config"]["name"]
        nodes = []
        for entry in rest:
            name = entry["config"]["name"]
            nodes.append(
                (name, _layer(entry["class_name"], entry["config"], weights.get(name, [])),
                 [previous])
            )  # fmt: skip
            previous = name
        return cls([first["config"]["name"]], previous, nodes)

    @classmethod
    def _functional(cls, config: dict, weights: dict) -> Network:
        if not isinstance(config["input_layers"], list):
            raise Unsupported("inputs given by name")
        inputs = [entry[0] for entry in config["input_layers"]]
        outputs = config["output_layers"]
        if isinstance(outputs[0], list):
            if len(outputs) != 1:
                raise Unsupported("a model with more than one output")
            outputs = outputs[0]
        nodes = []
        for entry in config["layers"]:
            if entry["class_name"] == "InputLayer":
                continue
            name = entry["config"]["name"]
            inbound = entry.get("inbound_nodes") or []
            if len(inbound) != 1:
                raise Unsupported(f"layer {name!r} called {len(inbound)} times")
            reads = [t["config"]["keras_history"][0] for t in _tensors(inbound[0]["args"])]
            layer = _layer(entry["class_name"], entry["config"], weights.get(name, []))
            nodes.append((name, layer, reads))
        return cls(inputs, outputs[0], nodes)  # Keras stores the layers in an order that computes


def _tensors(args) -> list[dict]:
    """The Keras tensors among a node's call arguments (a list for ``Concatenate``)."""
    out: list[dict] = []
    for arg in args:
        if isinstance(arg, list):
            out += _tensors(arg)
        elif isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
            out.append(arg)
    return out
