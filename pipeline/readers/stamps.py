"""Stamps that are not document text: e-signature stamps and arrival stamps.

Signature stamps come from the PDF (poppler's word boxes, so their blocks are
known exactly) and are cut out of the page's layout text; their signer and
time go to RawText.meta. Arrival stamps ("CÔNG VĂN ĐẾN, Số: …, Ngày: …") are
recognised in OCR text, so that their handwritten "Số" is not read as the
document number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pipeline.readers.resource_files import load_resource

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DATETIME = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{4}\s*,?\s*\d{1,2}:\d{2}(:\d{2})?(\s*[+-]\d{2}:?\d{2})?")


@dataclass(frozen=True)
class StampBlock:
    """A signature stamp: its lines (words joined by one space) and its position."""

    lines: tuple[str, ...]
    line_tops: tuple[float, ...]  # y of each line's top, points from the page top
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@cache
def _signature_rules() -> dict:
    return load_resource("reader_stamps")["signature"]


@cache
def _arrival_rules() -> dict:
    return load_resource("reader_stamps")["arrival"]


def is_signature_text(text: str) -> bool:
    """A block of text that is an e-signature or publisher stamp."""
    rules = _signature_rules()
    if len(text) > MAX_STAMP_CHARS:
        return False
    if _labels_re(tuple(rules["labels"])).search(text):
        return True
    return bool(rules.get("email_with_time")) and bool(_EMAIL.search(text)) and bool(_DATETIME.search(text))


# Stamps are short: a block longer than this is body text that mentions "ngày ký".
MAX_STAMP_CHARS = 400


def may_hold_signature(page_text: str) -> bool:
    """False when no block of this page can be a signature stamp (is_signature_text),
    judged from the page's layout text, so that its word boxes need not be read.

    A stamp block's text is its words joined by spaces; the layout text holds the
    same words, though a block's lines may sit between other columns' words. So
    this looks for what stays on one line: a label's last word and its colon, or
    an e-mail address (one word) with a date and a time anywhere on the page.
    """
    rules = _signature_rules()
    if _label_ends_re(tuple(rules["labels"])).search(page_text):
        return True
    return (
        bool(rules.get("email_with_time"))
        and bool(_EMAIL.search(page_text))
        and bool(_DATE.search(page_text))
        and bool(_TIME.search(page_text))
    )


_DATE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{4}")
_TIME = re.compile(r"\d{1,2}:\d{2}")


@cache
def _label_ends_re(labels: tuple[str, ...]) -> re.Pattern[str]:
    """The last word of each label followed by a colon, any case."""
    ends = sorted({label.split()[-1] for label in labels}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(e) for e in ends) + r")\s*:", re.I)


@cache
def _labels_re(labels: tuple[str, ...]) -> re.Pattern[str]:
    """A label followed by a colon ("Ký bởi:", "Thời gian ký:"), any case."""
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(label) for label in labels) + r")\s*:", re.I)


def _label_value(text: str, labels: list[str], stop_labels: list[str]) -> str | None:
    stops = "|".join(re.escape(s) for s in stop_labels)
    for label in labels:
        m = re.search(re.escape(label) + r"\s*:?\s*(.+?)\s*(?=(" + stops + r")\s*:|$)", text, re.I)
        if m and m.group(1).strip():
            return m.group(1).strip(" :")
    return None


def stamp_fields(text: str) -> tuple[str | None, str | None]:
    """(signer, time) of one stamp's text."""
    rules = _signature_rules()
    all_labels = rules["signer_labels"] + rules["time_labels"] + rules["field_labels"]
    signer = _label_value(text, rules["signer_labels"], all_labels)
    when = _label_value(text, rules["time_labels"], all_labels)
    if when is None:
        m = _DATETIME.search(text)
        when = m.group(0) if m else None
    if signer is None:
        email = _EMAIL.search(text)
        if email:
            # publisher stamp: "TRUNG TÂM CÔNG BÁO VÀ TIN HỌC ttcbth@… 06.11.2024 09:27:05 +07:00"
            signer = text[: email.start()].strip() or None
    return signer, when


def signature_meta(blocks: list[StampBlock]) -> dict[str, str | None]:
    """signed_by / signed_at from the stamps: a 'Ký bởi' stamp wins over a publisher stamp."""
    meta: dict[str, str | None] = {}
    if not blocks:
        return meta
    rules = _signature_rules()
    ordered = sorted(
        blocks,
        key=lambda b: not any(label.casefold() in b.text.casefold() for label in rules["signer_labels"]),
    )
    for block in ordered:
        signer, when = stamp_fields(block.text)
        if signer and "signed_by" not in meta:
            meta["signed_by"] = signer
        if when and "signed_at" not in meta:
            meta["signed_at"] = when
    meta["signature_stamps"] = " | ".join(dict.fromkeys(b.text for b in blocks))
    return meta


def remove_stamp_lines(layout: str, blocks: list[StampBlock], row_tops: list[float]) -> str:
    """Cut the stamps' lines out of a page's layout text.

    ``row_tops`` are the tops of all text rows of the page in reading order, so a
    stamp line's rank among them says which non-blank layout line holds it. Each
    stamp line is blanked where it is found near that line; lines left empty go.
    """
    lines = layout.split("\n")
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    touched: set[int] = set()
    for block in blocks:
        for text, top in zip(block.lines, block.line_tops, strict=True):
            rank = sum(1 for t in row_tops if t < top - 1.5)
            pattern = re.compile(r"\s*".join(re.escape(w) for w in text.split()))
            order = sorted(range(len(nonblank)), key=lambda k: abs(k - rank))
            for k in order[:8]:
                i = nonblank[k]
                m = pattern.search(lines[i])
                if m:
                    lines[i] = lines[i][: m.start()] + " " * (m.end() - m.start()) + lines[i][m.end() :]
                    touched.add(i)
                    break
    kept = [line.rstrip() for i, line in enumerate(lines) if not (i in touched and not line.strip())]
    text = "\n".join(kept)
    return text.lstrip("\n") if touched else text


def remove_signature_lines(text: str, known: list[str] | None = None) -> str:
    """Drop OCR lines that are signature-stamp text (labels, e-mail + time, known stamp lines)."""
    rules = _signature_rules()
    labels = [label.casefold() for label in rules["labels"] + rules["field_labels"]]
    known_set = {" ".join(k.split()).casefold() for k in known or []}
    out = []
    for line in text.split("\n"):
        norm = " ".join(line.split()).casefold()
        if norm and (
            any(norm.startswith(label) for label in labels)
            or norm in known_set
            or (_EMAIL.fullmatch(norm.strip()) is not None)
            or _DATETIME.fullmatch(norm.strip()) is not None
        ):
            continue
        out.append(line)
    return "\n".join(out)


def strip_arrival_stamp(text: str) -> tuple[str, bool]:
    """Remove an arrival stamp's lines ("CÔNG VĂN ĐẾN", "Số: 14708", "Ngày: 20/7", "Chuyển: …").

    A "Số" line is taken as the stamp's only when it has no notation ("/"), so the
    document's own "Số: 26/QĐ-XPVPHC" stays.
    """
    rules = _arrival_rules()
    fields = sorted(rules["field_labels"], key=len, reverse=True)
    field_re = re.compile(r"^\s*(" + "|".join(re.escape(f) for f in fields) + r")\b\s*[:.]?", re.I)
    marker_re = re.compile("|".join(re.escape(m) for m in rules["markers"]))
    edge = re.escape(rules["edge_marker"])
    edge_re = re.compile(r"^\W*" + edge + r"\b|(^|[\s\-–—:])" + edge + r"\W*$")
    lines = text.split("\n")
    drop: set[int] = set()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if len(stripped) > 60:
            continue  # a body sentence, not a stamp
        strong = bool(marker_re.search(stripped))
        if not strong and not edge_re.search(stripped):
            continue
        fields_found: list[int] = []
        for j in range(i + 1, min(len(lines), i + 1 + int(rules["window"]))):
            m = field_re.match(lines[j])
            if not m:
                continue
            label = m.group(1).casefold()
            rest = lines[j][m.end() :]
            if label == "số" and "/" in rest:
                continue
            if label == "ngày" and re.search(r"tháng", rest, re.I):
                continue
            fields_found.append(j)
        if strong or fields_found or field_re.match(re.sub(r"^\W*" + edge, "", stripped)):
            drop.add(i)
            drop.update(fields_found)
    if not drop:
        return text, False
    return "\n".join(line for i, line in enumerate(lines) if i not in drop), True
