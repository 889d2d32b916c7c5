"""Stage 5: the closing — Nơi nhận (distribution) and the signature block."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.folding import fold as fold_text
from pipeline.folding import is_caps
from pipeline.stage import Stage
from pipeline.stages.header import org_case, split_items, title_case
from pipeline.stages.layout import NOI_NHAN
from pipeline.state import WorkingState
from pipeline.textview import Segment, View, collapse

AUTHORITY = re.compile(r"^\s*(TM|T/M|KT|K/T|TL|T/L|TUQ|Q)(?:\s*[.:]\s*|\s+)(?=[^\W\d_])", re.I)
AUTH_NORMAL = {"tm": "TM.", "t/m": "TM.", "kt": "KT.", "k/t": "KT.", "tl": "TL.", "t/l": "TL.", "tuq": "TUQ.", "q": "Q."}
SIGN_NOISE = re.compile(
    r"^\(?\s*(?:đã ký|ký|ký tên|ký,? ghi rõ|đóng dấu|chữ ký|signature|ký bởi|thời gian ký|email|cơ quan)",
    re.I,
)
NAME_WORD = re.compile(r"^[A-ZÀ-ỸĐ][a-zà-ỹđ]+$")


@lru_cache(maxsize=1)
def _name_prefix() -> re.Pattern[str]:
    """A rank or degree before a name; OCR may put a stray mark inside ("Đại: tá")."""
    from pipeline.resources import load

    alts = sorted(load("leader_titles.yaml")["name_prefixes"], key=len, reverse=True)
    words = [r"[\s:;.,'`]*".join(map(re.escape, a.split())) for a in alts]
    return re.compile(r"^\s*(?:" + "|".join(words) + r")[\s:;.,]*", re.I)


def strip_name_prefix(s: str) -> str:
    """'Thiếu tướng Trương Minh Đương' → 'Trương Minh Đương' (a rank or degree is no part of the name)."""
    m = _name_prefix().match(s)
    return s[m.end() :] if m and m.end() < len(s) else s


def is_person_name(s: str) -> bool:
    s = strip_name_prefix(s)
    words = s.split()
    if not 2 <= len(words) <= 6:
        return False
    return all(NAME_WORD.match(w) for w in words)


def signer_from_lines(lines: list[str], ocr: bool = False) -> dict[str, str | None] | None:
    """From the right-column lines of the closing: authority, for_position,
    position and name."""
    clean: list[str] = []
    # "KT. BỘ TRƯỞNG  THỨ TRƯỞNG     Nguyễn Quốc Trị" in one cell: the gaps part the lines
    lines = [part for ln in lines for part in re.split(r"\s{2,}", ln.strip()) if part]
    for ln in lines:
        s = collapse(ln.strip("*_|"))
        if not s or SIGN_NOISE.match(s) or re.fullmatch(r"[-=_.()\s]+", s):
            continue
        clean.append(s)
    name = None
    name_idx = None
    for i, s in enumerate(clean):
        if is_person_name(s):
            name, name_idx = strip_name_prefix(s), i
            break
    titles = clean[:name_idx] if name_idx is not None else clean[:4]
    titles = [t for t in titles if is_caps(t)]
    if not titles and not name:
        return None
    authority = None
    for_position = None
    position_lines: list[str] = []
    for t in titles:
        m = AUTHORITY.match(t)
        if m:
            authority = AUTH_NORMAL[m.group(1).lower()]
            rest = t[m.end() :]
            for_position = title_case(rest) if not _is_body(rest) else org_case(rest)
            position_lines = []
            # "KT. BỘ TRƯỞNG, CHỦ NHIỆM PHÓ CHỦ NHIỆM": the deputy title inside
            dm = re.search(r"\s(PHÓ\s.+)$", rest)
            if dm:
                for_position = title_case(rest[: dm.start()])
                position_lines = [dm.group(1)]
        else:
            position_lines.append(t)
    position = title_case(" ".join(position_lines)) if position_lines else None
    if position is None and authority is None and titles:
        position = title_case(titles[-1])
    from pipeline.vocabulary import snap_title

    position = snap_title(position, ocr) if position else None
    for_position = snap_title(for_position) if for_position and authority != "TM." else for_position
    return {"name": name, "position": position, "authority": authority, "for_position": for_position}


def _is_body(s: str) -> bool:
    f = fold_text(s)
    return f.startswith(("ủy ban", "ban ", "hội đồng", "ubnd", "đảng", "bộ ", "sở ")) and not f.startswith("bộ trưởng")


class Closing(Stage):
    name = "closing"
    requires = ("closing_columns",)
    provides = ("distribution", "signer")

    def __call__(self, state: WorkingState) -> WorkingState:
        text = state.text
        left = View.join(text, state.closing_left, sep="\n")
        m = NOI_NHAN.match(fold_text(left.s))
        if m:
            body = left.s[m.end() :]
            items = split_items(body)
            items = [re.sub(r"\s*\(\s*$", "", i) for i in items]
            if items:
                state.fields["distribution"] = items
                state.spans["distribution"] = left.span(m.end(), len(left.s))
                state.confidence["distribution"] = 0.85
        else:
            state.warn("distribution-missing")
        right_lines = [text[s.start : s.end] for s in state.closing_right]
        ocr = state.raw is not None and state.raw.ocr
        sig = signer_from_lines(right_lines, ocr) if right_lines else None
        if sig is None:
            sig = _signer_fallback(state, ocr)
        if sig:
            state.fields["signer"] = sig
            segs: list[Segment] = state.closing_right
            if segs:
                state.spans["signer"] = (segs[0].start, segs[-1].end)
            state.confidence["signer"] = 0.85 if sig.get("name") else 0.6
        else:
            state.warn("signer-missing")
        return state


def _signer_fallback(state: WorkingState, ocr: bool) -> dict[str, str | None] | None:
    """No Nơi nhận: look for a signer block in the last lines of the text."""
    text = state.text
    tail = [
        text[ln.seg.start : ln.seg.end].strip()
        for ln in state.lines[-30:]
        if not ln.noise and text[ln.seg.start : ln.seg.end].strip()
    ]
    for i in range(len(tail) - 1, -1, -1):
        if is_person_name(tail[i]):
            start = i
            while start > 0 and is_caps(tail[start - 1]) and i - start < 4:
                start -= 1
            if start < i:
                return signer_from_lines(tail[start : i + 1], ocr)
            break
    return None
