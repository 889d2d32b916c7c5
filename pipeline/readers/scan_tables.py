"""Ruled tables of tasks on a scanned page: the grid from the ruling lines,
each cell read on its own, the rows as markdown table rows.

tesseract reads a ruled table line by line across the cells, so one row's task
is interleaved with the next row's and with the lead, support and time columns.
Here the table's horizontal and vertical rules are found in the page image
(long runs of ink, numpy only); each cell is cropped inside its rules, the
crops of a table are stacked one under the other and read by one tesseract run
(a word belongs to the crop it falls on), and the table is written as the same
markdown rows a text PDF's ruled table becomes (pipeline/readers/pdf.py
``ruled_task_tables``): ``| 1 | nhiệm vụ | chủ trì | phối hợp | thời gian |``,
header first, so the outline reads one task per row. A grid counts when its
header names a content column and a lead or time column (pipeline/tables.py);
a headerless grid at the top of a page is written as rows too, in case it
continues the table of the page before: task_tables.join_continued_tables
decides, drops a repeated header and puts a row broken by the page end back
together. Any other grid keeps tesseract's page text.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.readers.task_tables import (
    clean_label,
    header_kinds,
    is_task_header,
    markdown_row,
    open_table_at_end,
    starts_with_table,
)

# A ruling line is a run of ink at least this long (a share of the page side,
# with a floor in pixels): longer than any letter stroke, shorter than a row.
MIN_HLINE_SHARE = 0.12
MIN_VLINE_PX = 90
# Ink for rules: this share of the way from the text's threshold to white (corpus
# 133 and 207: grey dotted rules found at 0.45, none at 0), and gaps this wide bridged.
LINE_LIGHTNESS = 0.45
BRIDGE_PX = 2
# Rules this close (pixels at half of ~300 dpi) are one rule (a thick or doubled line).
MERGE_PX = 6
# A cell border is present in a row band when the vertical rule covers this share of it.
BORDER_COVER = 0.6

@dataclass(frozen=True)
class Word:
    left: int
    top: int
    width: int
    height: int
    text: str
    conf: float

    @property
    def cx(self) -> float:
        return self.left + self.width / 2

    @property
    def cy(self) -> float:
        return self.top + self.height / 2


@dataclass
class Grid:
    """A ruled table: x of its vertical rules, y of its horizontal rules, and
    for each row band which inner borders are drawn (a missing one merges cells)."""

    xs: list[int]
    ys: list[int]
    borders: list[list[bool]] = field(default_factory=list)  # [row][inner column border]

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def read_tsv_words(tsv: str) -> list[Word]:
    """The word boxes of tesseract's TSV output (level 5, non-empty)."""
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        try:
            text = (row.get("text") or "").strip()
            if row.get("level") != "5" or not text:
                continue
            words.append(
                Word(
                    int(row["left"]), int(row["top"]), int(row["width"]), int(row["height"]),
                    unicodedata.normalize("NFC", text), float(row["conf"]),
                )
            )
        except (TypeError, ValueError, KeyError):
            continue
    return words


def _runs_at_least(mask: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Pixels that belong to a run of True at least ``length`` long along ``axis``
    (a morphological opening with a line, by cumulative sums)."""
    n = mask.shape[axis]
    if length > n:
        return np.zeros_like(mask)
    shape = list(mask.shape)
    shape[axis] = n + 1
    c = np.zeros(shape, dtype=np.int16)  # a page side is under 32768 pixels (the pixel cap)
    np.cumsum(mask, axis=axis, dtype=np.int16, out=c[1:] if axis == 0 else c[:, 1:])
    if axis == 0:
        full = (c[length:] - c[:-length]) == length  # windows [i, i+length) all ink
        starts = np.zeros(shape, dtype=np.int16)
        starts[: n - length + 1] += full
        starts[length:] -= full
        return np.cumsum(starts[:n], axis=0, dtype=np.int16) > 0
    full = (c[:, length:] - c[:, :-length]) == length
    starts = np.zeros(shape, dtype=np.int16)
    starts[:, : n - length + 1] += full
    starts[:, length:] -= full
    return np.cumsum(starts[:, :n], axis=1, dtype=np.int16) > 0


def _thicken(mask: np.ndarray, axis: int, px: int = 1) -> np.ndarray:
    """Dilate by ``px`` pixels across ``axis`` (0: up/down): a rule a pixel off straight stays one run."""
    out = mask.copy()
    for k in range(1, px + 1):
        if axis == 0:
            out[k:] |= mask[:-k]
            out[:-k] |= mask[k:]
        else:
            out[:, k:] |= mask[:, :-k]
            out[:, :-k] |= mask[:, k:]
    return out


def _clusters(values: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Runs of sorted integer positions with holes no wider than ``gap``: (first, last)."""
    out: list[tuple[int, int]] = []
    for v in values.tolist():
        if out and v - out[-1][1] <= gap:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out


@dataclass(frozen=True)
class Rule:
    pos: int  # y of a horizontal rule, x of a vertical one (centre)
    start: int  # x0 (or y0)
    end: int  # x1 (or y1)


def _rules(lines: np.ndarray, axis: int, min_len: int) -> list[Rule]:
    """Rules from a mask of line pixels: ``axis`` 0 for horizontal rules (rows of the mask)."""
    prof = lines.sum(axis=1 if axis == 0 else 0)
    rules = []
    for a, b in _clusters(np.flatnonzero(prof >= min_len), MERGE_PX // 2):
        band = lines[a : b + 1] if axis == 0 else lines[:, a : b + 1]
        along = np.flatnonzero(band.any(axis=0 if axis == 0 else 1))
        # the longest stretch of the rule (small breaks bridged)
        best = max(_clusters(along, MERGE_PX * 2), key=lambda s: s[1] - s[0])
        if best[1] - best[0] >= min_len:
            rules.append(Rule((a + b) // 2, best[0], best[1]))
    return rules


def find_grids(gray: np.ndarray, threshold: int | None = None) -> list[Grid]:
    """The ruled tables of a page image (gray uint8, about 300 dpi), top to bottom."""
    from pipeline.readers.ocr import otsu_threshold

    h, w = gray.shape
    if threshold is None:
        # rules on real scans are grey and dotted (halftone): a lighter threshold than
        # the text's, and gaps of a few pixels along a rule bridged
        otsu = otsu_threshold(gray)
        threshold = int(otsu + (255 - otsu) * LINE_LIGHTNESS)
    ink = gray <= threshold
    # at half size (2×2 blocks, ink if any pixel is): a rule stays a rule, the work is a quarter
    h, w = h // 2, w // 2
    ink = ink[: 2 * h : 2, : 2 * w : 2] | ink[1 : 2 * h : 2, : 2 * w : 2] | ink[: 2 * h : 2, 1 : 2 * w : 2] | ink[1 : 2 * h : 2, 1 : 2 * w : 2]
    min_h, min_v = max(30, int(MIN_HLINE_SHARE * w)), max(MIN_VLINE_PX // 2, int(0.025 * h))
    hmask = _runs_at_least(_thicken(_thicken(ink, 0), 1, BRIDGE_PX), min_h, axis=1)
    vmask = _runs_at_least(_thicken(_thicken(ink, 1), 0, BRIDGE_PX), min_v, axis=0)
    hrules = _rules(hmask, 0, min_h)
    vrules = _rules(vmask, 1, min_v)
    if len(hrules) < 2 or len(vrules) < 2:
        return []
    tol = MERGE_PX * 2
    # group horizontal rules into tables: a vertical rule joins the horizontal rules it crosses
    grids: list[Grid] = []
    used: set[int] = set()
    for i, hr in enumerate(hrules):
        if i in used:
            continue
        group = [i]
        verts = [v for v in vrules if v.start - tol <= hr.pos <= v.end + tol and hr.start - tol <= v.pos <= hr.end + tol]
        if len(verts) < 2:
            continue
        y1 = max(v.end for v in verts)
        for j in range(i + 1, len(hrules)):
            hj = hrules[j]
            if hj.pos > y1 + tol:
                break
            crossing = [v for v in verts if v.start - tol <= hj.pos <= v.end + tol and hj.start - tol <= v.pos <= hj.end + tol]
            if len(crossing) >= 2:
                group.append(j)
                for v in vrules:  # rules that start lower down extend the table
                    if v not in verts and v.start - tol <= hj.pos <= v.end + tol and hj.start - tol <= v.pos <= hj.end + tol:
                        verts.append(v)
                        y1 = max(y1, v.end)
        if len(group) < 2:  # one rule and the vertical rules' ends: a broken row alone
            continue
        used.update(group)
        ys = [hrules[k].pos for k in group]
        x0 = min(hrules[k].start for k in group)
        x1 = max(hrules[k].end for k in group)
        # a rule runs from one horizontal rule to another (a column of aligned letters does not)
        verts = [v for v in verts if sum(1 for y in ys if v.start - tol <= y <= v.end + tol) >= 2 or len(ys) == 1]
        if not verts:
            continue
        xs = sorted({v.pos for v in verts if x0 - tol <= v.pos <= x1 + tol})
        xs = [a for a, _ in _clusters(np.array(xs), MERGE_PX)]
        if xs[0] - x0 > 4 * tol:  # an open left side (a column wide): the rules' ends are the border
            xs.insert(0, x0)
        if x1 - xs[-1] > 4 * tol:
            xs.append(x1)
        if len(xs) < 3:
            continue
        # a row broken at the page end has no rule below it (or above it, on the
        # next page): the vertical rules' ends close the table there
        inner = [v for v in verts if x0 - tol <= v.pos <= x1 + tol]
        bottom = int(np.median([v.end for v in inner]))
        top = int(np.median([v.start for v in inner]))
        if bottom - ys[-1] > 3 * MERGE_PX:
            ys.append(bottom)
        if ys[0] - top > 3 * MERGE_PX:
            ys.insert(0, top)
        borders = [[_covered(vmask, x, ys[r], ys[r + 1]) for x in xs[1:-1]] for r in range(len(ys) - 1)]
        if len(ys) > 3:
            # a column border runs through most rows (a merged group row breaks it, a
            # column of aligned letters in one tall cell is no border)
            keep = [sum(row[c] for row in borders) >= 0.5 * len(borders) for c in range(len(xs) - 2)]
            xs = [xs[0], *(x for x, k in zip(xs[1:-1], keep, strict=True) if k), xs[-1]]
            borders = [[b for b, k in zip(row, keep, strict=True) if k] for row in borders]
            if len(xs) < 3:
                continue
        grids.append(Grid([2 * x for x in xs], [2 * y for y in ys], borders))
    return grids


def _covered(vmask: np.ndarray, x: int, y0: int, y1: int) -> bool:
    """Is a vertical rule drawn at ``x`` between ``y0`` and ``y1``?"""
    a, b = y0 + MERGE_PX, y1 - MERGE_PX
    if b <= a:
        return True
    strip = vmask[a:b, max(0, x - MERGE_PX) : x + MERGE_PX + 1].any(axis=1)
    return bool(strip.mean() >= BORDER_COVER)


def _cell_text(words: list[Word]) -> str:
    """Words of one cell in reading order: lines by their centre, each left to right."""
    if not words:
        return ""
    words = sorted(words, key=lambda w: w.cy)
    heights = sorted(w.height for w in words)
    h = max(8, heights[len(heights) // 2])
    lines: list[list[Word]] = []
    for word in words:
        if lines and abs(word.cy - np.mean([x.cy for x in lines[-1]])) <= h * 0.5:
            lines[-1].append(word)
        else:
            lines.append([word])
    return " ".join(" ".join(x.text for x in sorted(line, key=lambda w: w.left)) for line in lines)


def cell_spans(grid: Grid, r: int) -> list[tuple[int, int]]:
    """The cells of row ``r`` as (first column, last column): a missing border joins two columns."""
    spans: list[tuple[int, int]] = []
    for c in range(len(grid.xs) - 1):
        if c > 0 and not grid.borders[r][c - 1]:
            spans[-1] = (spans[-1][0], c)
        else:
            spans.append((c, c))
    return spans


# Cell crops are stacked one under the other for one tesseract run: this much
# white between two crops keeps their lines apart, this much inside the rules is cut.
STACK_GAP_PX = 40
CELL_INSET_PX = 7


def _cell_crop(gray: np.ndarray, ink: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray | None:
    """The inked part of a cell (the rules cut off), or None when the cell is blank."""
    a, b = y0 + CELL_INSET_PX, y1 - CELL_INSET_PX
    c, d = x0 + CELL_INSET_PX, x1 - CELL_INSET_PX
    if b - a < 8 or d - c < 8:
        return None
    sub = ink[a:b, c:d]
    rows = np.flatnonzero(sub.sum(axis=1) > 1)
    cols = np.flatnonzero(sub.sum(axis=0) > 1)
    if len(rows) == 0 or sub.sum() < 30:
        return None
    pad = 6
    ra, rb = max(0, rows[0] - pad), min(sub.shape[0], rows[-1] + pad + 1)
    ca, cb = max(0, cols[0] - pad), min(sub.shape[1], cols[-1] + pad + 1)
    return gray[a + ra : a + rb, c + ca : c + cb]


def ocr_grid_rows(
    gray: np.ndarray, grid: Grid, rows: range, workdir: str, psm: int = 6, engine: str | None = None
) -> list[list[str]]:
    """OCR the cells of the given rows: every non-blank cell cropped inside its
    rules, the crops stacked in one image and read by one tesseract run, each
    word given back to the cell whose band it falls in."""
    from pipeline.readers.ocr import otsu_threshold

    ink = gray <= otsu_threshold(gray)
    crops: list[tuple[int, int, np.ndarray]] = []  # (row, column, crop)
    for r in rows:
        for c0, c1 in cell_spans(grid, r):
            crop = _cell_crop(gray, ink, grid.xs[c0], grid.ys[r], grid.xs[c1 + 1], grid.ys[r + 1])
            if crop is not None:
                crops.append((r, c0, crop))
    ncols = len(grid.xs) - 1
    out = [["" for _ in range(ncols)] for _ in rows]
    if not crops:
        return out
    width = max(cr.shape[1] for _, _, cr in crops) + 2 * STACK_GAP_PX
    height = sum(cr.shape[0] for _, _, cr in crops) + STACK_GAP_PX * (len(crops) + 1)
    stack = np.full((height, width), 255, dtype=np.uint8)
    bands: list[tuple[int, int]] = []
    y = STACK_GAP_PX
    for _, _, cr in crops:
        stack[y : y + cr.shape[0], STACK_GAP_PX : STACK_GAP_PX + cr.shape[1]] = cr
        bands.append((y, y + cr.shape[0]))
        y += cr.shape[0] + STACK_GAP_PX
    words = ocr_words(stack, workdir, psm, engine)
    found: list[list[Word]] = [[] for _ in crops]
    starts = [b[0] for b in bands]
    for word in words:
        k = int(np.searchsorted(starts, word.cy, side="right")) - 1
        if 0 <= k < len(bands) and word.cy <= bands[k][1] + STACK_GAP_PX / 2:
            found[k].append(word)
    first = rows.start
    for (r, c, _), ws in zip(crops, found, strict=True):
        out[r - first][c] = _clean_cell(_cell_text(ws))
    return out


def ocr_words(image: np.ndarray, workdir: str, psm: int = 6, engine: str | None = None) -> list[Word]:
    """The OCR engine (the page's: pipeline/readers/ocr_engines.py) on one gray image: its
    word boxes (trueocr's estimated from its line boxes); none when the engine fails."""
    import os
    import tempfile

    from PIL import Image

    from pipeline.readers.ocr import OCR_DPI
    from pipeline.readers.ocr_engines import get_engine
    from pipeline.readers.ocr_slots import ocr_slot

    fd, name = tempfile.mkstemp(prefix="cells-", suffix=".png", dir=workdir)
    os.close(fd)
    png = Path(name)
    try:
        Image.fromarray(image).save(png)
        try:
            with ocr_slot():  # the cells' OCR counts against the cores like the page's
                page = get_engine(engine).read_pages([png], psm, OCR_DPI)[0]
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            return []
        return read_tsv_words(page.tsv)
    finally:
        for leftover in png.parent.glob(f"{png.stem}*"):
            leftover.unlink(missing_ok=True)


# "Quý III/2026" as tesseract reads it in a narrow cell: "Quý IH/2026", "Quý IHI/2026", "Quý lI/2026"
QUARTER = re.compile(r"\b(Quý|QUÝ|quý)\s+([IVHl1|]{1,4})\s*/")


def _quarter(m: re.Match[str]) -> str:
    base = m.group(2).replace("l", "I").replace("1", "I").replace("|", "I")
    for h in ("II", "I"):  # an H is two strokes of I run together, or one with a serif
        roman = base.replace("H", h)
        if re.fullmatch(r"I{1,3}|IV", roman):
            return f"{m.group(1)} {roman}/"
    return m.group(0)


def _clean_cell(text: str) -> str:
    text = QUARTER.sub(_quarter, text.replace("|", " "))
    return " ".join(text.split())




# A grid whose top is this high on the page (share of its height) may go on
# from the page before: it is read even without a header of its own.
CONTINUATION_TOP_SHARE = 0.14


def task_table_rows(
    gray: np.ndarray, grid: Grid, workdir: str, continuing: bool = False, engine: str | None = None
) -> list[str] | None:
    """The markdown rows of a grid that is a table of tasks (header first);
    ``continuing``: of a headerless grid too (it goes on from the page before).
    None for any other grid."""
    nrows = len(grid.ys) - 1
    if nrows < 1 or len(grid.xs) < 3:
        return None
    head_rows = min(2, nrows)
    head = ocr_grid_rows(gray, grid, range(head_rows), workdir, engine=engine)
    header, body_from = None, 0
    if is_task_header(header_kinds(head[0])):
        header, body_from = head[0], 1
    elif head_rows == 2:
        two = [f"{a} {b}".strip() for a, b in zip(head[0], head[1], strict=True)]
        if is_task_header(header_kinds(two)):
            header, body_from = two, 2
    if header is None and not continuing:
        return None
    rows = head[body_from:] + (ocr_grid_rows(gray, grid, range(head_rows, nrows), workdir, engine=engine) if nrows > head_rows else [])
    kinds: list[str | None] = header_kinds(header) if header is not None else [None] * (len(grid.xs) - 1)
    if "number" not in kinds and kinds[0] is None and number_column(grid, rows):
        kinds[0] = "number"  # "STT" too small for OCR to read, the numbers below it are clear
    return rows_to_markdown(header, rows, kinds)


def number_column(grid: Grid, rows: list[list[str]]) -> bool:
    """Is the first column a narrow one of row numbers?"""
    narrow = grid.xs[1] - grid.xs[0] < 0.12 * (grid.xs[-1] - grid.xs[0])
    firsts = [r[0] for r in rows if r[0].strip()]
    return narrow and bool(firsts) and sum(1 for c in firsts if clean_label(c)) >= 0.6 * len(firsts)


def rows_to_markdown(header: list[str] | None, rows: list[list[str]], kinds: list[str | None]) -> list[str]:
    """Header and rows as markdown rows. A table without a number column gets
    one (the outline reads a row by its number); an unreadable number becomes
    the next number; an empty one stays empty (a row broken at the page end,
    or a sub-row: join_continued_tables decides)."""
    has_number = "number" in kinds
    lines = []
    if header is not None:
        if has_number:  # the number column first, named so the outline knows it
            i = kinds.index("number")
            header = ["STT", *header[:i], *header[i + 1 :]]
        else:
            header = ["STT", *header]
        lines.append(markdown_row(header))
    n = 0
    for row in rows:
        if not any(row):
            continue
        if has_number:
            i = kinds.index("number") if "number" in kinds else 0
            label = clean_label(row[i])
            if label and re.fullmatch(r"\d+", label):
                n = int(label)
            elif not label and any(ch.isalnum() for ch in row[i]):  # a number OCR could not read
                n += 1
                label = str(n)
            cells = [label, *row[:i], *row[i + 1 :]]
        else:
            n += 1
            cells = [str(n), *row]
        lines.append(markdown_row(cells))
    return lines


def words_to_layout(words_tsv: list[str], header: str) -> str:
    from pipeline.readers.ocr import tsv_to_layout

    return tsv_to_layout("\n".join([header, *words_tsv])) if words_tsv else ""


def page_with_tables(png: Path, text: str, workdir: str, continuing: bool = False, engine: str | None = None) -> str:
    """The page's OCR text (``text``, laid out from ``png``'s word boxes in the
    TSV beside it) with each table of tasks written as markdown rows in its
    place; ``text`` itself when the page has none. ``continuing``: a table of
    tasks ends the page before, and a headerless grid at the top of this page
    goes on with it (only that grid is read)."""
    tsv_path = png.with_suffix(".tsv")
    if not tsv_path.exists():
        return text
    from PIL import Image

    gray = np.asarray(Image.open(png).convert("L"))
    grids = find_grids(gray)
    if continuing:
        grids = [g for g in grids[:1] if g.ys[0] <= CONTINUATION_TOP_SHARE * gray.shape[0]]
    tables: list[tuple[Grid, list[str]]] = []
    for grid in grids:
        rows = task_table_rows(gray, grid, workdir, continuing, engine)
        if rows:
            tables.append((grid, rows))
    if not tables:
        return text
    tsv_lines = tsv_path.read_text(encoding="utf-8").split("\n")
    header, body = tsv_lines[0], [line for line in tsv_lines[1:] if line.strip()]
    # the page's words above, between and below the tables, each part laid out on its own
    parts: list[list[str]] = [[] for _ in range(len(tables) + 1)]
    for line in body:
        f = line.split("\t")
        try:
            left, top, width, height = (int(v) for v in f[6:10])
        except (ValueError, IndexError):
            continue
        cx, cy = left + width / 2, top + height / 2
        k = 0
        inside = False
        for grid, _ in tables:
            x0, y0, x1, y1 = grid.box
            if y0 <= cy <= y1 and x0 - MERGE_PX <= cx <= x1 + MERGE_PX:
                inside = True
                break
            if cy > y1:
                k += 1
        if not inside:
            parts[k].append(line)
    out: list[str] = []
    for k, part in enumerate(parts):
        out.append(words_to_layout(part, header).rstrip("\n"))
        if k < len(tables):
            out.extend(["", *tables[k][1], ""])
    return "\n".join(out)


def continued_tables(pngs: list[Path], texts: list[str], workdir: str, engine: str | None = None) -> list[str]:
    """After every page was read (page_with_tables): in page order, a page whose
    previous page ends with a table of tasks gets its headerless top grid read
    as rows of that table (task_tables.join_continued_tables joins them)."""
    out = list(texts)
    for i in range(1, len(out)):
        if open_table_at_end(out[i - 1]) and not starts_with_table(out[i]):
            out[i] = page_with_tables(pngs[i], out[i], workdir, continuing=True, engine=engine)
    return out
