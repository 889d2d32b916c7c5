"""Scoring predictions against the gold files of corpus/ (shared/ANNOTATION.md).

Per field precision / recall / F1, micro-averaged over documents:
- single header fields: a field counts when gold or prediction is non-null;
  TP when both agree after folding, FP a wrong or extra prediction, FN a missed one;
- list fields (recipients, distribution, references): items matched one-to-one
  after folding;
- tasks: gold and predicted tasks matched one-to-one by text overlap (token
  Dice ≥ 0.5); lead and support as sets of folded names over matched tasks (a
  missed task's names count as misses, an extra task's as false alarms);
  deadline as (kind, date) over matched tasks with a deadline on either side.

Folding: NFC, case, tone placement, whitespace, punctuation at the ends, and the
abbreviations of resources/abbreviations.yaml (UBND, HĐND, VP., Sở KH&CN …).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.folding import fold
from pipeline.resources import load

HEADER_FIELDS = [
    "doc_type",
    "issuer",
    "number",
    "number.notation",
    "place",
    "issued_date",
    "subject",
    "urgency",
    "secrecy",
    "signer.name",
    "signer.position",
    "signer.authority",
]
LIST_FIELDS = ["recipients", "distribution", "references"]
TASK_FIELDS = ["tasks", "task.lead", "task.support", "task.deadline"]


@lru_cache(maxsize=1)
def _abbreviations() -> list[tuple[re.Pattern[str], str]]:
    data = load("abbreviations.yaml")["abbreviations"]
    out = []
    for short, long in sorted(data.items(), key=lambda kv: -len(kv[0])):
        out.append((re.compile(r"(?<!\w)" + re.escape(fold(short)) + r"(?!\w)"), fold(long)))
    return out


def fold_name(s: str | None) -> str:
    """The comparison key of a name or phrase."""
    if not s:
        return ""
    f = fold(s)
    f = re.sub(r"\s+", " ", f).strip(" .,;:-*_\"'“”")
    for rx, long in _abbreviations():
        f = rx.sub(long, f)
    f = re.sub(r"\s*([,&/-])\s*", r"\1", f)
    f = re.sub(r"^(?:các|các cơ quan:)\s+", "các ", f)
    return re.sub(r"\s+", " ", f)


def fold_agency(s: str) -> str:
    """Names resolve to one key through the agency list when they are on it."""
    f = fold_name(s)
    from pipeline.stages.agencies import default_gazetteer

    gaz = default_gazetteer()
    key = gaz.canon.get(fold(s).strip(" .,;"))
    if key:
        return "id:" + key[0]
    return f


def fold_ref(s: str | None) -> str:
    return re.sub(r"\s+", "", (s or "")).upper().replace("Đ", "D")


@dataclass
class Count:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0


def _get(d: dict[str, Any], path: str) -> Any:
    cur: Any = d
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _field_key(name: str, v: Any) -> str:
    if v is None or v == "":
        return ""
    if name == "issuer":
        return fold_name(v.get("name")) if isinstance(v, dict) else ""
    if name == "number":
        return fold_ref(v.get("raw")) if isinstance(v, dict) else ""
    if name == "subject":
        return re.sub(r"[^\w]+", " ", fold_name(v)).strip()
    return fold_name(str(v))


def _tokens(s: str) -> list[str]:
    return re.findall(r"\w+", fold(s))


def _dice(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    from collections import Counter

    ca, cb = Counter(a), Counter(b)
    inter = sum((ca & cb).values())
    return 2 * inter / (len(a) + len(b))


def match_tasks(gold: list[dict[str, Any]], pred: list[dict[str, Any]], threshold: float = 0.5) -> list[tuple[int, int]]:
    """One-to-one pairs (gold index, pred index) by greatest text overlap."""
    gt = [_tokens(t.get("text", "")) for t in gold]
    pt = [_tokens(t.get("text", "")) for t in pred]
    cands = []
    for i, a in enumerate(gt):
        for j, b in enumerate(pt):
            s = _dice(a, b)
            if s >= threshold:
                cands.append((s, i, j))
    cands.sort(reverse=True)
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, i, j in cands:
        if i in used_g or j in used_p:
            continue
        used_g.add(i)
        used_p.add(j)
        pairs.append((i, j))
    return pairs


def _score_set(c: Count, gold: list[str], pred: list[str], doc: str, label: str, key: Any = fold_name) -> None:
    gk = [key(x) for x in gold if x]
    pk = [key(x) for x in pred if x]
    remaining = list(pk)
    for g, graw in zip(gk, [x for x in gold if x], strict=True):
        if g in remaining:
            remaining.remove(g)
            c.tp += 1
        else:
            c.fn += 1
            c.misses.append(f"{doc} {label}: missed {graw!r}")
    for p in remaining:
        c.fp += 1
        c.misses.append(f"{doc} {label}: extra {p!r}")


def score_document(doc_id: str, gold: dict[str, Any], pred: dict[str, Any], counts: dict[str, Count]) -> None:
    for name in HEADER_FIELDS:
        g = _field_key(name, _get(gold, name))
        p = _field_key(name, _get(pred, name))
        c = counts[name]
        if not g and not p:
            continue
        if g and p and g == p:
            c.tp += 1
            continue
        if p:
            c.fp += 1
        if g:
            c.fn += 1
        c.misses.append(f"{doc_id} {name}: gold {_get(gold, name)!r} pred {_get(pred, name)!r}")
    _score_set(counts["recipients"], gold.get("recipients") or [], pred.get("recipients") or [], doc_id, "recipients")
    _score_set(counts["distribution"], gold.get("distribution") or [], pred.get("distribution") or [], doc_id, "distribution")
    _score_set(
        counts["references"],
        [r["number"] for r in gold.get("references") or []],
        [r["number"] for r in pred.get("references") or []],
        doc_id,
        "references",
        key=fold_ref,
    )
    gt = gold.get("tasks") or []
    pt = pred.get("tasks") or []
    pairs = match_tasks(gt, pt)
    c = counts["tasks"]
    c.tp += len(pairs)
    c.fn += len(gt) - len(pairs)
    c.fp += len(pt) - len(pairs)
    mg = {i for i, _ in pairs}
    mp = {j for _, j in pairs}
    for i, t in enumerate(gt):
        if i not in mg:
            c.misses.append(f"{doc_id} task missed {t.get('id')}: {t.get('text', '')[:90]!r}")
    for j, t in enumerate(pt):
        if j not in mp:
            c.misses.append(f"{doc_id} task extra {t.get('id')}: {t.get('text', '')[:90]!r}")
    names = lambda xs: [x["name"] for x in xs or []]  # noqa: E731
    for role in ("lead", "support"):
        rc = counts[f"task.{role}"]
        for i, j in pairs:
            _score_set(rc, names(gt[i].get(role)), names(pt[j].get(role)), doc_id, f"task {gt[i].get('id')} {role}", key=fold_agency)
        for i, t in enumerate(gt):
            if i not in mg:
                rc.fn += len(t.get(role) or [])
        for j, t in enumerate(pt):
            if j not in mp:
                rc.fp += len(t.get(role) or [])
    dc = counts["task.deadline"]
    dkey = lambda d: (d["kind"], d.get("date")) if d else None  # noqa: E731
    for i, j in pairs:
        gd, pd = dkey(gt[i].get("deadline")), dkey(pt[j].get("deadline"))
        if gd is None and pd is None:
            continue
        if gd == pd:
            dc.tp += 1
            continue
        if pd is not None:
            dc.fp += 1
        if gd is not None:
            dc.fn += 1
        dc.misses.append(f"{doc_id} task {gt[i].get('id')} deadline: gold {gd} pred {pd}")
    for i, t in enumerate(gt):
        if i not in mg and t.get("deadline"):
            dc.fn += 1
    for j, t in enumerate(pt):
        if j not in mp and t.get("deadline"):
            dc.fp += 1


def read_manifest(corpus: Path) -> list[dict[str, Any]]:
    with (corpus / "manifest.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate(pred_dir: Path, corpus: Path, kinds: set[str] | None = None, ids: set[str] | None = None) -> tuple[dict[str, Count], int]:
    counts = {n: Count() for n in HEADER_FIELDS + LIST_FIELDS + TASK_FIELDS}
    n = 0
    for entry in read_manifest(corpus):
        if kinds and entry["kind"] not in kinds or ids and entry["id"] not in ids:
            continue
        gold_path = corpus / "gold" / f"{entry['id']}.json"
        pred_path = pred_dir / f"{Path(entry['file']).stem}.json"
        if not gold_path.exists():
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        pred = json.loads(pred_path.read_text(encoding="utf-8")) if pred_path.exists() else {}
        score_document(entry["id"], gold, pred, counts)
        n += 1
    return counts, n


def format_table(counts: dict[str, Count], n: int, misses: int = 0) -> str:
    lines = [f"documents: {n}", f"{'field':<18}{'P':>7}{'R':>7}{'F1':>7}{'TP':>6}{'FP':>6}{'FN':>6}"]
    for name, c in counts.items():
        lines.append(f"{name:<18}{c.p:>7.3f}{c.r:>7.3f}{c.f1:>7.3f}{c.tp:>6}{c.fp:>6}{c.fn:>6}")
    if misses:
        lines.append("")
        lines.append("misses:")
        for name, c in counts.items():
            for m in c.misses[:misses]:
                lines.append(f"  [{name}] {m}")
    return "\n".join(lines)
