"""CSV: one row per task, UTF-8 with a byte-order mark so Excel shows Vietnamese.

Multi-valued cells (lead, support) are joined with "; ". A cell that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return: OWASP's CSV-injection list) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import BinaryIO

from models import DirectiveDocument
from pipeline.export.counts import ExportCounts
from pipeline.export.rows import Value, columns, task_values

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Value) -> str | int | float:
    """A value as a safe CSV cell: dates ISO, absent empty, formula-looking text quoted off."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    text = value.isoformat() if not isinstance(value, str) else value
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(docs: Iterable[DirectiveDocument], out: BinaryIO) -> ExportCounts:
    """A header row of the contract's keys, then one row per task of every document."""
    keys: list[str] = columns()["csv"]
    counts = ExportCounts()
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(keys)
    for doc in docs:
        counts.documents += 1
        for task in doc.tasks:
            values = task_values(doc, task)
            writer.writerow([csv_cell(values[k]) for k in keys])
            counts.tasks += 1
            counts.written += 1
    text.flush()
    text.detach()  # the stream stays open: it is the caller's
    return counts
