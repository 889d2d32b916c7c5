"""Generated PDFs and scans with known truth, from the corpus's text documents: how much do scans cost?

For every text document of corpus/ (manifest kind "text") this script
  1. splits the document's text into the parts Decree 30 places on the page (issuer,
     Số, V/v, Quốc hiệu, place-date, title, Kính gửi, body, Nơi nhận, signature) and lays
     them out again with scripts/make_fixtures.py: a text PDF (reportlab, Liberation Serif)
     and simulated scans of it at 300 and 200 dpi (rotation, blur, noise, JPEG, a red seal
     over the signature; image-only PDFs). Deterministic (fixed seeds), cached in --work.
     The known truth is the document's gold file (same document, re-laid out) and the
     known text is the laid-out text (<work>/gen/<id>/<id>.txt, reading order).
  2. runs the pipeline on the original corpus text (orig), the laid-out text (text), the
     text PDF (pdf), and the 300 and 200 dpi scans (scan300, scan200), writing
     <work>/pred-<variant>/<id>.json;
  3. prints OCR character error rates (whole text, header / body / closing), the congvan
     eval table per variant, the per-field F1 of the header fields on scans minus text
     (flagging drops > 0.03), the header fields that differ per document, and OCR seconds
     per page.

Usage:
  python scripts/eval_generated.py                 # all text documents that can be laid out
  python scripts/eval_generated.py --quick         # two documents
  python scripts/eval_generated.py --ids 000 102   # these documents
  python scripts/eval_generated.py --reuse         # reuse predictions already in --work (report only)

Skipped by default: 111 (tesseract output of a scan: garbled header, marginal noise), 112 (a
web page flattened into one line with detached diacritics), 113 (a web page with navigation
text; its gold was made from the page). --ids forces any of them.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import make_fixtures as mf  # noqa: E402

SKIP = {
    "111": "tesseract output of a scan (garbled header, marginal noise)",
    "112": "web page flattened to one line, detached diacritics",
    "113": "web page with navigation text around the document",
}
VARIANTS = ("orig", "text", "pdf", "scan300", "scan200")
GEN_VERSION = "2"  # bump when the layout code changes, to rebuild the cache

# ---------------------------------------------------------------------------------------------
# Splitting a corpus text into Decree 30 parts
# ---------------------------------------------------------------------------------------------

TITLES = {
    "THÔNG BÁO", "KẾ HOẠCH", "QUYẾT ĐỊNH", "CHỈ THỊ", "BÁO CÁO", "TỜ TRÌNH", "HƯỚNG DẪN",
    "CÔNG ĐIỆN", "GIẤY MỜI", "NGHỊ QUYẾT", "CHƯƠNG TRÌNH", "QUY CHẾ", "QUY ĐỊNH", "PHƯƠNG ÁN",
    "ĐỀ ÁN", "DỰ ÁN", "BIÊN BẢN", "KẾT LUẬN", "THÔNG CÁO", "CÔNG VĂN",
}
NATIONAL_RE = re.compile(r"^(CỘNG H(?:ÒA|OÀ) XÃ HỘI|Độc lập\s*-|ĐẢNG CỘNG SẢN VIỆT NAM)")
DATE_LINE_RE = re.compile(r"^[A-ZĐÀ-Ỹ][^,\d]{1,40},\s*ngày\b")
NUMBER_RE = re.compile(r"^Số\b\s*:?")
SUBJECT_RE = re.compile(r"^(V/v|[Vv]ề việc)\b")
ENUM_RE = re.compile(
    r"^(\d+(\.\d+)*\.\s|\d+(\.\d+)+\s|[a-zđ]\)\s|[IVXLC]+\.\s|[-+•]\s|Điều \d+|Chương [IVXLC\d]|Mục \d|Phần [IVXLC\d])"
)
CLOSING_RE = re.compile(r"^(Nơi nhận|Noi nhận)\b")
AUTH_RE = re.compile(r"^(KT\.|TM\.|T/M|TL\.|TUQ\.|Q\.)")
SEPARATOR_RE = re.compile(r"^[-—_=\s*]+$")
GAP_RE = re.compile(r"\s{3,}")


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) > 3 and all(c.isupper() for c in letters)


def words(s: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+", nfc(s).casefold()) if w]


def split_items(cell: str) -> list[str]:
    """'Nơi nhận: - a; - b.' -> ['Nơi nhận:', '- a;', '- b.'] (dashes after ; : . or at the start)."""
    return [p.strip() for p in re.split(r"(?:(?<=[;:.,])|^)\s*(?=-\s)", cell) if p.strip()]


def expand_table_row(line: str, gold: dict[str, Any]) -> list[str]:
    """A markdown table row -> printed lines. Two-cell rows are header/Kính gửi/closing columns."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if all(SEPARATOR_RE.match(c) or not c for c in cells):
        return []
    cells = [re.sub(r"\*", "", c).strip() for c in cells]
    if len(cells) != 2:
        return ["  ".join(c for c in cells if c)]
    left, right = cells
    if CLOSING_RE.match(left):
        out = split_items(left)
        parts = [p.strip() for p in GAP_RE.split(right) if p.strip()]
        name = (gold.get("signer") or {}).get("name")
        caps: list[str] = []
        for p in parts:
            if name and nfc(p) == nfc(name):
                continue
            for q in re.split(r"\s{2,}", p):
                fp = ((gold.get("signer") or {}).get("for_position") or "").upper()
                auth = AUTH_RE.match(q)
                if auth and fp and fp in q and not q.rstrip().endswith(fp):
                    cut = q.index(fp) + len(fp)
                    caps += [q[:cut].strip(), q[cut:].strip()]
                else:
                    caps.append(q)
        return out + [f"{' ' * 40}{c}" for c in caps] + ([f"{' ' * 40}{name}"] if name and name in right else [])
    if left.startswith("Kính gửi"):
        return [left + " " + right] if not right.startswith("-") else [left] + split_items(right)
    # header row: split each cell into its printed lines
    out = [p.strip() for p in re.split(r"-{3,}|\s+(?=Số\s*:|V/v)", left) if p and p.strip()]
    out += [p.strip() for p in re.split(r"-{3,}|\s+(?=Độc lập)", right) if p and p.strip()]
    return out


def clean_lines(text: str, markdown: bool, gold: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for raw in nfc(text).replace("\f", "\n").splitlines():
        line = raw.rstrip()
        s = line.strip()
        if s.startswith(("[Bản trích chữ", "[OCR]")):
            continue
        if s.startswith("|"):
            out += expand_table_row(s, gold)
            continue
        if markdown:
            line = re.sub(r"^#+\s*", "", line.replace("**", "").replace("*", ""))
            if line.strip().startswith("#"):
                continue
        if s == "*" or (s and SEPARATOR_RE.match(s) and "-" in s and len(s) > 3):
            continue
        out.append(line)
    return out


def split_gap(line: str) -> tuple[str, str | None]:
    """'ỦY BAN NHÂN DÂN      CỘNG HÒA …' -> left, right when the right part is a right-column line."""
    s = line.strip()
    for m in GAP_RE.finditer(s):
        rest = s[m.end():]
        if NATIONAL_RE.match(rest) or DATE_LINE_RE.match(rest):
            return s[: m.start()].strip(), rest.strip()
    return s, None


def tidy(s: str, keep_gaps: bool = False) -> str:
    """Collapse spaces; in Số / date lines keep a short gap where the number or day is blank."""
    if keep_gaps:
        return re.sub(r"\s{2,}", lambda m: " " * min(len(m.group()), 6), s.strip())
    return re.sub(r"\s+", " ", s).strip()


def join_wrapped(parts: list[str]) -> str:
    out = ""
    for p in parts:
        p = tidy(p)
        if not out:
            out = p
        elif re.search(r"\w-$", out) and p[:1].isupper():  # "25/TB-" + "VPCP"
            out += p
        else:
            out += " " + p
    return out


def reflow(lines: list[str], markdown: bool) -> list[tuple[str, str]]:
    """Printed lines -> paragraphs (style, text)."""
    paras: list[str] = []
    lengths = sorted(len(tidy(x)) for x in lines if len(tidy(x)) > 20)
    full = lengths[int(len(lengths) * 0.9)] if lengths else 80  # a full printed line
    prev_len = full
    for line in lines:
        s = tidy(line)
        if not s:
            continue
        if markdown:
            paras.append(s)
            continue
        if re.fullmatch(r"\d{1,3}", s):  # a page number
            continue
        prev = paras[-1] if paras else ""
        dash_cont = s.startswith("- ") and s[2:3].islower() and prev and not prev.endswith((".", ":", ";"))
        new = not dash_cont and (
            not paras
            or ENUM_RE.match(s)
            or is_caps(s)
            or is_caps(prev)
            or (not s[0].islower() and (prev.endswith((".", ":", ";", "!", "?")) or prev_len < 0.7 * full))
        )
        prev_len = len(s)
        if new:
            paras.append(s)
        else:
            paras[-1] = join_wrapped([prev, s])
    out = []
    for p in paras:
        if is_caps(p) and len(p) < 200:
            out.append(("h" if ENUM_RE.match(p) else "c", p))
        else:
            out.append(("p", p))
    return out


def parse_document(text: str, gold: dict[str, Any], markdown: bool) -> mf.D30Doc:
    lines = clean_lines(text, markdown, gold)
    strip = [tidy(x) for x in lines]
    n = len(lines)
    closing = next((i for i, s in enumerate(strip) if CLOSING_RE.match(s)), n)
    # the header ends at the type title or at Kính gửi, whichever comes first
    body_start = next(
        (i for i, s in enumerate(strip[:closing]) if s in TITLES or s.startswith("Kính gửi")), None
    )
    if body_start is None or body_start > 40:
        body_start = 0
    issuer: list[str] = []
    national: list[str] = []
    number = date_line = None
    subject_parts: list[str] = []
    for line in lines[:body_start]:
        left, right = split_gap(line)
        for part in (left, right):
            if not part:
                continue
            s = tidy(part)
            if NATIONAL_RE.match(s):
                national.append(s)
            elif DATE_LINE_RE.match(s):
                date_line = tidy(part, keep_gaps=True)
            elif NUMBER_RE.match(s) and number is None:
                number = tidy(part, keep_gaps=True)
            elif SUBJECT_RE.match(s) or subject_parts:
                subject_parts.append(s)
            elif number is None and is_caps(s):
                issuer.append(s)
            else:
                subject_parts.append(s)  # a continuation of V/v printed before it
    i = body_start
    title: list[str] = []
    if i < closing and strip[i] in TITLES:
        title.append(strip[i])
        i += 1
        gold_subject = words(gold.get("subject") or "")
        got: list[str] = []
        sub_parts: list[str] = []
        while i < closing:
            s = strip[i]
            if not s:
                if sub_parts and not gold_subject:
                    break
                i += 1
                continue
            w = words(s)
            if gold_subject:
                share = sum(x in gold_subject for x in w) / max(1, len(w))
                if share < 0.7 or len(got) >= len(gold_subject) or s.startswith("Kính gửi"):
                    break
            elif s.startswith("Kính gửi") or ENUM_RE.match(s) or len(sub_parts) >= 3:
                break
            sub_parts.append(s)
            got += w
            i += 1
        if sub_parts:
            title.append(join_wrapped(sub_parts))
    while i < closing and not strip[i]:
        i += 1
    recipients: list[str] = []
    if i < closing and strip[i].startswith("Kính gửi"):
        head, _, rest = strip[i].partition(":")
        rest = rest.strip()
        items: list[str] = []
        if rest.startswith("-"):
            items.append(rest)
        elif rest:
            recipients = [strip[i]]
        i += 1
        if not recipients:
            while i < closing:
                s = strip[i]
                if not s:
                    i += 1
                    continue
                if s.startswith("-"):
                    items.append(s)
                elif items and not items[-1].endswith((".", ";")):
                    items[-1] = join_wrapped([items[-1], s])
                else:
                    break
                if items[-1].endswith("."):
                    i += 1
                    break
                i += 1
            recipients = [head + ":"] + items
    body = reflow(lines[i:closing], markdown)
    # closing: left = Nơi nhận list, right = caps signature lines and the name
    name = (gold.get("signer") or {}).get("name")
    closing_left: list[str] = []
    closing_right: list[str] = []
    signer_name = None
    end = n
    for j in range(closing, n):
        left, right = None, None
        s = lines[j].strip()
        if not s:
            continue
        parts = [p for p in GAP_RE.split(s) if p.strip()]
        for p in parts:
            p = tidy(p)
            if name and nfc(p) == nfc(name):
                signer_name = p
            elif (is_caps(p) or AUTH_RE.match(p)) and not p.startswith("-") and not CLOSING_RE.match(p):
                closing_right.append(p)
            elif signer_name is None and not name and closing_right and not p.startswith(("-", "(")):
                signer_name = p  # no gold name: the first plain line after the caps lines
            elif signer_name is None:
                if closing_left and not p.startswith(("-", "(")) and not closing_left[-1].endswith((";", ".", ":")):
                    closing_left[-1] = join_wrapped([closing_left[-1], p])
                else:
                    closing_left.append(p)
        if signer_name is not None:
            end = j + 1
            while end < n and (not lines[end].strip() or lines[end].strip().startswith("- ")):
                if lines[end].strip():  # distribution items printed beside or after the name
                    closing_left.append(tidy(lines[end]))
                end += 1
            break
    after = reflow(lines[end:], markdown) if end < n else []
    return mf.D30Doc(
        issuer=issuer,
        number=number,
        subject=join_wrapped(subject_parts) if subject_parts else None,
        national=national,
        date_line=date_line,
        title=title,
        recipients=recipients,
        body=body,
        closing_left=closing_left,
        closing_right=closing_right,
        signer_name=signer_name,
        after=after,
    )


def sanity(doc_id: str, known: str, gold: dict[str, Any]) -> list[str]:
    """Gold values that cannot be found in the laid-out text (the layout lost something)."""
    flat = re.sub(r"\s+", "", known).casefold()
    probs = []
    num = gold.get("number") or {}
    for key, val in (
        ("number.serial", num.get("serial")),
        ("number.notation", num.get("notation")),
        ("place", gold.get("place")),
        ("signer.name", (gold.get("signer") or {}).get("name")),
    ):
        if val and re.sub(r"\s+", "", val).casefold() not in flat:
            probs.append(f"{key} {val!r} not in laid-out text")
    for t in gold.get("tasks") or []:
        tw = words(t.get("text", ""))
        if tw and sum(w in set(words(known)) for w in tw) / len(tw) < 0.9:
            probs.append(f"task {t.get('id')} words missing")
    return probs


# ---------------------------------------------------------------------------------------------
# Generation (cached)
# ---------------------------------------------------------------------------------------------


def generate(entry: dict[str, Any], gold: dict[str, Any], work: Path) -> dict[str, Any]:
    doc_id = entry["id"]
    src = ROOT / "corpus" / entry["file"]
    d30 = parse_document(src.read_text(encoding="utf-8"), gold, entry["format"] == "markdown")
    spec = json.dumps(asdict(d30), ensure_ascii=False, sort_keys=True)
    key = hashlib.sha256((GEN_VERSION + spec).encode()).hexdigest()[:16]
    out = work / "gen" / doc_id
    out.mkdir(parents=True, exist_ok=True)
    meta_path = out / "meta.json"
    lay = mf.layout_decree30(d30)
    files = {
        "text": out / f"{doc_id}.txt",
        "pdf": out / f"{doc_id}.pdf",
        "scan300": out / f"{doc_id}-scan300.pdf",
        "scan200": out / f"{doc_id}-scan200.pdf",
    }
    cached = meta_path.exists() and json.loads(meta_path.read_text()).get("key") == key
    if not (cached and all(p.exists() for p in files.values())):
        for stale in out.glob(f"{doc_id}-scan*"):  # page count may have changed
            stale.unlink()
        (out / f"{doc_id}.spec.json").write_text(spec, encoding="utf-8")
        files["text"].write_text("\n".join(lay.layout.reading_lines) + "\n", encoding="utf-8")
        (out / f"{doc_id}.layout.txt").write_text("\n".join(lay.layout.layout_lines) + "\n", encoding="utf-8")
        mf.write_text_pdf(lay.layout, files["pdf"])
        for dpi in (300, 200):
            mf.make_scans(lay.layout, out, doc_id, dpi)
        meta_path.write_text(json.dumps({"key": key}), encoding="utf-8")
    pages = max((it.page for it in lay.layout.items), default=0) + 1
    return {"files": files, "layout": lay, "pages": pages, "source": src}


# ---------------------------------------------------------------------------------------------
# Character error rate (numpy Levenshtein; quality.cer is pure Python and too slow for 40k chars)
# ---------------------------------------------------------------------------------------------


def collapse(s: str) -> str:
    return re.sub(r"\s+", " ", nfc(s)).strip()


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(b) + 1, dtype=np.int64)
    prev = idx.copy()
    for i, ca in enumerate(a, 1):
        t = np.minimum(prev[:-1] + (bb != ord(ca)), prev[1:] + 1)
        c = np.concatenate(([i], t))
        prev = np.minimum.accumulate(c - idx) + idx
    return int(prev[-1])


def cer(ref: str, hyp: str) -> float:
    ref, hyp = collapse(ref), collapse(hyp)
    return levenshtein(ref, hyp) / max(1, len(ref))


def cut_hyp(ref_regions: list[str], hyp: str) -> list[str]:
    """Cut the OCR text where the reference regions meet (word-level alignment)."""
    ref_words: list[str] = []
    bounds = []
    for r in ref_regions:
        ref_words += collapse(r).split()
        bounds.append(len(ref_words))
    hyp_words = collapse(hyp).split()
    sm = difflib.SequenceMatcher(None, ref_words, hyp_words, autojunk=False)
    blocks = [b for b in sm.get_matching_blocks() if b.size]

    def to_hyp(r: int) -> int:
        best = None
        for b in blocks:
            if b.a <= r <= b.a + b.size:
                return b.b + (r - b.a)
            if b.a > r:
                best = b.b
                break
        if best is None:
            return len(hyp_words)
        return best

    cuts = [0] + [to_hyp(bd) for bd in bounds[:-1]] + [len(hyp_words)]
    cuts = [max(cuts[: k + 1]) for k in range(len(cuts))]
    return [" ".join(hyp_words[cuts[k] : cuts[k + 1]]) for k in range(len(ref_regions))]


# ---------------------------------------------------------------------------------------------
# Running the pipeline
# ---------------------------------------------------------------------------------------------


def run_variant(path: Path, pred: Path, side: Path, reuse: bool) -> dict[str, Any]:
    from pipeline import run_state

    if reuse and pred.exists() and side.exists():
        return json.loads(side.read_text(encoding="utf-8"))
    start = time.perf_counter()
    try:
        state = run_state(path)
        doc = state.document
        pred.write_text(doc.model_dump_json(), encoding="utf-8")
        info = {
            "ok": True,
            "text": doc.text,
            "pages": doc.source.pages if doc.source else None,
            "ocr": bool(doc.source and doc.source.ocr),
            "timings": dict(state.timings),
            "seconds": time.perf_counter() - start,
            "warnings": [w.code if hasattr(w, "code") else str(w) for w in doc.warnings],
        }
    except Exception as e:  # noqa: BLE001 - reported, the run goes on
        pred.unlink(missing_ok=True)
        info = {"ok": False, "error": f"{type(e).__name__}: {e}", "seconds": time.perf_counter() - start}
    side.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    return info


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def fmt(x: float | None, pct: bool = True) -> str:
    if x is None:
        return "   -  "
    return f"{100 * x:6.2f}%" if pct else f"{x:6.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/congvan-generated"))
    ap.add_argument("--ids", nargs="+", help="document ids (default: every text document but 111-113)")
    ap.add_argument("--quick", action="store_true", help="two documents (000 and 102)")
    ap.add_argument("--reuse", action="store_true", help="reuse predictions already in --work")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    ap.add_argument("--misses", type=int, default=0, help="print up to N misses per field and variant")
    args = ap.parse_args()

    from pipeline.evaluate import (
        HEADER_FIELDS,
        Count,
        Folder,
        _get,
        evaluate,
        format_table,
        read_manifest,
    )

    corpus = ROOT / "corpus"
    entries = [e for e in read_manifest(corpus) if e["kind"] == "text"]
    if args.ids:
        wanted = set(args.ids)
        entries = [e for e in entries if e["id"] in wanted]
    else:
        skipped = [e["id"] for e in entries if e["id"] in SKIP]
        entries = [e for e in entries if e["id"] not in SKIP]
        if args.quick:
            entries = [e for e in entries if e["id"] in ("000", "102")]
        for s in skipped:
            print(f"skipped {s}: {SKIP[s]}")
    work: Path = args.work
    for v in args.variants:
        (work / f"pred-{v}").mkdir(parents=True, exist_ok=True)

    results: dict[str, dict[str, Any]] = {}
    for e in entries:
        doc_id = e["id"]
        gold = json.loads((corpus / "gold" / f"{doc_id}.json").read_text(encoding="utf-8"))
        t0 = time.perf_counter()
        gen = generate(e, gold, work)
        known = gen["files"]["text"].read_text(encoding="utf-8")
        for p in sanity(doc_id, known, gold):
            print(f"  warning {doc_id}: {p}")
        runs = {}
        for v in args.variants:
            path = gen["source"] if v == "orig" else gen["files"][v]
            runs[v] = run_variant(path, work / f"pred-{v}" / f"{doc_id}.json", work / f"pred-{v}" / f"{doc_id}.run.json", args.reuse)
            if not runs[v]["ok"]:
                print(f"  {doc_id} {v}: FAILED {runs[v]['error']}")
        results[doc_id] = {"gen": gen, "runs": runs, "gold": gold}
        print(f"{doc_id}: {gen['pages']} page(s), {time.perf_counter() - t0:.1f} s", flush=True)
    ids = list(results)

    # --- CER -----------------------------------------------------------------------------
    print("\n== OCR character error rate vs the laid-out text (whitespace collapsed) ==")
    print("reading = left column block then right column block; rows = the two columns side by side")
    print("per region against the row order (the order tesseract reads a page in)\n")
    hdr = f"{'doc':<5}{'dpi':>4}{'pages':>6}{'all/read':>10}{'all/rows':>10}{'header':>9}{'body':>9}{'closing':>9}"
    print(hdr)
    cers: dict[str, dict[str, list[float]]] = {}
    for v in ("scan300", "scan200"):
        if v not in args.variants:
            continue
        agg = cers.setdefault(v, {k: [] for k in ("read", "rows", "header", "body", "closing")})
        for doc_id in ids:
            run = results[doc_id]["runs"][v]
            if not run["ok"]:
                continue
            lay = results[doc_id]["gen"]["layout"]
            hyp = run["text"]
            regs = lay.regions
            rows_ref = "\n".join(lay.layout.layout_lines)
            read_ref = "\n".join(lay.layout.reading_lines)
            c_read, c_rows = cer(read_ref, hyp), cer(rows_ref, hyp)
            names = ["header", "body", "closing", "after"]
            refs = ["\n".join(regs[r][0]) for r in names]
            pieces = cut_hyp(refs, hyp)
            reg = {}
            for r, ref, piece in zip(names, refs, pieces, strict=True):
                if r != "after" and collapse(ref):
                    reg[r] = cer(ref, piece)
            for k, x in (("read", c_read), ("rows", c_rows), *reg.items()):
                agg[k].append(x)
            print(
                f"{doc_id:<5}{v[4:]:>4}{run.get('pages') or 0:>6}{fmt(c_read):>10}{fmt(c_rows):>10}"
                f"{fmt(reg.get('header')):>9}{fmt(reg.get('body')):>9}{fmt(reg.get('closing')):>9}"
            )
        for stat, f in (("median", statistics.median), ("mean", statistics.fmean)):
            vals = [fmt(f(agg[k])) if agg[k] else "   -  " for k in ("read", "rows", "header", "body", "closing")]
            print(f"{stat:<9}{v[4:]:>4}{'':>2}{vals[0]:>10}{vals[1]:>10}{vals[2]:>9}{vals[3]:>9}{vals[4]:>9}")
        print()

    # --- eval tables ----------------------------------------------------------------------
    tables: dict[str, dict[str, Count]] = {}
    for v in args.variants:
        counts, n = evaluate(work / f"pred-{v}", corpus, None, set(ids)).total()
        _field_key = Folder(str(corpus / "abbreviations.yaml")).field
        # signer.for_position is not in the eval table: score it the same way
        fp = Count()
        for doc_id in ids:
            p_path = work / f"pred-{v}" / f"{doc_id}.json"
            pred = json.loads(p_path.read_text(encoding="utf-8")) if p_path.exists() else {}
            g = _field_key("signer.for_position", _get(results[doc_id]["gold"], "signer.for_position"))
            p = _field_key("signer.for_position", _get(pred, "signer.for_position"))
            if g and p and g == p:
                fp.tp += 1
            else:
                fp.fp += bool(p)
                fp.fn += bool(g)
        counts["signer.for_position"] = fp
        tables[v] = counts
        print(f"== congvan eval: {v} ==")
        print(format_table(counts, n, args.misses))
        print()

    # --- header F1 differences ------------------------------------------------------------
    fields = HEADER_FIELDS + ["signer.for_position"]
    if "text" in tables:
        others = [v for v in ("orig", "pdf", "scan300", "scan200") if v in tables]
        print("== header field F1: variant minus text (laid-out text); ! = drop > 0.03 ==")
        print(f"{'field':<20}{'text':>7}" + "".join(f"{v:>10}" for v in others))
        flagged = []
        for f in fields:
            base = tables["text"][f].f1
            cells = []
            for v in others:
                d = tables[v][f].f1 - base
                mark = "!" if d < -0.03 else " "
                if mark == "!" and v == "scan300":
                    flagged.append(f)
                cells.append(f"{d:+9.3f}{mark}")
            print(f"{f:<20}{base:>7.3f}" + "".join(cells))
        print(f"\nscan300 header fields dropping > 0.03: {', '.join(flagged) if flagged else 'none'}\n")

        print("== header fields that differ from the text run (per document) ==")
        for doc_id in ids:
            pt = work / "pred-text" / f"{doc_id}.json"
            base = json.loads(pt.read_text(encoding="utf-8")) if pt.exists() else {}
            gold = results[doc_id]["gold"]
            for v in ("pdf", "scan300", "scan200"):
                pv = work / f"pred-{v}" / f"{doc_id}.json"
                if v not in tables or not pv.exists():
                    continue
                pred = json.loads(pv.read_text(encoding="utf-8"))
                for f in fields:
                    if _field_key(f, _get(pred, f)) != _field_key(f, _get(base, f)):
                        ok = "ok" if _field_key(f, _get(pred, f)) == _field_key(f, _get(gold, f)) else "wrong"
                        print(f"  {doc_id} {v:<8}{f:<20} text {_get(base, f)!r} -> {_get(pred, f)!r} ({ok}; gold {_get(gold, f)!r})")
        print()

    # --- timings --------------------------------------------------------------------------
    print("== seconds per page (median over documents) ==")
    for v in args.variants:
        per_ocr, per_read, per_all = [], [], []
        for doc_id in ids:
            run = results[doc_id]["runs"][v]
            if not run.get("ok") or not run.get("pages"):
                continue
            t = run.get("timings", {})
            pages = run["pages"]
            if "read:ocr" in t:
                per_ocr.append(t["read:ocr"] / pages)
            if "read" in t:
                per_read.append(t["read"] / pages)
            per_all.append(run["seconds"] / pages)
        parts = [f"{v:<8}"]
        if per_ocr:
            parts.append(f"read:ocr {statistics.median(per_ocr):.2f} s/page (wall, pages in parallel)")
        if per_read:
            parts.append(f"read {statistics.median(per_read):.2f}")
        if per_all:
            parts.append(f"whole pipeline {statistics.median(per_all):.2f}")
        print("  ".join(parts))


if __name__ == "__main__":
    main()
