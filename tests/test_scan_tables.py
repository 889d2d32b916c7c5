"""Tables of tasks on scans: the ruled grid, the pages of one table joined,
and (slow) real tesseract on a generated scanned plan whose table crosses a page."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.readers.scan_tables import find_grids
from pipeline.readers.task_tables import join_continued_tables

ROOT = Path(__file__).resolve().parents[1]


def _page(h: int = 1400, w: int = 1000) -> np.ndarray:
    return np.full((h, w), 250, dtype=np.uint8)


def _rule_h(img: np.ndarray, y: int, x0: int, x1: int) -> None:
    img[y : y + 3, x0:x1] = 20


def _rule_v(img: np.ndarray, x: int, y0: int, y1: int) -> None:
    img[y0:y1, x : x + 3] = 20


def test_grid_of_a_ruled_table() -> None:
    img = _page()
    xs, ys = [100, 160, 560, 760, 900], [300, 380, 520, 700]
    for y in ys:
        _rule_h(img, y, xs[0], xs[-1] + 3)
    for x in xs:
        _rule_v(img, x, ys[0], ys[-1] + 3)
    img[900:903, 100:700] = 20  # an underline under a heading: no table
    (grid,) = find_grids(img)
    assert grid.xs == pytest.approx(xs, abs=3) and grid.ys == pytest.approx(ys, abs=3)
    assert all(all(row) for row in grid.borders)


def test_grid_open_at_the_page_end_and_a_merged_cell() -> None:
    """A row broken at the page end has no rule under it: the vertical rules close it."""
    img = _page()
    xs, ys = [100, 160, 560, 760, 900], [300, 380, 520]
    for y in ys:
        _rule_h(img, y, xs[0], xs[-1] + 3)
    for x in xs:
        top = ys[1] if x in (560, 760) else ys[0]  # the first row is one cell from 160 to 900
        _rule_v(img, x, top, 640)
    (grid,) = find_grids(img)
    assert len(grid.ys) == 4 and grid.ys[-1] == pytest.approx(640, abs=4)
    assert grid.borders[0] == [True, False, False]
    assert grid.borders[1] == [True, True, True]


def test_page_of_text_has_no_grid() -> None:
    img = _page()
    rng = np.random.default_rng(0)
    for y in range(200, 1200, 40):  # lines of "letters": short strokes
        for x in rng.integers(100, 900, 40):
            img[y : y + 25, x : x + 3] = 20
    assert find_grids(img) == []


HEADER = "| STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian |"


@pytest.mark.parametrize(
    ("cell", "fixed"),
    [("Quý IH/2026", "Quý III/2026"), ("Quý IHI/2026", "Quý III/2026"), ("Quý lI/2026", "Quý II/2026"),
     ("Quý IV/2026", "Quý IV/2026"), ("Quý 3/2026", "Quý 3/2026"), ("Quý VH/2026", "Quý VH/2026")],
)
def test_quarter_read_by_ocr(cell: str, fixed: str) -> None:
    from pipeline.readers.scan_tables import _clean_cell

    assert _clean_cell(cell) == fixed


def test_join_drops_the_repeated_header_and_rejoins_a_broken_row() -> None:
    pages = [
        f"KẾ HOẠCH\n\n{HEADER}\n| 1 | Rà soát hồ sơ | Sở Tư pháp | Công an tỉnh | 6/2026 |\n"
        "| 2 | Xây dựng cơ sở dữ liệu | Sở Nội vụ | Sở Tài chính; Sở | Quý |\n\n",
        f"   2\n\n{HEADER}\n|   | hộ tịch điện tử | | Xây dựng | III/2026 |\n"
        "|   | Tập huấn cán bộ | Sở Nội vụ | | 12/2026 |\n\nII. TỔ CHỨC THỰC HIỆN",
    ]
    one, two = join_continued_tables(pages)
    assert "| 2 | Xây dựng cơ sở dữ liệu hộ tịch điện tử | Sở Nội vụ | Sở Tài chính; Sở Xây dựng | Quý III/2026 |" in one
    assert HEADER not in two and "hộ tịch" not in two
    # a row with no number that is not a broken row: a sub-row of task 2
    assert "| 2 | Tập huấn cán bộ | Sở Nội vụ |   | 12/2026 |" in two


def test_join_takes_a_headerless_table_at_the_top_of_the_next_page() -> None:
    pages = [f"{HEADER}\n| 1 | Rà soát hồ sơ | Sở Tư pháp |   | 6/2026 |", "| 2 | Tập huấn | Sở Nội vụ |   | 2026 |\nhết"]
    assert join_continued_tables(pages, flatten={0, 1}) == pages


def test_join_leaves_a_table_that_continues_nothing() -> None:
    """After the table ended (text below it), a headerless grid on the next OCR
    page is no continuation: its rows become plain lines."""
    pages = [f"{HEADER}\n| 1 | Rà soát hồ sơ | Sở Tư pháp | | 6/2026 |\n\nII. TỔ CHỨC THỰC HIỆN", "| 1 | 2445034 | 432 |"]
    assert join_continued_tables(pages, flatten={1})[1] == "1   2445034   432"
    assert join_continued_tables(pages)[1] == pages[1]  # a text page's own markdown is left alone


def _eval_script():
    spec = importlib.util.spec_from_file_location("scan_table_eval", ROOT / "scripts" / "scan_table_eval.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_scanned_plan_gives_one_task_per_row_with_its_lead(tmp_path: Path) -> None:
    """A plan whose 10-row table runs onto a second page (header printed once, a
    row broken at the page end), rendered and degraded like a 200 dpi scan, read
    with tesseract: each row one task, with its lead, support and deadline."""
    from pipeline import extract

    ev = _eval_script()
    rows = ev.make_rows(random.Random(5), 10)
    pdf = tmp_path / "plan.pdf"
    ev.write_plan(pdf, rows, 0, False, 4)  # row 5 starts on page 1 and ends on page 2
    scan = tmp_path / "plan-scan.pdf"
    assert ev.scan_pdf(pdf, scan, 200, 3) == 2  # the table crosses the page break
    doc = extract(scan)
    tasks = [t.model_dump(mode="json") for t in doc.tasks]
    right, found, misses = ev.row_recall([{"text": r["text"], "lead": [r["lead"]]} for r in rows], tasks)
    assert right >= 9, misses
    dated = [t for t in tasks if t["deadline"] and t["deadline"]["date"]]
    assert len(dated) >= 6  # 8 rows have a date; the time column: "30/6/2026", "Quý III/2026", "12/2026" …
    supported = [t for t in tasks if t["support"]]
    assert len(supported) >= sum(1 for r in rows if r["support"]) - 1
