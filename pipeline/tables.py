"""The columns of a table of tasks (nhiệm vụ | chủ trì | phối hợp | thời gian),
named by the words of resources/sections.yaml ``table_columns``. Shared by the
outline (markdown and flattened tables) and the PDF reader (ruled tables)."""

from __future__ import annotations

from functools import lru_cache

from pipeline.folding import fold
from pipeline.resources import load


@lru_cache(maxsize=1)
def _columns() -> dict[str, list[str]]:
    cols = load("sections.yaml")["table_columns"]
    return {k: sorted((fold(x) for x in v), key=len, reverse=True) for k, v in cols.items()}


def column_of(cell: str) -> str | None:
    """content | lead | support | time | number for a folded header cell, else None."""
    c = cell.strip(" *_:").lower()
    for name, words in _columns().items():
        if any(c == w or c.startswith(w + " ") or c.endswith(" " + w) for w in words):
            return name
    return None
