"""Where the number ("Số: … /…") and the date ("…, ngày … tháng … năm …") sit on
page 1 of a scan, from the OCR word boxes of its header (RawText.header_words).

A region is a box as fractions of the page (x0, y0, x1, y1 from the top left), so
any renderer of the page at any resolution can crop it; ``value_bbox`` is the
part where the serial or the day is written — in ink on many scans, between
"Số:" and the "/" of the notation, or between "ngày" and "tháng".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.folding import ascii_fold, fold
from pipeline.readers import PageWord

Box = tuple[float, float, float, float]

_SO = re.compile(r"^s[oóòôốồổỗộơớờởỡợ]\b\s*:?(?P<rest>.*)$")
_YEAR = re.compile(r"\d{4}")
# words further apart than this (a share of the page width) are in different columns
COLUMN_GAP = 0.045


def _line_height(words: Sequence[PageWord]) -> float:
    """The usual height of a printed word of the header (the median)."""
    hs = sorted(w.y1 - w.y0 for w in words)
    return hs[len(hs) // 2] if hs else 0.015


def _band(words: Sequence[PageWord], anchor: PageWord) -> list[PageWord]:
    """The words on the anchor's line: their vertical middle within a printed line's
    height of the anchor's middle (OCR may run ink into a word and make it tall), left to right."""
    h = _line_height(words)
    mid = (anchor.y0 + anchor.y1) / 2
    return sorted((w for w in words if abs((w.y0 + w.y1) / 2 - mid) <= h), key=lambda w: w.x0)


def _union(ws: Sequence[PageWord], all_words: Sequence[PageWord]) -> Box:
    """The box around words of one line, no taller than two printed lines (a word
    that OCR ran into the next line would stretch it)."""
    h = _line_height(all_words)
    mids = sorted((w.y0 + w.y1) / 2 for w in ws)
    mid = mids[len(mids) // 2]
    return (
        min(w.x0 for w in ws),
        max(mid - 1.0 * h, min(w.y0 for w in ws)),
        max(w.x1 for w in ws),
        min(mid + 1.0 * h, max(w.y1 for w in ws)),
    )


# a value boundary guessed inside a word (ink run into "Số:" or "ngày") is only
# known to about a letter: the value's box is widened by this share of the page width
INSIDE_MARGIN = 0.012


def _char_x(w: PageWord, index: int) -> float:
    """x of the ``index``-th character of a word, by its share of the word's letters."""
    return w.x0 + (w.x1 - w.x0) * index / max(1, len(w.text))


def _number_line(words: Sequence[PageWord], notation: str | None) -> tuple[PageWord, list[PageWord]] | None:
    """The "Số" word of the document number and the words of its line; with the
    notation known, the line that carries it (an arrival stamp has a "Số:" too)."""
    want = _key(notation.split("/")[-1]) if notation else ""
    for w in words:
        if not _SO.match(fold(w.text)):
            continue
        band = [v for v in _band(words, w) if v.x0 >= w.x0 - 0.005]
        if want and any(want in _key(v.text) for v in band[:5]):
            return w, band
        if not want and w.x0 < 0.5:
            return w, band
    return None


def _key(s: str) -> str:
    """Letters and digits only, without tone marks: "QĐ-UBND" and "/QD-UBND" meet."""
    return re.sub(r"[^a-z0-9]", "", ascii_fold(s))


_SLASH = re.compile(r"[/⁄∕]")
_NOTATION_HEAD = re.compile(r"[A-ZĐ]{2,}[-–]")


def _notation_at(text: str, from_index: int, notation: str | None) -> int:
    """Where the notation starts in a word (at its slash, else at the notation's
    own letters, else at a caps run with a dash: "J}BCA-C04"); -1 when not in it."""
    m = _SLASH.search(text, from_index)
    if m:
        return m.start()
    if notation:
        head = re.escape(notation.split("/")[-1][:3])
        m = re.search(head, text[from_index:], flags=re.IGNORECASE)
        if m:
            return from_index + m.start()
    m = _NOTATION_HEAD.search(text, from_index)
    return m.start() if m else -1


def number_region(words: Sequence[PageWord], notation: str | None) -> dict[str, object] | None:
    """The box of "Số: <serial>/<notation>" and of its serial's place (OCR may
    run the ink into the label or the notation: "Só:#Š⁄CAT-PA05" is one word)."""
    found = _number_line(words, notation)
    if found is None:
        return None
    so, band = found
    m = _SO.match(fold(so.text))
    label_end = len(so.text) - len(m.group("rest")) if m else len(so.text)
    tail: list[PageWord] = []
    slash: tuple[PageWord, int] | None = None
    at = _notation_at(so.text, label_end, notation) if label_end < len(so.text) else -1
    if at >= 0:
        slash = (so, at)
    prev = so
    for v in (v for v in band if v is not so and v.x0 >= so.x0):
        if v.x0 - prev.x1 > COLUMN_GAP:
            break
        if slash and not re.match(r"^[-–&\w]", v.text):
            break
        tail.append(v)
        prev = v
        if slash is None:
            at = _notation_at(v.text, 0, notation)
            if at >= 0:
                slash = (v, at)
    if slash is None:
        return None
    box = _union([so, *tail], words)
    start = _char_x(so, label_end) - (INSIDE_MARGIN if label_end < len(so.text) else 0.0)
    end = _char_x(slash[0], slash[1]) + (INSIDE_MARGIN if slash[1] > 0 else 0.0)
    value = (max(so.x0, min(start, end)), box[1], max(start, end), box[3])
    return {"page": 1, "bbox": box, "unit": "fraction", "value_bbox": value}


_NGAY_IN = re.compile(r"ng[aàáảãạ]y")
_THANG_IN = re.compile(r"th[aàáảãạ]ng")


def date_region(words: Sequence[PageWord]) -> dict[str, object] | None:
    """The box of "<place>, ngày … tháng … năm <year>" and of its day's place
    (OCR may run the ink into the words around it: "ngày4Dtháng", "O†tháng")."""
    for w in words:
        fw = fold(w.text)
        day_at = _NGAY_IN.search(fw)
        if not day_at or day_at.start() > 0 and fw[: day_at.start()].isalpha():
            continue
        band = _band(words, w)
        i = band.index(w)
        right: list[PageWord] = []
        month: tuple[PageWord, int] | None = None
        year: PageWord | None = None
        inside = _THANG_IN.search(fw, day_at.end())
        if inside:
            month = (w, inside.start())
            if _YEAR.search(w.text[inside.end() :]):
                year = w
        for v in band[i + 1 :] if year is None else []:
            if v.x0 - (right[-1].x1 if right else w.x1) > 2 * COLUMN_GAP:
                break
            right.append(v)
            fv = fold(v.text)
            if month is None:
                mm = _THANG_IN.search(fv)
                if mm:
                    month = (v, mm.start())
            if month is not None and _YEAR.search(v.text):
                year = v
                break
        if month is None or year is None:
            continue
        left = [w]
        for v in reversed(band[:i]):
            if left[0].x0 - v.x1 > COLUMN_GAP:
                break
            left.insert(0, v)
        box = _union(left + right, words)
        x0 = _char_x(w, day_at.end()) - (INSIDE_MARGIN if day_at.end() < len(w.text) else 0.0)
        x1 = _char_x(*month) + (INSIDE_MARGIN if month[1] > 0 else 0.0)
        value = (x0, box[1], max(x0, x1), box[3])
        return {"page": 1, "bbox": box, "unit": "fraction", "value_bbox": value}
    return None


def field_regions(words: Sequence[PageWord], notation: str | None) -> dict[str, dict[str, object]]:
    """``{"number": region, "issued_date": region}``, each only when found."""
    out: dict[str, dict[str, object]] = {}
    number = number_region(words, notation)
    if number:
        out["number"] = number
    issued = date_region(words)
    if issued:
        out["issued_date"] = issued
    return out
