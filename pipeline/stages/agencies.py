"""Stage 9: organisations in each task — who leads it, who supports it.

The organisation mentions (pipeline/mentions.py) are read for their role: a
lead after an assignment cue or as a sentence's subject, a support after
"phối hợp", inherited from headings and intro sentences; names as written.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.folding import fold as fold_text
from pipeline.items import Item, intro_before, item_fold, item_text
from pipeline.mentions import (
    CUE_BEFORE,
    LEAD_VERB_AFTER,
    OBJECT_BEFORE,
    SEND_TO_OPENING,
    SENT_START,
    SPEAKER_AFTER,
    SUPPORT_CUE,
    Gazetteer,
    Mention,
    addressee_only,
    default_gazetteer,
    generic_heads,
    mentions_in,
)
from pipeline.stage import Stage
from pipeline.state import WorkingState
from pipeline.textview import Segment, collapse


def _uniq(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for n in names:
        k = fold_text(n)
        if k not in seen:
            seen.add(k)
            out.append(n)
    return out



def _sentence_start(fold: str, a: int, pos: int) -> bool:
    """Is the name at ``pos`` the subject of its sentence (within [a, …))?"""
    lo = max(a, pos - 40)
    window = re.sub(r"\s+", " ", _plain(fold[lo:pos]))
    if lo == a:
        window = "\x00" + window
    return bool(SENT_START.search(window))


def _plain(s: str) -> str:
    """Markdown emphasis out of the way of the cue patterns (same length)."""
    return s.replace("*", " ").replace("_", " ")


def _cue_opens_clause(fold: str, a: int, pos: int) -> bool:
    """'Giao X' / 'Đề nghị X' that open a sentence (maybe after a speaker:
    'Chủ tịch UBND tỉnh giao X'), not 'rà soát, yêu cầu các doanh nghiệp …'."""
    head = re.sub(r"\s+", " ", _plain(fold[a:pos]))
    last = max(head.rfind(". "), head.rfind("; "), head.rfind(": "))
    clause = head[last + 2 :] if last >= 0 else head
    clause = re.sub(r"(?:giao(?: cho)?|đề nghị|yêu cầu|phân công|trách nhiệm của)\s*:?\s*(?:thủ trưởng|giám đốc|chủ tịch|lãnh đạo|người đứng đầu)?\s*(?:các)?\s*$", "", clause)
    return "," not in clause and len(clause.split()) <= 10


def roles_in(text: str, fold: str, a: int, b: int, mentions: list[Mention]) -> tuple[list[str], list[str]]:
    """Lead and support named between offsets a and b of the text: a lead is
    named right after an assignment (giao, đề nghị, yêu cầu), as the subject of
    a sentence, or before 'chủ trì' / 'có trách nhiệm'; a support in the run of
    names after 'phối hợp (với)'; any other name is an object and plays no role."""
    lead: list[str] = []
    support: list[str] = []
    run_role: str | None = None
    run_until = -1
    inside = [m for m in mentions if a <= m.start < b]
    for i, m in enumerate(inside):
        if m.start <= run_until and run_role:
            (lead if run_role == "lead" else support).append(m.name)
            continue
        at = m.anchor if m.anchor >= 0 else m.start
        before = _plain(fold[max(a, at - 70) : at])
        after = fold[m.end : min(b, m.end + 40)]
        role = None
        if SUPPORT_CUE.search(before):
            role = "support"
        elif CUE_BEFORE.search(before) and _cue_opens_clause(fold, a, at) or LEAD_VERB_AFTER.match(after) or (
            SEND_TO_OPENING.search(before) and re.match(r"[^.;]{0,120}?\sđể\s", fold[m.end : min(b, m.end + 130)] + " ")
        ):
            role = "lead"
        elif _sentence_start(fold, a, at) and not SPEAKER_AFTER.match(after):
            role = "lead" if not OBJECT_BEFORE.search(before) else None
        if role is None:
            run_role, run_until = None, -1
            continue
        (lead if role == "lead" else support).append(m.name)
        run_role, run_until = role, _run_end(fold, inside, i, b)
    return _uniq(lead), _uniq([s for s in support if s not in lead])


def _run_end(fold: str, mentions: list[Mention], i: int, b: int) -> int:
    """End of a list of names starting at mention i (joined by , và các)."""
    end = mentions[i].end
    for m in mentions[i + 1 :]:
        gap = fold[end : m.start]
        if m.start >= b or not re.fullmatch(r"[\s,;]*(?:và|cùng|với)?\s*(?:các)?\s*(?:cơ quan|đơn vị)?\s*", gap):
            break
        end = m.end
    return end


def heading_agencies(state: WorkingState, item: Item, gaz: Gazetteer) -> list[str]:
    """Lead named by the nearest ancestor heading or list intro ("yêu cầu các
    sở thực hiện các nhiệm vụ sau:"), nearest first."""
    intro = intro_before(state, item, climb=False)
    if intro is not None:
        got = intro_agencies(state, intro, gaz)
        if got:
            return got
    node = item.parent
    while node is not None and node.kind != "root":
        named = addressee_children(state, node, gaz)
        if named:
            return named
        v = item_text(state, node)
        if v.pos:
            a, b = v.pos[0], v.pos[-1] + 1
            ms = mentions_in(state, a, b, gaz)
            if ms:
                lead, _ = roles_in(state.text, state.fold, a, b, ms)
                if len(lead) == 1 and ms[0].start - a <= 2:
                    described = addressee_phrase(state, a, b, ms)
                    if described:
                        return [described]
                if lead:
                    return lead
        intro = intro_before(state, node, climb=False)
        if intro is not None:
            got = intro_agencies(state, intro, gaz)
            if got:
                return got
        node = node.parent
    return []


ACTION = re.compile(r"\b(?:chủ trì|phối hợp|thực hiện|tổ chức|triển khai|có trách nhiệm|chịu trách nhiệm|tham mưu|chỉ đạo|giao|đề nghị|yêu cầu|xây dựng|rà soát|báo cáo)\b")


def addressee_phrase(state: WorkingState, a: int, b: int, ms: list[Mention]) -> str | None:
    """A heading that describes its addressee ("Các cơ quan, tổ chức, đơn vị …
    được giao quản lý tài sản"): the whole phrase, as written, is the lead."""
    s = collapse(state.text[a:b]).rstrip(" :.;*")
    f = fold_text(s)
    if len(s.split()) > 25 or ACTION.search(f) or len(ms) != 1 or "(" in s:
        return None
    if len(s) <= len(collapse(state.text[ms[0].start : ms[0].end])) + 1:
        return None
    return s[:1].upper() + s[1:]


def heading_support(state: WorkingState, item: Item, gaz: Gazetteer) -> list[str]:
    """Support named by the heading above ("2. Các sở …: phối hợp với Sở Xây dựng …")."""
    node = item.parent
    while node is not None and node.kind != "root":
        v = item_text(state, node)
        if v.pos:
            a, b = v.pos[0], v.pos[-1] + 1
            if "phối hợp" in state.fold[a:b]:
                _, support = roles_in(state.text, state.fold, a, b, mentions_in(state, a, b, gaz))
                if support:
                    return support
        node = node.parent
    return []


def addressee_children(state: WorkingState, node: Item, gaz: Gazetteer) -> list[str]:
    """Names listed by children that only name addressees ("- Sở Xây dựng (đối với …);")."""
    memo = state.addressees
    if id(node) in memo:
        return memo[id(node)]
    names: list[str] = []
    for c in node.children:
        if c.kind == "para":
            continue
        v = item_text(state, c)
        if not v.pos:
            continue
        a, b = v.pos[0], v.pos[-1] + 1
        ms = mentions_in(state, a, b, gaz)
        s = re.sub(r"\([^)]*\)?", " ", state.text[a:b])
        if ms and addressee_only([(m.start - a, m.end - a) for m in ms], state.text[a:b]) or ms and addressee_only(
            [], re.sub("|".join(re.escape(state.text[m.start : m.end]) for m in ms), " ", s)
        ):
            names.extend(m.name for m in ms)
    memo[id(node)] = _uniq(names)
    return memo[id(node)]


def intro_agencies(state: WorkingState, intro: Item, gaz: Gazetteer) -> list[str]:
    v = item_text(state, intro)
    if not v.pos:
        return []
    a, b = v.pos[0], v.pos[-1] + 1
    f = state.fold[a:b]
    cue = None
    for cm in re.finditer(r"\b(?:yêu cầu|đề nghị|giao)\b", f):
        cue = cm
    if cue is None:
        return []
    ms = mentions_in(state, a + cue.end(), b, gaz)
    names = []
    last = a + cue.end()
    for mention in ms:
        gap = state.fold[last : mention.start]
        if len(gap.strip(" ,;:")) > 0 and not re.fullmatch(r"[\s,;]*(?:và|cùng)?\s*(?:các)?\s*(?:thủ trưởng|giám đốc|chủ tịch)?\s*(?:các)?\s*", gap):
            break
        names.append(mention.name)
        last = mention.end
    return _uniq(names)


def cell_names(state: WorkingState, segs: list[Any], gaz: Gazetteer) -> list[str]:
    """Organisations in a table cell: the names found, else the cell's parts."""
    names: list[str] = []
    for seg in segs:
        ms = mentions_in(state, seg.start, seg.end, gaz)
        covered = sum(m.end - m.start for m in ms)
        if ms and covered >= 0.6 * len(state.text[seg.start : seg.end].strip()):
            names.extend(m.name for m in ms)
            continue
        for part in re.split(r"[;,]\s*|\s+và\s+(?=các\b)", collapse(state.text[seg.start : seg.end])):
            part = part.strip(" .;")
            if part:
                names.append(part[:1].upper() + part[1:])
    return _uniq(names)


def addressee_of_letter(state: WorkingState, gaz: Gazetteer) -> list[str]:
    """A letter to one organisation ("Kính gửi: UBND các tỉnh …") asks it to act."""
    sp = state.spans.get("recipients")
    recips = state.fields.get("recipients") or []
    if not sp or len(recips) != 1:
        return []
    ms = mentions_in(state, sp[0], sp[1], gaz)
    return [ms[0].name] if len(ms) == 1 else []


def full_names_of_generic_heads(state: WorkingState, gaz: Gazetteer) -> dict[str, str]:
    """"Công ty", "Doanh nghiệp" alone stand for the one company the document
    names in full ("Kính gửi: Công ty Cổ phần X"; "DNTN Y … Doanh nghiệp bổ sung …")."""
    heads = generic_heads()
    names: dict[str, set[str]] = {}
    for m in mentions_in(state, 0, len(state.text), gaz):
        f = fold_text(m.name)
        for h in heads:
            if f.startswith(h + " ") and len(f.split()) > len(h.split()) + 1:
                names.setdefault(h, set()).add(m.name)
    return {h: next(iter(ns)) for h, ns in names.items() if len({fold_text(n) for n in ns}) == 1}


# "1. Sở Xây dựng là cơ quan chủ trì, đầu mối đôn đốc … tổ chức triển khai thực
# hiện." under "Tổ chức thực hiện": the body that leads the whole plan
PLAN_LEAD_AFTER = re.compile(
    r"^\s*(?:\([^)]{0,60}\)\s*)?,?\s*(?:là\s+(?:cơ quan|đơn vị)\s+(?:chủ trì|thường trực|đầu mối)|chủ trì,?\s+(?:là\s+)?đầu mối)"
)
PLAN_LEAD_BEFORE = re.compile(r"^[\s\-+*•]*(?:giao\s+(?:cho\s+)?)?$")
ORGANISATION_SECTION = re.compile(r"^\W*(?:[ivx]+|\d+)?[.)]?\s*tổ chức thực hiện\b")


def plan_lead(state: WorkingState, gaz: Gazetteer) -> list[Segment]:
    """ANNOTATION.md "Labelled attributes": a plan's own section that names the
    body leading the whole plan gives it to the plan's tasks that name none —
    the first sentence under "Tổ chức thực hiện" that opens with a body "là cơ
    quan chủ trì / thường trực / đầu mối" of the plan."""
    root = state.items[0] if state.items else None
    if root is None:
        return []
    for head in root.iter():
        if head.kind == "root" or not ORGANISATION_SECTION.match(item_fold(state, head)[:60]):
            continue
        for item in list(head.iter())[1:4]:
            v = item_text(state, item)
            if not v.pos:
                continue
            a, b = v.pos[0], v.pos[-1] + 1
            ms = mentions_in(state, a, b, gaz)
            if not ms:
                continue
            m = ms[0]
            if PLAN_LEAD_BEFORE.match(state.fold[a : m.start]) and PLAN_LEAD_AFTER.match(state.fold[m.end : b]):
                return [Segment(m.start, m.end)]
        return []
    return []


class Agencies(Stage):
    name = "agencies"
    # the issuer is never its own inherited lead; a one-addressee letter asks its addressee
    requires = ("task_units", "issuer", "recipients")
    provides = ("roles",)

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self._gaz = gazetteer

    def __call__(self, state: WorkingState) -> WorkingState:
        gaz = self._gaz or default_gazetteer()
        if "lead" not in state.plan_attributes:
            lead = plan_lead(state, gaz)
            if lead:
                state.plan_attributes["lead"] = lead
        self._roles(state, gaz)
        full = full_names_of_generic_heads(state, gaz)
        if full:
            for t in state.tasks:
                for key in ("lead", "support"):
                    t[key] = _uniq([full.get(fold_text(n), n) for n in t.get(key) or []])
        return state

    def _roles(self, state: WorkingState, gaz: Gazetteer) -> None:
        for t in state.tasks:
            a, b = t["span"]
            item = t["item"]
            if "lead" in item.cells or "support" in item.cells:
                t["lead"] = cell_names(state, item.cells.get("lead", []), gaz)
                t["support"] = [x for x in cell_names(state, item.cells.get("support", []), gaz) if x not in t["lead"]]
                t["lead_source"] = "cell" if t["lead"] else "none"
                t["support_source"] = "cell" if t["support"] else "none"
                continue
            ms = mentions_in(state, a, b, gaz)
            lead, support = roles_in(state.text, state.fold, a, b, ms)
            t["lead_source"] = "item" if lead else "none"
            t["support_source"] = "item" if support else "none"
            if not lead:
                # inherited names: never the issuer itself ("Sở X có ý kiến như sau:")
                own_name = (state.fields.get("issuer") or {}).get("name") or ""
                own = fold_text(own_name)
                own_id = (gaz.canon.get(own.strip(" .,;")) or ("",))[0]
                lead = [
                    n for n in heading_agencies(state, t["item"], gaz)
                    if fold_text(n) != own and not (own_id and state.agency_ids.get(n) == own_id)
                ]
                if lead:
                    t["lead_source"] = "heading"
            if not lead and "lead" in state.plan_attributes:
                lead = cell_names(state, state.plan_attributes["lead"], gaz)
                if lead:
                    t["lead_source"] = "plan"
            if not lead:
                lead = addressee_of_letter(state, gaz)
                if lead:
                    t["lead_source"] = "letter"
            if not support:
                support = heading_support(state, item, gaz)
                if support:
                    t["support_source"] = "heading"
            t["lead"] = lead
            t["support"] = [s for s in support if s not in lead]
            t["n_mentions"] = len(ms)
