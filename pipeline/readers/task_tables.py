"""Tables of tasks as markdown rows, and one table across page breaks.

A ruled table of a text PDF (pdf.py ``ruled_task_tables``) and of a scan
(scan_tables.py) become markdown rows, header first:
``| 1 | nhiệm vụ | chủ trì | phối hợp | thời gian |``. The outline reads one task
per row by its number. A long table runs over several pages; on each page the
header is printed again, or not at all, and a row that does not fit is broken
at the page end and goes on at the top of the next page with an empty number
cell. ``join_continued_tables`` puts the pages of one table back together:
the repeated header is dropped, the broken row's pieces are joined cell by
cell into the row it started, and every other row without a number takes the
number of the row before (a sub-row of the same numbered task).
"""

from __future__ import annotations

import re

from pipeline.folding import fold
from pipeline.tables import column_of

ROW = re.compile(r"^\s*\|.*\|\s*$")
# the outline's row labels (pipeline/stages/outline.py ROW_LABEL)
ROW_LABEL = re.compile(r"^(?:\d{1,3}(?:\.\d{1,2})*|[a-zđ]\)|[IVX]{1,5})[.)]?$")
# a page number or running head alone on its line at the top or foot of a page
PAGE_MARK = re.compile(r"^\s*[-–]?\s*\d{1,4}\s*[-–]?\s*$")
# what OCR makes of a row number: "l" or "I" for 1, "O" for 0, a comma for the dot
_DIGIT_LOOKALIKES = str.maketrans({"l": "1", "|": "1", "O": "0", "o": "0", ",": "."})


def header_kinds(cells: list[str]) -> list[str | None]:
    """Column kinds (content | lead | support | time | number) of a header row."""
    return [column_of(" ".join(fold(c).split())) if c.strip() else None for c in cells]


def is_task_header(kinds: list[str | None]) -> bool:
    """A header that names the task's content and its lead or its time."""
    return "content" in kinds and bool({"lead", "time"} & set(kinds))


def clean_label(cell: str) -> str:
    """A row number cell as the outline's row label ("1", "1.2", "II", "a)"), or ""."""
    cell = cell.strip().strip("*_").strip()
    if not cell:
        return ""
    if ROW_LABEL.match(cell):
        return cell.rstrip(".")
    fixed = cell.translate(_DIGIT_LOOKALIKES).rstrip(".")
    if re.fullmatch(r"\d{1,3}(?:\.\d{1,2})*", fixed):
        return fixed
    return ""


def markdown_row(cells: list[str]) -> str:
    return "| " + " | ".join(" ".join(c.split()) or " " for c in cells) + " |"


def row_cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip()[1:-1].split("|")]


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Runs of markdown table rows: (first line, last line + 1)."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if ROW.match(lines[i]):
            j = i
            while j < len(lines) and ROW.match(lines[j]):
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def _only_marks(lines: list[str]) -> bool:
    """Nothing but blank lines and page numbers."""
    return all(not line.strip() or PAGE_MARK.match(line) for line in lines)


def open_table_at_end(page: str) -> bool:
    """Does the page end with table rows (nothing but a page number after them)?"""
    lines = page.split("\n")
    blocks = _blocks(lines)
    return bool(blocks) and _only_marks(lines[blocks[-1][1] :])


def starts_with_table(page: str) -> bool:
    """Does the page start with table rows (after a page number)?"""
    lines = page.split("\n")
    blocks = _blocks(lines)
    return bool(blocks) and _only_marks(lines[: blocks[0][0]])


def join_continued_tables(pages: list[str], flatten: set[int] | frozenset[int] = frozenset()) -> list[str]:
    """Pages of text -> the same pages with each table of tasks continued over
    page breaks joined up (see the module's doc). A headerless table on a page
    in ``flatten`` (pages read by OCR, whose tables scan_tables wrote as rows
    in case they continue one) that continues nothing is written back as plain
    lines, its cells side by side."""
    out: list[list[str | None]] = [list(page.split("\n")) for page in pages]
    # the table still open at the end of the previous page: its column count and
    # where its last row is (page, line)
    open_cols: int | None = None
    last: tuple[int, int] | None = None
    for p, lines in enumerate(out):
        blocks = _blocks([line or "" for line in lines])
        for b, (i, j) in enumerate(blocks):
            cells = [row_cells(lines[k] or "") for k in range(i, j)]
            first_on_page = b == 0 and _only_marks([line or "" for line in lines[:i]])
            header = is_task_header(header_kinds(cells[0]))
            continues = first_on_page and last is not None and len(cells[0]) == open_cols
            if header and not continues:
                open_cols, last = len(cells[0]), None
                data = range(i + 1, j)
            elif continues:
                data = range(i + 1, j) if header else range(i, j)
                if header:
                    lines[i] = None  # the header printed again
            else:
                if p in flatten:
                    for k in range(i, j):
                        lines[k] = "   ".join(c for c in cells[k - i] if c)
                open_cols, last = None, None
                continue
            for n, k in enumerate(data):
                row = cells[k - i]
                if len(row) != open_cols:
                    continue
                label = clean_label(row[0])
                if not label and n == 0 and continues and last is not None:
                    # the rest of a row broken at the page end: join it to that row
                    prev = row_cells(out[last[0]][last[1]] or "")
                    out[last[0]][last[1]] = markdown_row([f"{a} {c}".strip() for a, c in zip(prev, row, strict=True)])
                    lines[k] = None
                    continue
                if not label:  # a sub-row of the numbered task above it
                    label = clean_label(row_cells(out[last[0]][last[1]] or "")[0]) if last else ""
                row[0] = label or "1"
                lines[k] = markdown_row(row)
                last = (p, k)
        tail = lines[blocks[-1][1] :] if blocks else lines
        if not _only_marks([line or "" for line in tail]):
            open_cols, last = None, None
    return ["\n".join(line for line in lines if line is not None) for lines in out]
