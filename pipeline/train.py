"""``congvan train``: the learned decisions, trained on the development part of
corpus/ only (corpus/split.json), reproducibly (no random draw; fixed order),
on 2 CPU cores in minutes. Writes JSON weights to pipeline/resources/models/.

1. task: is a candidate unit (a leaf item or a sentence group the rules cut)
   one of the gold tasks? Features: the rules' own verdicts and reasons, cue
   words, document type, item kind and depth, the headings above.
   Label: matched one-to-one to a gold task by text similarity (Dice ≥ 0.6).
   A unit is kept when its raw score is ≥ 0 (P ≥ 0.5 before calibration);
   the Platt calibration (5 folds by document, out-of-fold scores) serves the
   confidences. Rows of a table of tasks are kept by rule.
2. lead / support / deadline / entire: for the units the task model keeps and
   that match a gold task, is the lead set (support set, deadline, all three)
   right? These give the per-value confidences and the task's confidence.

Matching and name comparison use the scorer (pipeline/evaluate.py), which
never imports the pipeline; the test part is never read.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from pipeline.evaluate import Folder, deadline_key, match_tasks, read_manifest, read_split
from pipeline.taskmodel import LinearModel, cross_val_scores, platt, task_decision, train_logistic

MODELS_DIR = Path(__file__).parent / "resources" / "models"
LABEL_MATCH = 0.6
# the task model overrides the rules only where it is sure: p < 0.5 - MARGIN or p > 0.5 + MARGIN
MARGIN = 0.0
L2 = {"task": 2.0, "lead": 4.0, "support": 4.0, "deadline": 4.0, "entire": 4.0}


def _run(path: str, raw: Any, task_model: str | None, value_models: dict[str, str] | None) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """Worker: one document through the pipeline with the given models (JSON)."""
    from pipeline import default_pipeline
    from pipeline.errors import CongvanError
    from pipeline.state import WorkingState

    tm = LinearModel.from_json(task_model) if task_model else None
    vm = {k: LinearModel.from_json(v) for k, v in value_models.items()} if value_models else None
    state = WorkingState(path=path, raw=raw)
    try:
        state = default_pipeline(task_model=tm, value_models=vm).run(state)
    except CongvanError:
        return raw, [], []
    cands = [{"text": u["text"], "features": u["features"], "keep": u["keep"]} for u in state.candidates]
    tasks = [
        {"text": t["text"], "lead": t.get("lead") or [], "support": t.get("support") or [],
         "deadline": t.get("deadline"), "features": t.get("value_features") or {}}
        for t in state.tasks
    ]
    return state.raw, cands, tasks


def _dev_entries(corpus: Path) -> list[dict[str, Any]]:
    split = read_split(corpus)
    return [e for e in read_manifest(corpus) if split.get(e["id"], "dev") == "dev" and (corpus / "gold" / f"{e['id']}.json").exists()]


def _runs(corpus: Path, entries: list[dict[str, Any]], raws: dict[str, Any], workers: int, task_model: str | None, value_models: dict[str, str] | None) -> dict[str, tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]]:
    out: dict[str, Any] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futs = {e["id"]: pool.submit(_run, str(corpus / e["file"]), raws.get(e["id"]), task_model, value_models) for e in entries}
        for k, f in futs.items():
            out[k] = f.result()
    return out


def train(corpus: Path = Path("corpus"), out_dir: Path = MODELS_DIR, workers: int | None = None, log: Any = print) -> dict[str, Any]:
    t0 = time.perf_counter()
    workers = workers or min(2, os.cpu_count() or 1)
    entries = _dev_entries(corpus)
    folder = Folder(str(corpus / "abbreviations.yaml"))
    gold = {e["id"]: json.loads((corpus / "gold" / f"{e['id']}.json").read_text(encoding="utf-8")) for e in entries}
    log(f"train: {len(entries)} development documents (the test part is not read)")

    # 1. the task model, on every candidate the rules consider
    runs = _runs(corpus, entries, {}, workers, None, None)
    raws = {k: v[0] for k, v in runs.items()}
    rows: list[dict[str, float]] = []
    labels: list[int] = []
    groups: list[str] = []
    for e in entries:
        _, cands, _ = runs[e["id"]]
        gt = gold[e["id"]].get("tasks") or []
        matched = {j for _, j in match_tasks(gt, cands, LABEL_MATCH)}
        for j, c in enumerate(cands):
            rows.append(c["features"])
            labels.append(int(j in matched))
            groups.append(e["id"])
    task = train_logistic(rows, labels, name="task", l2=L2["task"])
    oof = cross_val_scores(rows, labels, groups, l2=L2["task"])
    task.meta["calibration"] = platt(oof, labels)
    task.meta["margin"] = MARGIN
    keeps = [c["keep"] for e in entries for c in runs[e["id"]][1]]
    rule_acc = sum(int(k) == y for k, y in zip(keeps, labels, strict=True)) / max(1, len(labels))
    model_acc = sum(int(task_decision(task, r, k)) == y for r, k, y in zip(rows, keeps, labels, strict=True)) / max(1, len(labels))
    task.meta.update(trained_on="corpus dev part", documents=len(entries), rule_accuracy=round(rule_acc, 4), train_accuracy=round(model_acc, 4))
    log(f"task model: {len(rows)} candidates, {sum(labels)} tasks; training accuracy rules {rule_acc:.3f}, model {model_acc:.3f}")

    # 2. the value models, on the tasks the task model keeps
    runs = _runs(corpus, entries, raws, workers, task.to_json(), None)
    data: dict[str, tuple[list[dict[str, float]], list[int]]] = {k: ([], []) for k in ("lead", "support", "deadline", "entire")}
    names = lambda xs: sorted(folder.name(x["name"] if isinstance(x, dict) else x) for x in xs or [])  # noqa: E731
    vgroups: list[str] = []
    for e in entries:
        _, _, tasks = runs[e["id"]]
        gt = gold[e["id"]].get("tasks") or []
        for i, j in match_tasks(gt, tasks):
            g, p = gt[i], tasks[j]
            right = {
                "lead": names(g.get("lead")) == names(p["lead"]),
                "support": names(g.get("support")) == names(p["support"]),
                "deadline": deadline_key(g.get("deadline")) == deadline_key(p["deadline"]),
            }
            right["entire"] = all(right.values())
            for k, ok in right.items():
                data[k][0].append(p["features"])
                data[k][1].append(int(ok))
            vgroups.append(e["id"])
    models = {"task": task}
    for k, (x, y) in data.items():
        m = train_logistic(x, y, name=k, l2=L2[k])
        m.meta["calibration"] = platt(cross_val_scores(x, y, vgroups, l2=L2[k]), y)
        m.meta.update(trained_on="corpus dev part", documents=len(entries), base_rate=round(sum(y) / max(1, len(y)), 4))
        models[k] = m
        log(f"{k} model: {len(y)} matched tasks, {sum(y)} right ({sum(y) / max(1, len(y)):.3f})")
    out_dir.mkdir(parents=True, exist_ok=True)
    for k, m in models.items():
        (out_dir / f"{k}.json").write_text(m.to_json() + "\n", encoding="utf-8")
    secs = time.perf_counter() - t0
    log(f"models written to {out_dir} in {secs:.0f} s")
    return {"seconds": secs, "models": {k: m.meta for k, m in models.items()}}
