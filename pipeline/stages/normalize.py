"""Stage 2: one normalized text (NFC, \\n line ends) that every span indexes, its
folded twin for matching, and its lines with page numbers and chrome marked."""

from __future__ import annotations

import re
import unicodedata

from pipeline.errors import InputError
from pipeline.folding import CAP, fold
from pipeline.stage import Stage
from pipeline.state import Line, WorkingState
from pipeline.textview import Segment

_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–]\s*)?(?:trang\s*)?(?P<n>\d{1,3})(?:\s*[-–])?\s*$", re.I)
_FRAMED_PAGE = re.compile(r"^\s*(?:[-–]\s*\d{1,3}\s*[-–]|trang\s*\d{1,3}(?:\s*/\s*\d{1,3})?)\s*$", re.I)
_CHROME = re.compile(
    r"^\s*(?:={3,}.*={3,}|\[(?:OCR|Bản trích)[^\]]*\]?.*|Open navigation.*|Xem mẫu.*|-{3,}|\*{3,})\s*$",
    re.I,
)
# a page break written as a line by a converter ("--- PAGE BREAK ---", "<!-- pagebreak -->")
_NOISE_FIRST = frozenset("-–=<[pPtToOxX*")
_PAGE_MARK = re.compile(r"^\s*(?:-{2,}|={2,}|<!--)?\s*\[?(?:page[ _-]?break)\]?\s*(?:-{2,}|={2,}|-->)?\s*$", re.I)


def clean_text(raw: str) -> str:
    """NFC, invisible characters dropped, CR/LF and tabs unified, NBSP to space."""
    text = unicodedata.normalize("NFC", raw)
    for c in _INVISIBLE_CHARS:  # str.replace per character present: str.translate
        if c in text:  # with a dict looks up every character of the text
            text = text.replace(c, "")
    if text.count("\\r\\n") >= 3:  # a scrape that kept its line ends as the letters "\r\n"
        text = text.replace("\\r\\n", "\n")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2007", " ")


LONG_LINE = 300
_SPLIT_BEFORE = re.compile(
    r"(?<=\S)\s+(?=(?:CỘNG HÒA XÃ HỘI|CỘNG HOÀ XÃ HỘI|Độc lập\s*-|ĐẢNG CỘNG SẢN|Số\s*:|V/v\b|Kính gửi|Nơi nhận"
    r"|(?:[IVX]{1,4}|\d{1,2})\.\s+" + CAP + r"|[a-zđ]\)\s|[-–+]\s+" + CAP + r"))"
    r"|(?<=VIỆT NAM)\s+(?=" + CAP + r"{2,})|(?<=Hạnh phúc)\s+"
    r"|(?<=[.;:])\s+(?=" + CAP + r")"
)
_FLAT_HEADER = re.compile(r"CỘNG HÒA XÃ HỘI|CỘNG HOÀ XÃ HỘI|Kính gửi|ĐẢNG CỘNG SẢN")
_PLACE_DATE_AT = re.compile(r"(?<=\s)((?:" + CAP + r"[\w-]*\s){0,3}" + CAP + r"[\w-]*),\s*ngày\s*\d")


def reflow(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A line of a flattened document (web text: the whole letter on one line)
    is cut into virtual lines at the header's anchors, list items and sentence
    ends; ordinary lines are returned whole. The text itself is not changed."""
    if end - start <= LONG_LINE or text[start:end].lstrip().startswith("|"):
        return [(start, end)]
    if not _FLAT_HEADER.search(text, start, min(end, start + 600)):
        return [(start, end)]
    cuts = {start, end}
    for m in _SPLIT_BEFORE.finditer(text, start, end):
        cuts.add(m.end())
    for m in _PLACE_DATE_AT.finditer(text, start, end):
        cuts.add(m.start(1))
    bounds = sorted(cuts)
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def text_to_lines(text: str) -> list[Line]:
    """Lines (without the newline), pages counted at form feeds, noise marked."""
    lines: list[Line] = []
    page = 1
    # a form feed ends a line and a page, even in the middle of a text line
    for m in re.finditer(r"[^\n\f]*(?:\n|\f|$)", text):
        start, end = m.start(), m.end()
        if start == end:
            continue
        brk = text[end - 1] if text[end - 1] in "\n\f" else ""
        if brk:
            end -= 1
        for a, b in reflow(text, start, end):
            body = text[a:b].replace("\f", " ")
            stripped = body.strip()
            indent = len(body) - len(body.lstrip(" "))
            # page marks, framed page numbers and web chrome start with one of _NOISE_FIRST
            maybe = bool(stripped) and stripped[0] in _NOISE_FIRST
            mark = maybe and bool(_PAGE_MARK.match(stripped))
            noise = mark or maybe and (bool(_FRAMED_PAGE.match(stripped)) or bool(_CHROME.match(stripped)))
            lines.append(Line(Segment(a, b), page, indent, noise))
            if mark:
                page += 1
        if brk == "\f":
            page += 1
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
    """``reject_foreign``: a text that is not Vietnamese stops the run with an
    InputError (off in the robustness tests, to run every stage on any text)."""

    name = "normalize"
    requires = ("raw",)
    provides = ("text", "lines")
    critical = True

    def __init__(self, reject_foreign: bool = True) -> None:
        self.reject_foreign = reject_foreign

    def __call__(self, state: WorkingState) -> WorkingState:
        assert state.raw is not None
        state.text = clean_text(state.raw.text)
        state.fold = fold(state.text)
        state.lines = text_to_lines(state.text)
        if not state.text.strip():
            state.warn("empty-text")
        elif self.reject_foreign:
            why = not_vietnamese(state.text)
            if why:
                raise InputError(state.path or "text", f"not a Vietnamese document: {why}", "normalize", "not-vietnamese")
        return state


_VI_MARKED = re.compile(r"[đăâêôơưĐĂÂÊÔƠƯ]|[àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")


# fewer valid Vietnamese syllables than this and a text is not a document at all
MIN_SYLLABLES = 3
SAMPLE_CHARS = 20000


def not_vietnamese(text: str) -> str | None:
    """Why a text is not a Vietnamese document, or None when it is one.

    A Vietnamese text has words with Vietnamese letters or tone marks, or (typed
    without them) words that are valid Vietnamese syllables. Another language,
    random bytes decoded as text, a certificate or a key fail: at least half of
    the judged words must be valid syllables, and there must be a few of them,
    unless 40 words or more carry Vietnamese marks."""
    from pipeline.readers.quality import text_validity

    sample = text[:SAMPLE_CHARS]
    words = _LETTER_WORD.findall(sample)
    if len(words) >= 40:
        need, marked = 0.05 * len(words), 0
        for w in words:  # stops as soon as enough words carry Vietnamese marks
            if _VI_MARKED.search(w):
                marked += 1
                if marked >= need:
                    return None
    validity, judged = text_validity(sample)
    if validity * judged < MIN_SYLLABLES:
        return "it has no Vietnamese words (binary data, a key or certificate, or another kind of file?)"
    if validity < 0.5:
        return f"only {validity:.0%} of its words are Vietnamese syllables (another language?)"
    return None


def looks_vietnamese(text: str) -> bool:
    """True for a Vietnamese text, accented or not (see :func:`not_vietnamese`)."""
    return not_vietnamese(text) is None
