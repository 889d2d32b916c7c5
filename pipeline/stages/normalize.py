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
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–]\s*)?(?:trang\s*)?\d{1,3}(?:\s*[-–])?\s*$", re.I)
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
        noise = bool(stripped) and (
            bool(_PAGE_NUMBER.match(stripped)) or bool(_CHROME.match(stripped))
        )
        lines.append(Line(Segment(start, end), page, indent, noise))
    return lines


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
