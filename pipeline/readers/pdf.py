"""PDF files: the text layer in layout form (poppler), page by page checked; OCR where needed.

Measured on corpus/docs 114-125: ``pdftotext -layout`` takes 0.01-0.1 s a document and
is the only extractor that reads the number and day that e-office systems stamp in
signature widgets (pdfplumber: 0.13-6.8 s, pypdfium2: 0.01-0.14 s, both leave
"Số:    /QĐ-UBND" blank). pypdfium2 opens the file (errors, passwords), finds
image coverage and renders pages for OCR.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import time
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.errors import InputError
from pipeline.readers import RawText
from pipeline.readers.glyphs import repair_glyphs
from pipeline.readers.ocr import OCR_DPI, OcrUnavailable, ocr_images
from pipeline.readers.ocr_engines import engine_note
from pipeline.readers.pdf_grid import Word, may_hold_task_table
from pipeline.readers.quality import PageQuality, page_quality, rejection_reason, trust_text_layer
from pipeline.readers.stamps import (
    StampBlock,
    is_signature_text,
    may_hold_signature,
    remove_signature_lines,
    remove_stamp_lines,
    signature_meta,
    strip_arrival_stamp,
)
from pipeline.readers.task_tables import PAGE_MARK, join_continued_tables

PDFTOTEXT_TIMEOUT_S = 120
LOW_CONFIDENCE = 0.6


@dataclass
class PageText:
    """What the text layer says about one page."""

    layout: str  # layout text, stamps removed, glyphs repaired
    stamps: list[StampBlock]
    quality: PageQuality
    glyph_repairs: int
    page_number_only: bool = False  # draws nothing but a page number: nothing for OCR to read


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open with pypdfium2, turning its errors into clerk-readable InputErrors."""
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise InputError(
                path, "the PDF is password-protected: open it, remove the password and save a copy"
            ) from e
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise InputError(path, "the PDF uses an unsupported security handler (encryption)") from e
        if has_zero_pages(path):
            raise InputError(path, "the PDF has no pages") from e
        raise InputError(
            path, "the PDF is damaged or incomplete (truncated download?) and cannot be opened"
        ) from e


def has_zero_pages(path: Path) -> bool:
    """A PDF whose page tree says /Count 0 and that has no page object (PDFium will not open it)."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return bool(re.search(rb"/Count\s*0\b", data)) and not re.search(rb"/Type\s*/Page(?!s)\b", data)


@dataclass(frozen=True)
class PageObjects:
    """What one walk over a page's objects finds (pdfium's raw API: no Python object per text run)."""

    image_fraction: float  # share of the page area covered by images (forms 3 levels deep)
    hidden_fraction: float  # share of text objects drawn invisible (the same depth)
    h_edges: int  # path segments that may be horizontal table rules (any depth)
    v_edges: int  # ... vertical ones
    width: float  # page size in points
    height: float
    drawings: int = 0  # objects of the page other than text (images, paths, forms, shadings)

    @property
    def may_hold_table(self) -> bool:
        """False when pdfplumber's table finder (lines strategy) cannot find a table of
        two rows here: that needs three horizontal rules and two vertical ones (or,
        on a page turned a quarter, the other way round)."""
        return min(self.h_edges, self.v_edges) >= 2 and self.h_edges + self.v_edges >= 5


_IMAGE, _TEXT, _PATH, _FORM = (
    pdfium_c.FPDF_PAGEOBJ_IMAGE,
    pdfium_c.FPDF_PAGEOBJ_TEXT,
    pdfium_c.FPDF_PAGEOBJ_PATH,
    pdfium_c.FPDF_PAGEOBJ_FORM,
)
_BOUNDS_DEPTH = 3  # image and text objects: as deep as pypdfium2's get_objects(max_depth=3)
_PATH_DEPTH = 15  # path objects: pdfminer (pdfplumber) reads forms at any depth


Linear = tuple[float, float, float, float]  # a, b, c, d of a PDF matrix (no translation)


def _linear(obj: object, outer: Linear) -> Linear | None:
    """The object's matrix followed by its forms' (None when pdfium cannot tell)."""
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(m)):
        return None
    a, b, c, d = outer
    return (m.a * a + m.b * c, m.a * b + m.b * d, m.c * a + m.d * c, m.c * b + m.d * d)


def _path_edges(obj: object, matrix: Linear | None) -> tuple[int, int]:
    """(horizontal, vertical) straight pieces of a path object at least 1 pt long on
    the page (pdfplumber drops shorter ones before it joins edges), counted
    generously: every piece between two consecutive points of a subpath and its
    closing piece; a piece that is neither counts as both."""
    n = pdfium_c.FPDFPath_CountSegments(obj)
    x, y = ctypes.c_float(), ctypes.c_float()
    points: list[list[tuple[float, float]]] = []
    for k in range(max(0, n)):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, k)
        if not seg or not pdfium_c.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y)):
            continue
        if pdfium_c.FPDFPathSegment_GetType(seg) == pdfium_c.FPDF_SEGMENT_MOVETO or not points:
            points.append([])
        points[-1].append((x.value, y.value))
    a, b, c, d = matrix if matrix is not None else (1.0, 0.0, 0.0, 1.0)
    h = v = 0
    for sub in points:
        pairs = zip(sub, sub[1:] + sub[:1], strict=True) if len(sub) > 2 else zip(sub, sub[1:], strict=False)
        for (x0, y0), (x1, y1) in pairs:
            dx, dy = x1 - x0, y1 - y0
            px, py = abs(a * dx + c * dy), abs(b * dx + d * dy)
            if matrix is None:
                h, v = h + 1, v + 1
            elif px <= 0.01 and py >= 0.99:
                v += 1
            elif py <= 0.01 and px >= 0.99:
                h += 1
            elif px > 0.01 and py > 0.01:  # slanted: pdfplumber drops it, counted anyway
                h, v = h + 1, v + 1
    return h, v


def scan_page(page: pdfium.PdfPage, edges: bool = False) -> PageObjects:
    """Image coverage and invisible text of a page, and (``edges``) its possible table rules."""
    width, height = page.get_size()
    area = max(1.0, width * height)
    covered = 0.0
    texts = hidden = h_edges = v_edges = drawings = 0
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()

    def walk(parent: object, count: object, get: object, level: int, outer: Linear | None) -> None:
        nonlocal covered, texts, hidden, h_edges, v_edges, drawings
        for i in range(count(parent)):  # type: ignore[operator]
            obj = get(parent, i)  # type: ignore[operator]
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            drawings += level == 0 and kind != _TEXT
            if kind == _IMAGE and level < _BOUNDS_DEPTH:
                if pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
                    w = max(0.0, min(right.value, width) - max(left.value, 0.0))
                    h = max(0.0, min(top.value, height) - max(bottom.value, 0.0))
                    covered += w * h
            elif kind == _TEXT and level < _BOUNDS_DEPTH:
                texts += 1
                if pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE:
                    hidden += 1
            elif kind == _PATH and edges:
                h, v = _path_edges(obj, _linear(obj, outer) if outer is not None else None)
                h_edges, v_edges = h_edges + h, v_edges + v
            elif kind == _FORM and level < (_PATH_DEPTH if edges else _BOUNDS_DEPTH) - 1:
                walk(
                    obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, level + 1,
                    _linear(obj, outer) if outer is not None and edges else None,
                )

    walk(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, 0, (1.0, 0.0, 0.0, 1.0))
    return PageObjects(
        min(1.0, covered / area), hidden / texts if texts else 0.0, h_edges, v_edges, width, height, drawings
    )


_PAGE_NUMBER_CHARS = frozenset("0123456789-– \t\r\n")


def page_number_only(page: pdfium.PdfPage, layout: str, objects: PageObjects) -> bool:
    """A page that draws nothing but a page number ("3", "- 3 -"): no image, no path,
    and every glyph of its text objects (pdfium's text page, so a glyph pdftotext could
    not map counts too) a digit, dash or space. OCR has nothing more to read there
    (295.pdf page 3: the OCR of its "3" read nothing, for 1.2 CPU-s)."""
    if objects.drawings or objects.image_fraction or not PAGE_MARK.fullmatch(layout.strip()):
        return False
    text = pdfium_c.FPDFText_LoadPage(page.raw)
    if not text:
        return False
    try:
        n = pdfium_c.FPDFText_CountChars(text)
        return n > 0 and all(
            (code := pdfium_c.FPDFText_GetUnicode(text, k)) and chr(code) in _PAGE_NUMBER_CHARS for k in range(n)
        )
    finally:
        pdfium_c.FPDFText_ClosePage(text)


def _run_pdftotext(path: Path, *args: str) -> str:
    proc = subprocess.run(
        # an absolute path: a file named "-layout" or "-" is never read as an option or stdin
        ["pdftotext", *args, "-enc", "UTF-8", os.path.abspath(path), "-"],
        capture_output=True,
        timeout=PDFTOTEXT_TIMEOUT_S,
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace")
        if "password" in message.lower() or "encrypt" in message.lower():
            raise InputError(
                path, "the PDF is password-protected: open it, remove the password and save a copy"
            )
        raise InputError(path, "the PDF is damaged and its text cannot be read")
    return proc.stdout.decode("utf-8", "replace")


def layout_pages(path: Path, n_pages: int) -> list[str]:
    """Per-page layout text (``pdftotext -layout``); pdfplumber when poppler is missing."""
    if shutil.which("pdftotext"):
        pages = _run_pdftotext(path, "-layout").split("\f")
    else:  # pragma: no cover - poppler-utils is a declared system dependency
        import pdfplumber

        with pdfplumber.open(str(path)) as pdf:
            pages = [p.extract_text(layout=True) or "" for p in pdf.pages]
    pages = [unicodedata.normalize("NFC", p) for p in pages[:n_pages]]
    return pages + [""] * (n_pages - len(pages))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass(frozen=True)
class PageBoxes:
    """What ``pdftotext -bbox-layout`` says about one page."""

    stamps: list[StampBlock]  # signature-stamp blocks
    rows: list[float]  # tops of all text rows
    words: list[Word]  # every word with its box


def word_blocks(path: Path, first: int = 1, last: int | None = None, with_words: bool = True) -> list[PageBoxes]:
    """Per page from ``first`` to ``last`` (1-based; None: the end): its signature-stamp
    blocks, row tops and (``with_words``) words from ``pdftotext -bbox-layout``."""
    if not shutil.which("pdftotext"):  # pragma: no cover
        return []
    pages_args = ["-f", str(first)] + (["-l", str(last)] if last is not None else [])
    xml = _run_pdftotext(path, "-bbox-layout", *pages_args)
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml)
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return []
    pages: list[PageBoxes] = []
    for page in root.iter():
        if _local(page.tag) != "page":
            continue
        stamps: list[StampBlock] = []
        tops: list[float] = []
        page_words: list[Word] = []
        for block in page.iter():
            if _local(block.tag) != "block":
                continue
            lines: list[str] = []
            line_tops: list[float] = []
            for line in block:
                if _local(line.tag) != "line":
                    continue
                boxes = [w for w in line if _local(w.tag) == "word"]
                words = [unicodedata.normalize("NFC", w.text or "") for w in boxes]
                if with_words:
                    page_words.extend(
                        Word(text, float(w.get("xMin", 0)), float(w.get("yMin", 0)), float(w.get("xMax", 0)), float(w.get("yMax", 0)))
                        for text, w in zip(words, boxes, strict=True)
                    )
                if words:
                    lines.append(" ".join(words))
                    line_tops.append(float(line.get("yMin", 0)))
            tops.extend(line_tops)
            if lines and is_signature_text(" ".join(lines)):
                stamps.append(
                    StampBlock(
                        tuple(lines),
                        tuple(line_tops),
                        float(block.get("xMin", 0)),
                        float(block.get("yMin", 0)),
                        float(block.get("xMax", 0)),
                        float(block.get("yMax", 0)),
                    )
                )
        rows: list[float] = []
        for t in sorted(tops):
            if not rows or t - rows[-1] > 1.5:
                rows.append(t)
        pages.append(PageBoxes(stamps, rows, page_words))
    return pages


_HEADER_WORDS = re.compile(r"(?i)(?:chủ\s*trì|phối\s*hợp|thời\s*(?:gian|hạn)|tiến\s*độ)")


def _task_columns(cells: list[str]) -> list[str | None]:
    """Column kinds of a table's header row (pipeline/tables.py)."""
    from pipeline.folding import fold
    from pipeline.tables import column_of

    return [column_of(" ".join(fold(c or "").split())) for c in cells]


def ruled_task_tables(path: Path, page_index: int, continuing: int | None = None) -> list[tuple[float, float, list[str]]]:
    """Ruled tables of tasks on a text PDF page (pdfplumber's table finder): for
    each, its top and bottom (PDF points from the top) and its rows as markdown
    lines ("| 1 | nhiệm vụ | chủ trì | phối hợp | thời gian |"), header first.
    A table counts when its header names a content column and a lead or time one,
    or (``continuing``: the column count of a task table on the page before) when
    it starts at the top of the page with that many columns and no header."""
    import pdfplumber

    out: list[tuple[float, float, list[str]]] = []
    with pdfplumber.open(str(path), pages=[page_index + 1]) as pdf:
        page = pdf.pages[0]
        for k, table in enumerate(page.find_tables()):
            rows = table.extract()
            # a short header word broken over two lines ("ST\nT"): one word
            head = [" ".join((c or "").split()) for c in rows[0]] if rows else []
            kinds = _task_columns([c.replace(" ", "") if len(c) <= 5 else c for c in head])
            headed = "content" in kinds and bool({"lead", "time"} & set(kinds))
            go_on = k == 0 and len(kinds) == continuing and table.bbox[1] < 0.15 * float(page.height)
            if len(rows) < (1 if go_on else 2) or not (headed or go_on):
                continue
            md = []
            for r, row in enumerate(rows):
                cells = [" ".join(unicodedata.normalize("NFC", c or "").split()) for c in row]
                if r == 0 and headed:  # a short header word broken over two lines ("ST\nT"): one word
                    cells = [c.replace(" ", "") if len(c) <= 5 else c for c in cells]
                if headed and "number" not in kinds:  # the outline reads a row by its number
                    cells = ["STT" if r == 0 else str(r), *cells]
                md.append("| " + " | ".join(c or " " for c in cells) + " |")
            out.append((float(table.bbox[1]), float(table.bbox[3]), md))
    return out


def tables_to_markdown(layout: str, row_tops: list[float], tables: list[tuple[float, float, list[str]]]) -> str:
    """Replace the layout lines of each table (by their rank among the page's
    text rows, as for stamps) with the table's markdown rows."""
    lines = layout.split("\n")
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if len(nonblank) != len(row_tops):
        return layout  # the layout and the word boxes disagree: keep the layout
    replace: dict[int, list[str]] = {}
    drop: set[int] = set()
    for top, bottom, md in tables:
        inside = [nonblank[k] for k, t in enumerate(row_tops) if top - 1.5 <= t <= bottom]
        if not inside:
            continue
        replace[inside[0]] = md
        drop.update(inside[1:])
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in replace:
            out.append("")
            out.extend(replace[i])
            out.append("")
        elif i not in drop:
            out.append(line)
    return "\n".join(out)


def read_text_layer(path: Path, doc: pdfium.PdfDocument) -> list[PageText]:
    """Layout text of every page with stamps cut out, glyphs repaired and a quality score.

    The word boxes (``pdftotext -bbox-layout``, a second pass over the file) are read
    only for the pages that may hold a signature stamp or a ruled task table, and
    pdfplumber's table finder only runs where the page's path objects draw a grid with
    a task table's header row in it (pdf_grid.py), or a task table may go on from the
    page before.
    """
    n = len(doc)
    layouts = layout_pages(path, n)
    objects: list[PageObjects] = []
    need_boxes: list[int] = []
    need_words = False  # the words of a page whose ruled grid is checked for a task table
    prev_table = False  # the page before may hold a task table that goes on here
    for i in range(n):
        header = bool(_HEADER_WORDS.search(layouts[i]))
        objects.append(scan_page(doc[i], edges=header or prev_table))
        table = (header or prev_table) and objects[i].may_hold_table
        if may_hold_signature(layouts[i]) or table:
            need_boxes.append(i)
        need_words |= table
        prev_table = table
    blocks: dict[int, PageBoxes] = {}
    if need_boxes:
        first, last = need_boxes[0], need_boxes[-1]
        for k, page_blocks in enumerate(word_blocks(path, first + 1, last + 1, with_words=need_words)):
            blocks[first + k] = page_blocks
    result = []
    columns: int | None = None  # of the task table on the page before
    for i in range(n):
        boxes = blocks.get(i, PageBoxes([], [], []))
        stamps, rows = boxes.stamps, boxes.rows
        text = layouts[i]
        if (_HEADER_WORDS.search(text) or columns) and rows and not stamps and objects[i].may_hold_table:
            # a task table's header in the layout text (or one going on from the page
            # before): read the ruled table as rows, with pdfplumber where pdfium's
            # grid shows a header row of a task table (or one may go on here)
            go_on = columns is not None
            tables = ruled_task_tables(path, i, columns) if go_on or may_hold_task_table(doc[i], boxes.words) else []
            columns = tables[-1][2][-1].count("|") - 1 if tables else None
            if tables:
                text = tables_to_markdown(text, rows, tables)
        else:
            columns = None
        if stamps:
            text = remove_stamp_lines(text, stamps, rows)
        text, repairs = repair_glyphs(text)
        width, height = objects[i].width, objects[i].height
        fraction = objects[i].image_fraction
        hidden = objects[i].hidden_fraction if fraction >= 0.5 else 0.0
        quality = page_quality(text, width * height / 72 / 72, fraction, hidden)
        bare = quality.judged == 0 and page_number_only(doc[i], text, objects[i])
        result.append(PageText(text, stamps, quality, repairs, bare))
    return result


DEFAULT_MAX_PAGES = 1000


def max_pages() -> int:
    """Pages one PDF may have (CONGVAN_MAX_PAGES, default 1000)."""
    try:
        return int(os.environ.get("CONGVAN_MAX_PAGES") or DEFAULT_MAX_PAGES)
    except ValueError:
        return DEFAULT_MAX_PAGES


def render_pages(doc: pdfium.PdfDocument, indices: list[int], dpi: int = OCR_DPI):
    """Yield (PIL image, dpi) for the given pages, rendered in this process (pdfium is not thread-safe)."""
    from pipeline.readers.ocr import capped_scale

    for i in indices:
        width, height = doc[i].get_size()
        scale = capped_scale(width, height, dpi / 72)  # a huge page is rendered at a lower dpi
        bitmap = doc[i].render(scale=scale, may_draw_forms=False)
        yield bitmap.to_pil(), float(scale * 72)


FORCE_OCR_ENV = "CONGVAN_FORCE_OCR"


def force_ocr_default() -> bool:
    """$CONGVAN_FORCE_OCR set (1/true/yes): OCR scanned pages whatever their text layer
    (``congvan extract --force-ocr`` sets it for its workers)."""
    return os.environ.get(FORCE_OCR_ENV, "").strip().lower() in ("1", "true", "yes")


def read_pdf(
    path: Path, *, ocr: bool = True, workers: int | None = None, force_ocr: bool | None = None
) -> RawText:
    """A PDF file -> RawText. Pages whose text layer is not trusted are OCRed (when ``ocr``).

    A scan's text layer (another program's OCR, often invisible) is kept when it
    passes the quality check; ``force_ocr`` (None: :func:`force_ocr_default`) OCRs
    every scanned page anyway.
    """
    if force_ocr is None:
        force_ocr = force_ocr_default()
    timings: dict[str, float] = {}
    doc = open_pdf(path)
    try:
        n = len(doc)
        if n == 0:
            raise InputError(path, "the PDF has no pages")
        limit = max_pages()
        if n > limit:
            raise InputError(path, f"the PDF has {n} pages; the limit is {limit} (raise it with --max-pages or CONGVAN_MAX_PAGES)")
        t0 = time.perf_counter()
        pages = read_text_layer(path, doc)
        timings["pdf-text"] = time.perf_counter() - t0
        meta: dict[str, str | None] = {}
        producer = doc.get_metadata_dict().get("Producer")
        if producer:
            meta["producer"] = producer
        warnings: list[tuple[str, str]] = []
        stamps = [s for p in pages for s in p.stamps]
        meta.update(signature_meta(stamps))
        if stamps:
            warnings.append(
                ("signature-stamp-removed", f"{len(stamps)} e-signature stamp(s) removed from the text")
            )
        repairs = sum(p.glyph_repairs for p in pages)
        if repairs:
            warnings.append(
                ("glyph-repair", f"{repairs} wrong glyphs of the PDF's fonts were repaired (ƣ → ư …)")
            )

        texts = [p.layout for p in pages]
        to_ocr = [
            i for i, p in enumerate(pages) if not trust_text_layer(p.quality, force_ocr) and not p.page_number_only
        ]
        rejected = [i for i in to_ocr if pages[i].quality.judged > 0]
        if rejected:
            detail = "; ".join(f"page {i + 1}: {rejection_reason(pages[i].quality, force_ocr)}" for i in rejected)
            warnings.append(("text-layer-rejected", detail))
        confidences: list[tuple[float, int]] = []
        header_words = None
        if to_ocr and ocr:
            try:
                results = ocr_images(render_pages(doc, to_ocr), workers=workers, timings=timings, count=len(to_ocr))
            except OcrUnavailable as e:
                raise InputError(path, f"this PDF is a scan and needs OCR, but {e}") from e
            known = [line for s in stamps for line in s.lines]
            if to_ocr[0] == 0:
                header_words = results[0].header_words
            low = []
            arrival = False
            for i, res in zip(to_ocr, results, strict=True):
                text = remove_signature_lines(res.text, known)
                text, found = strip_arrival_stamp(text)
                arrival |= found
                texts[i] = text
                if res.confidence is not None:
                    confidences.append((res.confidence, res.words))
                    if res.confidence < LOW_CONFIDENCE:
                        low.append(i + 1)
            pages_list = ", ".join(str(i + 1) for i in to_ocr)
            warnings.append(("ocr-used", f"OCR{engine_note()} on page(s) {pages_list} of {n}"))
            if low:
                warnings.append(
                    ("ocr-low-confidence", f"low OCR confidence on page(s) {', '.join(map(str, low))}")
                )
            if arrival:
                meta["arrival_stamp"] = "removed"
                warnings.append(("arrival-stamp-removed", "an arrival stamp was removed from the OCR text"))
        elif to_ocr:
            warnings.append(("ocr-skipped", f"{len(to_ocr)} page(s) need OCR, which was turned off"))
        texts = join_continued_tables(texts, flatten=set(to_ocr) if ocr else set())
        if not any(t.strip() for t in texts):
            raise InputError(path, "no readable text was found in the PDF")
        total_words = sum(w for _, w in confidences)
        confidence = sum(c * w for c, w in confidences) / total_words if total_words else None
        return RawText(
            text="\f".join(texts),
            format="pdf",
            pages=n,
            ocr=bool(confidences) or (bool(to_ocr) and ocr),
            meta=meta,
            ocr_confidence=confidence,
            warnings=warnings,
            timings=timings,
            header_words=header_words,
        )
    finally:
        doc.close()
