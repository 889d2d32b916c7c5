"""Stage 3: where the header, body and closing are, and the two columns of the
header and of the closing pulled apart (layout text puts them side by side,
markdown in table cells, plain extraction one after the other)."""

from __future__ import annotations

import re

from pipeline.folding import is_caps, letter_counts
from pipeline.stage import Stage
from pipeline.state import Line, WorkingState
from pipeline.textview import Segment, strip_segment

GAP = re.compile(r" {3,}|\s*\|\s*")
QH = re.compile(r"cộng\s*hòa\s*xã\s*hội|độc\s*lập\s*-?\s*tự\s*do|đảng\s*cộng\s*sản\s*việt\s*nam")
NUMBER_LINE = re.compile(r"^[|*_\s]*(?:số\s*:?|s[oóòôốồơớ]\s*:)\s*[^/\n]{0,14}?\s*[/-]\s*[^\W_]")
DATE_LINE = re.compile(
    r"[^\W\d_][^,\n|]{0,40}?,\s*[*_]*\s*ngày\s*[^\n]{0,14}?[*_\s]*tháng\s*[*_\s]*[^\n]{0,12}?[*_\s]*năm\s*[*_\s]*\d{4}"
)
KINH_GUI = re.compile(r"k[íi]?nh\s*g[ửu]i\b|^[\s|*_]*g[ửu]i\s*:")  # OCR may lose "Kính" ("gửi: Đồng chí …")
# "Nơi nhận" as printed and as OCR reads it under a seal ("ANơi nhậm:", "Noi nhan",
# "Nơinhân"): a stray mark or glued letter before, a misread vowel or final letter
NOI_NHAN = re.compile(r"^[\s|*_]*(?:[^\w\s]{1,2}\s*|[a-zđ](?=n[oơ]i))?n[oơ]i\s*nh[aâậăạấầẩẫ][nmu](?!\w)\s*[:.;]?")
HEADER_SCAN = 45  # lines from the top that may hold header parts


def split_columns(text: str, seg: Segment) -> list[Segment]:
    """Pieces of a line separated by 3+ spaces or markdown cell bars."""
    out: list[Segment] = []
    s = text[seg.start : seg.end]
    pos = 0
    for m in GAP.finditer(s):
        if m.start() > pos:
            out.append(Segment(seg.start + pos, seg.start + m.start()))
        pos = m.end()
    if pos < len(s):
        out.append(Segment(seg.start + pos, seg.end))
    pieces = [p for p in (strip_segment(text, x) for x in out) if p.end > p.start]
    # blanks left for a hand-written number or day split a field in two: rejoin
    merged: list[Segment] = []
    for p in pieces:
        if merged:
            prev = text[merged[-1].start : merged[-1].end].lower()
            cur = text[p.start : p.end].lower()
            if prev.endswith(("số:", "số", "ngày", "tháng")) or cur.startswith(("/", "tháng", "năm")):
                merged[-1] = Segment(merged[-1].start, p.end)
                continue
        merged.append(p)
    return merged


def _is_right_content(fold_piece: str) -> bool:
    return bool(QH.search(fold_piece) or DATE_LINE.search(fold_piece)) or bool(
        re.fullmatch(r"[-_=* ]{3,}", fold_piece)
    )


def header_block(state: WorkingState) -> tuple[int, list[Segment], list[Segment]]:
    """(index of the first line after the header, left segments, right segments)."""
    text, fold, lines = state.text, state.fold, state.lines
    last = -1
    seen_number = seen_date = seen_qh = False
    scanned = 0
    for i, ln in enumerate(lines):
        if ln.noise or ln.seg.end == ln.seg.start:
            continue
        scanned += 1
        if scanned > HEADER_SCAN:
            break
        f = fold[ln.seg.start : ln.seg.end]
        hit = False
        if QH.search(f):
            seen_qh = hit = True
        if not seen_number and any(
            NUMBER_LINE.match(fold[p.start : p.end]) for p in split_columns(text, ln.seg)
        ):
            seen_number = hit = True
        if not seen_date and DATE_LINE.search(f):
            seen_date = hit = True
        if hit:
            last = i
        if seen_number and seen_date and seen_qh:
            break
        if KINH_GUI.search(f) and last >= 0:
            break
    if last < 0:
        return 0, [], []
    # The V/v block of a công văn may run a few lines below the last anchor.
    end = last + 1
    j = end
    while j < len(lines) and j < last + 8:
        f = fold[lines[j].seg.start : lines[j].seg.end].strip()
        if KINH_GUI.search(f) or (_looks_like_title_or_body(text, lines[j]) and not f.startswith(("v/v", "về việc"))):
            break
        j += 1
    block = lines[:end]
    left, right = _columns(text, fold, block)
    # the V/v block of a công văn may run a few lines below the anchors
    vv_open = any(fold[s.start : s.end].startswith(("v/v", "về việc")) for s in left)
    right_col = _right_boundary(text, block)
    for k in range(end, j):
        ln = lines[k]
        pieces = split_columns(text, ln.seg)
        if ln.noise or not pieces:
            continue
        first = pieces[0]
        f0 = fold[first.start : first.end]
        at_left = right_col is None or first.start - ln.seg.start < right_col
        if at_left and (vv_open or f0.startswith(("v/v", "về việc"))):
            vv_open = True
            left.append(first)
            right.extend(pieces[1:])
            end = k + 1
        elif not at_left and len(pieces) == 1 and DATE_LINE.search(f0):
            right.append(first)
            end = k + 1
        elif vv_open:
            break
    return end, left, right


def _looks_like_title_or_body(text: str, ln: Line) -> bool:
    s = text[ln.seg.start : ln.seg.end].strip().strip("#*_ ")
    if not s:
        return False
    letters, upper = letter_counts(s)
    caps = letters >= 4 and upper == letters
    return caps or len(s) > 70 and ln.indent < 3


def _right_boundary(text: str, block: list[Line]) -> int | None:
    starts = [
        pieces[1].start - ln.seg.start
        for ln in block
        if not ln.noise and "|" not in text[ln.seg.start : ln.seg.end]
        for pieces in [split_columns(text, ln.seg)]
        if len(pieces) >= 2
    ]
    return min(starts) - 4 if starts else None


def _columns(text: str, fold: str, block: list[Line]) -> tuple[list[Segment], list[Segment]]:
    rows = [(ln, split_columns(text, ln.seg)) for ln in block if not ln.noise]
    # the column where the right block starts, from rows that hold two pieces
    boundary = _right_boundary(text, block)
    left: list[Segment] = []
    right: list[Segment] = []
    for ln, pieces in rows:
        if not pieces:
            continue
        if len(pieces) >= 2:
            if boundary is None or "|" in text[ln.seg.start : ln.seg.end]:
                left.append(pieces[0])
                right.extend(pieces[1:])
            else:
                for p in pieces:
                    (right if p.start - ln.seg.start >= boundary else left).append(p)
            continue
        p = pieces[0]
        f = fold[p.start : p.end]
        # "BỘ CÔNG THƯƠNG CỘNG HÒA XÃ HỘI …" or "Số: 12/UBND Hà Nội, ngày …" run together
        cut = _run_in_cut(f)
        if cut:
            left.append(Segment(p.start, p.start + cut))
            right.append(Segment(p.start + cut, p.end))
            continue
        if boundary is not None:
            col = p.start - ln.seg.start
            (right if col >= boundary and not NUMBER_LINE.match(f) else left).append(p)
        else:
            (right if _is_right_content(f) else left).append(p)
    return left, right


_PLACE_DATE = re.compile(r"(?<!\S)(?:[^\W\d_][\w.-]*\s+){0,3}[^\W\d_][\w.-]*,\s*ngày")  # words, not the tail of "476/UBND"


def _run_in_cut(f: str) -> int:
    """Where the right column starts inside a line that holds both columns."""
    m = QH.search(f)
    if m and m.start() > 3 and not QH.search(f[: m.start()]):
        return len(f[: m.start()].rstrip()) if f[: m.start()].strip() else 0
    if NUMBER_LINE.match(f):
        d = _PLACE_DATE.search(f)
        if d and d.start() > 6:
            # the place is the capitalised words just before ", ngày": walk back over them
            return d.start()
    return 0


def find_closing(state: WorkingState, start: int) -> int:
    """Line index of the 'Nơi nhận' that closes the main document (or len)."""
    for i in range(start, len(state.lines)):
        ln = state.lines[i]
        if NOI_NHAN.match(state.fold[ln.seg.start : ln.seg.end]):
            return i
    return len(state.lines)


def closing_columns(state: WorkingState, start: int) -> tuple[list[Segment], list[Segment], int]:
    """Left (Nơi nhận) and right (signer) segments of the closing block that begins
    at line ``start``, and the index of the line after it."""
    text, fold, lines = state.text, state.fold, state.lines
    if start >= len(lines):
        return [], [], start
    rows: list[tuple[Line, list[Segment]]] = []
    end = start
    blank_run = 0
    markdown = "|" in text[lines[start].seg.start : lines[start].seg.end]
    named = False
    for i in range(start, min(len(lines), start + 60)):
        ln = lines[i]
        if ln.noise:
            continue
        raw = text[ln.seg.start : ln.seg.end]
        if named and raw.strip() and not raw.lstrip().startswith(("-", "+", "•", "–")):
            break  # the distribution list may run on below the signer's name
        if markdown and i > start:
            if re.fullmatch(r"[|\s:*_-]+", raw.strip() or "-"):
                end = i + 1
                continue
            break
        pieces = split_columns(text, ln.seg)
        if not pieces:
            blank_run += 1
            if blank_run > 24:
                break
            continue
        # the attached text (a plan, an appendix) starts after the signer's name
        if i > start and len(pieces) == 1 and _prose(text[pieces[0].start : pieces[0].end]):
            break
        blank_run = 0
        rows.append((ln, pieces))
        end = i + 1
        if i > start and any(_person(text[p.start : p.end]) for p in pieces[-1:]):
            named = True
    starts = [
        pieces[1].start - ln.seg.start
        for ln, pieces in rows
        if len(pieces) >= 2 and "|" not in text[ln.seg.start : ln.seg.end]
    ]
    left: list[Segment] = []
    right: list[Segment] = []
    if starts:
        boundary = min(starts) - 4
        for ln, pieces in rows:
            for p in pieces:
                col = p.start - ln.seg.start
                # the signer's name is centred under the title: it may start left of it
                centre = col + (p.end - p.start) / 2
                name = centre >= min(starts) and _person(text[p.start : p.end])
                (right if col >= boundary or name else left).append(p)
        return left, right, end
    if any("|" in text[ln.seg.start : ln.seg.end] for ln, _ in rows):
        for ln, pieces in rows:
            if "|" in text[ln.seg.start : ln.seg.end] and len(pieces) >= 2:
                left.append(pieces[0])
                right.extend(pieces[1:])
            elif not right:
                left.extend(pieces)
        return left, right, end
    # one column: the list of items, then the signer block
    in_items = True
    for _ln, pieces in rows:
        for p in pieces:
            s = text[p.start : p.end]
            f = fold[p.start : p.end]
            if in_items and (
                NOI_NHAN.match(f) or s.lstrip().startswith(("-", "+", "•", "–")) or not is_caps(s)
            ):
                if s.lstrip().startswith(("(", "[")) and left:
                    continue  # "(Đính kèm …)" notes under the list
                left.append(p)
                continue
            in_items = False
            right.append(p)
    return left, right, end


def _prose(s: str) -> bool:
    s = s.strip()
    return len(s) > 90 and not s.startswith(("-", "+", "•", "–"))


def _person(s: str) -> bool:
    from pipeline.stages.closing import is_person_name

    return is_person_name(s.strip(" *_|"))


class Layout(Stage):
    name = "layout"
    requires = ("lines",)
    provides = ("header_columns", "closing_columns")

    def __call__(self, state: WorkingState) -> WorkingState:
        end, left, right = header_block(state)
        state.header_end = end
        state.header_left, state.header_right = left, right
        close = find_closing(state, end)
        state.body_end = close
        state.closing_left, state.closing_right, state.closing_end = closing_columns(state, close)
        return state
