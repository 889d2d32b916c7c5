"""Cross-validation of the task model on held-out documents, development part only.

The development part's documents are dealt into 5 folds (sorted ids, round
robin, no random draw). For each fold, a task model is trained the way
``congvan train`` trains it on the other four folds, and the fold's documents
are run through the whole pipeline with it. The outputs (OUT/cv) and those of
the rules alone (OUT/rules) are then scored with ``congvan eval OUT/cv --part
dev``: figures for documents whose words the model never saw, which the
shipped model's own development figures are not (it was trained on them).
The test part is never read.

    python scripts/task_model_cv.py OUT [--l2 2] [--margin 0] [--drop w1: w2: head: doc:]
    congvan eval OUT/cv --part dev; congvan eval OUT/rules --part dev
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.evaluate import match_tasks  # noqa: E402
from pipeline.taskmodel import LinearModel, train_logistic  # noqa: E402
from pipeline.train import L2, LABEL_MATCH, MARGIN, _dev_entries  # noqa: E402

FOLDS = 5


def run(path: str, raw: Any, model_json: str | None, out: str) -> tuple[Any, list[dict[str, Any]]]:
    """One document through the pipeline; its JSON to ``out``; its raw text and candidates back."""
    from pipeline import default_pipeline
    from pipeline.readers import file_sha256
    from pipeline.state import WorkingState

    state = WorkingState(path=path, raw=raw)
    state.sha256 = file_sha256(Path(path))
    model = LinearModel.from_json(model_json) if model_json else None
    state = default_pipeline(task_model=model).run(state)
    Path(out, Path(path).stem + ".json").write_text(state.document.model_dump_json(indent=1), encoding="utf-8")
    return state.raw, [{"text": u["text"], "features": u["features"]} for u in state.candidates]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    ap.add_argument("--l2", type=float, default=L2["task"])
    ap.add_argument("--margin", type=float, default=MARGIN)
    ap.add_argument("--drop", nargs="*", default=[], help="feature prefixes to train without (e.g. w1: w2: head: doc:)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args()
    entries = _dev_entries(args.corpus)
    for d in ("rules", "cv"):
        (args.out / d).mkdir(parents=True, exist_ok=True)
    paths = {e["id"]: str(args.corpus / e["file"]) for e in entries}
    with ProcessPoolExecutor(args.workers) as pool:
        futs = {k: pool.submit(run, p, None, None, str(args.out / "rules")) for k, p in paths.items()}
        runs = {k: f.result() for k, f in futs.items()}
    rows: dict[str, list[tuple[dict[str, float], int]]] = {}
    for e in entries:
        gold = json.loads((args.corpus / "gold" / f"{e['id']}.json").read_text(encoding="utf-8"))
        cands = runs[e["id"]][1]
        matched = {j for _, j in match_tasks(gold.get("tasks") or [], cands, LABEL_MATCH)}
        drop = tuple(args.drop)
        rows[e["id"]] = [({k: v for k, v in c["features"].items() if not (drop and k.startswith(drop))}, int(j in matched)) for j, c in enumerate(cands)]
    ids = sorted(rows)
    fold_of = {k: i % FOLDS for i, k in enumerate(ids)}
    with ProcessPoolExecutor(args.workers) as pool:
        futs2 = []
        for k in range(FOLDS):
            train = [r for d in ids if fold_of[d] != k for r in rows[d]]
            model = train_logistic([x for x, _ in train], [y for _, y in train], name="task", l2=args.l2)
            model.meta["margin"] = args.margin
            mj = model.to_json()
            futs2 += [pool.submit(run, paths[d], runs[d][0], mj, str(args.out / "cv")) for d in ids if fold_of[d] == k]
        for f in futs2:
            f.result()
    print(f"{len(ids)} development documents in {FOLDS} folds; score with: congvan eval {args.out}/cv --part dev")


if __name__ == "__main__":
    main()
