"""Where a value sits on a page image: the words of each page with their boxes.

The contract records character spans into the text, not positions on the
page, so a value is found again on the page: its words, folded (case, tone
placement, Unicode form; pipeline.folding), are looked for as a run of the
page's words. A PDF's text layer gives its words with pdfplumber (about a
second a document, done when first asked); a scanned page's words come from
tesseract's word boxes (TSV) on the page rendered at 150 dpi — seconds a page,
so the server's worker does it in the background after the extraction and
the page has no boxes until then. Cached per document in
DATA/pages/<sha256>/words.json.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from pipeline.folding import fold
from pipeline.readers.dispatch import IMAGE_SUFFIXES

MAX_QUERY_WORDS = 12  # a long task text is found by its first words
MIN_TEXT_WORDS = 5  # a PDF page with fewer words in its text layer is a scan
OCR_DPI = 150  # enough for tesseract to find the words again; A4: 1240 x 1754 pixels


def words_cache(data_dir: Path, sha256: str) -> Path:
    return data_dir / "pages" / sha256 / "words.json"


def page_words(data_dir: Path, stored: Path, sha256: str, ocr: bool = False) -> list[dict[str, Any]] | None:
    """Per page: its size and its words as [folded word, x0, top, x1, bottom].
    None when the document has scanned pages and ``ocr`` is False (their words
    are not read yet)."""
    cache = words_cache(data_dir, sha256)
    if cache.exists():
        data: list[dict[str, Any]] = json.loads(cache.read_text(encoding="utf-8"))
        return data
    pages: list[dict[str, Any]] = []
    suffix = stored.suffix.lower()
    if suffix == ".pdf":
        import pdfplumber

        with pdfplumber.open(stored) as pdf:
            for n, p in enumerate(pdf.pages, start=1):
                x0, top = float(p.bbox[0]), float(p.bbox[1])
                words = [
                    [fold(w["text"]), round(float(w["x0"]) - x0, 1), round(float(w["top"]) - top, 1),
                     round(float(w["x1"]) - x0, 1), round(float(w["bottom"]) - top, 1)]
                    for w in p.extract_words(keep_blank_chars=False, use_text_flow=True)
                ]
                p.flush_cache()
                if len(words) < MIN_TEXT_WORDS:  # a scanned page
                    if not ocr:
                        return None
                    pages.append(_ocr_page(stored, n))
                else:
                    pages.append({"width": float(p.width), "height": float(p.height), "words": words})
    elif suffix in IMAGE_SUFFIXES:
        if not ocr:
            return None
        pages.append(_ocr_page(stored, 1))
    cache.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".words-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(pages, fh, ensure_ascii=False)
    os.replace(tmp, cache)
    return pages


def _ocr_page(stored: Path, page: int) -> dict[str, Any]:
    """A scanned page's words and boxes (pixels of the page at OCR_DPI) from tesseract's TSV."""
    with tempfile.TemporaryDirectory(prefix="congvan-ocr-") as tmp:
        png = Path(tmp) / "page.png"
        if stored.suffix.lower() == ".pdf":
            subprocess.run(
                ["pdftoppm", "-png", "-r", str(OCR_DPI), "-f", str(page), "-l", str(page), "-singlefile", str(stored), str(png)[:-4]],
                check=True, capture_output=True, timeout=120,
            )
        else:
            from PIL import Image

            with Image.open(stored) as im:
                im.convert("RGB").save(png)
        from PIL import Image

        with Image.open(png) as im:
            width, height = im.size
        run = subprocess.run(
            ["tesseract", str(png), "-", "-l", "vie", "--psm", "3", "tsv"],
            capture_output=True, timeout=300, env=dict(os.environ, OMP_THREAD_LIMIT="1"), check=True,
        )
    words = []
    for row in csv.DictReader(io.StringIO(run.stdout.decode("utf-8", "replace")), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        x, y, w, h = (int(row[k]) for k in ("left", "top", "width", "height"))
        words.append([fold(text), x, y, x + w, y + h])
    return {"width": float(width), "height": float(height), "words": words}


PUNCT = ".,;:()\"'“”/-–"


def _tokens(text: str) -> list[str]:
    return [t for t in (w.strip(PUNCT) for w in fold(text).split()) if t]


def locate(pages: list[dict[str, Any]], query: str, find: str = "") -> list[dict[str, Any]]:
    """Boxes of a value on the pages: ``query`` is the text of its span (as
    printed), ``find`` a name inside it (a lead agency in a task's text).
    One box per line of words: page number, then x, y, w, h as fractions of
    the page. Empty when the words are not found (a repaired or OCR'd text)."""
    flat = [(n, w) for n, page in enumerate(pages, start=1) for w in page["words"]]
    toks = [w[0].strip(PUNCT) for _, w in flat]
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
        same_line = last and last["page"] == n and abs(last["_top"] - w[2]) < 0.5 * max(1.0, w[4] - w[2])
        if last and same_line and w[1] >= last["_x1"] - 1:
            last["_x1"], last["_bottom"] = w[3], max(last["_bottom"], w[4])
        else:
            boxes.append({"page": n, "_x0": w[1], "_top": w[2], "_x1": w[3], "_bottom": w[4], "W": W, "H": H})
    return [
        {"page": b["page"], "x": b["_x0"] / b["W"], "y": b["_top"] / b["H"],
         "w": (b["_x1"] - b["_x0"]) / b["W"], "h": (b["_bottom"] - b["_top"]) / b["H"]}
        for b in boxes
    ]


def locate_from_label(pages: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """The box of a number line whose serial was written by hand and read
    differently here ("Số: Ø0 /CT-UBND"): the printed last word (the
    notation) found on the page, widened left to its label ("Số") on the same
    line, so the crop shows the ink between them. Empty when either is missing."""
    want = _tokens(query)
    if len(want) < 2:
        return []
    label, last = want[0], want[-1]
    for n, page in enumerate(pages, start=1):
        words = page["words"]
        for i, w in enumerate(words):
            if w[0].strip(PUNCT) and _tokens(w[0])[-1:] == [last]:
                height = max(1.0, w[4] - w[2])
                left = [
                    v for v in words[max(0, i - 8) : i]
                    if _tokens(v[0])[:1] == [label] and abs(v[2] - w[2]) < height and v[3] <= w[1] + 1
                ]
                if not left:
                    continue
                v = left[-1]
                W, H = page["width"] or 1, page["height"] or 1
                top, bottom = min(v[2], w[2]), max(v[4], w[4])
                return [{"page": n, "x": v[1] / W, "y": top / H, "w": (w[3] - v[1]) / W, "h": (bottom - top) / H}]
    return []


def _find(toks: list[str], want: list[str], lo: int, hi: int) -> int:
    """Start of the first run of ``toks`` equal to ``want``; a run of 4 words
    or more may differ in one word of four (OCR misreads a word now and then)."""
    if not want:
        return -1
    budget = len(want) // 4
    for i in range(lo, hi - len(want) + 1):
        if toks[i] != want[0] and budget == 0:
            continue
        misses = 0
        for a, b in zip(toks[i : i + len(want)], want, strict=True):
            if a != b:
                misses += 1
                if misses > budget:
                    break
        else:
            return i
    return -1
