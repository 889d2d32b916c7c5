"""Stage: the issuer of a document whose header is missing, when the body
states it without doubt ("Văn phòng Ủy ban nhân dân tỉnh thông báo …", "Sở Nội
vụ … tổng hợp, báo cáo", a UBND notation with "Chủ tịch UBND tỉnh yêu cầu").
Inferred values carry a low confidence and the warning ``issuer-inferred``.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.folding import CAP
from pipeline.folding import fold as fold_text
from pipeline.stage import Stage
from pipeline.state import WorkingState

# an organisation that reports or announces the document itself
SELF_STATEMENT = re.compile(
    r"^[\s,()\w-]{0,60}?\s*(?:xin\s+|trân trọng\s+|tổng hợp,?\s+)?(?:thông báo|báo cáo)\b"
)
SPEAKER = re.compile(r"chủ tịch\s+(?:ủy ban nhân dân|ubnd)\s+tỉnh\s+(?:yêu cầu|có ý kiến|chỉ đạo|giao)")


def province_of(state: WorkingState) -> str | None:
    """The province the document belongs to: its place, else the one it names most."""
    from pipeline.mentions import province_names

    names = province_names()
    place = state.fields.get("place")
    if place and fold_text(place) in names:
        return place
    counts: Counter[str] = Counter()
    for m in re.finditer(r"tỉnh\s+(" + CAP + r"\w*(?:\s+" + CAP + r"\w*){0,2})", state.text):
        cand = fold_text(m.group(1))
        for n in names:
            if cand.startswith(n):
                counts[state.text[m.start(1) : m.start(1) + len(n)]] += 1
                break
    return counts.most_common(1)[0][0] if counts else None


class InferIssuer(Stage):
    name = "issuer"
    requires = ("issuer", "distribution")
    provides = ("issuer_inferred",)

    def __call__(self, state: WorkingState) -> WorkingState:
        if state.fields.get("issuer"):
            return state
        from pipeline.mentions import default_gazetteer, mentions_in

        gaz = default_gazetteer()
        province = province_of(state)
        provincial = f"Ủy ban nhân dân tỉnh {province}" if province else None
        found: tuple[str, str | None, tuple[int, int]] | None = None
        # 1. "<Org> thông báo …" / "<Org> … tổng hợp, báo cáo": the last such sentence
        end = state.lines[state.body_end - 1].seg.end if 0 < state.body_end <= len(state.lines) else len(state.text)
        for m in mentions_in(state, 0, end, gaz):
            after = state.fold[m.end : m.end + 90]
            before = state.fold[max(0, m.start - 3) : m.start]
            if not SELF_STATEMENT.match(after) or not (m.start == 0 or re.search(r"[.,\n:]\s*$|^\s*$", before)):
                continue
            name = m.name
            parent = None
            if fold_text(name).startswith(("ủy ban nhân dân tỉnh", "ubnd tỉnh")):
                name, parent = provincial or name, None
            elif name.endswith(" tỉnh") or fold_text(name).startswith(("sở ", "văn phòng")):
                name = re.sub(r"\s+tỉnh$", " tỉnh", name)
                parent = provincial
            found = (name, parent, (m.start, m.end))
        # 2. a UBND notation and "Chủ tịch UBND tỉnh yêu cầu"
        nota = ((state.fields.get("number") or {}).get("notation") or "").upper()
        if found is None and nota.startswith("UBND") and provincial:
            sm = SPEAKER.search(state.fold)
            if sm:
                found = (provincial, None, (sm.start(), sm.end()))
        if found:
            name, parent, span = found
            state.fields["issuer"] = {"name": name, "parent": parent}
            state.spans["issuer"] = span
            state.confidence["issuer"] = 0.5
            state.warnings = [w for w in state.warnings if w[0] != "issuer-missing"]
            state.warn("issuer-inferred", f"issuer '{name}' inferred from the body: the header is missing")
        return state
