"""Stage 10: the deadline of each task — our own grammar (phrases in
resources/deadlines.yaml; dateparser was measured and dropped, README).

Precedence: a table row's time cell or a labelled attribute, a dated deadline
in the task, then in its headings, then the plan's own time section; then
recurring; then asap. Dates of cited documents are not deadlines.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any

from pipeline.folding import fold as fold_text
from pipeline.items import Item, item_text
from pipeline.resources import load
from pipeline.stage import Stage
from pipeline.state import WorkingState
from pipeline.textview import Segment, collapse

D = r"(?P<d>\d{1,2})"
M = r"(?P<m>\d{1,2})"
Y = r"(?P<y>\d{4})"
FULL_DATE = re.compile(
    r"(?:ngày\s*)?(?P<d>\d{1,2})\s*(?:tháng\s*(?P<m>\d{1,2})\s*(?:năm\s*(?P<y>\d{4}))?"
    r"|[/.-]\s*(?P<m2>\d{1,2})(?:\s*[/.-]\s*(?P<y2>\d{4}))?)(?!\s*[/-]?\s*\d)"
)
MONTH = re.compile(rf"tháng\s*{M}\s*(?:năm\s*|/\s*|-\s*){Y}")
# "tháng 9/2025 - tháng 12/2025", "từ tháng 9 đến tháng 12/2025": due by the end of the range
MONTH_RANGE = re.compile(
    r"tháng\s*(?P<m1>\d{1,2})(?:\s*(?:năm\s*|/\s*)(?P<y1>\d{4}))?\s*(?:-|–|đến(?:\s*hết)?)\s*tháng\s*(?P<m>\d{1,2})\s*(?:năm\s*|/\s*|-\s*)(?P<y>\d{4})"
)
QUARTER = re.compile(r"quý\s*(?P<q>iv|iii|ii|i|[1-4])(?:\s*(?:,|và|-)\s*(?:quý\s*)?(?P<q2>iv|iii|ii|i|[1-4]))*\s*(?:năm\s*|/\s*)(?P<y>\d{4})")
# "năm 2025", "năm 2025-2026", "các năm 2009 và 2010", "2024 - 2025": the last year is the end of the period
YEAR = re.compile(
    r"(?:trong |hoàn thành |đến hết |đến )?(?:các )?năm\s*(?P<y>(?:19|20)\d{2})(?:\s*(?:-|–|,|và|đến)\s*(?:năm\s*)?(?P<y3>(?:19|20)\d{2}))*"
    r"|(?P<y1>20\d{2})\s*[-–]\s*(?P<y2>20\d{2})"
)
CELL_PERIOD = re.compile(r"(?<![\d/])(?:(?P<m>\d{1,2})\s*/\s*)?(?P<y>20\d{2})(?![\d/])")
TIME_OF_DAY = re.compile(r"\s*\d{1,2}\s*(?:giờ|h)\s*(?:\d{1,2}\s*(?:phút)?)?\s*,?\s*")
RELATIVE = re.compile(r"(?:trong vòng|trong thời hạn|trong|sau)\s*(?P<n>\d{1,3})\s*ngày(?:\s*làm việc)?\s*,?\s*(?:kể\s*)?từ\s*(?:ngày\s*)?(?P<anchor>ký|ban hành|nhận được|có hiệu lực)?")
RECUR_DAY = re.compile(r"(?:trước\s+)?ngày\s+\d{1,2}\s+(?:hằng|hàng)\s+(?:tháng|quý|năm)")
# a cited legal document named without its number: "Luật Đất đai ngày …"
NAMED_CITATION = re.compile(
    r"(?<!\w)(?:hiến pháp|bộ luật|luật|pháp lệnh|nghị định|thông tư|nghị quyết|quyết định|chỉ thị|công văn|kế hoạch|thông báo|tờ trình)"
    r"\s+(?P<title>[^.;:\n()]{1,60}?)\s(?:ban hành\s+)?(?:ngày\s*)?$"
)
NOT_A_TITLE = re.compile(r"(?<!\w)(?:vào|trước|trong|đến|hạn|hoàn thành|tổ chức|họp|diễn ra|từ|lúc|giờ)(?!\w)")


def _named_citation(before: str) -> bool:
    m = NAMED_CITATION.search(before)
    return m is not None and not NOT_A_TITLE.search(m.group("title"))
CITATION_BEFORE = re.compile(r"(?:số\s*)?\d+[\w/.-]*[/-][^\s]*[^\W\d_][^\s]*\s*$|(?:văn bản|công văn|quyết định|kế hoạch|thông báo|nghị quyết|chỉ thị|nghị định|thông tư|báo cáo|tờ trình)\s*$")


@lru_cache(maxsize=1)
def phrases() -> dict[str, Any]:
    data = load("deadlines.yaml")
    out: dict[str, Any] = {}
    for k in ("by_cues", "in_cues", "on_cues", "recurring", "asap", "relative", "relative_anchor", "recurring_context"):
        out[k] = sorted((fold_text(x) for x in data[k]), key=len, reverse=True)
    for k in ("by_cues", "in_cues", "on_cues", "recurring_context"):
        alts = "|".join(r"\s+".join(map(re.escape, c.split())) for c in out[k])
        out[k + "_rx"] = re.compile(r"(?:^|(?<=\W))(?:" + alts + r")\s*$")
        out[k + "_any"] = re.compile(r"(?<!\w)(?:" + alts + r")(?!\w)")
    out["opening_only"] = {fold_text(x) for x in data.get("opening_only", [])}
    out["asap"] = sorted(set(out["asap"]) | out["opening_only"], key=len, reverse=True)
    out["quarters"] = {str(k): v for k, v in data["quarters"].items()}
    out["halves"] = {fold_text(k): v for k, v in data["halves"].items()}
    return out


def _iso(y: int, m: int | None = None, d: int | None = None) -> str | None:
    try:
        if d is not None and m is not None:
            return date(y, m, d).isoformat()
        if m is not None:
            if not 1 <= m <= 12:
                return None
            return f"{y:04d}-{m:02d}"
        return f"{y:04d}"
    except ValueError:
        return None


def _cue_before(f: str, pos: int, cues: re.Pattern[str]) -> str | None:
    """The cue phrase (any whitespace inside) that ends right before ``pos``."""
    window = f[max(0, pos - 40) : pos]
    window = TIME_OF_DAY.sub(" ", window).rstrip(" \n,:(")
    m = cues.search(window)
    return m.group(0) if m else None


def phrase_to_deadlines(f: str, issued: str | None, cell: bool = False, context: str = "") -> list[dict[str, Any]]:
    """Every deadline candidate in a folded phrase, each with its position."""
    P = phrases()
    out: list[dict[str, Any]] = []
    issue_year = int(issued[:4]) if issued else None
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for m in FULL_DATE.finditer(f):
        month = m.group("m") or m.group("m2")
        year = m.group("y") or m.group("y2")
        if not month:
            continue
        before = f[max(0, m.start() - 45) : m.start()]
        if CITATION_BEFORE.search(before.rstrip(" ,")) or re.search(r"(?:số|ký hiệu)\s*[\w/.-]+\s*(?:ngày)?\s*$", before):
            taken.append((m.start(), m.end()))
            continue
        if _named_citation(f[max(0, m.start() - 90) : m.start()]) and not _cue_before(f, m.start(), P["by_cues_rx"]):
            taken.append((m.start(), m.end()))
            continue  # "Luật Đất đai ngày 18/01/2024": a cited law's date, no number
        y = int(year) if year else issue_year
        if y is None:
            continue
        iso = _iso(y, int(month), int(m.group("d")))
        if not iso:
            continue
        by = _cue_before(f, m.start(), P["by_cues_rx"])
        on = _cue_before(f, m.start(), P["on_cues_rx"]) if not by else None
        after = f[m.end() : m.end() + 40]
        if re.match(r"^\s*(?:của|về|v/v)\b", after) and not by:
            continue  # the date of something cited without a number
        ctx = (context + f)[max(0, len(context) + m.start() - 160) : len(context) + m.end() + 30]
        if not year and P["recurring_context_any"].search(ctx):
            out.append({"kind": "recurring", "date": None, "at": m.start(), "end": m.end(), "rank": 2})
            taken.append((m.start(), m.end()))
            continue
        if cell and not by and not on and re.search(r"\d\s*[-–]\s*(?:ngày\s*)?$", before):
            # a cell's range "29/6/2026 - 09/7/2026": due by its end
            out.append({"kind": "by", "date": iso, "at": m.start(), "end": m.end(), "rank": 0.2})
        elif cell and not by and not on and _opens(f, m.start()) and not re.match(r"^\s*[-–]\s*(?:ngày\s*)?\d", after):
            out.append({"kind": "on", "date": iso, "at": m.start(), "end": m.end(), "rank": 1})
        elif by:
            out.append({"kind": "by", "date": iso, "at": max(0, f.rfind(by.split()[0], 0, m.start())), "end": m.end(), "rank": 0})
        elif on or m.group(0).startswith("ngày"):
            if re.search(r"(?:từ|kể từ|đến|thực hiện từ)\s*(?:ngày)?\s*$", before.rstrip()) and not re.search(r"đến\s*(?:hết\s*)?(?:ngày)?\s*$", before.rstrip()):
                taken.append((m.start(), m.end()))
                continue
            # "đến (hết) ngày …", "trong ngày …": due by that day
            kind = "by" if re.search(r"(?:đến\s*(?:hết\s*)?(?:ngày)?|trong)\s*$", before.rstrip()) else "on"
            out.append({"kind": kind, "date": iso, "at": m.start(), "end": m.end(), "rank": 1})
        taken.append((m.start(), m.end()))
    for m in RELATIVE.finditer(f):
        if issued and len(issued) == 10 and m.group("anchor") in ("ký", "ban hành"):
            d0 = date.fromisoformat(issued) + timedelta(days=int(m.group("n")))
            out.append({"kind": "by", "date": d0.isoformat(), "at": m.start(), "end": m.end(), "rank": 0})
        else:
            out.append({"kind": "by", "date": None, "at": m.start(), "end": m.end(), "rank": 1.5})
        taken.append((m.start(), m.end()))
    for m in QUARTER.finditer(f):
        if not free(m.start(), m.end()):
            continue
        qs = [q for q in re.findall(r"iv|iii|ii|i|[1-4]", m.group(0)[: m.start("y") - m.start()])]
        last_q = qs[-1] if qs else m.group("q")
        iso = _iso(int(m.group("y")), P["quarters"][last_q])
        tail = re.match(r"^\s*,\s*(?P<y2>20\d{2})", f[m.end() : m.end() + 10])
        if tail:
            iso = _iso(int(tail.group("y2")))
        by = _cue_before(f, m.start(), P["by_cues_rx"])
        if by or _cue_before(f, m.start(), P["in_cues_rx"]) or _opens(f, m.start()):
            out.append({"kind": "by" if by else "in", "date": iso, "at": m.start(), "end": m.end(), "rank": 0.5})
        taken.append((m.start(), m.end()))
    for key, month in P["halves"].items():
        if key not in f:
            continue
        for m in _cue_pattern(re.escape(key), r"\s*(?P<y>20\d{2})?").finditer(f):
            if not free(m.start(), m.end()) or not (m.group("y") or issue_year):
                continue
            y = int(m.group("y")) if m.group("y") else issue_year
            assert y is not None
            out.append({"kind": "in", "date": _iso(y, month), "at": m.start(), "end": m.end(), "rank": 0.5})
            taken.append((m.start(), m.end()))
    for m in MONTH_RANGE.finditer(f):
        if not free(m.start(), m.end()):
            continue
        iso = _iso(int(m.group("y")), int(m.group("m")))
        if iso and (_cue_before(f, m.start(), P["in_cues_rx"]) or _cue_before(f, m.start(), P["by_cues_rx"]) or _opens(f, m.start())
                    or re.search(r"từ\s*$", f[max(0, m.start() - 6) : m.start()])):
            out.append({"kind": "by", "date": iso, "at": m.start(), "end": m.end(), "rank": 0.5})
            taken.append((m.start(), m.end()))
    for m in MONTH.finditer(f):
        if not free(m.start(), m.end()):
            continue
        before = f[max(0, m.start() - 45) : m.start()]
        if CITATION_BEFORE.search(before.rstrip(" ,")) or re.search(r"(?:từ|kể từ)\s*$", before.rstrip()):
            taken.append((m.start(), m.end()))
            continue
        iso = _iso(int(m.group("y")), int(m.group("m")))
        if iso:
            by = _cue_before(f, m.start(), P["by_cues_rx"])
            if by or _cue_before(f, m.start(), P["in_cues_rx"]) or _opens(f, m.start()):
                out.append({"kind": "by" if by else "in", "date": iso, "at": m.start(), "end": m.end(), "rank": 0.5})
        taken.append((m.start(), m.end()))
    for m in YEAR.finditer(f):
        if not free(m.start(), m.end()):
            continue
        before = f[max(0, m.start() - 45) : m.start()]
        opens_cell = cell and re.fullmatch(r"\s*(?:giai đoạn)?\s*", before) is not None
        if not opens_cell and (
            CITATION_BEFORE.search(before.rstrip(" ,")) or re.search(r"(?:từ|kể từ|giai đoạn|đến năm|tầm nhìn|khóa)\s*$", before.rstrip())
        ):
            continue
        if re.search(r"từ\s+(?:năm\s+)?\d{4}\s*(?:đến|-)\s*(?:hết\s+)?$", before.rstrip() + " "):
            continue  # "từ năm 2021 đến hết năm 2025": a period, not a deadline
        g = m.group(0)
        if g.startswith("đến ") and re.match(r"\s*,?\s*(?:phải\s+)?hoàn thành", f[m.end() : m.end() + 20]):
            # "Đến năm 2015, hoàn thành …": due by that year
            out.append({"kind": "by", "date": _iso(int(m.group("y3") or m.group("y"))), "at": m.start(), "end": m.end(), "rank": 0.8})
            continue
        if not re.match(r"(?:trong |hoàn thành |đến hết )", g) and not re.search(r"(?:thời gian|hoàn thành|thực hiện)\s*:?\s*$", before) \
                and not (cell and (_opens(f, m.start()) or opens_cell)):
            continue
        year_s = m.group("y3") or m.group("y") or m.group("y2")
        out.append({"kind": "in", "date": _iso(int(year_s)), "at": m.start(), "end": m.end(), "rank": 0.8})
    if cell:
        # a table's time cell: "12/2027", "6/2027", "2026" alone
        for m in CELL_PERIOD.finditer(f):
            if not free(m.start(), m.end()) or not _opens(f, m.start()):
                continue
            iso = _iso(int(m.group("y")), int(m.group("m"))) if m.group("m") else _iso(int(m.group("y")))
            if iso:
                out.append({"kind": "in", "date": iso, "at": m.start(), "end": m.end(), "rank": 0.9})
                taken.append((m.start(), m.end()))
    for m in RECUR_DAY.finditer(f):
        if free(m.start(), m.end()):
            out.append({"kind": "recurring", "date": None, "at": m.start(), "end": m.end(), "rank": 2})
            taken.append((m.start(), m.end()))
    for kind, rank in (("recurring", 2), ("asap", 3)):
        for cue in P[kind]:
            if cue not in f:  # most phrases are in no task: skip their regex
                continue
            for m in _cue_pattern(r"(?<!\w)" + re.escape(cue), r"(?!\w)").finditer(f):
                if not free(m.start(), m.end()):
                    continue
                if not cell and not _governs(f, m.start(), m.end()):
                    continue
                if cue in P["opening_only"] and not _opens_clause(f, m.start()):
                    continue
                out.append({"kind": kind, "date": None, "at": m.start(), "end": m.end(), "rank": rank})
                taken.append((m.start(), m.end()))
    return out


@cache
def _cue_pattern(head: str, tail: str) -> re.Pattern[str]:
    """A phrase's pattern, compiled once (``head`` is escaped by the caller)."""
    return re.compile(head + tail)


def _opens(f: str, pos: int) -> bool:
    """The phrase opens the text or a line (a table cell, 'Thời gian: …')."""
    head = f[max(0, pos - 30) : pos]
    return not f[:pos].strip() or bool(re.search(r"(?::|\|)\s*$", head))


def _governs(f: str, pos: int, end: int) -> bool:
    """An asap/recurring word that governs the action: it stands before the
    verb ("khẩn trương rà soát", "định kỳ báo cáo"), not after it as a manner
    ("giải quyết kịp thời"), and not in a purpose clause (để, nhằm, nếu)."""
    nxt = f[end : end + 12]
    if not re.match(r"\s+(?!và\b|hơn\b|nhất\b|để\b)[^\W\d_]", nxt):
        return False
    head = f[:pos]
    last = max(head.rfind(". "), head.rfind("; "), head.rfind("\n"))
    clause = head[last + 1 :] if last >= 0 else head
    return not re.search(r"(?:^|\s)(?:để|nhằm|khi|nếu|bảo đảm|đảm bảo|góp phần)\s", clause[-60:])


def _opens_clause(f: str, pos: int) -> bool:
    """The word opens the task or one of its sentences (not a clause after ';')."""
    head = f[:pos]
    last = max(head.rfind(". "), head.rfind(": "))
    clause = head[last + 2 :] if last >= 0 else head
    return not clause.strip(" -+*•\n")


def best_deadline(cands: list[dict[str, Any]]) -> dict[str, Any] | None:
    dated = [c for c in cands if c["date"] is not None or c["rank"] < 2]
    if dated:
        # the latest dated one that is a "by", else the first
        return sorted(dated, key=lambda c: (c["rank"], -c["at"]))[0]
    if cands:
        return sorted(cands, key=lambda c: (c["rank"], c["at"]))[0]
    return None


def cell_deadline(state: WorkingState, segs: list[Segment], issued: str | None) -> dict[str, Any] | None:
    """The deadline a table's time cell or a labelled time field states, the
    whole cell as its text."""
    a, b = segs[0].start, segs[-1].end
    c = best_deadline(phrase_to_deadlines(state.fold[a:b], issued, cell=True))
    return {"date": c["date"], "kind": c["kind"], "text": collapse(state.text[a:b])} if c else None


class Deadlines(Stage):
    name = "deadlines"
    # "trong 10 ngày kể từ ngày ký" counts from the issue date
    requires = ("task_units", "issued_date")
    provides = ("deadlines",)

    def __call__(self, state: WorkingState) -> WorkingState:
        issued = state.fields.get("issued_date")
        plan = cell_deadline(state, state.plan_attributes["time"], issued) if state.plan_attributes.get("time") else None
        for t in state.tasks:
            a, b = t["span"]
            item = t["item"]
            time_cell = item.cells.get("time")
            if time_cell:
                t["deadline"] = cell_deadline(state, time_cell, issued)
                t["deadline_source"] = "cell" if t["deadline"] else "none"
                continue
            seg = state.fold[a:b]
            v = item_text(state, item)
            ctx = state.fold[v.pos[0] : a] if v.pos and v.pos[0] < a else ""
            c = best_deadline(phrase_to_deadlines(seg, issued, context=ctx))
            src_a = a
            t["deadline_source"] = "item" if c is not None else "none"
            if c is None or c["date"] is None and c["kind"] in ("recurring", "asap"):
                # a heading (or the row) may carry the deadline of its children
                node: Item | None = t["item"].parent
                while node is not None and node.kind != "root":
                    v = item_text(state, node)
                    if v.pos:
                        ha, hb = v.pos[0], v.pos[-1] + 1
                        hc = best_deadline(phrase_to_deadlines(state.fold[ha:hb], issued))
                        if hc is not None and hc["date"] is not None:
                            c, src_a = hc, ha
                            t["deadline_source"] = "heading"
                            break
                    node = node.parent
            if c is None and plan is not None:
                t["deadline"], t["deadline_source"] = plan, "plan"
                continue
            if c is None:
                t["deadline"] = None
                continue
            phrase = collapse(state.text[src_a + max(0, c["at"]) : src_a + c["end"]])
            t["deadline"] = {"date": c["date"], "kind": c["kind"], "text": phrase}
        return state
