"""PDF files: the text layer in layout form (poppler), page by page checked; OCR where needed.

Measured on corpus/docs 114-125: ``pdftotext -layout`` takes 0.01-0.1 s a document and
is the only extractor that reads the number and day that e-office systems stamp in
signature widgets (pdfplumber: 0.13-6.8 s, pypdfium2: 0.01-0.14 s, both leave
"Số:    /QĐ-UBND" blank). pypdfium2 opens the file (errors, passwords), finds
image coverage and renders pages for OCR.
"""

from __future__ import annotations

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
from pipeline.readers.quality import PageQuality, page_quality, rejection_reason, trust_text_layer
from pipeline.readers.stamps import (
    StampBlock,
    is_signature_text,
    remove_signature_lines,
    remove_stamp_lines,
    signature_meta,
    strip_arrival_stamp,
)
from pipeline.readers.task_tables import join_continued_tables

PDFTOTEXT_TIMEOUT_S = 120
LOW_CONFIDENCE = 0.6


@dataclass
class PageText:
    """What the text layer says about one page."""

    layout: str  # layout text, stamps removed, glyphs repaired
    stamps: list[StampBlock]
    quality: PageQuality
    glyph_repairs: int


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


def image_fraction(page: pdfium.PdfPage) -> float:
    """Share of the page area covered by image objects (form XObjects included)."""
    width, height = page.get_size()
    area = max(1.0, width * height)
    covered = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        bounds = getattr(obj, "get_bounds", None) or obj.get_pos  # pypdfium2 5 / 4
        try:
            left, bottom, right, top = bounds()
        except pdfium.PdfiumError:
            continue
        w = max(0.0, min(right, width) - max(left, 0.0))
        h = max(0.0, min(top, height) - max(bottom, 0.0))
        covered += w * h
    return min(1.0, covered / area)


def hidden_text_fraction(page: pdfium.PdfPage) -> float:
    """Share of text objects drawn in the invisible render mode (an OCR layer over a scan)."""
    total = hidden = 0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT], max_depth=3):
        total += 1
        if pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE:
            hidden += 1
    return hidden / total if total else 0.0


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


def word_blocks(path: Path) -> list[tuple[list[StampBlock], list[float]]]:
    """Per page: (signature-stamp blocks, tops of all text rows) from ``pdftotext -bbox-layout``."""
    if not shutil.which("pdftotext"):  # pragma: no cover
        return []
    xml = _run_pdftotext(path, "-bbox-layout")
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml)
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return []
    pages: list[tuple[list[StampBlock], list[float]]] = []
    for page in root.iter():
        if _local(page.tag) != "page":
            continue
        stamps: list[StampBlock] = []
        tops: list[float] = []
        for block in page.iter():
            if _local(block.tag) != "block":
                continue
            lines: list[str] = []
            line_tops: list[float] = []
            for line in block:
                if _local(line.tag) != "line":
                    continue
                words = [unicodedata.normalize("NFC", w.text or "") for w in line if _local(w.tag) == "word"]
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
        pages.append((stamps, rows))
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
    """Layout text of every page with stamps cut out, glyphs repaired and a quality score."""
    n = len(doc)
    layouts = layout_pages(path, n)
    blocks = word_blocks(path)
    result = []
    columns: int | None = None  # of the task table on the page before
    for i in range(n):
        stamps, rows = blocks[i] if i < len(blocks) else ([], [])
        text = layouts[i]
        if (_HEADER_WORDS.search(text) or columns) and rows and not stamps:
            # a task table's header in the layout text (or one going on from the page
            # before): read the ruled table as rows
            tables = ruled_task_tables(path, i, columns)
            columns = tables[-1][2][-1].count("|") - 1 if tables else None
            if tables:
                text = tables_to_markdown(text, rows, tables)
        else:
            columns = None
        if stamps:
            text = remove_stamp_lines(text, stamps, rows)
        text, repairs = repair_glyphs(text)
        page = doc[i]
        width, height = page.get_size()
        fraction = image_fraction(page)
        hidden = hidden_text_fraction(page) if fraction >= 0.5 else 0.0
        quality = page_quality(text, width * height / 72 / 72, fraction, hidden)
        result.append(PageText(text, stamps, quality, repairs))
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


def read_pdf(
    path: Path, *, ocr: bool = True, workers: int | None = None, keep_ocr_layers: bool = False
) -> RawText:
    """A PDF file -> RawText. Pages whose text layer is not trusted are OCRed (when ``ocr``).

    ``keep_ocr_layers`` keeps a scan's invisible OCR layer when it reads as Vietnamese.
    """
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
        to_ocr = [i for i, p in enumerate(pages) if not trust_text_layer(p.quality, keep_ocr_layers)]
        rejected = [i for i in to_ocr if pages[i].quality.judged > 0]
        if rejected:
            detail = "; ".join(f"page {i + 1}: {rejection_reason(pages[i].quality)}" for i in rejected)
            warnings.append(("text-layer-rejected", detail))
        confidences: list[tuple[float, int]] = []
        if to_ocr and ocr:
            try:
                results = ocr_images(render_pages(doc, to_ocr), workers=workers, timings=timings)
            except OcrUnavailable as e:
                raise InputError(path, f"this PDF is a scan and needs OCR, but {e}") from e
            known = [line for s in stamps for line in s.lines]
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
            warnings.append(("ocr-used", f"OCR on page(s) {pages_list} of {n}"))
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
        )
    finally:
        doc.close()
