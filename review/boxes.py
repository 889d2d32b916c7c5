"""Where a value sits on a page image: word boxes of a PDF's text layer.

The contract records character spans into the text, not positions on the
page, so a value is found again on the page: its words, folded (case, tone
placement, Unicode form; pipeline.folding), are looked for as a run of the
page's words (pdfplumber). The boxes are cached per document in
DATA/pages/<sha256>/words.json. Scanned pages (no text layer) have no boxes
here: that needs the OCR's word boxes kept by the pipeline (left to do).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pipeline.folding import fold

MAX_QUERY_WORDS = 12  # a long task text is found by its first words


def page_words(data_dir: Path, stored: Path, sha256: str) -> list[dict[str, Any]]:
    """Per page: its size and its words as [folded word, x0, top, x1, bottom]."""
    cache = data_dir / "pages" / sha256 / "words.json"
    if cache.exists():
        data: list[dict[str, Any]] = json.loads(cache.read_text(encoding="utf-8"))
        return data
    pages: list[dict[str, Any]] = []
    if stored.suffix.lower() == ".pdf":
        import pdfplumber

        with pdfplumber.open(stored) as pdf:
            for p in pdf.pages:
                x0, top = float(p.bbox[0]), float(p.bbox[1])
                words = [
                    [fold(w["text"]), round(float(w["x0"]) - x0, 1), round(float(w["top"]) - top, 1),
                     round(float(w["x1"]) - x0, 1), round(float(w["bottom"]) - top, 1)]
                    for w in p.extract_words(keep_blank_chars=False, use_text_flow=True)
                ]
                pages.append({"width": float(p.width), "height": float(p.height), "words": words})
                p.flush_cache()
    cache.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".words-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(pages, fh, ensure_ascii=False)
    os.replace(tmp, cache)
    return pages


def _tokens(text: str) -> list[str]:
    return [t for t in (w.strip(".,;:()\"'“”") for w in fold(text).split()) if t]


def locate(pages: list[dict[str, Any]], query: str, find: str = "") -> list[dict[str, Any]]:
    """Boxes of a value on the pages: ``query`` is the text of its span (as
    printed), ``find`` a name inside it (a lead agency in a task's text).
    One box per line of words: page number, then x, y, w, h as fractions of
    the page. Empty when the words are not found (a repaired or OCR'd text)."""
    flat = [(n, w) for n, page in enumerate(pages, start=1) for w in page["words"]]
    toks = [w[0].strip(".,;:()\"'“”") for _, w in flat]
    want = _tokens(query)
    start = _find(toks, want[:MAX_QUERY_WORDS], 0, len(toks))
    if start < 0 and len(want) >= 2 and sum(map(len, want[1:])) >= 5:
        # the first word missing from the text layer (a number written in by hand, a stamp)
        want = want[1:]
        start = _find(toks, want[:MAX_QUERY_WORDS], 0, len(toks))
    if start < 0:
        return []
    run = (start, min(len(flat), start + len(want)))
    if find:
        sub = _tokens(find)[:MAX_QUERY_WORDS]
        at = _find(toks, sub, start, min(len(toks), run[1] + 5))
        if at < 0:
            return []
        run = (at, at + len(sub))
    boxes: list[dict[str, Any]] = []
    for n, w in flat[run[0] : run[1]]:
        W, H = pages[n - 1]["width"] or 1, pages[n - 1]["height"] or 1
        last = boxes[-1] if boxes else None
        if last and last["page"] == n and abs(last["_top"] - w[2]) < 2 and w[1] >= last["_x1"] - 1:
            last["_x1"], last["_bottom"] = w[3], max(last["_bottom"], w[4])
        else:
            boxes.append({"page": n, "_x0": w[1], "_top": w[2], "_x1": w[3], "_bottom": w[4], "W": W, "H": H})
    return [
        {"page": b["page"], "x": b["_x0"] / b["W"], "y": b["_top"] / b["H"],
         "w": (b["_x1"] - b["_x0"]) / b["W"], "h": (b["_bottom"] - b["_top"]) / b["H"]}
        for b in boxes
    ]


def _find(toks: list[str], want: list[str], lo: int, hi: int) -> int:
    if not want:
        return -1
    for i in range(lo, hi - len(want) + 1):
        if toks[i : i + len(want)] == want:
            return i
    return -1
