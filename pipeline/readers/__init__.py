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


# The dispatcher imports the readers, which import RawText from here: keep this last.
from pipeline.readers.dispatch import DEFAULT_MAX_BYTES, read_bytes, read_file  # noqa: E402

__all__ = ["DEFAULT_MAX_BYTES", "RawText", "read_bytes", "read_file"]
