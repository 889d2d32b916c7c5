#!/usr/bin/env python3
"""Agency recognition: congvan's gazetteer vs underthesea ner() (issue 3).

For every corpus document of kind "text", the gold agency names are the lead
and support names of its gold tasks (deduplicated per document). Each system
proposes name spans over the same NFC text:

- congvan: ``default_gazetteer().find(text, fold(text))`` (list names + patterns);
  a mention offers its surface text and its canonical name;
- underthesea: ``ner()`` run sentence by sentence (``sent_tokenize`` by default,
  ``--split lines`` for lines); ORG entities = B-ORG/I-ORG spans joined. LOC,
  PER and MISC spans are kept aside and reported separately (never counted in
  the headline ORG share; an "any entity type" share is shown for reference).

One matching rule for both: a gold name is found when some candidate string
- equals it after ``fold_name`` or ``fold_agency`` (pipeline.evaluate), or
- contains it / is contained in it as a contiguous token run (tokens of
  ``fold_name``) and the shorter covers >= 0.8 of the longer's tokens.

Usage: python scripts/agency_baseline.py [--out /tmp/agency_baseline.json]
       [--split sent|lines] [--ids 000,101]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.evaluate import Folder  # noqa: E402

fold_name = fold_agency = Folder(str(ROOT / "corpus" / "abbreviations.yaml")).name
from pipeline.folding import fold  # noqa: E402

CORPUS = ROOT / "corpus"
OVERLAP = 0.8
GENERIC_START = re.compile(
    r"^(?:địa phương|cơ quan|đơn vị|doanh nghiệp|chủ đầu tư|nhà đầu tư|chính quyền|tổ chức|cơ sở)\b"
)
AGENCY_HEAD = re.compile(
    r"^(?:sở|bộ|ủy ban|ban|cục|vụ|công an|văn phòng|thanh tra|trung tâm|phòng|viện|tổng công ty|"
    r"công ty|báo|đài|tỉnh ủy|tỉnh đoàn|đảng ủy|chi cục|hội đồng|bệnh viện|trường|chính phủ|quốc hội|"
    r"mặt trận|liên đoàn|hội|kho bạc|ngân hàng|tòa án|viện kiểm sát|bộ chỉ huy)\b"
)


# ---------------------------------------------------------------- matching
def _toks(s: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", fold_name(s)))


def _contains(long: tuple[str, ...], short: tuple[str, ...]) -> bool:
    n = len(short)
    return n > 0 and any(long[i : i + n] == short for i in range(len(long) - n + 1))


class Matcher:
    """The one rule applied to both systems; caches folded keys."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, str, tuple[str, ...]]] = {}

    def keys(self, s: str) -> tuple[str, str, tuple[str, ...]]:
        k = self._cache.get(s)
        if k is None:
            k = (fold_name(s), fold_agency(s), _toks(s))
            self._cache[s] = k
        return k

    def match(self, gold: str, cand: str) -> str | None:
        """'exact', 'contain' or None."""
        gn, ga, gt = self.keys(gold)
        cn, ca, ct = self.keys(cand)
        if not gt or not ct:
            return None
        if gn == cn or ga == ca:
            return "exact"
        if len(gt) <= len(ct):
            short, long = gt, ct
        else:
            short, long = ct, gt
        if len(short) / len(long) >= OVERLAP and _contains(long, short):
            return "contain"
        return None

    def dice(self, a: str, b: str) -> float:
        from collections import Counter

        ta, tb = self.keys(a)[2], self.keys(b)[2]
        if not ta or not tb:
            return 0.0
        inter = sum((Counter(ta) & Counter(tb)).values())
        return 2 * inter / (len(ta) + len(tb))


def is_generic(name: str, gaz: Any) -> bool:
    """Group / descriptive phrase ('Các cơ quan liên quan', 'Địa phương') vs a named body."""
    hit = gaz.canon.get(fold_name(name)) or gaz.canon.get(fold(name).strip(" .,;"))
    if hit:
        return hit[2] == "group"
    f = fold_name(name)
    return bool(re.search(r"(?:^|\s)các\s|[,/]", f) or GENERIC_START.match(f))


# ---------------------------------------------------------------- corpus
def load_docs(ids: set[str] | None) -> list[dict[str, Any]]:
    docs = []
    for line in (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        m = json.loads(line)
        if m.get("kind") != "text" or (ids and m["id"] not in ids):
            continue
        gold_path = CORPUS / "gold" / f"{m['id']}.json"
        if not gold_path.exists():
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        names: list[str] = []
        seen: set[str] = set()
        for task in gold.get("tasks") or []:
            for role in ("lead", "support"):
                for ent in task.get(role) or []:
                    n = unicodedata.normalize("NFC", (ent or {}).get("name") or "").strip()
                    k = fold_name(n)
                    if n and k not in seen:
                        seen.add(k)
                        names.append(n)
        raw = (CORPUS / m["file"]).read_text(encoding="utf-8")
        docs.append(
            {"id": m["id"], "file": m["file"], "text": unicodedata.normalize("NFC", raw), "gold": names}
        )
    return docs


# ---------------------------------------------------------------- systems
def congvan_candidates(text: str, gaz: Any) -> list[dict[str, Any]]:
    out = []
    for m in gaz.find(text, fold(text)):
        out.append({"surface": " ".join(text[m.start : m.end].split()), "name": m.name, "key": m.key})
    return out


def _segments(text: str, split: str) -> list[str]:
    if split == "lines":
        return [ln for ln in text.splitlines() if ln.strip()]
    from underthesea import sent_tokenize

    # newlines inside a sentence are layout, not words
    return [" ".join(s.split()) for s in sent_tokenize(text) if s.strip()]


def _surface(seg: str, words: list[str], cursor: int) -> tuple[str, int]:
    """The sentence text covered by ``words`` (ner may rewrite spacing)."""
    a = seg.find(words[0], cursor)
    if a < 0:
        return " ".join(words), cursor
    p = a
    for w in words:
        q = seg.find(w, p)
        if q < 0:
            return " ".join(words), cursor
        p = q + len(w)
    return " ".join(seg[a:p].split()), p


def underthesea_entities(text: str, split: str) -> tuple[list[dict[str, Any]], int]:
    from underthesea import ner

    ents: list[dict[str, Any]] = []
    segs = _segments(text, split)
    for si, seg in enumerate(segs):
        cursor = 0
        spans: list[tuple[str, list[str]]] = []  # (type, words), in order
        for tok in ner(seg):
            word, tag = tok[0], tok[-1]
            opens = tag.startswith("B-") or (tag.startswith("I-") and (not spans or spans[-1][0] != tag[2:]))
            if opens:
                spans.append((tag[2:], [word]))
            elif tag.startswith("I-"):
                spans[-1][1].append(word)
            else:
                spans.append(("O", [word]))
        for typ, words in spans:
            if typ == "O":
                q = seg.find(words[0], cursor)  # keep the cursor moving over plain words
                if q >= 0:
                    cursor = q + len(words[0])
                continue
            surf, cursor = _surface(seg, words, cursor)
            ents.append({"type": typ, "surface": surf, "sent": si})
    return ents, len(segs)


# ---------------------------------------------------------------- scoring
def score(gold: list[str], cands: list[tuple[str, str]], mt: Matcher) -> dict[str, Any]:
    """cands: (string, label) pairs. Returns per-name match info."""
    per = {}
    for g in gold:
        hit = None
        for s, label in cands:
            how = mt.match(g, s)
            if how and (hit is None or (how == "exact" and hit["how"] != "exact")):
                hit = {"how": how, "by": s, "label": label}
                if how == "exact":
                    break
        per[g] = hit
    return per


def share(found: int, n: int) -> float | None:
    return round(found / n, 4) if n else None


def pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def _git_state() -> str:
    """HEAD and whether pipeline/ has local edits: the numbers move with the gazetteer."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "pipeline"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return head + (" + uncommitted pipeline/ edits" if dirty else "")
    except OSError:
        return "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/agency_baseline.json")
    ap.add_argument("--split", choices=["sent", "lines"], default="sent", help="underthesea input units")
    ap.add_argument("--ids", default="", help="comma-separated document ids (default: all kind=text)")
    args = ap.parse_args()
    ids = {x.strip() for x in args.ids.split(",") if x.strip()} or None

    docs = load_docs(ids)
    mt = Matcher()

    t0 = time.perf_counter()
    from pipeline.stages.agencies import default_gazetteer

    gaz = default_gazetteer()
    cv_load = time.perf_counter() - t0

    t0 = time.perf_counter()
    from underthesea import ner, sent_tokenize

    ner("Sở Nội vụ chủ trì.")  # loads the CRF model
    sent_tokenize("Một. Hai.")
    ut_load = time.perf_counter() - t0

    rows = []
    for d in docs:
        t0 = time.perf_counter()
        cv = congvan_candidates(d["text"], gaz)
        cv_t = time.perf_counter() - t0
        t0 = time.perf_counter()
        ents, nseg = underthesea_entities(d["text"], args.split)
        ut_t = time.perf_counter() - t0

        cv_cands = [(c["surface"], "surface") for c in cv] + [(c["name"], "canonical") for c in cv]
        org = [(e["surface"], e["type"]) for e in ents if e["type"] == "ORG"]
        anyent = [(e["surface"], e["type"]) for e in ents]
        s_cv = score(d["gold"], cv_cands, mt)
        s_org = score(d["gold"], org, mt)
        s_any = score(d["gold"], anyent, mt)

        # closest underthesea entity (any type) for every gold name, for the team
        closest = {}
        for g in d["gold"]:
            best = max(ents, key=lambda e: mt.dice(g, e["surface"]), default=None)
            if best is not None and mt.dice(g, best["surface"]) > 0:
                closest[g] = {
                    "surface": best["surface"],
                    "type": best["type"],
                    "dice": round(mt.dice(g, best["surface"]), 3),
                }
            else:
                closest[g] = None

        # non-ORG entities that look like agencies (head word) or match a gold name
        other = []
        for e in ents:
            if e["type"] == "ORG":
                continue
            f = fold_name(e["surface"])
            golds = [g for g in d["gold"] if mt.match(g, e["surface"])]
            if golds or AGENCY_HEAD.match(f):
                other.append({**e, "matches_gold": golds})

        gen = {g: is_generic(g, gaz) for g in d["gold"]}
        # ceiling for any span tagger: is the gold name written out in the text?
        doc_toks = _toks(d["text"])
        literal = {g: _contains(doc_toks, mt.keys(g)[2]) for g in d["gold"]}
        rows.append(
            {
                "id": d["id"],
                "file": d["file"],
                "chars": len(d["text"]),
                "segments": nseg,
                "gold": d["gold"],
                "generic": gen,
                "literal_in_text": literal,
                "congvan": {"time_s": round(cv_t, 4), "mentions": len(cv), "per_name": s_cv},
                "underthesea": {
                    "time_s": round(ut_t, 3),
                    "entities": ents,
                    "per_name_org": s_org,
                    "per_name_any": s_any,
                    "closest": closest,
                    "agency_like_non_org": other,
                },
            }
        )

    # ------------------------------------------------------------ aggregate
    def tot(sel: Any) -> dict[str, Any]:
        n = cv = org = anyf = lit = 0
        for r in rows:
            for g in r["gold"]:
                if not sel(r, g):
                    continue
                n += 1
                lit += r["literal_in_text"][g]
                cv += r["congvan"]["per_name"][g] is not None
                org += r["underthesea"]["per_name_org"][g] is not None
                anyf += r["underthesea"]["per_name_any"][g] is not None
        return {
            "gold_names": n,
            "literal_in_text": lit,
            "literal_share": share(lit, n),
            "congvan_found": cv,
            "congvan_share": share(cv, n),
            "underthesea_org_found": org,
            "underthesea_org_share": share(org, n),
            "underthesea_any_found": anyf,
            "underthesea_any_share": share(anyf, n),
        }

    overall = tot(lambda r, g: True)
    named = tot(lambda r, g: not r["generic"][g])
    generic = tot(lambda r, g: r["generic"][g])
    overall["congvan_time_s"] = round(sum(r["congvan"]["time_s"] for r in rows), 3)
    overall["underthesea_time_s"] = round(sum(r["underthesea"]["time_s"] for r in rows), 2)
    overall["congvan_load_s"] = round(cv_load, 2)
    overall["underthesea_load_s"] = round(ut_load, 2)

    # ------------------------------------------------------------ table
    print(
        f"Agency recognition on corpus kind=text ({len(rows)} documents); underthesea split: {args.split}; "
        f"code: {_git_state()}"
    )
    print("share = gold lead/support names found by the rule (fold_name/fold_agency equality, or")
    print(f"        contiguous token containment covering >= {OVERLAP:.0%}); ut ORG = B-/I-ORG spans only;")
    print("        ut any = ORG+LOC+PER+MISC spans (reference only); in txt = gold name written out")
    print("        in the text (folded tokens, abbreviations expanded): the ceiling for a span tagger")
    print()
    hdr = f"{'doc':<5}{'chars':>7}{'sents':>6}{'gold':>6}{'in txt':>8}{'congvan':>9}{'ut ORG':>8}{'ut any':>8}{'cv s':>8}{'ut s':>8}"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        n = len(r["gold"])
        c = sum(v is not None for v in r["congvan"]["per_name"].values())
        o = sum(v is not None for v in r["underthesea"]["per_name_org"].values())
        a = sum(v is not None for v in r["underthesea"]["per_name_any"].values())
        lt = sum(r["literal_in_text"].values())
        print(
            f"{r['id']:<5}{r['chars']:>7}{r['segments']:>6}{n:>6}{pct(share(lt, n)):>8}{pct(share(c, n)):>9}{pct(share(o, n)):>8}"
            f"{pct(share(a, n)):>8}{r['congvan']['time_s']:>8.3f}{r['underthesea']['time_s']:>8.2f}"
        )
    print("-" * len(hdr))
    for label, t in (("ALL", overall), ("named", named), ("group", generic)):
        extra = (
            f"{overall['congvan_time_s']:>8.3f}{overall['underthesea_time_s']:>8.2f}"
            if label == "ALL"
            else ""
        )
        print(
            f"{label:<5}{'':>7}{'':>6}{t['gold_names']:>6}{pct(t['literal_share']):>8}{pct(t['congvan_share']):>9}"
            f"{pct(t['underthesea_org_share']):>8}{pct(t['underthesea_any_share']):>8}{extra}"
        )
    print(
        f"\nOverall: {overall['gold_names']} gold names; congvan {overall['congvan_found']} "
        f"({pct(overall['congvan_share']).strip()}), underthesea ORG {overall['underthesea_org_found']} "
        f"({pct(overall['underthesea_org_share']).strip()}), underthesea any type {overall['underthesea_any_found']} "
        f"({pct(overall['underthesea_any_share']).strip()})."
    )
    print(
        f"Time: congvan find {overall['congvan_time_s']:.3f} s (+ gazetteer build {cv_load:.2f} s); "
        f"underthesea {overall['underthesea_time_s']:.1f} s (+ model load {ut_load:.2f} s)."
    )
    print(
        "named = a specific body; group = a group/descriptive phrase (gazetteer level 'group', or 'các'/comma/generic head)."
    )

    # ------------------------------------------------------------ lists
    neither = []
    only_ut = []
    for r in rows:
        for g in r["gold"]:
            c = r["congvan"]["per_name"][g]
            o = r["underthesea"]["per_name_org"][g]
            if c is None and o is None:
                neither.append(
                    {"id": r["id"], "name": g, "group": r["generic"][g], "in_text": r["literal_in_text"][g]}
                )
            elif c is None and o is not None:
                only_ut.append({"id": r["id"], "name": g, "by": o["by"]})
    print(f"\nGold names found by neither ({len(neither)}):")
    for x in neither:
        tags = ("  [group]" if x["group"] else "") + ("" if x["in_text"] else "  [not written out]")
        print(f"  {x['id']}  {x['name']}{tags}")
    print(f"\nGold names found by underthesea ORG but not congvan ({len(only_ut)}):")
    for x in only_ut:
        print(f"  {x['id']}  {x['name']}  <- {x['by']}")

    from collections import Counter

    tag_counts: Counter[str] = Counter()
    gold_hits_by_type: Counter[str] = Counter()
    for r in rows:
        for e in r["underthesea"]["agency_like_non_org"]:
            tag_counts[e["type"]] += 1
        for h in r["underthesea"]["per_name_any"].values():
            if h:
                gold_hits_by_type[h["label"]] += 1
    org_total = sum(1 for r in rows for e in r["underthesea"]["entities"] if e["type"] == "ORG")
    print(
        f"\nunderthesea entities: {org_total} ORG spans in all; agency-looking non-ORG spans by tag: {dict(tag_counts)}"
    )
    print(f"gold names matched by an underthesea span, by the span's tag: {dict(gold_hits_by_type)}")
    print("\nAgency-looking non-ORG spans (first 25):")
    k = 0
    for r in rows:
        for e in r["underthesea"]["agency_like_non_org"]:
            if k >= 25:
                break
            mark = f"   = gold {e['matches_gold']}" if e["matches_gold"] else ""
            print(f"  {r['id']}  {e['type']:<5} {e['surface']}{mark}")
            k += 1

    print("\nGold name -> closest underthesea span (any type; token Dice):")
    for r in rows:
        for g in r["gold"]:
            c = r["underthesea"]["closest"][g]
            cs = f"{c['type']:<4} {c['surface']!r} ({c['dice']})" if c else "-"
            print(f"  {r['id']}  {g!r:<60} {cs}")

    result = {
        "git": _git_state(),
        "split": args.split,
        "overlap": OVERLAP,
        "overall": overall,
        "named": named,
        "group": generic,
        "documents": rows,
        "found_by_neither": neither,
        "found_by_underthesea_only": only_ut,
        "non_org_agency_like_tags": dict(tag_counts),
    }
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
