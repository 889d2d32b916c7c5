"""What an upload must look like: a document suffix congvan reads, and bytes
that start the way that type of file starts (so a renamed program or archive
is refused before it is stored)."""

from __future__ import annotations

from pathlib import Path

from pipeline.readers.dispatch import DOCUMENT_SUFFIXES

# file signatures ("magic numbers") of each type, from the formats' specifications
_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".rtf": (b"{\\rtf",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".tif": (b"II*\x00", b"MM\x00*"),
    ".tiff": (b"II*\x00", b"MM\x00*"),
    ".bmp": (b"BM",),
    ".gif": (b"GIF87a", b"GIF89a"),
}
TEXT = {".txt", ".text", ".md", ".markdown"}


def check_upload(name: str, head: bytes) -> str | None:
    """Why this file is refused (in Vietnamese, for the clerk), or None when it may be stored."""
    suffix = Path(name).suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        kinds = " ".join(sorted(DOCUMENT_SUFFIXES))
        return f"loại tệp '{suffix or 'không có đuôi'}' không được nhận (nhận: {kinds})"
    if not head:
        return "tệp rỗng"
    if suffix in TEXT:
        if b"\x00" in head:
            return "tệp văn bản chứa dữ liệu nhị phân"
        return None
    if suffix == ".webp":
        ok = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    else:
        ok = any(head.startswith(m) for m in _MAGIC[suffix])
    return None if ok else f"nội dung tệp không phải là {suffix[1:].upper()}"
