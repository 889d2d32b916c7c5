"""Stage 2: one normalized text (NFC, \\n line ends) that every span indexes, its
folded twin for matching, and its lines with page numbers and chrome marked."""

from __future__ import annotations

import re
import unicodedata

from pipeline.folding import fold
from pipeline.stage import Stage
from pipeline.state import Line, WorkingState
from pipeline.textview import Segment

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–]\s*)?(?:trang\s*)?(?P<n>\d{1,3})(?:\s*[-–])?\s*$", re.I)
_FRAMED_PAGE = re.compile(r"^\s*(?:[-–]\s*\d{1,3}\s*[-–]|trang\s*\d{1,3}(?:\s*/\s*\d{1,3})?)\s*$", re.I)
_CHROME = re.compile(
    r"^\s*(?:={3,}.*={3,}|\[(?:OCR|Bản trích)[^\]]*\]?.*|Open navigation.*|Xem mẫu.*|-{3,}|\*{3,})\s*$",
    re.I,
)


def clean_text(raw: str) -> str:
    """NFC, invisible characters dropped, CR/LF and tabs unified, NBSP to space."""
    text = unicodedata.normalize("NFC", raw).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2007", " ")


def text_to_lines(text: str) -> list[Line]:
    """Lines (without the newline), pages counted at form feeds, noise marked."""
    lines: list[Line] = []
    page = 1
    pos = 0
    for raw_line in text.split("\n"):
        start, end = pos, pos + len(raw_line)
        pos = end + 1
        while start < end and text[start] == "\f":
            page += 1
            start += 1
        body = text[start:end].replace("\f", " ")
        page += text[start:end].count("\f")
        stripped = body.strip()
        indent = len(body) - len(body.lstrip(" "))
        noise = bool(stripped) and (bool(_FRAMED_PAGE.match(stripped)) or bool(_CHROME.match(stripped)))
        lines.append(Line(Segment(start, end), page, indent, noise))
    _mark_page_numbers(text, lines)
    return lines


def _mark_page_numbers(text: str, lines: list[Line]) -> None:
    """A line holding only a number is a page number when it sits at a page
    break, or when it continues the page count (2, 3, …) a page's length after
    the previous one; otherwise it is content (a table row number)."""
    last_n, last_i = 1, -100
    for i, ln in enumerate(lines):
        m = _PAGE_NUMBER.match(text[ln.seg.start : ln.seg.end])
        if not m or not text[ln.seg.start : ln.seg.end].strip():
            continue
        n = int(m.group("n"))
        near_break = any(
            0 <= j < len(lines) and lines[j].page != ln.page for j in (i - 2, i - 1, i + 1, i + 2)
        )
        blank_side = any(
            0 <= j < len(lines) and not text[lines[j].seg.start : lines[j].seg.end].strip() for j in (i - 1, i + 1)
        )
        if near_break or (n == last_n + 1 and i - last_i >= 15 and n >= 2 and blank_side):
            ln.noise = True
            last_n, last_i = n, i


class Normalize(Stage):
    name = "normalize"
    requires = ("raw",)
    provides = ("text", "lines")
    critical = True

    def __call__(self, state: WorkingState) -> WorkingState:
        assert state.raw is not None
        state.text = clean_text(state.raw.text)
        state.fold = fold(state.text)
        state.lines = text_to_lines(state.text)
        if not state.text.strip():
            state.warn("empty-text")
        return state
