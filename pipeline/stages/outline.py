"""Stage 7: the body's outline — Phần/Chương/Mục/Điều, I., 1., 1.1., a), -, + —
as a tree of items, across page breaks, with unnumbered paragraphs kept as the
sentences that introduce or close a list."""

from __future__ import annotations

import re

from pipeline.folding import CAP, letter_counts
from pipeline.items import BULLETS, HEADING_KINDS, Item, section_tables
from pipeline.stage import Stage
from pipeline.state import Line, WorkingState
from pipeline.tables import column_of
from pipeline.textview import Segment, View, collapse

NOI_NHAN_RX = re.compile(r"^[\s|*_]*n[oơ]i\s*nh[aâậ]n")

MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("part", re.compile(r"^(?:Phần|PHẦN)\s+(?P<label>[IVXLC]+|\d+|thứ \w+)\b\s*[.:]?\s*")),
    ("chapter", re.compile(r"^(?:Chương|CHƯƠNG)\s+(?P<label>[IVXLC]+|\d+)\b\s*[.:]?\s*")),
    ("section", re.compile(r"^(?:Mục|MỤC)\s+(?P<label>[IVXLC]+|\d+)\s*[.:]\s*")),
    ("article", re.compile(r"^(?:Điều|ĐIỀU)\s+(?P<label>\d+)\s*[.:]\s*")),
    ("roman", re.compile(r"^(?P<label>[IVX]{1,5})\s*[.)]\s+|^(?P<label2>[IVX]{1,5})\.(?=" + CAP + ")")),
    ("num3", re.compile(r"^(?P<label>\d{1,2}\.\d{1,2}\.\d{1,2})\.?\s*(?=\D)")),
    ("num2", re.compile(r"^(?P<label>\d{1,2}\.\d{1,2})\.?\s*(?=[^\d/])")),
    ("num", re.compile(r"^(?P<label>\d{1,2})\s*[.)]\s*(?=[^\d\s/.]|\s+\D)")),
    ("pnum", re.compile(r"^\((?P<label>\d{1,2})\)\s*")),
    ("letter", re.compile(r"^(?P<label>[a-zđ])\s*\)\s*")),
    ("pletter", re.compile(r"^\((?P<label>[a-zđ]|[ivx]{1,4})\)\s*")),
    ("dash", re.compile(r"^[-–—•]\s*(?=\S)")),
    ("plus", re.compile(r"^\+\s*(?=\S)")),
]
_MD = re.compile(r"^[#>\s]*(?:\*\*|__)?\s*")
# what every marker above starts with: a line that does not, is no item (one
# test instead of thirteen for most lines)
_ANY_MARKER = re.compile(r"(?:Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC|Điều|ĐIỀU|[IVX]|\d|\(|[a-zđ]\s*\)|[-–—•+])")


def match_marker(line: str) -> tuple[str, str, int] | None:
    """(kind, label, length of the marker) for a line that starts an item."""
    md = _MD.match(line)
    off = md.end() if md else 0
    if not _ANY_MARKER.match(line, off):
        return None
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

    table: TableState | None = None
    for part, (a, b) in enumerate(line_ranges):
        if part > 0:  # a document attached after the closing starts its own outline
            stack = [root]
            current = root
            prev_text = ""
        for ln in state.lines[a:b]:
            if ln.noise:
                continue
            raw = text[ln.seg.start : ln.seg.end]
            if table is None:
                cols = table_header(state.fold[ln.seg.start : ln.seg.end])
                if cols:
                    while stack[-1].kind in BULLETS or stack[-1].kind == "para":
                        stack.pop()
                    table = TableState(cols, root)  # rows are numbered by the table itself
                    continue
            if table is not None:
                if table.take(state, ln, add_child):
                    current = table.last or current
                    continue
                table = None
            stripped = raw.strip()
            if not stripped or re.fullmatch(r"[-=_*|. ]+", stripped):
                continue
            lead_ws = len(raw) - len(raw.lstrip())
            mk = match_marker(raw.lstrip())
            if mk and mk[0] in BULLETS and raw.lstrip()[mk[2] :][:1].islower() and prev_text and not _ends_sentence(prev_text):
                mk = None  # "kinh tế\n- xã hội": a hyphen that wrapped, not a bullet
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


def table_header(fold_line: str) -> list[str] | None:
    """Column names when the line is the header row of a table of tasks."""
    if fold_line.count("|") < 3:
        return None
    cells = [c for c in (x.strip() for x in fold_line.strip().strip("|").split("|")) if c]
    cols = [column_of(c) or "other" for c in cells]
    if "content" in cols and ("lead" in cols or "person" in cols):
        return cols
    return None


ROW_LABEL = re.compile(r"^\s*(?P<label>\d{1,3}(?:\.\d{1,2})*|[a-zđ]\)|[IVX]{1,5})\s*[.)]?\s*$")


class TableState:
    """Rows of a table of tasks, as markdown rows ("| 1 | … | … |") or as one
    cell per line (tables flattened by converters: a row label line, then the
    cells in column order)."""

    def __init__(self, cols: list[str], parent: Item) -> None:
        self.cols = cols
        self.parent = parent
        self.group: Item | None = None
        self.last: Item | None = None
        self.pending: list[Segment] = []
        self.markdown = False  # rows came as "| … | … |" lines
        self.auto = 0  # rows numbered here (their number cell is empty)

    def take(self, state: WorkingState, ln: Line, add_child) -> bool:  # type: ignore[no-untyped-def]
        text, fold_text = state.text, state.fold
        raw = text[ln.seg.start : ln.seg.end]
        f = fold_text[ln.seg.start : ln.seg.end].strip()
        if not f or re.fullmatch(r"[|\s:*_-]+", f):
            return True
        if NOI_NHAN_RX.match(f) or f.startswith("#"):
            return False
        if column_of(f) and "|" not in f:  # a detached column header ("Thời gian thực hiện")
            name = column_of(f) or "other"
            if name not in self.cols:
                self.cols.append(name)
            return True
        if self.markdown and "|" not in raw and match_marker(raw.lstrip()):
            return False  # a numbered line after a markdown table ends it ("II. TỔ CHỨC …")
        if "|" in raw:
            self.markdown = True
            cells = _cells(text, ln.seg)
            if len(cells) < 2:
                return False
            label = text[cells[0].start : cells[0].end].strip()
            if not ROW_LABEL.match(label):
                # a word processor's automatic row numbers are lost in the text:
                # an empty number cell in a row of the table's width is the next row
                every = _cells(text, ln.seg, keep_empty=True)
                if len(every) == len(self.cols) + 2 and every[0].end == every[0].start and every[-1].end == every[-1].start:
                    every = every[1:-1]  # "| … | … |": outer bars
                if not (self.cols and self.cols[0] == "number" and len(every) == len(self.cols)):
                    return False
                if text[every[0].start : every[0].end].strip():
                    return False
                self.auto += 1
                self._row(state, str(self.auto), every[1:], self.cols[1:], add_child)
                return True
            self._row(state, label, cells[1:], [c for c in self.cols if c != "number"], add_child)
            return True
        m = ROW_LABEL.match(raw)
        if m:
            self._row(state, m.group("label"), [], [], add_child)
            return True
        if self.last is None:
            return False
        # a cell of the current row, in column order
        seg = Segment(ln.seg.start + (len(raw) - len(raw.lstrip())), ln.seg.end)
        order = [c for c in self.cols if c != "number"]
        filled = [c for c in order if c in self.last.cells or (c == "content" and self.last.segs)]
        nxt = next((c for c in order if c not in filled), None)
        if nxt is None or nxt == "content":
            if nxt == "content" or not self.last.segs:
                self.last.segs.append(seg)
            else:
                self.last.segs.append(seg)  # overflow of a wrapped cell: keep it with the content
        else:
            self.last.cells[nxt] = [seg]
        return True

    def _row(self, state: WorkingState, label: str, cells: list[Segment], order: list[str], add_child) -> None:  # type: ignore[no-untyped-def]
        is_letter = bool(re.match(r"^[a-zđ]\)", label))
        parent = self.group if (is_letter and self.group is not None) else self.parent
        node = Item("row", label.rstrip(".)") if not is_letter else label[0])
        for name, seg in zip(order, cells, strict=False):
            if name == "content":
                node.segs.append(seg)
            elif name in ("lead", "support", "time", "person"):
                node.cells[name] = [seg]
        add_child(parent, node)
        if not is_letter:
            self.group = node
        self.last = node


def _cells(text: str, seg: Segment, keep_empty: bool = False) -> list[Segment]:
    """The cells of a markdown row; empty ones dropped unless ``keep_empty``
    (then every cell between the bars, in order, so they line up with the header)."""
    out = []
    s = text[seg.start : seg.end]
    bars = [m.start() for m in re.finditer(r"\|", s)]
    if keep_empty:  # every piece between bars, the line's ends included
        edges = [-1, *bars, len(s)]
        out = [Segment(seg.start + a + 1, seg.start + b) for a, b in zip(edges, edges[1:], strict=False)]
    else:
        pos = 0
        for b in bars:
            if b > pos:
                out.append(Segment(seg.start + pos, seg.start + b))
            pos = b + 1
        if pos < len(s):
            out.append(Segment(seg.start + pos, seg.end))
    from pipeline.textview import strip_segment

    stripped = [strip_segment(text, x) for x in out]
    return stripped if keep_empty else [c for c in stripped if c.end > c.start]


def _heading_line(s: str) -> bool:
    """A line that is a heading on its own: markdown heading, bold, or in caps."""
    s = s.strip()
    if s.startswith("#") or (s.startswith("**") and s.endswith("**")):
        return True
    letters, upper = letter_counts(s)
    return letters >= 6 and upper == letters


def _is_list_boundary(state: WorkingState, s: str, current: Item) -> bool:
    """A new unnumbered paragraph after an item: does it leave the list?"""

    f = s.lower()
    tables = section_tables()
    if any(f.startswith(b) or b in f for b in tables["boilerplate"]) or _closing_opener(f):
        return True
    if current.kind == "para":
        return True
    return current.kind in ("part", "chapter", "section", "roman", "article") and not current.children


def _closing_opener(f: str) -> bool:
    """A paragraph (lowercased) that opens with a closing formula ("Vậy …", "Trên đây …")."""
    return any(f.startswith(o) and not f[len(o) : len(o) + 1].isalnum() for o in section_tables()["closing_openers"])


def _closes_list(state: WorkingState, s: str) -> bool:

    f = s.lower()
    return any(b in f for b in section_tables()["boilerplate"]) or _closing_opener(f)


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
        attributes_to_cells(state, root)
        state.items = [root]
        return state


def _label_of(state: WorkingState, item: Item) -> tuple[str, list[Segment]] | None:
    """An item that labels a field ("Cơ quan chủ trì: Sở X"): the field's kind
    and the segments of its value."""
    from pipeline.taskmodel import attribute_label

    if not item.segs or attribute_label(state.fold[item.segs[0].start : item.segs[0].start + 120] + " x") is None:
        return None  # cheap test on the first line before joining the item's text
    v = View.join(state.fold, item.segs, sep=" ")
    lab = attribute_label(v.s)
    if lab is None or not v.pos:
        return None
    cat, n = lab
    off = v.pos[min(n, len(v.pos) - 1)]
    value = [Segment(max(seg.start, off), seg.end) for seg in item.segs if seg.end > off]
    return cat, [seg for seg in value if seg.end > seg.start]


def _line_label_of(state: WorkingState, item: Item) -> tuple[str, list[Segment]] | None:
    """A time label alone on the item's first line, its value on the next
    ("1. Thời gian thi đua" / "Phong trào thi đua … đến hết ngày 31/12/2026"):
    the plan's own time section written without a colon."""
    from pipeline.taskmodel import attribute_label

    if len(item.segs) < 2:
        return None
    first = collapse(state.fold[item.segs[0].start : item.segs[0].end]).rstrip(" .*_")
    if not first or len(first.split()) > 6:
        return None
    lab = attribute_label(first + ": x")
    if lab is None or lab[0] != "time" or lab[1] < len(first) + 1:
        return None
    return "time", item.segs[1:]


def _is_plan_level(state: WorkingState, item: Item) -> bool:
    """A top part of the body (under the root or a section heading), not a task's sub-item."""
    par = item.parent
    return par is not None and (par.kind == "root" or par.kind in HEADING_KINDS and (par.parent is None or par.parent.kind == "root"))


def attributes_to_cells(state: WorkingState, root: Item) -> None:
    """ANNOTATION.md "Labelled attributes": sub-items that label a field of their
    item become its cells (lead, support, time) and stop being items; at the top
    of a plan they give the plan-wide lead or time (``state.plan_attributes``)."""
    for item in list(root.iter()):
        if item.kind == "root":
            continue
        own = (_label_of(state, item) or _line_label_of(state, item)) if not item.children else None
        if own is not None and _is_plan_level(state, item) and own[0] in ("lead", "time"):
            state.plan_attributes.setdefault(own[0], own[1])
            continue
        kids = [c for c in item.children if c.kind != "para"]
        if not kids:
            continue
        labels = [None if c.children else _label_of(state, c) for c in kids]
        if not all(labels) or not any(lab[0] != "other" for lab in labels if lab):
            continue
        heading_like = collapse(View.join(state.text, item.segs, sep=" ").s).rstrip(" *_").endswith(":")
        for lab in labels:
            assert lab is not None
            cat, segs = lab
            if cat == "other" or not segs:
                continue
            if heading_like and _is_plan_level(state, item):
                state.plan_attributes.setdefault(cat, segs)
            else:
                item.cells.setdefault(cat, segs)
        item.children = [c for c in item.children if c not in kids]
