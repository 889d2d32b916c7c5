"""Small learned decisions: logistic models over named features.

Used where rules do not carry across issuers (is this item a task; is its lead
right; its deadline), trained by ``congvan train`` on the development part of
corpus/ only, shipped as JSON in ``pipeline/resources/models/`` (weights and
feature names; no pickles, nothing downloaded). Inference is a dot product.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from pipeline.folding import fold
from pipeline.resources import load

Features = dict[str, float]


@cache
def _cue_patterns() -> dict[str, re.Pattern[str]]:
    data = load("task_features.yaml")["cues"]
    return {
        name: re.compile(r"(?<!\w)(?:" + "|".join(re.escape(fold(w)) for w in sorted(words, key=len, reverse=True)) + r")(?!\w)")
        for name, words in data.items()
    }


@cache
def _attribute_labels() -> re.Pattern[str]:
    labels = sorted((fold(x) for x in load("task_features.yaml")["attribute_labels"]), key=len, reverse=True)
    return re.compile(r"^\s*[*_]*(?:" + "|".join(map(re.escape, labels)) + r")[*_]*\s*:")


def is_attribute_label(fold_text: str) -> bool:
    """'Cơ quan chủ trì: …', 'Thời gian thực hiện: …' — a labelled field of its item."""
    return bool(_attribute_labels().match(fold_text))


def _bucket(x: float, edges: tuple[float, ...]) -> str:
    for e in edges:
        if x < e:
            return f"<{e:g}"
    return f">={edges[-1]:g}"


def text_features(fold_text: str, prefix: str = "") -> Features:
    """Cue-word counts (capped), length, shape of an item's folded text."""
    f: Features = {}
    words = fold_text.split()
    n = len(words)
    f[f"{prefix}len{_bucket(n, (6, 12, 25, 50, 100))}"] = 1.0
    for name, rx in _cue_patterns().items():
        k = len(rx.findall(fold_text))
        if k:
            f[f"{prefix}cue:{name}"] = min(k, 3) / 3
        first = rx.match(fold_text.lstrip(" -+*_•"))
        if first:
            f[f"{prefix}opens:{name}"] = 1.0
    if words:
        f[f"{prefix}w1:{words[0].strip('.,:;*_()')}"] = 1.0
    if n > 1:
        f[f"{prefix}w2:{words[0].strip('.,:;*_()')} {words[1].strip('.,:;*_()')}"] = 1.0
    if fold_text.rstrip(" *_").endswith(":"):
        f[f"{prefix}ends_colon"] = 1.0
    if "“" in fold_text or '"' in fold_text:
        f[f"{prefix}quote"] = 1.0
    if re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b|ngày \d{1,2} tháng", fold_text):
        f[f"{prefix}date"] = 1.0
    if is_attribute_label(fold_text):
        f[f"{prefix}attribute_label"] = 1.0
    if re.match(r"^\s*[^:]{1,40}:\s", fold_text):
        f[f"{prefix}label"] = 1.0
    return f


def _sigmoid(z: float) -> float:
    if z < -30:
        return 0.0
    if z > 30:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))


@dataclass
class LinearModel:
    """A logistic model: P(yes) = sigmoid(bias + Σ w[f]·x[f]); then Platt-free:
    the training is regularised and the probabilities are checked for
    calibration on the test part (``congvan eval`` reliability table)."""

    name: str
    weights: dict[str, float]
    bias: float
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    def proba(self, x: Features) -> float:
        z = self.bias
        w = self.weights
        for k, v in x.items():
            z += w.get(k, 0.0) * v
        return _sigmoid(z)

    def to_json(self) -> str:
        return json.dumps(
            {"name": self.name, "bias": self.bias, "threshold": self.threshold, "meta": self.meta,
             "weights": dict(sorted(self.weights.items()))},
            ensure_ascii=False, indent=0,
        )

    @classmethod
    def from_json(cls, s: str) -> LinearModel:
        d = json.loads(s)
        return cls(d["name"], d["weights"], d["bias"], d.get("threshold", 0.5), d.get("meta", {}))


@cache
def shipped_model(name: str) -> LinearModel | None:
    """The model trained by ``congvan train`` and shipped with the package, or None."""
    try:
        ref = resources.files("pipeline.resources").joinpath("models", f"{name}.json")
        if not ref.is_file():
            return None
        return LinearModel.from_json(ref.read_text(encoding="utf-8"))
    except (FileNotFoundError, ModuleNotFoundError, ValueError):
        return None


def train_logistic(
    rows: list[Features], labels: list[int], *, name: str, l2: float = 1.0, min_count: int = 3, iters: int = 300, seed: int = 0
) -> LinearModel:
    """L2-regularised logistic regression by Newton's method (numpy only).

    Features seen in fewer than ``min_count`` rows are dropped (rare words
    would fit single documents). Deterministic: no random draw is involved.
    """
    import numpy as np

    counts: dict[str, int] = {}
    for r in rows:
        for k in r:
            counts[k] = counts.get(k, 0) + 1
    names = sorted(k for k, c in counts.items() if c >= min_count)
    index = {k: i for i, k in enumerate(names)}
    X = np.zeros((len(rows), len(names) + 1))
    X[:, -1] = 1.0
    for i, r in enumerate(rows):
        for k, v in r.items():
            j = index.get(k)
            if j is not None:
                X[i, j] = v
    y = np.asarray(labels, dtype=float)
    w = np.zeros(X.shape[1])
    reg = np.full(X.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        z = np.clip(X @ w, -30, 30)
        p = 1 / (1 + np.exp(-z))
        g = X.T @ (p - y) + reg * w
        h = (X * (p * (1 - p))[:, None]).T @ X + np.diag(reg + 1e-9)
        step = np.linalg.solve(h, g)
        w -= step
        if float(np.max(np.abs(step))) < 1e-7:
            break
    weights = {k: round(float(w[i]), 6) for k, i in index.items() if abs(w[i]) > 1e-6}
    return LinearModel(name, weights, round(float(w[-1]), 6), meta={"rows": len(rows), "positives": int(y.sum()), "l2": l2, "min_count": min_count, "seed": seed})
