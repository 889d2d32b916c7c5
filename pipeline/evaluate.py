"""Scoring predictions against the gold files of corpus/ (corpus/ANNOTATION.md).

The scorer never uses the code it scores: it imports nothing from the
pipeline (no gazetteer, no pipeline folding). Names and values compare as
written, with only Unicode form, case, tone-mark placement (Ủy/Uỷ), whitespace,
end punctuation and the abbreviations of ``corpus/abbreviations.yaml`` folded.

Per field precision / recall / F1, micro-averaged over documents:
- single header fields: counted when gold or prediction is non-null; TP when
  both agree, FP a wrong or extra prediction, FN a missed one;
- list fields (recipients, distribution, references): items matched one-to-one;
- tasks: gold and predicted tasks matched one-to-one by text similarity (token
  Dice ≥ 0.7, best pairs first); lead and support as multisets of names over
  matched tasks (a missed task's names are misses, an extra task's false
  alarms); deadline as (kind, date);
- task.entirely_right: the share of gold tasks found with exactly the gold
  lead set, support set and deadline — a task a clerk need not touch.

Documents are reported by part (the fixed development/test split of
``corpus/split.json``) and by kind.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonlines
import yaml

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
TASK_FIELDS = ["tasks", "task.lead", "task.support", "task.deadline", "task.entirely_right"]
TASK_MATCH = 0.7
KINDS = ("text", "word", "pdf-text", "scan")
PARTS = ("dev", "test")

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


class EvalError(ValueError):
    """The evaluation cannot run: no corpus, no predictions, an unknown kind."""


def fold_text(s: str) -> str:
    """NFC, case and tone-mark placement folded: each word's tone mark moves to
    the word's end, so 'Ủy' and 'Uỷ', 'hòa' and 'hoà' give one key."""
    s = unicodedata.normalize("NFD", s.replace("Ð", "Đ")).casefold()
    out = []
    for word in re.split(r"([^\w\u0300-\u036f]+)", s):
        tones = [c for c in word if c in _TONES]
        if tones:
            word = "".join(c for c in word if c not in _TONES) + tones[0]
        out.append(word)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=4)
def _abbreviations(path: str) -> list[tuple[re.Pattern[str], str]]:
    p = Path(path)
    data = yaml.safe_load(p.read_text(encoding="utf-8"))["abbreviations"] if p.exists() else {}
    out = []
    for short, long in sorted(data.items(), key=lambda kv: -len(kv[0])):
        out.append((re.compile(r"(?<!\w)" + re.escape(fold_text(short)) + r"(?!\w)"), fold_text(long)))
    return out


@dataclass
class Folder:
    """The comparison keys, with the corpus's abbreviation list."""

    abbreviations: str = ""

    def name(self, s: str | None) -> str:
        if not s:
            return ""
        f = fold_text(s)
        f = re.sub(r"\s+", " ", f).strip(" .,;:-–*_\"'“”()")
        for rx, long in _abbreviations(self.abbreviations):
            f = rx.sub(long, f)
        f = re.sub(r"\s*([,&/-])\s*", r"\1", f)
        return re.sub(r"\s+", " ", f)

    @staticmethod
    def ref(s: str | None) -> str:
        return re.sub(r"\s+", "", (s or "")).upper().replace("Đ", "D")

    def field(self, name: str, v: Any) -> str:
        if v is None or v == "":
            return ""
        if name == "issuer":
            return self.name(v.get("name")) if isinstance(v, dict) else ""
        if name == "number":
            return self.ref(v.get("raw")) if isinstance(v, dict) else ""
        if name == "subject":
            return re.sub(r"[^\w]+", " ", self.name(v)).strip()
        return self.name(str(v))


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

    def add(self, other: Count) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.misses.extend(other.misses)


def new_counts() -> dict[str, Count]:
    return {n: Count() for n in HEADER_FIELDS + LIST_FIELDS + TASK_FIELDS}


def _get(d: dict[str, Any], path: str) -> Any:
    cur: Any = d
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _tokens(s: str) -> list[str]:
    return re.findall(r"\w+", fold_text(s))


def _dice(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    inter = sum((Counter(a) & Counter(b)).values())
    return 2 * inter / (len(a) + len(b))


def match_tasks(gold: list[dict[str, Any]], pred: list[dict[str, Any]], threshold: float = TASK_MATCH) -> list[tuple[int, int]]:
    """One-to-one pairs (gold index, pred index) by greatest text similarity."""
    gt = [_tokens(t.get("text", "")) for t in gold]
    pt = [_tokens(t.get("text", "")) for t in pred]
    cands = []
    for i, a in enumerate(gt):
        for j, b in enumerate(pt):
            s = _dice(a, b)
            if s >= threshold:
                cands.append((s, i, j))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
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


def _score_set(c: Count, gold: list[str], pred: list[str], doc: str, label: str, key: Any) -> bool:
    """Multiset match; True when the two sets are the same."""
    gk = [key(x) for x in gold if x]
    praw = [x for x in pred if x]
    pk = [key(x) for x in praw]
    remaining = list(pk)
    exact = True
    for g, graw in zip(gk, [x for x in gold if x], strict=True):
        if g in remaining:
            remaining.remove(g)
            c.tp += 1
        else:
            c.fn += 1
            exact = False
            c.misses.append(f"{doc} {label}: missed {graw!r}")
    for p in remaining:
        c.fp += 1
        exact = False
        c.misses.append(f"{doc} {label}: extra {praw[pk.index(p)]!r}")
    return exact


def deadline_key(d: dict[str, Any] | None) -> tuple[str, str | None] | None:
    """What a deadline is compared by: its kind and date."""
    return (d["kind"], d.get("date")) if d else None


def score_document(doc_id: str, gold: dict[str, Any], pred: dict[str, Any], counts: dict[str, Count], folder: Folder) -> list[dict[str, Any]]:
    """Add one document's counts; returns per matched/extra task what was right
    (for the confidence reliability table)."""
    for name in HEADER_FIELDS:
        g = folder.field(name, _get(gold, name))
        p = folder.field(name, _get(pred, name))
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
    for name in ("recipients", "distribution"):
        _score_set(counts[name], gold.get(name) or [], pred.get(name) or [], doc_id, name, folder.name)
    _score_set(
        counts["references"],
        [r["number"] for r in gold.get("references") or []],
        [r["number"] for r in pred.get("references") or []],
        doc_id,
        "references",
        folder.ref,
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
    outcomes: list[dict[str, Any]] = []
    right: dict[tuple[int, str], bool] = {}
    for role in ("lead", "support"):
        rc = counts[f"task.{role}"]
        for i, j in pairs:
            right[(i, role)] = _score_set(rc, names(gt[i].get(role)), names(pt[j].get(role)), doc_id, f"task {gt[i].get('id')} {role}", folder.name)
        for i, t in enumerate(gt):
            if i not in mg:
                rc.fn += len(t.get(role) or [])
        for j, t in enumerate(pt):
            if j not in mp:
                rc.fp += len(t.get(role) or [])
    dc = counts["task.deadline"]
    for i, j in pairs:
        gd, pd = deadline_key(gt[i].get("deadline")), deadline_key(pt[j].get("deadline"))
        right[(i, "deadline")] = gd == pd
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
    er = counts["task.entirely_right"]
    for i, j in pairs:
        ok = right[(i, "lead")] and right[(i, "support")] and right[(i, "deadline")]
        er.tp += ok
        er.fn += not ok
        outcomes.append({
            "right": ok,
            "lead": right[(i, "lead")],
            "support": right[(i, "support")],
            "deadline": right[(i, "deadline")],
            "conf": pt[j].get("confidences") or {},
            "task_conf": pt[j].get("confidence"),
        })
    er.fn += len(gt) - len(pairs)
    for j, t in enumerate(pt):
        if j not in mp:
            outcomes.append({"right": False, "lead": False, "support": False, "deadline": False, "conf": t.get("confidences") or {}, "task_conf": t.get("confidence")})
    return outcomes


def read_manifest(corpus: Path) -> list[dict[str, Any]]:
    path = corpus / "manifest.jsonl"
    if not path.exists():
        raise EvalError(f"no corpus at {corpus} (it needs manifest.jsonl and gold/): give --corpus DIR")
    with jsonlines.open(path) as reader:
        return list(reader.iter(type=dict, skip_empty=True))


def read_split(corpus: Path) -> dict[str, str]:
    """Document id -> part ('dev' | 'test'); documents not in the split are 'dev'."""
    path = corpus / "split.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {i: part for part in PARTS for i in data.get(part, [])}


@dataclass
class Evaluation:
    counts: dict[tuple[str, str], dict[str, Count]]  # (part, kind) -> field counts
    docs: Counter[tuple[str, str]]
    outcomes: dict[str, list[dict[str, Any]]]  # part -> task outcomes
    missing: list[str]

    def total(self, parts: tuple[str, ...] = PARTS, kinds: tuple[str, ...] = KINDS) -> tuple[dict[str, Count], int]:
        out = new_counts()
        n = 0
        for (part, kind), cs in self.counts.items():
            if part in parts and kind in kinds:
                for k, c in cs.items():
                    out[k].add(c)
                n += self.docs[(part, kind)]
        return out, n


def _pred_path(pred_dir: Path, entry: dict[str, Any]) -> Path:
    rel = Path(entry["file"])
    stem = rel.stem
    for cand in (pred_dir / f"{stem}.json", pred_dir / f"{rel.name}.json", pred_dir / rel.parent.name / f"{stem}.json"):
        if cand.exists():
            return cand
    return pred_dir / f"{stem}.json"


def evaluate(pred_dir: Path, corpus: Path, kinds: set[str] | None = None, ids: set[str] | None = None, parts: set[str] | None = None) -> Evaluation:
    if not pred_dir.is_dir():
        raise EvalError(f"no predictions at {pred_dir}: run 'congvan extract {corpus}/docs --out {pred_dir}' first")
    if kinds:
        bad = sorted(set(kinds) - set(KINDS))
        if bad:
            raise EvalError(f"unknown kind {', '.join(bad)}: use one of {', '.join(KINDS)}")
    if parts:
        bad = sorted(set(parts) - set(PARTS))
        if bad:
            raise EvalError(f"unknown part {', '.join(bad)}: use dev or test")
    folder = Folder(str(corpus / "abbreviations.yaml"))
    split = read_split(corpus)
    ev = Evaluation(counts={}, docs=Counter(), outcomes={p: [] for p in PARTS}, missing=[])
    for entry in read_manifest(corpus):
        part = split.get(entry["id"], "dev")
        if kinds and entry["kind"] not in kinds or ids and entry["id"] not in ids or parts and part not in parts:
            continue
        gold_path = corpus / "gold" / f"{entry['id']}.json"
        if not gold_path.exists():
            continue
        pred_path = _pred_path(pred_dir, entry)
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        if pred_path.exists():
            pred = json.loads(pred_path.read_text(encoding="utf-8"))
        else:
            pred = {}
            ev.missing.append(entry["id"])
        key = (part, entry["kind"])
        cs = ev.counts.setdefault(key, new_counts())
        ev.outcomes[part].extend(score_document(entry["id"], gold, pred, cs, folder))
        ev.docs[key] += 1
    if not ev.docs:
        raise EvalError("no gold document matches the selection")
    return ev


def format_table(counts: dict[str, Count], n: int, misses: int = 0, title: str = "") -> str:
    lines = [f"{title}documents: {n}", f"{'field':<20}{'P':>7}{'R':>7}{'F1':>7}{'TP':>6}{'FP':>6}{'FN':>6}"]
    for name, c in counts.items():
        if name == "task.entirely_right":
            lines.append(f"{name:<20}{'':>7}{c.r:>7.3f}{'':>7}{c.tp:>6}{'':>6}{c.fn:>6}   (share of gold tasks)")
            continue
        lines.append(f"{name:<20}{c.p:>7.3f}{c.r:>7.3f}{c.f1:>7.3f}{c.tp:>6}{c.fp:>6}{c.fn:>6}")
    if misses:
        lines.append("")
        lines.append("misses:")
        for name, c in counts.items():
            for m in c.misses[:misses]:
                lines.append(f"  [{name}] {m}")
    return "\n".join(lines)


def format_summary(ev: Evaluation) -> str:
    """F1 per field: development and test parts, and the test part by kind."""
    cols: list[tuple[str, dict[str, Count], int]] = []
    for part in PARTS:
        cs, n = ev.total(parts=(part,))
        cols.append((f"{part}", cs, n))
    for kind in KINDS:
        cs, n = ev.total(parts=("test",), kinds=(kind,))
        cols.append((f"t:{kind}", cs, n))
    head = f"{'F1':<20}" + "".join(f"{c[0]:>12}" for c in cols)
    docs = f"{'documents':<20}" + "".join(f"{c[2]:>12}" for c in cols)
    lines = [head, docs]
    for name in HEADER_FIELDS + LIST_FIELDS + TASK_FIELDS:
        vals = []
        for _, cs, n in cols:
            c = cs[name]
            v = c.r if name == "task.entirely_right" else c.f1
            vals.append(f"{v:>12.3f}" if n and (c.tp + c.fp + c.fn) else f"{'-':>12}")
        lines.append(f"{name:<20}" + "".join(vals))
    lines.append("(task.entirely_right: share of gold tasks found with exactly the gold lead, support and deadline)")
    return "\n".join(lines)


def reliability(outcomes: list[dict[str, Any]], what: str = "right", threshold: float = 0.9) -> str:
    """Confidence bins vs accuracy, for task confidence (``what`` = 'right', the
    whole task) or a field's own confidence ('lead', 'support', 'deadline')."""
    rows = []
    for o in outcomes:
        conf = o["task_conf"] if what == "right" else (o.get("conf") or {}).get(what, o["task_conf"])
        if conf is None:
            continue
        rows.append((float(conf), bool(o[what])))
    if not rows:
        return f"{what}: no confidences"
    bins = [0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001]
    lines = [f"{what}: confidence bin   n   accuracy"]
    for lo, hi in zip(bins, bins[1:], strict=False):
        sel = [r for c, r in rows if lo <= c < hi]
        if sel:
            lines.append(f"  [{lo:.2f}, {min(hi, 1.0):.2f})  {len(sel):>5}   {sum(sel) / len(sel):.3f}")
    hi_sel = [r for c, r in rows if c >= threshold]
    share = len(hi_sel) / len(rows)
    acc = sum(hi_sel) / len(hi_sel) if hi_sel else float("nan")
    lines.append(f"  confidence >= {threshold}: {len(hi_sel)} of {len(rows)} ({share:.1%}), right {acc:.1%}")
    return "\n".join(lines)
