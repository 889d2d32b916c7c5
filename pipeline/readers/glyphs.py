"""Repair of wrong glyphs from PDF fonts with broken ToUnicode maps (resources/glyph_repair.yaml)."""

from __future__ import annotations

import re
from functools import cache

from pipeline.readers.resource_files import load_resource


@cache
def _repairs() -> tuple[dict[str, str], re.Pattern[str] | None, dict[str, str]]:
    data = load_resource("glyph_repair")
    chars: dict[str, str] = data.get("chars") or {}
    words: dict[str, str] = data.get("words") or {}
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)") if words else None
    return chars, pattern, words


def repair_glyphs(text: str) -> tuple[str, int]:
    """Return the repaired text and the number of characters or words replaced."""
    chars, pattern, words = _repairs()
    count = 0
    for wrong, right in chars.items():
        n = text.count(wrong)
        if n:
            text = text.replace(wrong, right)
            count += n
    if pattern is not None:
        text, n = pattern.subn(lambda m: words[m.group(1)], text)
        count += n
    return text, count
