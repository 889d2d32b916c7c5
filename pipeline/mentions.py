"""Organisation mentions in a document: the agency list (resources/agencies.yaml,
agency_groups.yaml) matched token by token on the folded text (a trie of the
names' tokens; longest match first, as spaCy's PhraseMatcher + filter_spans did), plus patterns for names not on the list (Công ty …, Ban Quản lý
dự án …, "các Sở: A, B"). Found once per document and kept on the state; shared
by the stages that cut tasks and assign roles (no stage imports another).
Names are kept as the document writes them; the list entry is the mention's key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, compress
from operator import not_
from typing import Any

from pipeline.folding import CAP
from pipeline.folding import fold as fold_text
from pipeline.resources import load
from pipeline.state import WorkingState
from pipeline.textview import collapse

TOKEN = re.compile(r"\w+|[^\w\s]")
PIECE = re.compile(r"\s+|\w+|[^\w\s]")  # TOKEN and the whitespace between tokens
_BLANKS = re.compile(r"[ \t]+")
_NEXT_WORD = re.compile(r"[ \t]+([^\W_][\w&-]*)")
LOCALITY_END = ("tỉnh", "huyện", "xã", "phường", "thành phố", "thị xã", "quận", "thị trấn", "đặc khu")
@lru_cache(maxsize=1)
def _naming() -> tuple[re.Pattern[str], list[str], int]:
    data = load("agency_patterns.yaml")
    heads = sorted(data["heads"], key=len, reverse=True)
    lower_ok = sorted(data.get("heads_lowercase_ok") or [], key=len, reverse=True)
    alts = "|".join(r"\s+".join(map(re.escape, h.split())) for h in heads)
    lower = "|".join(r"\s+".join(map(re.escape, h.split())) for h in lower_ok)
    head_rx = re.compile(
        r"(?<![\w])(?:(?:" + alts + r")\s+(?=" + CAP + ")" + (r"|(?:" + lower + r")\s+(?=[^\W\d_]))" if lower else ")")
    )
    stops = sorted((fold_text(w) for w in data["stop_words"]), key=len, reverse=True)
    return head_rx, stops, int(data["group_qualifier_max_words"])


@lru_cache(maxsize=1)
def _openers() -> str:
    words = sorted(load("agency_patterns.yaml")["sentence_openers"], key=len, reverse=True)
    return "(?:" + "|".join(r"\s+".join(map(re.escape, w.split())) for w in words) + r")(?!\w)"


@lru_cache(maxsize=1)
def _name_commas() -> list[tuple[str, str]]:
    """(words before the comma, the comma and the word after) of the name_commas."""
    out = []
    for c in load("agency_patterns.yaml")["name_commas"]:
        head, _, rest = fold_text(c).partition(",")
        out.append((head, "," + rest))
    return out


@lru_cache(maxsize=1)
def generic_heads() -> frozenset[str]:
    return frozenset(fold_text(w) for w in load("agency_patterns.yaml")["generic_heads"])


@lru_cache(maxsize=2)
def _qualifiers(key: str = "group_qualifiers") -> re.Pattern[str]:
    """The qualifiers, longest first, any whitespace (a line break too) between their words."""
    quals = sorted((fold_text(q) for q in load("agency_patterns.yaml")[key]), key=len, reverse=True)
    return re.compile("(?:" + "|".join(r"\s+".join(map(re.escape, q.split())) for q in quals) + r")(?!\w)")


def group_qualifier_end(fold: str, e: int, end: int, key: str = "group_qualifiers") -> int:
    """A group phrase keeps its qualifier as written: 'các đơn vị' + 'có liên quan',
    'Cục Thuế các tỉnh, thành phố trực' / 'thuộc Trung ương' over a line break."""
    m = _BLANKS.match(fold, e, end)
    if not m:
        return e
    q = _qualifiers(key).match(fold, m.end(), end)
    return q.end() if q else e


def extend_phrase(text: str, fold: str, e: int, end: int, max_words: int | None = None) -> int:
    """End of the words that continue a name from ``e``: up to punctuation, a
    stop word (verb, preposition) or ``max_words`` words."""
    _, stops, limit = _naming()
    limit = max_words or limit
    pos = e
    words = 0
    commas = _name_commas()
    while words < limit:
        if pos < end and text[pos] == ",":
            # "Phòng, chống …", "Thi đua, Khen thưởng": a comma inside the name
            tail = next((t for h, t in commas if fold.endswith(h, 0, pos) and fold.startswith(t, pos, end)), None)
            if tail is None:
                break
            pos += len(tail)
            words += 1
            continue
        m = _NEXT_WORD.match(text, pos, end)
        if not m:
            break
        w_start = m.start(1)
        capital = text[w_start].isupper() or text[w_start].isdigit()
        if not capital and any(
            fold.startswith(sw, w_start, end) and not fold[w_start + len(sw) : min(end, w_start + len(sw) + 1)].isalnum()
            for sw in stops
        ):
            break
        pos = m.end()
        words += 1
    return pos


PATTERNS = [
    # (the space before the verb may already be taken by the last word's "\s?")
    re.compile(r"Ban [Qq]uản lý (?:dự án|các dự án)\s+(?:[^\s,;.()]+\s?){1,8}?(?=[,;.()]|(?<=\s)(?:chủ trì|phối hợp|và|có|thực hiện|tổ chức)\b|\s(?:chủ trì|phối hợp|và|có|thực hiện|tổ chức)\b)"),
]
SUPPORT_CUE = re.compile(r"phối hợp(?:\s+chặt chẽ)?(?:\s+(?:với|cùng))?\s*$")


@dataclass(frozen=True)
class Mention:
    start: int  # offsets in the document text
    end: int
    name: str  # the organisation as written in the document
    key: str  # agency id ("pattern:…" / "written:…" for names not on the list)
    anchor: int = -1  # where its role is read from ("Các Bộ: X, Y" → at "Các Bộ"), -1 = start


class Gazetteer:
    """Names and aliases → canonical names, matched token by token on folded text."""

    def __init__(
        self,
        entries: list[dict[str, Any]],
        groups: list[dict[str, Any]],
        titles: list[str],
        provinces: list[str] | None = None,
    ):
        provinces = provinces or []
        # a trie of token sequences: token → child node; the key "" holds the
        # folded name that ends there (the first one added for that sequence)
        self.trie: dict[str, Any] = {}
        self.canon: dict[str, tuple[str, str, str]] = {}
        for e in entries:
            names = [e["name"], *(e.get("aliases") or [])]
            # the same body in a centrally-run city ("Công an thành phố", "Thành ủy")
            names += [n for n in [e.get("city_form"), *(e.get("city_aliases") or [])] if n]
            for n in names:
                self._add(n, e["id"], e["name"], e.get("level", ""))
            # "Báo {province}": the body printed with a province name, never the bare word
            for pat in e.get("patterns") or []:
                for prov in provinces:
                    name = pat.replace("{province}", prov)
                    self._add(name, e["id"] + ":" + fold_text(prov), name, "named")
        for g in groups:
            for n in [g["name"], *(g.get("variants") or [])]:
                self._add(n, g["id"], g["name"], "group")
        self.titles = sorted({fold_text(t) for t in titles}, key=len, reverse=True)

    def _add(self, name: str, key: str, canonical: str, level: str) -> None:
        f = fold_text(collapse(name))
        if not f or f in self.canon:
            return
        self.canon[f] = (key, canonical, level)
        node = self.trie
        for tok in TOKEN.findall(f):
            node = node.setdefault(tok, {})
        node.setdefault("", f)

    def _spans(self, sub: str) -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
        """Our own tokens (words and punctuation; any whitespace between them, so
        a name broken over lines or padded with spaces still matches) and the
        names found on them: the longest first, then the earliest; a name that
        overlaps one already taken is dropped."""
        # whitespace runs and tokens in one C-level pass; offsets by accumulate
        pieces = PIECE.findall(sub)
        ends = list(accumulate(map(len, pieces)))
        at = list(compress(range(len(pieces)), map(not_, map(str.isspace, pieces))))
        words = [pieces[k] for k in at]
        found: list[tuple[int, int, str]] = []
        trie = self.trie
        n = len(words)
        for i in compress(range(n), map(trie.__contains__, words)):
            node = trie[words[i]]
            j = i
            while node is not None:
                j += 1
                name = node.get("")
                if name is not None:
                    found.append((i, j, name))
                if j >= n:
                    break
                node = node.get(words[j])
        found.sort(key=lambda sp: (sp[1] - sp[0], -sp[0]), reverse=True)
        kept: list[tuple[int, int, str]] = []
        seen: set[int] = set()
        for a, b, name in found:
            if a not in seen and b - 1 not in seen:
                kept.append((a, b, name))
                seen.update(range(a, b))
        kept.sort()
        return kept, [(ends[at[a]] - len(words[a]), ends[at[b - 1]]) for a, b, _ in kept]

    def find(self, text: str, fold: str, start: int = 0, end: int | None = None) -> list[Mention]:
        end = len(text) if end is None else end
        spans, offsets = self._spans(fold[start:end])
        out: list[Mention] = []
        for (_, _, label), (sa, ea) in zip(spans, offsets, strict=True):
            key, canonical, level = self.canon[label]
            s, e = start + sa, start + ea
            # "Ủy ban nhân dân tỉnh" + "Quảng Nam": extend over the place name
            if level != "group" and fold[s:e].endswith(LOCALITY_END):
                place = locality_after(text, fold, e, end, province_level=fold[s:e].endswith(("tỉnh", "thành phố")))
                if place:
                    e = place
            # "Sở Y tế" / "Cục Thuế" + "các tỉnh, thành phố trực thuộc Trung ương"
            e2 = group_qualifier_end(fold, e, end, "group_qualifiers" if level == "group" else "body_qualifiers")
            if e2 > e:
                e = e2
            e = name_tail_end(text, e, end)
            if out and s < out[-1].end:
                continue  # inside the previous name as extended
            out.append(Mention(s, e, written_name(text[s:e]), key))
        # names not on the list
        taken = [(m.start, m.end) for m in out]
        for rx in PATTERNS:
            for m in rx.finditer(text, start, end):
                a, b = m.start(), m.end()
                while b > a and text[b - 1] in " ,;.":
                    b -= 1
                if any(not (b <= x or a >= y) for x, y in taken):
                    continue
                out.append(Mention(a, b, collapse(text[a:b]), "pattern:" + fold_text(collapse(text[a:b]))))
                taken.append((a, b))
        for m in re.finditer(r"(?<!\w)(?:các\s+)?(bộ|sở)\s*:\s*", fold[start:end]):
            a0 = start + m.end()
            stop = re.search(r"[;:.\n]|\s(?:chủ trì|phối hợp|có trách nhiệm|thực hiện|tại|về)\s", fold[a0:end])
            b0 = a0 + stop.start() if stop else end
            head_word = "Bộ" if m.group(1) == "bộ" else "Sở"
            found: list[Mention] = []
            for part in re.finditer(r"[^,]+", fold[a0:b0]):
                pa, pb = a0 + part.start(), a0 + part.end()
                key_f = fold_text(head_word) + " " + re.sub(r"^\s*và\s+|\s+$|^\s+", "", fold[pa:pb])
                hit = self.canon.get(key_f.strip())
                if hit:
                    item = re.sub(r"^\s*và\s+", "", text[pa:pb]).strip()
                    found.append(Mention(pa, pb, written_name(head_word + " " + item), hit[0], anchor=start + m.start()))
            if found:
                lo, hi = start + m.start(), found[-1].end
                out = [x for x in out if x.end <= lo or x.start >= hi] + found
                taken = [(x.start, x.end) for x in out]
        head_rx, _, _ = _naming()
        heads = generic_heads()
        for m in head_rx.finditer(text, start, end):
            a = m.start()
            over = [x for x in out if not (m.end() <= x.start or a >= x.end)]
            if over:
                # a generic head matched on the list ("Doanh nghiệp") gives way to the
                # full name that starts with it ("Doanh nghiệp tư nhân Xăng dầu Hòa Bình")
                if not all(x.start == a and fold_text(x.name) in heads for x in over):
                    continue
                out = [x for x in out if x not in over]
                taken = [(x.start, x.end) for x in out]
            if fold.startswith(("công ty", "tổng công ty", "doanh nghiệp tư nhân", "dntn", "hộ kinh doanh"), a):
                # company names hold any words: up to the punctuation or the verb that
                # ends the name ("DNTN Thành Hương Nghĩa Lộ rà soát …")
                stop = re.search(
                    r"[,;:.()]|[ \t]{2,}|\n\s*\n|\s(?:chủ trì|phối hợp|có trách nhiệm|là|cùng|thực hiện|tổ chức|theo|trên|tại|về"
                    # verbs a company is asked to do (lowercase: never a word of its name)
                    r"|báo cáo|đề nghị|thông báo|rà soát|khẩn trương|triển khai|nghiên cứu|bổ sung|liên hệ|hoàn thiện"
                    r"|nộp|chịu trách nhiệm|chấp hành|cam kết|gửi|lập|phải|bị|có|được|đã)\b"
                    # "… và các đơn vị …": a plural after "và" starts another party
                    r"|\svà\s+(?=(?:các|những)\s)"
                    r"|\n[ \t]*(?=" + _openers() + r")",
                    text[m.end() : end],
                )
                b = m.end() + (stop.start() if stop else len(text[m.end() : end]))
                b = min(b, m.end() + 90)
            else:
                b = extend_phrase(text, fold, m.end() - 1, end, max_words=12)
            if b <= m.end():
                continue
            # the longest name wins: a listed name inside this one ("Ban Công an xã") gives way
            inner = [x for x in out if a <= x.start and x.end <= b]
            if inner:
                out = [x for x in out if x not in inner]
                taken = [(x.start, x.end) for x in out]
            # "các Công ty Thủy lợi": the plural is part of the name as written
            plural = re.search(r"(?<!\w)các\s+$", fold[max(start, a - 8) : a])
            a_name = a - len(plural.group(0)) if plural else a
            out.append(Mention(a_name, b, written_name(text[a_name:b]), "pattern:" + fold_text(collapse(text[a:b]))))
            taken.append((a_name, b))
        out.sort(key=lambda m: m.start)
        return out


_LOCALITY_WORD = re.compile(r"[ \t]+(?:tỉnh|huyện|xã|phường|thành phố|thị xã|quận|thị trấn|đặc khu|TP\.?|Tp\.?)(?=[ \t,;.:)]|$)")
_TAIL_WORD = re.compile(r"[ \t]+([^\W_][\w-]*)")
# "Ngân hàng Nhà nước Việt Nam - Chi nhánh tỉnh Quảng Ngãi": a branch goes with its parent's name
_BRANCH = re.compile(r"[ \t]*[-–][ \t]*Chi nhánh(?=[ \t])")
_ROMAN = re.compile(r"[IVXLC]{1,6}")


def _proper_word(w: str) -> bool:
    """A word that continues a proper name: 'Bình', 'Thuận', 'HCM', 'XIII', '3'."""
    if w.isdigit():
        return len(w) <= 3
    if _ROMAN.fullmatch(w):
        return True
    if not w[0].isupper():
        return False
    return not w[1:] or w[1:].islower() or len(w) <= 4 and w.isupper()


def name_tail_end(text: str, e: int, end: int) -> int:
    """A listed name goes on over what the document writes right after it on
    the same line: a place ('Ban Quản lý các khu công nghiệp Bình Thuận',
    'Cục Hải quan TP Hồ Chí Minh', 'Phòng Nông nghiệp và Môi trường huyện'),
    a number ('Chi cục Hải quan khu vực XIII'), a branch ('Ngân hàng Nhà nước
    Việt Nam - Chi nhánh tỉnh Quảng Ngãi'). An all-capitals name (a heading) is
    left as it is."""
    name = text[max(0, e - 40) : e]
    if sum(map(str.isupper, name)) > 0.6 * max(1, sum(map(str.isalpha, name))):
        return e
    branch = _BRANCH.match(text, e, end)
    if branch and (_LOCALITY_WORD.match(text, branch.end(), end) or (w := _TAIL_WORD.match(text, branch.end(), end)) and _proper_word(w.group(1))):
        e = branch.end()
    m = _LOCALITY_WORD.match(text, e, end)
    if m:
        e = m.end()
    words = 0
    while words < 5:
        w = _TAIL_WORD.match(text, e, end)
        if not w or not _proper_word(w.group(1)):
            break
        if (w.group(1).isdigit() or _ROMAN.fullmatch(w.group(1))) and words:
            break
        e = w.end()
        words += 1
    return e


def written_name(s: str) -> str:
    """A name as the document writes it: whitespace collapsed, end punctuation
    off, first letter in capitals (a name opening a list item is often 'các …')."""
    w = collapse(s).strip(" ,;:.")
    return w[:1].upper() + w[1:]


def mentions_in(state: WorkingState, a: int, b: int, gaz: Gazetteer | None = None) -> list[Mention]:
    """Mentions that start in [a, b): the whole document is matched once and
    the result kept on the state (stages ask for many small ranges)."""
    import bisect

    gaz = gaz or default_gazetteer()
    cache = state.mentions
    key = id(gaz)
    if key not in cache:
        ms = gaz.find(state.text, state.fold)
        cache[key] = (ms, [m.start for m in ms])
        for m in ms:
            if not m.key.startswith(("pattern:", "written:")):
                state.agency_ids.setdefault(m.name, m.key.split(":")[0])
    ms, starts = cache[key]
    return ms[bisect.bisect_left(starts, a) : bisect.bisect_left(starts, b)]


@lru_cache(maxsize=1)
def province_names() -> list[str]:
    names: list[str] = []
    for p in load("provinces.yaml")["provinces"]:
        names.append(fold_text(p["name"]))
        names.extend(fold_text(a) for a in p.get("aliases") or [])
    return sorted(set(names), key=len, reverse=True)


def locality_after(text: str, fold: str, e: int, end: int, province_level: bool) -> int | None:
    """End offset of the place name that follows 'tỉnh'/'xã' …, or None."""
    m = _BLANKS.match(text, e, end)
    if not m:
        return None
    p = m.end()
    if province_level:
        for n in province_names():
            if fold.startswith(n, p) and not fold[p + len(n) : p + len(n) + 1].isalpha():
                return p + len(n)
        return None
    w = re.match(CAP + r"\w*(?:[ \t]+" + CAP + r"\w*){0,3}", text[p:end])
    return p + w.end() if w else None


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    entries = list(load("agencies.yaml")["agencies"])
    groups = list(load("agency_groups.yaml")["groups"])
    titles = list(load("leader_titles.yaml")["titles"])
    provinces = [p["name"] for p in load("provinces.yaml")["provinces"]]
    return Gazetteer(entries, groups, titles, provinces)



OBJECT_BEFORE = re.compile(
    r"(?:tham mưu(?: cho)?|báo cáo|trình|gửi(?: về)?|về|cho|của|tại|với|thuộc|theo|qua|đến|từ|giúp|thông qua|"
    r"hướng dẫn|đề xuất|kiến nghị|xin ý kiến|ý kiến|chỉ đạo của|trước|do)\s*(?:thủ trưởng|giám đốc|chủ tịch|lãnh đạo)?\s*(?:các)?\s*$"
)
CUE_BEFORE = re.compile(
    r"(?:^|[\s,;:(])(?:giao(?: cho)?|đề nghị|yêu cầu|phân công|trách nhiệm của)\s*:?\s*(?:thủ trưởng|giám đốc|chủ tịch|lãnh đạo|người đứng đầu)?\s*(?:các)?\s*$"
)
# a decision's execution clause: "3. Gửi cho Kho bạc Nhà nước … để thu tiền phạt" names who acts on it
SEND_TO_OPENING = re.compile(r"(?:^|[.;:]\s)\s*[-+*•]?\s*(?:gửi cho|giao cho)\s*(?:các)?\s*$")
LEAD_VERB_AFTER = re.compile(r"^\s*(?:\([^)]{0,40}\)\s*)?(?:là cơ quan )?(?:chủ trì|có trách nhiệm|chịu trách nhiệm|là đầu mối)")
SENT_START = re.compile(r"(?:[.;:!?]\s|^\x00)\s*[-+*•]?\s*(?:\d+[.)]|[a-zđ]\))?\s*(?:thủ trưởng|giám đốc|chủ tịch|lãnh đạo|người đứng đầu|đồng chí)?\s*(?:các\s+)?$")


SPEAKER_AFTER = re.compile(r"^[\s,]*(?:[^\W\d_]+\s+){0,4}?(?:yêu cầu|đề nghị|giao(?!\s+(?:thông|dịch|lưu|nhận|ban))|kết luận|có ý kiến|thông báo)\b")



_JOINERS = (
    "và|các|với|cùng|thủ trưởng|giám đốc|chủ tịch|lãnh đạo|đề nghị|yêu cầu|giao|cho|của|thuộc|tỉnh|trách nhiệm|"
    "nhiệm vụ|có|chủ trì|thực hiện|như sau|sau|tổ chức|triển khai|một số nội dung|nội dung"
)
_JOINER_RX = re.compile(r"\b(?:" + _JOINERS + r"|\d+)\b")
_JOINER_WORDS = frozenset(w for p in _JOINERS.split("|") for w in p.split())
_LETTER_RUN = re.compile(r"[^\W_]+")


def addressee_only(agency_spans: list[tuple[int, int]], s: str) -> bool:
    """True when the text is only names of organisations (and punctuation/joiners)."""
    rest = s
    for a, b in sorted(agency_spans, reverse=True):
        rest = rest[:a] + " " + rest[b:]
    rest = fold_text(rest)
    # a word that is no joiner (nor a number) always stays: two of them and the
    # text is more than names (most task texts stop here, before the regex)
    others = 0
    for m in _LETTER_RUN.finditer(rest):
        w = m.group()
        if w not in _JOINER_WORDS and not w.isdigit():
            others += 1
            if others > 1:
                return False
    rest = _JOINER_RX.sub(" ", rest)
    rest = re.sub(r"[\W_]+", " ", rest).strip()
    return len(rest.split()) <= 1


