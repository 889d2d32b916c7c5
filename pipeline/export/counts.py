"""What an export wrote."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ExportCounts:
    """Documents and tasks seen, records written (lines, rows, to-dos, document
    elements) and tasks left out (the calendar takes only dated deadlines)."""

    documents: int = 0
    tasks: int = 0
    written: int = 0
    left_out: int = 0
