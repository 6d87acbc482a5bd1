"""LightGBM's text models evaluated in numpy, so that serving a stored boosting reference
imports neither LightGBM nor the scikit-learn it imports (about 1.5 s of a forecast's start).

The boosting references (``seqcast.models.references``) are trained by LightGBM and stored as
its own text models (``Booster.model_to_string``). A regression model in that format is a sum of
trees whose leaf values already carry the learning rate (and the first tree the mean LightGBM
boosts from). A numerical split sends a row left when its value is at most the threshold; a
missing value (NaN) goes the split's default way when the split learnt one (missing type NaN),
or is read as 0 otherwise; a zero goes the default way under missing type Zero (LightGBM's
``Tree::NumericalDecision``). A model with anything else (categorical splits, linear trees,
another objective) raises :class:`Unsupported`: the caller loads it with LightGBM instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a float): |x| at most this is 0
_MISSING_ZERO, _MISSING_NAN = 1, 2  # the missing type, bits 2-3 of a split's decision_type
_DEFAULT_LEFT = 2  # bit 1 of decision_type


class Unsupported(ValueError):
    """The text model holds something this module does not evaluate."""


@dataclass(frozen=True)
class Tree:
    feature: np.ndarray  # (splits,) int: the column each split reads
    threshold: np.ndarray  # (splits,) float64
    decision: np.ndarray  # (splits,) int: LightGBM's decision_type bits
    left: np.ndarray  # (splits,) int: a child >= 0 is a split, a child < 0 is leaf ~child
    right: np.ndarray  # (splits,) int
    leaf: np.ndarray  # (leaves,) float64: each leaf's output

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(samples,) this tree's output for each row of ``x`` (samples, features)."""
        if len(self.feature) == 0:  # a single leaf
            return np.full(len(x), self.leaf[0])
        node = np.zeros(len(x), dtype=np.int64)  # every row starts at the root split
        rows = np.arange(len(x))
        out = np.empty(len(x), dtype=np.float64)
        while len(rows):
            value = x[rows, self.feature[node]]
            kind = (self.decision[node] >> 2) & 3
            nan = np.isnan(value)
            value = np.where(nan & (kind != _MISSING_NAN), 0.0, value)
            missing = ((kind == _MISSING_ZERO) & (np.abs(value) <= ZERO)) | (
                (kind == _MISSING_NAN) & nan
            )
            default_left = (self.decision[node] & _DEFAULT_LEFT) != 0
            with np.errstate(invalid="ignore"):  # NaN <= t is False; those rows are missing
                go_left = np.where(missing, default_left, value <= self.threshold[node])
            node = np.where(go_left, self.left[node], self.right[node])
            done = node < 0
            out[rows[done]] = self.leaf[~node[done]]
            rows, node = rows[~done], node[~done]
        return out


@dataclass(frozen=True)
class TreeModel:
    """One LightGBM regression model: the sum of its trees."""

    trees: tuple[Tree, ...]
    features: int  # the columns it was trained on
    text: str  # the text model it was read from (what it is stored as again)

    @classmethod
    def parse(cls, text: str) -> TreeModel:
        """The model in LightGBM's text format; :class:`Unsupported` for anything else."""
        header, _, body = text.partition("\nTree=")
        fields = _fields(header)
        if fields.get("objective", "").split() != ["regression"]:  # identity output only
            raise Unsupported(f"objective {fields.get('objective')!r}")
        if fields.get("num_tree_per_iteration", "1") != "1" or "average_output" in header:
            raise Unsupported("several trees an iteration, or averaged trees")
        trees = []
        for block in ("Tree=" + body).split("\nTree=") if body else []:
            block = block.split("end of trees", 1)[0]
            trees.append(_tree(_fields(block)))
        return cls(tuple(trees), int(fields["max_feature_idx"]) + 1, text)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(samples,) the model's output for ``x`` (samples, features), in float64."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.features:
            raise ValueError(f"expected (samples, {self.features}) inputs, got {x.shape}")
        out = np.zeros(len(x), dtype=np.float64)
        for tree in self.trees:  # in LightGBM's order, as it sums them
            out += tree.predict(x)
        return out


def _fields(block: str) -> dict[str, str]:
    out = {}
    for line in block.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _tree(fields: dict[str, str]) -> Tree:
    if fields.get("num_cat", "0") != "0" or fields.get("is_linear", "0") != "0":
        raise Unsupported("categorical splits or linear trees")

    def ints(key: str) -> np.ndarray:
        return np.array(fields.get(key, "").split(), dtype=np.int64)

    leaf = np.array(fields["leaf_value"].split(), dtype=np.float64)
    if int(fields["num_leaves"]) == 1:
        empty = np.zeros(0, dtype=np.int64)
        return Tree(empty, np.zeros(0), empty, empty, empty, leaf)
    decision = ints("decision_type")
    if np.any(decision & 1):
        raise Unsupported("a categorical split")
    threshold = np.array(fields["threshold"].split(), dtype=np.float64)
    return Tree(ints("split_feature"), threshold, decision, ints("left_child"),
                ints("right_child"), leaf)  # fmt: skip
