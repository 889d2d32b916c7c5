"""Stage 8: task units — the smallest enumerated items that ask for something,
in the directive parts of the body; headings that only name addressees pass
their agencies down; a sentence that assigns another agency starts a new task."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from pipeline.folding import CAP, letter_counts
from pipeline.folding import fold as fold_text
from pipeline.items import HEADING_KINDS, Item, intro_before, item_fold, item_text, section_tables
from pipeline.mentions import LEAD_VERB_AFTER, SPEAKER_AFTER, addressee_only, mentions_in
from pipeline.stage import Stage
from pipeline.state import WorkingState
from pipeline.taskmodel import is_attribute_label, task_decision, text_features
from pipeline.textview import View, collapse

DIRECTIVE_TYPES = {"Công văn", "Chỉ thị", "Công điện", "Thông báo", "Kế hoạch", "Quyết định", "Hướng dẫn", "Chương trình", "Phương án", "Kết luận"}
# A sentence opening that hands the work to someone (new task inside an item).
ASSIGN = re.compile(
    r"^(?:giao|đề nghị|yêu cầu|chỉ đạo)\s+\S|^[^.;:]{0,80}?\s(?:chủ trì|có trách nhiệm|chịu trách nhiệm)\b"
)


@lru_cache(maxsize=1)
def _heading_words() -> re.Pattern[str]:
    t = section_tables()
    alts = [f"(?P<{kind}>" + "|".join(re.escape(w) for w in sorted(t[kind], key=len, reverse=True)) + ")"
            for kind in ("directive", "narrative")]
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")


def section_kind(m: re.Match[str]) -> str:
    """directive | narrative: which list of resources/sections.yaml a heading word is on."""
    return "directive" if m.group("directive") else "narrative"


def alternation(words: list[str]) -> str:
    """A regex alternation of literal words, the longest first."""
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


@lru_cache(maxsize=4)
def whole_words(key: str) -> re.Pattern[str]:
    """Any word of the list ``key`` of resources/sections.yaml, as a whole word."""
    return re.compile(r"(?<!\w)(?:" + alternation(section_tables()[key]) + r")(?!\w)")


def _task_cues() -> re.Pattern[str]:
    return whole_words("task_cues")


def is_fact(fold_s: str) -> bool:
    """'Tên dự án: Cụm công nghiệp Báo Đáp.' — a labelled fact that orders nothing."""
    m = re.match(r"^\s*([^:.;]{1,40}):\s", fold_s)
    if not m:
        return False
    label = m.group(1).strip(" *_")
    if label not in section_tables()["fact_labels"]:
        return False
    return not _task_cues().search(fold_s)


# "Về công tác …:", "Đối với …:", "Nhiệm vụ …:": labels that introduce work, not facts
_TOPIC_LABEL = re.compile(r"^(?:về|đối với|nhiệm vụ|giải pháp|yêu cầu|nội dung|lĩnh vực|công tác|đề nghị)(?!\w)")


def labelled_value_fact(fold_s: str) -> int:
    """The length of the label when an item is "Label: value" whose value
    orders nothing — no task cue and no action verb ("Chức vụ: Giám đốc.",
    "Nguồn vốn đầu tư: 100% vốn tự có"); else 0. The caller checks that the
    label is not an organisation (a lead label "Sở Y tế: …")."""
    m = re.match(r"^[\s*_+•-]*([^:.;()]{2,60}):\s", fold_s)
    if not m or len(m.group(1).split()) > 8:
        return 0
    label = m.group(1).strip(" *_")
    if _TOPIC_LABEL.match(label):
        return 0
    value = fold_s[m.end() :]
    if _task_cues().search(value) or whole_words("action_verbs").search(value):
        return 0
    return m.end(1)


def is_execution_clause(fold_s: str) -> bool:
    """"Chánh Văn phòng …; Giám đốc …; Chủ tịch … chịu trách nhiệm thi hành
    Quyết định này." — boilerplate across the names its ";" separate."""
    first = fold_s[: (m.end() if (m := re.search(r"\.(?:\s|$)", fold_s)) else len(fold_s))]
    return bool(whole_words("execution_clause").search(first))


def is_boilerplate(fold_s: str) -> bool:
    """A boilerplate phrase in the sentence itself (a remark in brackets,
    "(danh sách … ban hành kèm theo công văn …)", does not count)."""
    main = re.sub(r"\([^()]*\)", " ", fold_s)
    return any(b in main for b in section_tables()["boilerplate"])


def _is_headingish(state: WorkingState, item: Item) -> bool:
    memo = state.headingish
    got = memo.get(id(item))
    if got is None:
        s = collapse(item_text(state, item).s)
        letters, upper = letter_counts(s)
        caps = letters > 0 and upper > 0.8 * letters
        got = memo[id(item)] = item.kind in HEADING_KINDS or caps or (bool(item.children) and len(s) < 160)
    return got


def _heading_matches(state: WorkingState, node: Item | None, max_depth: int | None = None) -> Iterator[re.Match[str]]:
    """The first section word (resources/sections.yaml) of each heading-like
    node from ``node`` up to the root (or ``max_depth`` nodes up)."""
    depth = 0
    while node is not None and node.kind != "root" and (max_depth is None or depth < max_depth):
        if _is_headingish(state, node):
            m = _heading_words().search(item_fold(state, node)[:120])
            if m:
                yield m
        node = node.parent
        depth += 1


def context_of(state: WorkingState, item: Item) -> str | None:
    """Directive or narrative from the headings above the item (and its own,
    when it is a section heading): a narrative heading anywhere above wins."""
    start = item if item.kind in HEADING_KINDS else item.parent
    found = [section_kind(m) for m in _heading_matches(state, start)]
    if "narrative" in found:
        return "narrative"
    return "directive" if found else None


DIRECTIVE_CUE = re.compile(r"\b(?:yêu cầu|đề nghị|giao|chỉ đạo)\b")


def is_directive_intro(state: WorkingState, para: Item) -> bool:
    f = item_fold(state, para)
    return any(c in f for c in section_tables()["intro_cues"])


def is_narrative_intro(state: WorkingState, para: Item) -> bool:
    f = item_fold(state, para)
    return any(c in f for c in section_tables()["narrative_intro_cues"]) and not DIRECTIVE_CUE.search(f)


def _names_only(state: WorkingState, item: Item) -> bool:
    v = item_text(state, item)
    if not v.pos:
        return False
    a, b = v.pos[0], v.pos[-1] + 1
    raw = re.sub(r"\([^)]*\)?", lambda m: " " * len(m.group(0)), state.text[a:b])
    ms = mentions_in(state, a, b)
    return bool(ms) and addressee_only([(m.start - a, m.end - a) for m in ms], raw)


def _label_names_agency(state: WorkingState, item: Item, n: int) -> bool:
    """Does an organisation's name stand in the first ``n`` characters of the item (its label)?"""
    v = item_text(state, item)
    lead = len(v.s) - len(v.s.lstrip())
    lo, hi = v.span(lead, min(len(v.s), n + 2))
    return bool(mentions_in(state, lo, hi))


def _names_agency(state: WorkingState, view: View, a: int, b: int) -> bool:
    """Does the sentence view.s[a:b] name an organisation in its first words?"""
    lo, hi = view.span(a, min(b, a + 120))
    return bool(mentions_in(state, lo, hi))


def _opens_with_agency(state: WorkingState, view: View, a: int, b: int) -> bool:
    """A sentence whose subject is an organisation ("Sở Tài chính tổng hợp …")."""
    lead_ws = len(view.s[a:b]) - len(view.s[a:b].lstrip())
    lo, hi = view.span(a + lead_ws, min(b, a + 160))
    ms = mentions_in(state, lo, hi)
    if not ms or ms[0].start - lo > 2:
        return False
    after = state.fold[ms[0].end : ms[0].end + 40]
    return not SPEAKER_AFTER.match(after) and (bool(LEAD_VERB_AFTER.match(after)) or bool(re.match(r"\s+[^\W\d_]", after)))


def _tokens(s: str) -> set[str]:
    return set(re.findall(r"\w+", fold_text(s)))


def drop_table_duplicates(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A plan that repeats its task table in prose: keep the table row (it
    carries lead, support and time) and drop the prose item."""
    rows = [u for u in units if u["item"].kind == "row"]
    if not rows:
        return units
    row_tokens = [_tokens(r["text"]) for r in rows]
    out = []
    for u in units:
        if u["item"].kind != "row":
            t = _tokens(u["text"])
            if any(len(t & r) >= 0.7 * max(1, min(len(t), len(r))) for r in row_tokens):
                continue
        out.append(u)
    return out


@lru_cache(maxsize=1)
def _prose_cue() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    t = section_tables()
    cue = re.compile(r"(?<!\w)(?:đề nghị|yêu cầu|giao(?: cho)?)(?!\w)")
    before = re.compile(r"(?<!\w)(?:" + alternation(t["cue_not_assigning_before"]) + r")\s*$")
    after = re.compile(r"^\s*(?:" + alternation(t["cue_not_assigning_after"]) + r")(?!\w)")
    return cue, before, after


def assigning_cue(fold_s: str) -> bool:
    """Does the sentence hand work to someone ("…, đề nghị Công ty liên hệ …"),
    rather than cite a request ("Theo đề nghị của …", "hồ sơ đề nghị cấp …")?"""
    cue, before, after = _prose_cue()
    for m in cue.finditer(fold_s):
        if before.search(fold_s[max(0, m.start() - 25) : m.start()].rstrip()):
            continue
        if after.match(fold_s[m.end() :]) or not fold_s[m.end() :].strip(" .;:/"):
            continue
        return True
    return False


def _first_cue(fold_s: str) -> int:
    m = _prose_cue()[0].search(fold_s)
    return m.start() if m else len(fold_s)


def closing_only(state: WorkingState, fold_s: str, a: int, b: int) -> bool:
    """A closing sentence that only asks for the document to be carried out
    (ANNOTATION.md "Closing paragraphs"): the names and the closing words off,
    nothing is left."""
    rest = fold_s
    for m in sorted(mentions_in(state, a, b), key=lambda m: m.start, reverse=True):
        lo, hi = m.start - a, m.end - a
        if 0 <= lo < hi <= len(rest):
            rest = rest[:lo] + " " + rest[hi:]
    rest = whole_words("closing_words").sub(" ", rest)
    return len(re.findall(r"[^\W\d_]+", rest)) <= 2



def prose_units(state: WorkingState, root: Item, default_directive: bool) -> list[tuple[Item, dict[str, Any], dict[str, Any]]]:
    """Candidate tasks in the body's paragraphs: from each sentence that hands
    work to someone to the next such sentence or the paragraph's end (a công
    văn's prose body, a closing paragraph with a dated request)."""
    out: list[tuple[Item, dict[str, Any], dict[str, Any]]] = []
    for item in root.iter():
        if item.kind != "para":
            continue
        view = item_text(state, item)
        fview = View.join(state.fold, item.segs, sep=" ")
        sents = split_sentences(view)
        starts = [i for i, (a, b) in enumerate(sents) if assigning_cue(fview.s[a:b])]
        for k, i in enumerate(starts):
            j = starts[k + 1] if k + 1 < len(starts) else len(sents)
            a, b = sents[i][0], sents[j - 1][1]
            txt, ftxt = collapse(view.s[a:b]), collapse(fview.s[a:b])
            if len(txt.split()) < 4:
                continue
            span = view.span(a, b)
            rule: dict[str, Any] = {"default_directive": default_directive, "prose": True}
            first = collapse(fview.s[sents[i][0] : sents[i][1]])
            if is_boilerplate(first) and not re.search(r"báo cáo.{0,60}(trước|chậm nhất)", ftxt):
                rule["boilerplate"] = True
            if re.search(r"(?<!\w)đã\s", first[: _first_cue(first)]):
                rule["past_before_cue"] = True
            if ftxt.rstrip(" *_").endswith(":"):
                rule["intro"] = True
            if closing_only(state, fview.s[a:b], span[0], span[1]):
                rule["closing_only"] = True
            if i > 0:
                rule["mid_paragraph"] = True
            if item.parent is not None and item.parent.kind != "root":
                rule["nested"] = True
            keep = default_directive and not ({"boilerplate", "intro", "closing_only"} & set(rule))
            rule["keep"] = keep
            unit = {"id": item.path + (f"#{k + 1}" if k else ""), "text": txt, "fold": ftxt, "span": span,
                    "item": item, "confidence": 0.6}
            out.append((item, unit, rule))
    return out


def split_sentences(view: View) -> list[tuple[int, int]]:
    """Sentence spans inside an item's joined text."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in re.finditer(r"(?<=[.;])[*_]*\s+[*_]*(?=" + CAP + ")", view.s):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(view.s)))
    return [(a, b) for a, b in out if view.s[a:b].strip()]


def _heading_words_above(state: WorkingState, item: Item) -> list[str]:
    """The section words (resources/sections.yaml) of the headings above an item."""
    key = id(item.parent)
    got = state.heading_words.get(key)
    if got is None:
        got = state.heading_words[key] = _heading_words_from(state, item)
    return got


def _heading_words_from(state: WorkingState, item: Item) -> list[str]:
    return [f"{section_kind(m)[0]}:{m.group(0)}" for m in _heading_matches(state, item.parent, max_depth=4)]


def _depth(item: Item) -> int:
    d, node = 0, item.parent
    while node is not None and node.kind != "root":
        d += 1
        node = node.parent
    return d


def unit_features(state: WorkingState, item: Item, unit: dict[str, Any], rule: dict[str, Any], k: int, n_units: int) -> dict[str, float]:
    """What the task classifier sees of one candidate unit (pipeline/taskmodel.py)."""
    tf = text_features(unit.get("fold") or fold_text(unit["text"]))
    unit["text_features"] = tf
    f = dict(tf)
    for name, v in rule.items():
        if v is True:
            f[f"rule:{name}"] = 1.0
        elif isinstance(v, str):
            f[f"rule:{name}={v}"] = 1.0
    f[f"doc:{state.fields.get('doc_type') or 'none'}"] = 1.0
    f[f"kind:{item.kind}"] = 1.0
    f[f"depth:{min(_depth(item), 4)}"] = 1.0
    if k:
        f["split:later"] = 1.0
    if n_units > 1:
        f["split:many"] = 1.0
    for w in _heading_words_above(state, item):
        f[f"head:{w}"] = 1.0
    a, b = unit["span"]
    ms = mentions_in(state, a, b)
    if ms:
        f["org:any"] = 1.0
        if ms[0].start - a <= 3:
            f["org:first"] = 1.0
    if state.raw is not None and state.raw.ocr:
        f["src:ocr"] = 1.0
    return f


class Tasks(Stage):
    name = "tasks"
    # doc_type and recipients decide which parts are directive; mentions name the agencies
    requires = ("outline", "doc_type", "recipients")
    provides = ("task_units",)

    def __init__(self, model: Any = "shipped") -> None:
        """``model``: a pipeline.taskmodel.LinearModel deciding which candidate
        units are tasks, None for the rules alone, or "shipped" (the default):
        the model trained by ``congvan train`` when the package has one."""
        self._model = model

    def model(self) -> Any:
        if self._model == "shipped":
            from pipeline.taskmodel import shipped_model

            return shipped_model("task")
        return self._model

    def __call__(self, state: WorkingState) -> WorkingState:
        root: Item = state.items[0]
        doc_type = state.fields.get("doc_type")
        default_directive = doc_type in DIRECTIVE_TYPES or doc_type is None and bool(state.fields.get("recipients"))
        if doc_type in {"Báo cáo", "Tờ trình", "Phiếu trình", "Biên bản"}:
            default_directive = False
        model = self.model()
        candidates: list[dict[str, Any]] = []
        for item in root.iter():
            if item.kind in ("root", "para"):
                continue
            real_children = [c for c in item.children if c.kind != "para"]
            if real_children:
                continue
            view = item_text(state, item)
            s = collapse(view.s)
            if len(s.split()) < 3:
                continue
            f = item_fold(state, item)
            first = f[: (m.end() if (m := re.search(r"[.;](?:\s|$)", f)) else len(f))]
            rule: dict[str, Any] = {"default_directive": default_directive}
            keep = True
            if is_boilerplate(first) and not re.search(r"báo cáo.{0,60}(trước|chậm nhất)", f):
                rule["boilerplate"] = True
                keep = False
            if _names_only(state, item):
                rule["names_only"] = True
                keep = False
            if is_fact(f):
                rule["fact"] = True
                keep = False
            elif (n := labelled_value_fact(f)) and not item.cells and not _label_names_agency(state, item, n):
                rule["fact"] = True
                keep = False
            if is_execution_clause(f) and not re.search(r"báo cáo.{0,60}(trước|chậm nhất)", f):
                rule["boilerplate"] = True
                keep = False
            if is_attribute_label(f) and not item.cells:
                rule["attribute"] = True
                keep = False
            if item.cells:
                rule["has_cells"] = True
            ctx = context_of(state, item)
            intro = intro_before(state, item)
            narrative_intro = intro is not None and is_narrative_intro(state, intro)
            directive_intro = intro is not None and is_directive_intro(state, intro)
            rule.update(ctx=ctx or "none", narrative_intro=narrative_intro, directive_intro=directive_intro)
            directive = item.kind == "row" or ctx == "directive" or (
                ctx is None and not narrative_intro and (default_directive or directive_intro)
            )
            if item.kind == "article" and ctx is None:
                directive = bool(re.search(r"\b(giao|trách nhiệm|chủ trì|tổ chức thực hiện|đề nghị|yêu cầu)\b", f))
            if not directive:
                keep = False
            if _is_headingish(state, item) and item.kind in HEADING_KINDS and len(s) < 80:
                rule["heading"] = True
                keep = False
            rule["keep"] = keep
            # (a table whose rows name who does them: bodies, people or a time)
            task_row = item.kind == "row" and bool({"lead", "time", "person"} & set(item.cells)) and keep
            units = self._split(state, item, view)
            for k, u in enumerate(units):
                u["rule_keep"] = keep
                u["features"] = unit_features(state, item, u, rule, k, len(units))
                if model is not None:
                    u["p_task"] = model.proba(u["features"])
                    # a row of a table of tasks is a task (ANNOTATION.md "Tables"): an exact rule
                    u["keep"] = keep if task_row else task_decision(model, u["features"], keep)
                else:
                    u["keep"] = keep
                candidates.append(u)
        # sentences of the body's paragraphs: decided by the rules (the task
        # model is trained on outline items; prose sentences are too few to learn)
        prose: list[dict[str, Any]] = []
        for item, u, rule in prose_units(state, root, default_directive):
            u["rule_keep"] = u["keep"] = rule["keep"]
            u["features"] = unit_features(state, item, u, rule, 0, 1)
            if model is not None:
                u["p_task"] = model.proba(u["features"])
            prose.append(u)
        state.candidates = candidates
        units = drop_table_duplicates(sorted((u for u in candidates + prose if u["keep"]), key=lambda u: u["span"][0]))
        state.tasks = units
        if not units:
            state.warn("tasks-none")
        return state

    def _split(self, state: WorkingState, item: Item, view: View) -> list[dict[str, Any]]:
        """One task per item, or more when a sentence assigns another agency."""
        sents = split_sentences(view)
        fview = View.join(state.fold, item.segs, sep=" ")  # same offsets as view: fold keeps length
        groups: list[list[tuple[int, int]]] = []
        for a, b in sents:
            fs = fview.s[a:b].strip()
            if groups and not is_boilerplate(fs) and (
                ASSIGN.match(fs) and _names_agency(state, view, a, b) or _opens_with_agency(state, view, a, b)
            ):
                groups.append([(a, b)])
            elif groups:
                groups[-1].append((a, b))
            else:
                groups.append([(a, b)])
        out = []
        for k, g in enumerate(groups):
            a, b = g[0][0], g[-1][1]
            txt = collapse(view.s[a:b])
            ftxt = collapse(fview.s[a:b])
            if k > 0 and is_boilerplate(ftxt) or len(re.findall(r"[^\W\d_]{2,}", ftxt)) < 2:
                continue  # boilerplate after a task, or a stray "." left by the split
            span = view.span(a, b)
            out.append(
                {
                    "id": item.path + (f"#{k + 1}" if k > 0 else ""),
                    "text": txt,
                    "fold": ftxt,
                    "span": span,
                    "item": item,
                    "confidence": 0.8,
                }
            )
        return out
