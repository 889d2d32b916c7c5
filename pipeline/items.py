"""Items of a document's outline and the views of their text, shared by the
stages that build the outline, cut tasks, assign roles and read deadlines."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.folding import fold as fold_text
from pipeline.resources import load
from pipeline.state import WorkingState
from pipeline.textview import Segment, View, collapse

BULLETS = {"dash", "plus"}
HEADING_KINDS = {"part", "chapter", "section", "roman"}


@dataclass
class Item:
    kind: str  # a marker kind, or "para" for an unnumbered paragraph
    label: str
    segs: list[Segment] = field(default_factory=list)  # own text (marker excluded)
    children: list[Item] = field(default_factory=list)
    parent: Item | None = None
    index: int = 0  # position among siblings of the same kind (1-based)
    page: int = 1
    # table rows: column name (lead, support, time) -> segments of that cell
    cells: dict[str, list[Segment]] = field(default_factory=dict)

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
        if self.kind == "row":
            return self.label.rstrip(".)")
        return self.label

    def iter(self):  # type: ignore[no-untyped-def]
        yield self
        for c in self.children:
            yield from c.iter()


@lru_cache(maxsize=1)
def section_tables() -> dict[str, list[str]]:
    data = load("sections.yaml")
    return {
        k: [fold_text(x) for x in data[k]]
        for k in (
            "directive", "narrative", "intro_cues", "boilerplate", "narrative_intro_cues", "fact_labels", "task_cues",
            "cue_not_assigning_before", "cue_not_assigning_after", "closing_words", "action_verbs", "execution_clause", "closing_openers",
        )
    }


def item_text(state: WorkingState, item: Item) -> View:
    memo = state.views
    v = memo.get(id(item))
    if v is None:
        v = memo[id(item)] = View.join(state.text, item.segs, sep=" ")
    return v


def item_fold(state: WorkingState, item: Item) -> str:
    """The item's own text, folded and collapsed (memoised per item)."""
    memo = state.folds
    f = memo.get(id(item))
    if f is None:
        fold = state.fold
        f = memo[id(item)] = collapse(" ".join(fold[g.start : g.end] for g in item.segs if g.end > g.start))
    return f


def _position(state: WorkingState, node: Item) -> int:
    """The node's index among its parent's children (one pass per parent, not
    list.index per call: a list of 10,000 items stays linear)."""
    assert node.parent is not None
    memo = state.positions.get(id(node.parent))
    if memo is None or len(memo) != len(node.parent.children):
        memo = state.positions[id(node.parent)] = {id(c): i for i, c in enumerate(node.parent.children)}
    return memo[id(node)]


def _intro_candidate(state: WorkingState, node: Item) -> int:
    """Index of the nearest earlier sibling of ``node`` that is a paragraph or of
    another kind (the siblings between are items of the node's own kind); -1
    when there is none. One pass per parent: a run of 10,000 dash items would
    otherwise walk back over all the earlier ones for each (quadratic)."""
    assert node.parent is not None
    sibs = node.parent.children
    memo = state.intro_candidates.get(id(node.parent))
    if memo is None or len(memo) != len(sibs):
        memo = []
        for i, c in enumerate(sibs):
            if i == 0:
                memo.append(-1)
            elif sibs[i - 1].kind == "para" or sibs[i - 1].kind != c.kind:
                memo.append(i - 1)
            else:
                memo.append(memo[i - 1])  # the same walk as from the previous item
        state.intro_candidates[id(node.parent)] = memo
    return memo[_position(state, node)]


def intro_before(state: WorkingState, item: Item, climb: bool = True) -> Item | None:
    """The unnumbered paragraph that introduces the list holding ``item`` (with
    ``climb``, or the list holding one of its ancestors): walking back over items
    of the same kind, the first paragraph if it ends with a colon."""
    node: Item | None = item
    while node is not None and node.parent is not None:
        j = _intro_candidate(state, node)
        if j >= 0:
            sib = node.parent.children[j]
            if sib.kind == "para" and collapse(item_text(state, sib).s).rstrip(" *").endswith(":"):
                return sib
        if not climb:
            return None
        node = node.parent
    return None


