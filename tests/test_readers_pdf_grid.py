"""pdf_grid: pdfium's ruled grid of a text PDF page against pdfplumber's own table
finder, and the check that spares pdfplumber the pages without a task table."""

from __future__ import annotations

import runpy
from pathlib import Path

import pdfplumber
import pytest

from pipeline.readers.pdf import open_pdf, word_blocks
from pipeline.readers.pdf_grid import edges_to_tables, may_hold_task_table, page_edges

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "corpus" / "docs"


@pytest.fixture(scope="module")
def task_table_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("grid") / "kh.pdf"
    runpy.run_path(str(ROOT / "scripts/make_task_table_pdf.py"), run_name="gen")["main"](str(out))
    return out


def _cells(tables: list[list[tuple[float, float, float, float]]]) -> list[list[tuple[float, ...]]]:
    return sorted(sorted(tuple(float(v) for v in c) for c in t) for t in tables)


def _close(a: list[list[tuple[float, ...]]], b: list[list[tuple[float, ...]]]) -> bool:
    """Same tables of the same cells, corners within 0.2 pt (pdfium keeps points as float32)."""
    return len(a) == len(b) and all(
        len(ta) == len(tb) and all(abs(x - y) <= 0.2 for ca, cb in zip(ta, tb, strict=True) for x, y in zip(ca, cb, strict=True))
        for ta, tb in zip(a, b, strict=True)
    )


# pages with ruled boxes: heading tables, signature boxes, a 65-cell form (118), a 39-cell grid (119)
@pytest.mark.parametrize(
    ("name", "page"),
    [("114.pdf", 1), ("118.pdf", 1), ("119.pdf", 1), ("119.pdf", 2), ("119.pdf", 3), ("125.pdf", 3),
     ("125.pdf", 4), ("213.pdf", 1), ("278.pdf", 1), ("280.pdf", 1), ("280.pdf", 3), ("305.pdf", 7), ("116.pdf", 1)],
)
def test_pdfium_grid_has_pdfplumbers_cells(name: str, page: int) -> None:
    path = DOCS / name
    doc = open_pdf(path)
    try:
        mine = _cells(edges_to_tables(page_edges(doc[page - 1])))
    finally:
        doc.close()
    with pdfplumber.open(str(path), pages=[page]) as pdf:
        theirs = _cells([t.cells for t in pdf.pages[0].find_tables()])
    assert _close(mine, theirs), (mine, theirs)


def test_pdfium_grid_of_a_generated_task_table(task_table_pdf: Path) -> None:
    doc = open_pdf(task_table_pdf)
    try:
        mine = _cells(edges_to_tables(page_edges(doc[0])))
    finally:
        doc.close()
    with pdfplumber.open(str(task_table_pdf)) as pdf:
        theirs = _cells([t.cells for t in pdf.pages[0].find_tables()])
    assert len(theirs) == 1 and len(theirs[0]) == 20 and _close(mine, theirs)  # the 4 × 5 task table


def _may_hold(path: Path, page: int) -> bool:
    doc = open_pdf(path)
    try:
        words = word_blocks(path, page, page)[0].words
        return may_hold_task_table(doc[page - 1], words)
    finally:
        doc.close()


def test_task_table_page_goes_to_pdfplumber(task_table_pdf: Path) -> None:
    assert _may_hold(task_table_pdf, 1)


# pages whose text names "chủ trì"/"thời gian" and that have ruled boxes, none a task
# table: pdfplumber ran on each of them and found nothing
@pytest.mark.parametrize(
    ("name", "page"), [("119.pdf", 2), ("125.pdf", 3), ("125.pdf", 4), ("243.pdf", 1), ("280.pdf", 2), ("280.pdf", 3), ("308.pdf", 1)]
)
def test_ruled_boxes_without_a_task_header_skip_pdfplumber(name: str, page: int) -> None:
    assert not _may_hold(DOCS / name, page)


def test_words_of_a_page_come_with_their_boxes(task_table_pdf: Path) -> None:
    words = word_blocks(task_table_pdf, 1, 1)[0].words
    head = [w for w in words if w.text == "ST"]
    assert len(head) == 1 and head[0].x0 < head[0].x1 and head[0].top < head[0].bottom
