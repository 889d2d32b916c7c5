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
def _cue_pattern() -> re.Pattern[str]:
    """Every cue word in one pattern, a named group per cue class (one scan per text)."""
    data = load("task_features.yaml")["cues"]
    words: list[tuple[str, str]] = [(fold(w), name) for name, ws in data.items() for w in ws]
    words.sort(key=lambda x: -len(x[0]))
    seen: set[str] = set()
    groups: dict[str, list[str]] = {}
    for w, name in words:
        if w not in seen:
            seen.add(w)
            groups.setdefault(name, []).append(re.escape(w))
    # Classes are tried in the order of their longest word, each class's words
    # longest first: at one position the first class that matches wins (a word
    # of a later class that is longer is not preferred).
    alts = [f"(?P<{name}>" + "|".join(ws) + ")" for name, ws in groups.items()]
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")


@cache
def _attribute_labels() -> re.Pattern[str]:
    groups = load("task_features.yaml")["attribute_labels"]
    alts = []
    for cat, labels in groups.items():
        words = sorted((fold(x) for x in labels), key=len, reverse=True)
        alts.append(f"(?P<{cat}>" + "|".join(map(re.escape, words)) + ")")
    return re.compile(r"^\s*[*_]*(?:" + "|".join(alts) + r")(?:\s+[^\s:;,.]+){0,3}?[*_]*\s*(?:\([^)]{0,40}\))?\s*:\s*")


def attribute_label(fold_text: str) -> tuple[str, int] | None:
    """('lead' | 'support' | 'time' | 'other', length of the label) for a
    labelled field ('Cơ quan chủ trì: …', 'Thời gian thực hiện: …'), else None."""
    m = _attribute_labels().match(fold_text)
    if not m or not fold_text[m.end() :].strip():
        return None
    cat = next(k for k, v in m.groupdict().items() if v)
    return cat, m.end()


def is_attribute_label(fold_text: str) -> bool:
    return attribute_label(fold_text) is not None


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
    counts: dict[str, int] = {}
    opening = len(fold_text) - len(fold_text.lstrip(" -+*_•"))
    for m in _cue_pattern().finditer(fold_text):
        name = m.lastgroup or ""
        counts[name] = counts.get(name, 0) + 1
        if m.start() == opening:
            f[f"{prefix}opens:{name}"] = 1.0
    for name, k in counts.items():
        f[f"{prefix}cue:{name}"] = min(k, 3) / 3
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
    """A logistic model: score = bias + Σ w[f]·x[f]; P(yes) = sigmoid(a·score + b)
    with the Platt calibration (a, b) of ``meta`` when training fitted one on
    out-of-fold scores. Checked on the test part by ``congvan eval``'s reliability table."""

    name: str
    weights: dict[str, float]
    bias: float
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    def score(self, x: Features) -> float:
        z = self.bias
        w = self.weights
        for k, v in x.items():
            z += w.get(k, 0.0) * v
        return z

    def proba(self, x: Features) -> float:
        """P(yes), Platt-calibrated on out-of-fold scores when the model has a calibration."""
        z = self.score(x)
        cal = self.meta.get("calibration")
        if cal:
            z = cal[0] * z + cal[1]
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
    rows: list[Features], labels: list[int], *, name: str, l2: float = 1.0, min_count: int = 3, iters: int = 300
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
    return LinearModel(name, weights, round(float(w[-1]), 6), meta={"rows": len(rows), "positives": int(y.sum()), "l2": l2, "min_count": min_count})


def cross_val_scores(rows: list[Features], labels: list[int], groups: list[str], *, l2: float, folds: int = 5) -> list[float]:
    """Out-of-fold scores: each group (document) is scored by a model trained
    without it. Folds are the sorted groups dealt round-robin (no random draw)."""
    names = sorted(set(groups))
    fold_of = {g: i % folds for i, g in enumerate(names)}
    out = [0.0] * len(rows)
    for k in range(folds):
        tr = [i for i, g in enumerate(groups) if fold_of[g] != k]
        te = [i for i, g in enumerate(groups) if fold_of[g] == k]
        if not te or not tr:
            continue
        m = train_logistic([rows[i] for i in tr], [labels[i] for i in tr], name="cv", l2=l2)
        for i in te:
            out[i] = m.score(rows[i])
    return out


def platt(scores: list[float], labels: list[int]) -> tuple[float, float]:
    """(a, b) so that sigmoid(a·score + b) is calibrated on these out-of-fold scores."""
    m = train_logistic([{"z": s} for s in scores], labels, name="platt", l2=1e-3, min_count=1)
    return round(m.weights.get("z", 1.0), 6), round(m.bias, 6)


def task_decision(model: LinearModel, x: Features, rule_keep: bool) -> bool:
    """Keep a candidate unit? The model decides where it is sure (outside the
    band threshold ± margin of its meta), the rules elsewhere."""
    p = _sigmoid(model.score(x))  # the decision uses the raw score; proba() is for confidences
    margin = float(model.meta.get("margin", 0.0))
    if abs(p - model.threshold) <= margin:
        return rule_keep
    return p > model.threshold
