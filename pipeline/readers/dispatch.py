"""Choose the reader for a file by its content (magic bytes) first, then its extension."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from pipeline.errors import InputError
from pipeline.limits import max_chars, too_long
from pipeline.readers import RawText

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MAX_BYTES_ENV = "CONGVAN_MAX_FILE_MB"

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".csv", ""}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"}
# what a folder walk reads as documents (the batch skips anything else with a record)
DOCUMENT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".pdf", ".docx", ".doc", ".rtf"} | IMAGE_SUFFIXES)


def max_bytes_default() -> int:
    """200 MB unless CONGVAN_MAX_FILE_MB says otherwise."""
    value = os.environ.get(MAX_BYTES_ENV)
    try:
        return int(float(value) * 1024 * 1024) if value else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


def sniff(head: bytes, suffix: str) -> str:
    """'pdf' | 'image' | 'docx' | 'zip' | 'doc' | 'text' from the first bytes and the suffix."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a")):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head.startswith(b"BM") and suffix == ".bmp":
        return "image"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") or head.startswith(b"{\\rtf"):
        return "doc"
    if suffix == ".pdf":
        return "pdf-broken"
    if suffix in IMAGE_SUFFIXES:
        return "image-broken"
    return "text"


def _check_file(path: Path, max_bytes: int) -> int:
    try:
        st = path.stat()
    except FileNotFoundError as e:
        raise InputError(path, "the file does not exist") from e
    except PermissionError as e:
        raise InputError(path, "the file cannot be opened: permission denied") from e
    if path.is_dir():
        raise InputError(path, "this is a folder, not a file")
    if st.st_size == 0:
        raise InputError(path, "the file is empty (0 bytes)")
    if st.st_size > max_bytes:
        raise InputError(
            path, f"the file is too large ({st.st_size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB)"
        )
    return st.st_size


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(2048)
    except PermissionError as e:
        raise InputError(path, "the file cannot be opened: permission denied") from e
    except OSError as e:
        raise InputError(path, f"the file cannot be read ({e.strerror or e})") from e


def _read_text(path: Path, suffix: str) -> RawText:
    from pipeline.readers.text import read_text_bytes

    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(path, f"the file cannot be read ({e.strerror or e})") from e
    try:
        raw = read_text_bytes(data, markdown_hint=suffix in MARKDOWN_SUFFIXES)
    except ValueError as e:
        raise InputError(
            path, "this is not a document this program can read (binary data of an unknown kind)"
        ) from e
    if not raw.text.strip():
        raise InputError(path, "the file contains no text (only blank lines or spaces)")
    return raw


def read_file(
    path: str | Path,
    *,
    max_bytes: int | None = None,
    ocr: bool = True,
    workers: int | None = None,
    force_ocr: bool | None = None,
) -> RawText:
    """Read any supported document file into a RawText. Never modifies the file.

    Raises InputError (with a reason in plain words) for files that cannot be read.
    ``max_bytes`` defaults to 200 MB (or $CONGVAN_MAX_FILE_MB); ``ocr=False`` skips OCR;
    ``workers`` caps parallel tesseract processes (default: CPU count); ``force_ocr``
    OCRs a PDF's scanned pages even when their text layer passes the quality check
    (None: $CONGVAN_FORCE_OCR).
    """
    path = Path(path)
    limit = max_bytes if max_bytes is not None else max_bytes_default()
    size = _check_file(path, limit)
    suffix = path.suffix.lower()
    kind = sniff(_read_head(path), suffix)
    try:
        return _read_kind(path, kind, suffix, size, ocr=ocr, workers=workers, force_ocr=force_ocr)
    except (InputError, MemoryError):
        raise
    except RecursionError as e:
        raise InputError(path, f"{_KIND_NAMES.get(kind, 'the file')} is nested too deeply to be read ({e})") from e
    except Exception as e:  # a reading library's own error (zlib, lxml, PDFium, Pillow ...)
        raise InputError(
            path, f"{_KIND_NAMES.get(kind, 'the file')} is damaged or cannot be read ({type(e).__name__}: {e})"
        ) from e


_KIND_NAMES = {
    "pdf": "the PDF",
    "image": "the image",
    "image-broken": "the image",
    "zip": "the Word file",
    "doc": "the old Word file",
    "text": "the text file",
}


def _read_kind(
    path: Path, kind: str, suffix: str, size: int, *, ocr: bool, workers: int | None, force_ocr: bool | None
) -> RawText:
    if kind == "pdf":
        from pipeline.readers.pdf import read_pdf

        return read_pdf(path, ocr=ocr, workers=workers, force_ocr=force_ocr)
    if kind == "pdf-broken":
        raise InputError(path, "the file is named .pdf but is not a PDF (or is badly damaged)")
    if kind in ("image", "image-broken"):
        from pipeline.readers.image import read_image

        return read_image(path, workers=workers)
    if kind == "zip":
        try:
            with zipfile.ZipFile(path) as z:
                is_docx = "word/document.xml" in z.namelist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
            raise InputError(path, "the file is a damaged ZIP/Word archive") from e
        if not is_docx:
            raise InputError(
                path, "this ZIP archive is not a Word document: unpack it and read its files one by one"
            )
        from pipeline.readers.docx import read_docx

        return read_docx(path)
    if kind == "doc":
        from pipeline.readers.docx import read_doc

        try:
            return read_doc(path)
        except InputError as e:
            raise InputError(path, e.reason) from e
    chars_limit = max_chars()
    if chars_limit and size > 4 * chars_limit:  # 4 bytes a character at most (UTF-32)
        raise InputError(path, too_long(size // 4, at_least=True) or "the text is too long")
    return _read_text(path, suffix)


def read_bytes(data: bytes, name: str, **options) -> RawText:
    """Read a document given as bytes; ``name`` (a file name) gives the suffix and the error path.

    Same options as :func:`read_file`. Non-text formats go through a temporary file
    that is removed afterwards.
    """
    limit = options.get("max_bytes")
    limit = limit if limit is not None else max_bytes_default()
    if not data:
        raise InputError(name, "the file is empty (0 bytes)")
    if len(data) > limit:
        raise InputError(
            name, f"the file is too large ({len(data) / 1e6:.0f} MB; the limit is {limit / 1e6:.0f} MB)"
        )
    suffix = Path(name).suffix.lower()
    if sniff(data[:2048], suffix) == "text":
        from pipeline.readers.text import read_text_bytes

        chars_limit = max_chars()
        if chars_limit and len(data) > 4 * chars_limit:
            raise InputError(name, too_long(len(data) // 4, at_least=True) or "the text is too long")
        try:
            raw = read_text_bytes(data, markdown_hint=suffix in MARKDOWN_SUFFIXES)
        except ValueError as e:
            raise InputError(
                name, "this is not a document this program can read (binary data of an unknown kind)"
            ) from e
        if not raw.text.strip():
            raise InputError(name, "the file contains no text (only blank lines or spaces)")
        return raw
    with tempfile.TemporaryDirectory(prefix="congvan-bytes-") as tmp:
        safe = Path(name).name or "input"
        path = Path(tmp) / safe
        path.write_bytes(data)
        try:
            return read_file(path, **options)
        except InputError as e:
            raise InputError(name, e.reason, e.stage) from e
