"""Plain text and Markdown files: decode bytes, NFC, legacy encodings, format."""

from __future__ import annotations

import codecs
import re
import unicodedata

from pipeline.readers import RawText
from pipeline.readers.diacritics import detached_runs, reattach
from pipeline.readers.legacy import detect_legacy
from pipeline.readers.quality import text_validity

# [ \t]* not \s*: under re.M a \s* at a line start runs over every following blank line (quadratic)
_MARKDOWN = re.compile(r"^(#{1,6} \S|[ \t]*\|.*\|[ \t]*$|[ \t]*[-*] \*\*|.*\*\*\S[^*]*\*\*)", re.M)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when every other byte is mostly NUL (ASCII-heavy UTF-16)."""
    if len(data) < 4 or len(data) % 2:
        return None
    even = data[0::2].count(0) / (len(data) / 2)
    odd = data[1::2].count(0) / (len(data) / 2)
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters: not a text file (call after the UTF-16 checks)."""
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))  # C-level count
    return controls > 0.02 * max(1, len(sample))


# control bytes a text file does not hold (tab, LF, FF, CR and ESC are allowed)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text bytes; return (text, encoding used). Raises ValueError on binary data.

    Order: BOM, UTF-16 without BOM, UTF-8, then the better (by Vietnamese syllable
    validity) of cp1258 and Latin-1 (whose letters may still be TCVN3/VNI).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    encoding16 = utf16_without_bom(data)
    if encoding16:
        return data.decode(encoding16, errors="replace"), encoding16
    if looks_binary(data):
        raise ValueError("binary data")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    latin = data.decode("latin-1")
    if detect_legacy(latin)[0]:
        return latin, "latin-1"  # TCVN3/VNI bytes: converted by text_to_rawtext
    candidates = []
    for encoding in ("cp1258", "latin-1"):
        try:
            text = unicodedata.normalize("NFC", data.decode(encoding))
        except UnicodeDecodeError:
            continue
        candidates.append((text_validity(text)[0], encoding, text))
    _, encoding, text = max(candidates, key=lambda c: c[0])
    return text, encoding


def looks_markdown(text: str) -> bool:
    """Headings, bold runs or pipe tables on at least two lines."""
    return len(_MARKDOWN.findall(text)) >= 2


# a text whose tone marks were detached by a conversion shows many runs of them
MIN_DETACHED_RUNS = 3


def normalize_text(text: str) -> str:
    """NFC, Unix line ends; form feeds kept (page breaks)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def text_to_rawtext(text: str, *, markdown_hint: bool = False, encoding: str = "utf-8") -> RawText:
    """A decoded text -> RawText: legacy conversion, NFC, format and page count."""
    warnings: list[tuple[str, str]] = []
    meta: dict[str, str | None] = {"encoding": encoding}
    text = normalize_text(text)
    legacy, converted = detect_legacy(text)
    if legacy:
        text = converted
        meta["legacy_encoding"] = legacy
        warnings.append(
            ("legacy-encoding", f"text was typed in the {legacy.upper()} encoding and converted to Unicode")
        )
    if detached_runs(text) >= MIN_DETACHED_RUNS:
        text, placed = reattach(text)
        if placed:
            warnings.append(
                ("diacritics-reattached", f"{placed} runs of tone marks detached from their words were put back")
            )
    fmt = "markdown" if markdown_hint or looks_markdown(text) else "text"
    pages = text.count("\f") + 1 if text.strip("\f\n ") else 1
    return RawText(text=text, format=fmt, pages=pages, meta=meta, warnings=warnings)


def read_text_bytes(data: bytes, *, markdown_hint: bool = False) -> RawText:
    """Bytes of a .txt/.md (or unknown text) file -> RawText. Raises ValueError on binary data."""
    text, encoding = decode_bytes(data)
    return text_to_rawtext(text, markdown_hint=markdown_hint, encoding=encoding)
