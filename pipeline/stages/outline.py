"""Stage 7: the body's outline — Phần/Chương/Mục/Điều, I., 1., 1.1., a), -, + —
as a tree of items, across page breaks, with unnumbered paragraphs kept as the
sentences that introduce or close a list."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.stage import Stage
from pipeline.state import WorkingState
from pipeline.textview import Segment

MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("part", re.compile(r"^(?:Phần|PHẦN)\s+(?P<label>[IVXLC]+|\d+|thứ \w+)\b\s*[.:]?\s*")),
    ("chapter", re.compile(r"^(?:Chương|CHƯƠNG)\s+(?P<label>[IVXLC]+|\d+)\b\s*[.:]?\s*")),
    ("section", re.compile(r"^(?:Mục|MỤC)\s+(?P<label>[IVXLC]+|\d+)\s*[.:]\s*")),
    ("article", re.compile(r"^(?:Điều|ĐIỀU)\s+(?P<label>\d+)\s*[.:]\s*")),
    ("roman", re.compile(r"^(?P<label>[IVX]{1,5})\s*[.)]\s+|^(?P<label2>[IVX]{1,5})\.(?=[A-ZĐÀ-Ỹ])")),
    ("num3", re.compile(r"^(?P<label>\d{1,2}\.\d{1,2}\.\d{1,2})\.?\s*(?=\D)")),
    ("num2", re.compile(r"^(?P<label>\d{1,2}\.\d{1,2})\.?\s*(?=[^\d/])")),
    ("num", re.compile(r"^(?P<label>\d{1,2})\s*[.)]\s*(?=[^\d\s/.]|\s+\D)")),
    ("pnum", re.compile(r"^\((?P<label>\d{1,2})\)\s*")),
    ("letter", re.compile(r"^(?P<label>[a-zđ])\s*\)\s*")),
    ("pletter", re.compile(r"^\((?P<label>[a-zđ]|[ivx]{1,4})\)\s*")),
    ("dash", re.compile(r"^[-–—•]\s*(?=\S)")),
    ("plus", re.compile(r"^\+\s*(?=\S)")),
]
BULLETS = {"dash", "plus"}
_MD = re.compile(r"^[#>\s]*(?:\*\*|__)?\s*")


@dataclass
class Item:
    kind: str  # a marker kind, or "para" for an unnumbered paragraph
    label: str
    segs: list[Segment] = field(default_factory=list)  # own text (marker excluded)
    children: list[Item] = field(default_factory=list)
    parent: Item | None = None
    index: int = 0  # position among siblings of the same kind (1-based)
    page: int = 1

    @property
    def path(self) -> str:
        parts: list[str] = []
        node: Item | None = self
        while node is not None and node.kind != "root":
            parts.append(node.id_part)
            node = node.parent
        return ".".join(reversed(parts))

    @property
    def id_part(self) -> str:
        if self.kind in BULLETS:
            return ("-" if self.kind == "dash" else "+") + str(self.index)
        if self.kind == "article":
            return self.label
        if self.kind in ("num2", "num3") and self.parent is not None:
            # "1.1" under "1": only the last component
            par = self.parent.label
            if self.label.startswith(par + "."):
                return self.label[len(par) + 1 :]
        if self.kind == "para":
            return f"p{self.index}"
        return self.label

    def iter(self):  # type: ignore[no-untyped-def]
        yield self
        for c in self.children:
            yield from c.iter()


def match_marker(line: str) -> tuple[str, str, int] | None:
    """(kind, label, length of the marker) for a line that starts an item."""
    md = _MD.match(line)
    off = md.end() if md else 0
    s = line[off:]
    for kind, rx in MARKERS:
        m = rx.match(s)
        if m:
            label = m.groupdict().get("label") or m.groupdict().get("label2") or ""
            return kind, label, off + m.end()
    return None


def _ends_sentence(s: str) -> bool:
    s = s.rstrip(" *_")
    return s.endswith((".", ";", ":", "!", "?", "./.", ".”", '."'))


def lines_to_items(state: WorkingState, line_ranges: list[tuple[int, int]]) -> Item:
    """Parse the body lines into an item tree."""
    text = state.text
    root = Item("root", "")
    stack: list[Item] = [root]
    current: Item = root
    prev_text = ""
    counters: dict[int, dict[str, int]] = {}

    def add_child(parent: Item, node: Item) -> None:
        node.parent = parent
        cnt = counters.setdefault(id(parent), {})
        cnt[node.kind] = cnt.get(node.kind, 0) + 1
        node.index = cnt[node.kind]
        parent.children.append(node)

    for a, b in line_ranges:
        for ln in state.lines[a:b]:
            if ln.noise:
                continue
            raw = text[ln.seg.start : ln.seg.end]
            stripped = raw.strip()
            if not stripped or re.fullmatch(r"[-=_*|. ]+", stripped):
                continue
            lead_ws = len(raw) - len(raw.lstrip())
            mk = match_marker(raw.lstrip())
            if mk:
                kind, label, mlen = mk
                start = ln.seg.start + lead_ws + mlen
                node = Item(kind, label, [Segment(start, ln.seg.end)], page=ln.page)
                # find the parent: a sibling of the same kind up the stack
                kinds = [n.kind for n in stack]
                if kind in kinds:
                    while stack[-1].kind != kind:
                        stack.pop()
                    stack.pop()
                elif kind not in BULLETS:
                    while stack[-1].kind in BULLETS or stack[-1].kind == "para":
                        stack.pop()
                while stack[-1].kind == "para":
                    stack.pop()
                add_child(stack[-1], node)
                stack.append(node)
                current = node
                prev_text = stripped
                continue
            new_para = (_ends_sentence(prev_text) or _heading_line(prev_text)) and (
                stripped[:1].isupper() or stripped[:1] in "“\"("
            )
            if current is root or (new_para and _is_list_boundary(state, stripped, current)):
                # an unnumbered paragraph at the level of the list it introduces
                while stack[-1].kind in BULLETS or stack[-1].kind == "para":
                    stack.pop()
                holder = stack[-1] if current is not root else root
                if current is not root and _closes_list(state, stripped):
                    holder = root
                    stack = [root]
                node = Item("para", "", [Segment(ln.seg.start + lead_ws, ln.seg.end)], page=ln.page)
                add_child(holder, node)
                stack.append(node)
                current = node
            else:
                current.segs.append(Segment(ln.seg.start + lead_ws, ln.seg.end))
            prev_text = stripped
    return root


def _heading_line(s: str) -> bool:
    """A line that is a heading on its own: markdown heading, bold, or in caps."""
    s = s.strip()
    if s.startswith("#") or (s.startswith("**") and s.endswith("**")):
        return True
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 6 and all(c.isupper() for c in letters)


def _is_list_boundary(state: WorkingState, s: str, current: Item) -> bool:
    """A new unnumbered paragraph after an item: does it leave the list?"""
    from pipeline.stages.tasks import section_tables

    f = s.lower()
    tables = section_tables()
    if any(f.startswith(b) or b in f for b in tables["boilerplate"]):
        return True
    if current.kind == "para":
        return True
    return current.kind in ("part", "chapter", "section", "roman", "article") and not current.children


def _closes_list(state: WorkingState, s: str) -> bool:
    from pipeline.stages.tasks import section_tables

    f = s.lower()
    return any(b in f for b in section_tables()["boilerplate"])


def body_ranges(state: WorkingState) -> list[tuple[int, int]]:
    """Line ranges of the body: after the header (and subject/recipients) up to
    the closing, and whatever follows the closing (an attached plan)."""
    start = state.header_end
    for key in ("recipients", "subject", "doc_type"):
        sp = state.spans.get(key)
        if sp:
            for i in range(start, len(state.lines)):
                if state.lines[i].seg.start >= sp[1]:
                    start = max(start, i)
                    break
    ranges = [(start, max(start, state.body_end))]
    if state.closing_end < len(state.lines) and state.closing_end > state.body_end:
        ranges.append((state.closing_end, len(state.lines)))
    return ranges


class Outline(Stage):
    name = "outline"
    requires = ("header_columns", "closing_columns")
    provides = ("outline",)

    def __call__(self, state: WorkingState) -> WorkingState:
        root = lines_to_items(state, body_ranges(state))
        state.items = [root]
        return state
