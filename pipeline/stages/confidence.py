"""Stage 12: how sure each task is — per value and for the whole task.

Learned on the development part of corpus/ (``congvan train``): P(the unit is a
task) from the task model, and P(lead right), P(support right), P(deadline
right), P(everything right | a real task) from models over what the earlier
stages recorded (where the lead came from, how many names, OCR …), each
Platt-calibrated on out-of-fold scores. A value's confidence is P(task) ×
P(value right | task); the task's ``confidence`` is P(task) × P(everything
right | task): the chance a clerk need not touch it. Without shipped models the rules' fixed scores are kept.
"""

from __future__ import annotations

from typing import Any

from pipeline.folding import fold
from pipeline.stage import Stage
from pipeline.state import WorkingState
from pipeline.taskmodel import Features, LinearModel, shipped_model, text_features

VALUE_MODELS = ("lead", "support", "deadline", "entire")


def _n(x: int) -> str:
    return str(x) if x < 3 else "3+"


def value_features(state: WorkingState, t: dict[str, Any]) -> Features:
    """What the value models see of one task (its roles, deadline, sources)."""
    tf = t.get("text_features") or text_features(t.get("fold") or fold(t["text"]))
    f: Features = {f"t:{k}": v for k, v in tf.items() if not k.startswith(("w1:", "w2:"))}
    lead, support = t.get("lead") or [], t.get("support") or []
    f[f"lead_src:{t.get('lead_source', 'none')}"] = 1.0
    f[f"support_src:{t.get('support_source', 'none')}"] = 1.0
    f[f"n_lead:{_n(len(lead))}"] = 1.0
    f[f"n_support:{_n(len(support))}"] = 1.0
    f[f"n_mentions:{_n(t.get('n_mentions', 0))}"] = 1.0
    if any(n not in state.agency_ids for n in lead):
        f["lead:unlisted"] = 1.0
    if any(fold(n).startswith("các ") for n in lead):
        f["lead:group"] = 1.0
    if any(n not in state.agency_ids for n in support):
        f["support:unlisted"] = 1.0
    d = t.get("deadline")
    f[f"dl_src:{t.get('deadline_source', 'none')}"] = 1.0
    if d:
        f[f"dl_kind:{d['kind']}"] = 1.0
        date = d.get("date") or ""
        f[f"dl_prec:{len(date)}"] = 1.0
    item = t.get("item")
    if item is not None:
        f[f"kind:{item.kind}"] = 1.0
    f[f"doc:{state.fields.get('doc_type') or 'none'}"] = 1.0
    if state.raw is not None and state.raw.ocr:
        f["src:ocr"] = 1.0
    p = t.get("p_task")
    if p is not None:
        f[f"p_task:{min(int(p * 5), 4)}"] = 1.0
    return f


class Confidence(Stage):
    name = "confidence"
    requires = ("roles", "deadlines")
    provides = ("task_confidence",)

    def __init__(self, models: dict[str, LinearModel | None] | None | str = "shipped") -> None:
        self._models = models

    def models(self) -> dict[str, LinearModel | None]:
        if self._models == "shipped":
            return {k: shipped_model(k) for k in VALUE_MODELS}
        return dict(self._models or {})  # type: ignore[arg-type]

    def __call__(self, state: WorkingState) -> WorkingState:
        models = self.models()
        for t in state.tasks:
            x = value_features(state, t)
            t["value_features"] = x
            conf: dict[str, float] = {}
            p_task = t.get("p_task")
            if p_task is not None:
                conf["task"] = round(p_task, 3)
            for k in ("lead", "support", "deadline"):
                m = models.get(k)
                if m is not None:
                    # a value is right only on a real task: P(task) × P(value right | task)
                    conf[k] = round((p_task if p_task is not None else 1.0) * m.proba(x), 3)
            t["confidences"] = conf
            entire = models.get("entire")
            if entire is not None and p_task is not None:
                t["confidence"] = round(p_task * entire.proba(x), 3)
        return state
