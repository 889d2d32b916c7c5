"""Ruled grids of a text PDF page, from pdfium's path objects, to tell cheaply whether
pdfplumber's table finder can find a table of tasks there.

pdfplumber finds ruled tables from the page's edges (its default "lines" strategy);
to get them it has pdfminer parse the whole page, fonts and CMaps included: about
0.3 CPU-s a page (2.0 of the 10.9 CPU-s the bench's 68 text PDFs took, 7 calls that
all found no task table). Here the same edges are read from pdfium's path objects
(a few ms a page), put through pdfplumber's own edge -> cell -> table functions with
its default settings, and each row of cells is named by the words pdftotext puts in
it (``-bbox-layout``, already read for such pages). Only a page where some row names
a task's content and its lead or time (``task_tables.is_task_header``) goes on to
pdfplumber, which then reads the table exactly as before.

The edges are taken generously (a closing piece of every subpath, forms at any
depth, fill and stroke alike), so a grid seen here holds at least pdfplumber's;
a page this cannot read (rotated) goes to pdfplumber.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.readers.task_tables import header_kinds, is_task_header

Affine = tuple[float, float, float, float, float, float]  # a, b, c, d, e, f of a PDF matrix
_IDENTITY: Affine = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_MAX_DEPTH = 15  # forms inside forms: pdfminer reads them at any depth
_STRAIGHT = 0.01  # points: a piece this close to level or plumb is taken as one


@dataclass(frozen=True)
class Word:
    """A word of pdftotext's ``-bbox-layout``: its text and box (points, from the page's top left)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


def _compose(inner: Affine, outer: Affine) -> Affine:
    """``inner`` then ``outer`` (row vectors, as PDF writes its matrices)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _matrix(obj: Any) -> Affine | None:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(m)):
        return None
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _subpaths(obj: Any) -> list[list[tuple[float, float]]]:
    """The points of each subpath of a path object, in the object's own space."""
    x, y = ctypes.c_float(), ctypes.c_float()
    out: list[list[tuple[float, float]]] = []
    for k in range(max(0, pdfium_c.FPDFPath_CountSegments(obj))):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, k)
        if not seg or not pdfium_c.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y)):
            continue
        if pdfium_c.FPDFPathSegment_GetType(seg) == pdfium_c.FPDF_SEGMENT_MOVETO or not out:
            out.append([])
        out[-1].append((x.value, y.value))
    return out


def _edge(x0: float, top: float, x1: float, bottom: float, orientation: str) -> dict[str, Any]:
    """An edge as pdfplumber's table functions take it."""
    return {
        "object_type": "curve_edge",
        "x0": x0,
        "x1": x1,
        "top": top,
        "doctop": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": orientation,
    }


def page_edges(page: pdfium.PdfPage) -> list[dict[str, Any]]:
    """Level and plumb pieces of the page's paths, in pdfplumber's coordinates
    (points from the media box's top left), every piece between consecutive points
    of a subpath and its closing piece."""
    left, bottom, _right, top = page.get_mediabox()
    edges: list[dict[str, Any]] = []

    def add(points: list[tuple[float, float]], m: Affine) -> None:
        a, b, c, d, e, f = m
        placed = [(a * x + c * y + e - left, top - (b * x + d * y + f)) for x, y in points]
        pairs = list(zip(placed, placed[1:], strict=False))
        if len(placed) > 2:
            pairs.append((placed[-1], placed[0]))
        for (x0, y0), (x1, y1) in pairs:
            if abs(x1 - x0) <= _STRAIGHT and abs(y1 - y0) > _STRAIGHT:
                edges.append(_edge(x0, min(y0, y1), x0, max(y0, y1), "v"))
            elif abs(y1 - y0) <= _STRAIGHT and abs(x1 - x0) > _STRAIGHT:
                edges.append(_edge(min(x0, x1), y0, max(x0, x1), y0, "h"))

    def walk(parent: Any, count: Any, get: Any, outer: Affine, level: int) -> None:
        for i in range(count(parent)):
            obj = get(parent, i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind not in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM):
                continue
            m = _matrix(obj)
            if m is None:
                continue
            m = _compose(m, outer)
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                for sub in _subpaths(obj):
                    add(sub, m)
            elif level < _MAX_DEPTH - 1:
                walk(obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, m, level + 1)

    walk(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, _IDENTITY, 0)
    return edges


Cell = tuple[float, float, float, float]  # x0, top, x1, bottom


def edges_to_tables(edges: list[dict[str, Any]]) -> list[list[Cell]]:
    """pdfplumber's table finder ("lines" strategy, default settings) on these edges:
    the cells of each table it would find."""
    from pdfplumber import utils
    from pdfplumber.table import (
        TableSettings,
        cells_to_tables,
        edges_to_intersections,
        intersections_to_cells,
        merge_edges,
    )

    s = TableSettings.resolve(None)
    v = utils.filter_edges(edges, "v", min_length=s.edge_min_length_prefilter)
    h = utils.filter_edges(edges, "h", min_length=s.edge_min_length_prefilter)
    if not v or not h:
        return []
    merged = merge_edges(
        v + h,
        snap_x_tolerance=s.snap_x_tolerance,
        snap_y_tolerance=s.snap_y_tolerance,
        join_x_tolerance=s.join_x_tolerance,
        join_y_tolerance=s.join_y_tolerance,
    )
    merged = utils.filter_edges(merged, min_length=s.edge_min_length)
    points = edges_to_intersections(merged, s.intersection_x_tolerance, s.intersection_y_tolerance)
    return [list(t) for t in cells_to_tables(intersections_to_cells(points))]


def cell_text(cell: Cell, words: list[Word]) -> str:
    """The words whose middle is in the cell (pdfplumber takes a character by its
    middle), line by line, left to right."""
    x0, top, x1, bottom = cell
    inside = [w for w in words if x0 <= (w.x0 + w.x1) / 2 < x1 and top <= (w.top + w.bottom) / 2 < bottom]
    inside.sort(key=lambda w: (round(w.top), w.x0))
    return " ".join(w.text for w in inside)


def rows_of(cells: list[Cell]) -> list[list[Cell]]:
    """Cells grouped by their top (pdfplumber's rows), each row left to right."""
    rows: dict[float, list[Cell]] = {}
    for c in cells:
        rows.setdefault(c[1], []).append(c)
    return [sorted(rows[t]) for t in sorted(rows)]


def may_hold_task_table(page: pdfium.PdfPage, words: list[Word]) -> bool:
    """False when no ruled table on this page has a row whose cells name a task's
    content and its lead or time, so pdfplumber's table finder has no task table
    to find (``pdf.ruled_task_tables`` asks for such a header row). True on a page
    whose grid cannot be placed (rotated)."""
    if page.get_rotation() % 360:
        return True
    for table in edges_to_tables(page_edges(page)):
        for row in rows_of(table):
            head = [" ".join(cell_text(c, words).split()) for c in row]
            # a short header word broken over two lines ("ST\nT"): one word (as ruled_task_tables)
            if is_task_header(header_kinds([c.replace(" ", "") if len(c) <= 5 else c for c in head])):
                return True
    return False
