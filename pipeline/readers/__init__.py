"""Readers: turn a file (or raw bytes/text) into page text the pipeline can parse.

Every reader returns a :class:`RawText`. Text is NFC Unicode. Pages are joined
with a form feed ``\\f``. Layout is kept the way ``pdftotext -layout`` keeps it
(the header and closing columns side by side, hard line breaks): the pipeline's
layout stage splits columns itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class PageWord:
    """One OCR word of a page with its box as fractions of the page (0..1, from
    the top left of the page as given, before any deskew)."""

    text: str
    line: int  # tesseract's line number on the page (block, paragraph, line folded into one)
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class RawText:
    text: str
    format: str  # text | markdown | pdf | image | docx
    pages: int = 1
    ocr: bool = False
    # e-signature stamp and other source metadata: signed_by, signed_at, producer ...
    meta: dict[str, str | None] = field(default_factory=dict)
    # mean OCR word confidence (0..1) when any page was OCRed
    ocr_confidence: float | None = None
    # (code, message) pairs; codes from pipeline.errors.CODES
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # per-stage seconds spent inside the reader (pdf-text, ocr, ...)
    timings: dict[str, float] = field(default_factory=dict)
    # OCR word boxes of the header region of page 1 (None when page 1 was not OCRed):
    # where the number and the date sit, so a crop of the page can be shown or read
    header_words: tuple[PageWord, ...] | None = None


# The dispatcher imports the readers, which import RawText from here: keep this last.
from pipeline.readers.dispatch import DEFAULT_MAX_BYTES, read_bytes, read_file  # noqa: E402

__all__ = ["DEFAULT_MAX_BYTES", "PageWord", "RawText", "read_bytes", "read_file"]
