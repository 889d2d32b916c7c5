"""Stage 6: every other document cited with a number (type, number, date, issuer)."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.resources import load
from pipeline.stage import Stage
from pipeline.stages.header import type_tables
from pipeline.state import WorkingState
from pipeline.textview import collapse

NUM = re.compile(
    r"(?<![\w/.-])(?P<serial>\d{1,6})(?P<year>\s*/\s*\d{4})?\s*(?P<sep>[/-])\s*"
    r"(?P<nota>[A-ZĐ][A-Za-zĐđ0-9&]*(?:\s?[-/]\s?[A-ZĐ][A-Za-zĐđ0-9&]*)*)"
)
REF_DATE = re.compile(
    r"^[\s,]*(?:ban hành\s*)?(?:ngày|ngay)\s*(?P<d>\d{1,2})\s*(?:tháng|/|-|\.)\s*(?P<m>\d{1,2})\s*(?:(?:năm|/|-|\.)\s*(?P<y>\d{4}))?"
)
OF_ISSUER = re.compile(r"^[^;()\n]{0,60}?\bcủa\s+(?P<iss>[^,;()\n]{3,90}?)(?=\s+(?:về|v/v|quy định|hướng dẫn|ban hành|phê duyệt|tại|đã|thực hiện|trong|gửi)\b|[,;.()\n:]|$)")


@lru_cache(maxsize=1)
def _digit_suffix() -> re.Pattern[str]:
    pats = load("numbering.yaml")["digit_suffixes"]
    return re.compile("^(?:" + "|".join(pats) + ")$")


def clean_notation(nota: str) -> str:
    """Spaces removed; a footnote digit glued to the last part dropped."""
    nota = re.sub(r"\s+", "", nota)
    parts = re.split(r"([-/])", nota)
    last = parts[-1]
    m = re.match(r"^([A-Za-zĐđ&]+)(\d+)$", last)
    if m and not _digit_suffix().match(last):
        # keep a legislature term (QH15) and drop only the extra footnote digits
        for cut in range(len(last) - 1, len(m.group(1)) - 1, -1):
            if _digit_suffix().match(last[:cut]):
                parts[-1] = last[:cut]
                break
        else:
            parts[-1] = m.group(1)
    return "".join(parts)


def infer_type(nota: str) -> str | None:
    _, abbrs = type_tables()
    parts = [p for p in re.split(r"[-/]", nota) if p]
    if not parts:
        return None
    first = parts[0].upper()
    if first in abbrs:
        return abbrs[first]
    if re.match(r"^QH\d+$", parts[-1].upper()):
        return "Luật"
    if first.startswith(("UBND", "VPCP", "BTC", "BNN", "BCT", "SCT", "SNN", "BXD", "TTG")):
        return "Công văn"
    return None


def type_before(fold: str, start: int) -> str | None:
    titles, _ = type_tables()
    window = fold[max(0, start - 40) : start]
    window = re.sub(r"\s*(?:số|so)?\s*:?\s*$", "", window)
    best = None
    best_pos = -1
    for key, name in titles.items():
        pos = window.rfind(key)
        if pos >= 0 and pos + len(key) >= len(window) - 1 and pos > best_pos:
            best, best_pos = name, pos
    for word in ("văn bản", "công văn"):
        if window.endswith(word) and best is None:
            best = "Công văn"
    return best


class References(Stage):
    name = "references"
    requires = ("text",)
    provides = ("references",)

    def __call__(self, state: WorkingState) -> WorkingState:
        text, fold = state.text, state.fold
        own = ((state.fields.get("number") or {}).get("raw") or "").upper()
        refs: dict[str, dict[str, str | None]] = {}
        prev_type: str | None = None
        prev_end = -100
        for m in NUM.finditer(text):
            nota = clean_notation(m.group("nota"))
            if len(re.sub(r"[^A-Za-zĐđ]", "", nota)) < 2:
                continue
            year = re.sub(r"\s+", "", m.group("year") or "")
            number = f"{m.group('serial')}{year}{m.group('sep')}{nota}"
            structured = bool(re.search(r"[-/]", nota)) or bool(year)
            dtype = type_before(fold, m.start())
            listed = m.start() - prev_end < 12 and re.fullmatch(
                r"[\s,;]*(?:và|,|;)?[\s,]*(?:số)?\s*", fold[prev_end : m.start()]
            )
            if dtype is None and listed:
                dtype = prev_type
            if not structured and dtype is None:
                continue
            if number.upper() == own or not own and state.spans.get("number") and state.spans["number"][0] <= m.start() < state.spans["number"][1]:
                continue
            if dtype is None:
                dtype = infer_type(nota)
            after = text[m.end() : m.end() + 160]
            fa = fold[m.end() : m.end() + 160]
            date = None
            dm = REF_DATE.match(fa)
            if dm:
                y = dm.group("y")
                if y:
                    try:
                        from datetime import date as _d

                        date = _d(int(y), int(dm.group("m")), int(dm.group("d"))).isoformat()
                    except ValueError:
                        date = None
            issuer = None
            im = OF_ISSUER.match(after)
            if im and not NUM.search(after[: im.start("iss")]):
                iss = collapse(im.group("iss"))
                if iss and iss[0].isupper() and not re.match(r"^(Bộ Chính trị về|Chính phủ về)$", iss):
                    issuer = iss
            prev_type, prev_end = dtype, m.end()
            key = number.upper()
            if key in refs:
                cur = refs[key]
                cur["date"] = cur["date"] or date
                cur["issuer"] = cur["issuer"] or issuer
                cur["doc_type"] = cur["doc_type"] or dtype
                continue
            refs[key] = {"doc_type": dtype, "number": number, "date": date, "issuer": issuer}
        state.fields["references"] = list(refs.values())
        return state
