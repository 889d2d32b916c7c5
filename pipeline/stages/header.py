"""Stage 4: the Decree 30 header — issuer, number, place and date, type, subject,
urgency, secrecy and the Kính gửi recipients."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any

from pipeline.folding import CAP, caps_share
from pipeline.folding import fold as fold_text
from pipeline.regions import field_regions
from pipeline.resources import load
from pipeline.stage import Stage
from pipeline.stages.layout import KINH_GUI, QH, split_columns
from pipeline.state import WorkingState
from pipeline.textview import Segment, View, collapse

NUMBER = re.compile(
    r"(?:^|\n)[\s|*_]*(?:số\s*:?|s[oóòôốồơớ]\s*:)\s*(?P<num>(?P<serial>[\d.…]*)\s*(?P<sep>[/-])\s*(?P<nota>[^\W_][\w&/.\-]*(?:\s*-\s*[\w&]+)*))"
)
# "ngày … tháng … năm", and the marks OCR puts wrong on them ("ngảy", "thóng", "nãm")
DATE = re.compile(
    r"(?P<place>[^\W\d_][^,\n|*]{0,40}?)?\s*,?\s*[*_]*\s*ng[aàáảãạ]y(?P<draw>[^\n]{0,10}?)"
    r"th[aàáảãạoóòỏõọ]ng(?P<mraw>[^\n]{0,10}?)(?:n[aăâàáảãạằắẳẵặầấẩẫậ]m|/)\s*[*_]*\s*(?P<y>\d{4})"
)
ILLEGIBLE_NUMBER = re.compile(r"(?:^|\n)[\s|*_]*(?:số\s*:?|s[oóòôốồơớ]\s*:)[^/\n]{1,14}?/\s*(?P<nota>[^\W\d_][\w&.-]*(?:\s*-\s*[\w&]+)*)")
ARRIVAL_PREFIX = re.compile(r"\s*(?:ĐẾN|ĐEN|DEN|Đến)\s*(?:ngày|Ngày|số|Số)?[^\s\w]*[\d.⁄/:)(\-]*\S*\s+")
_BLANK_OR_NUMBER = re.compile(r"^[\s.…_*]*(?P<n>\d{1,2})?[\s.…_*]*$")
ORG_HEADS = (
    "sở ", "ban ", "văn phòng", "cục ", "chi cục", "phòng ", "trung tâm", "vụ ", "tổng cục",
    "đảng ủy", "công an", "bộ chỉ huy", "trường ", "công ty", "viện ", "thanh tra",
    "kho bạc", "bảo hiểm", "ủy ban", "hội đồng", "đài ", "báo ", "tỉnh ủy", "thành ủy", "huyện ủy",
    "bộ ", "tòa án", "viện kiểm sát", "liên đoàn", "hội ", "đoàn ", "chi nhánh", "ngân hàng",
)
LOCALITY = ("tỉnh ", "thành phố ", "tp ", "tp. ", "huyện ", "quận ", "thị xã ", "xã ", "phường ", "thị trấn ", "đặc khu ")
URGENCY = {"hỏa tốc": "Hỏa tốc", "thượng khẩn": "Thượng khẩn", "khẩn": "Khẩn"}
SECRECY = {"tuyệt mật": "Tuyệt mật", "tối mật": "Tối mật", "mật": "Mật"}
BODY_START = re.compile(
    r"^(?:căn cứ|thực hiện|kính gửi|ngày \d|để |trên cơ sở|theo |xét |sau khi|nhằm|về đề nghị|"
    r"[ivx]+\.|\d+\.|điều \d|phần |chương |mục \d|ủy ban nhân dân|chủ tịch|bộ trưởng|thủ tướng)"
)


@lru_cache(maxsize=1)
def type_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(folded title -> type name, abbreviation -> type name)."""
    data = load("doc_types.yaml")
    titles: dict[str, str] = {}
    abbrs: dict[str, str] = {}
    for t in data["types"] + data["cited_only"]:
        titles[fold_text(t["name"])] = t["name"]
        for a in t["abbr"]:
            abbrs.setdefault(a.upper(), t["name"])
    return titles, abbrs


def org_case(caps: str) -> str:
    """'ỦY BAN NHÂN DÂN TỈNH AN GIANG' → 'Ủy ban nhân dân tỉnh An Giang'."""
    words = collapse(caps).split(" ")
    if not any(c.islower() for c in caps):
        out: list[str] = []
        proper = False
        for i, w in enumerate(words):
            lw = w.lower()
            if i == 0 or proper or lw in {"chính", "quốc", "nhà", "trung"} and _proper_pair(words, i):
                out.append(lw[:1].upper() + lw[1:])
            else:
                out.append(lw)
            if lw in {"tỉnh", "phố", "huyện", "quận", "xã", "phường", "trấn", "khu"} and i + 1 < len(words):
                proper = True
        s = " ".join(out)
        s = re.sub(r"\bubnd\b", "UBND", s, flags=re.I)
        return s
    return collapse(caps)


def _proper_pair(words: list[str], i: int) -> bool:
    """'Chính phủ', 'Quốc hội', 'Nhà nước', 'Trung ương' take one capital."""
    nxt = " ".join(w.lower() for w in words[i : i + 2])
    return nxt in {"chính phủ", "quốc hội", "nhà nước", "trung ương"}


def title_case(caps: str) -> str:
    """'PHÓ CHỦ TỊCH' → 'Phó Chủ tịch'; 'KT. BỘ TRƯỞNG' style titles."""
    s = collapse(caps).lower()
    s = s[:1].upper() + s[1:]
    # the head of a compound title keeps its capital: Phó Chủ tịch, Phó Giám đốc
    s = re.sub(r"^(Phó) (\w)", lambda m: f"{m.group(1)} {m.group(2).upper()}", s)
    s = re.sub(r"\b(chính phủ|quốc hội|trung ương|nhà nước)\b", lambda m: m.group(1).title(), s)
    return s


def issuer_from_lines(pieces: list[str]) -> tuple[str, str | None] | None:
    """Issuer name and parent from the caps lines above 'Số:'."""
    units: list[str] = []
    for p in pieces:
        p = collapse(p.strip("-*_=| "))
        if not p or not any(c.isalpha() for c in p):
            continue
        f = fold_text(p)
        prev = fold_text(units[-1]) if units else ""
        joins = units and (
            f.startswith(LOCALITY)
            or f.startswith(("và ", ",", "- "))
            or prev.endswith((",", " và", "-"))
            or prev in {"ủy ban nhân dân", "hội đồng nhân dân", "ubnd", "hđnd"}
            or not f.startswith(ORG_HEADS) and not prev.startswith(("ubnd", "ủy ban", "bộ ", "đảng bộ"))
        )
        if joins:
            units[-1] = units[-1] + " " + p
        else:
            units.append(p)
    if not units:
        return None
    from pipeline.vocabulary import snap_body

    whole = org_case(" ".join(units))
    known = snap_body(whole)
    if known != whole:  # "BỘ NÔNG NGHIỆP VÀ MÔI / TRƯỜNG" wrapped in the middle of a name
        return known, None

    name = snap_body(org_case(units[-1]))
    parent = snap_body(org_case(" ".join(units[:-1]))) if len(units) > 1 else None
    if parent and fold_text(name) == "văn phòng":
        name = f"Văn phòng {_office_of(parent)}"
    return name, parent


def _office_of(parent: str) -> str:
    """Whose office a bare "VĂN PHÒNG" under its parent is: "Ủy ban nhân dân
    tỉnh Bình Thuận" → "Ủy ban nhân dân tỉnh", "Bộ Tài chính" → "Bộ", "Tỉnh ủy
    Lâm Đồng" → "Tỉnh ủy" (the office's official name, as the body's
    documents write it: "Văn phòng Ủy ban nhân dân tỉnh")."""
    m = re.match(r"(.*?\b(?:tỉnh|thành phố|huyện|quận|thị xã|xã|phường))\b", parent)
    if m:
        return m.group(1)
    m = re.match(r"(Bộ|Tỉnh ủy|Thành ủy|Huyện ủy|Quận ủy|Đảng ủy)\b", parent)
    return m.group(1) if m else parent


def parse_date(y: str | None, m: str | None, d: str | None) -> tuple[str | None, str | None]:
    """(ISO date at the precision given, warning code or None)."""
    if not y:
        return None, "date-missing"
    if m and d:
        try:
            return date(int(y), int(m), int(d)).isoformat(), None
        except ValueError:
            if 1 <= int(m) <= 12:
                return f"{int(y):04d}-{int(m):02d}", "date-invalid"
            return f"{int(y):04d}", "date-invalid"
    if m and 1 <= int(m) <= 12:
        return f"{int(y):04d}-{int(m):02d}", "date-partial"
    return f"{int(y):04d}", "date-partial" if not m else "date-invalid"


_SIGNED_DMY = re.compile(r"^\s*(?P<d>\d{1,2})[./-](?P<m>\d{1,2})[./-](?P<y>\d{4})(?!\d)")
_SIGNED_ISO = re.compile(r"^\s*(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)")


def signing_date(signed_at: str | None) -> date | None:
    """The date of an e-signature stamp's time as printed: '05/01/2021 08:15:24',
    '16.04.2020 07:37:07 +07:00' or '2025-10-09T16:52:54+07:00'."""
    if not signed_at:
        return None
    m = _SIGNED_DMY.match(signed_at) or _SIGNED_ISO.match(signed_at)
    if not m:
        return None
    try:
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def day_from_signature(iso: str | None, signed: date | None) -> str | None:
    """A full date for an issue date read as 'YYYY-MM' (or 'YYYY') from the signing
    date, when the year and the month read agree with it; None otherwise. A date
    read whole is never replaced."""
    if not iso or not signed or len(iso) >= 10:
        return None
    parts = iso.split("-")
    if int(parts[0]) != signed.year or len(parts) > 1 and int(parts[1]) != signed.month:
        return None
    return signed.isoformat()


def number_parts(raw_num: str) -> dict[str, Any]:
    raw = re.sub(r"\s+", "", raw_num).strip(".,;:*")
    raw = raw.replace("…", "").replace("..", "")
    m = re.match(r"^(\d*)[.]*([/-])(.*)$", raw)
    if not m:
        return {"raw": raw, "serial": None, "notation": None}
    serial = m.group(1) or None
    nota = m.group(3)
    # "89/2026/QĐ-CT": the year is part of the number, the notation follows it
    return {"raw": raw, "serial": serial, "notation": nota or None}


class Header(Stage):
    name = "header"
    requires = ("header_columns",)
    provides = ("issuer", "number", "issued_date", "doc_type", "subject", "recipients", "regions")

    def __call__(self, state: WorkingState) -> WorkingState:
        text = state.text
        left = View.join(text, state.header_left, sep="\n")
        right = View.join(text, state.header_right, sep="\n")
        both = View.join(text, state.header_left + state.header_right, sep="\n")
        lf = fold_text(left.s)
        bf = fold_text(both.s)
        f = state.fields

        # number
        num_m = NUMBER.search(lf) or NUMBER.search(bf)
        src = left if NUMBER.search(lf) else both
        num_at = len(lf)
        so_line = re.search(r"(?:^|\n)[\s|*_]*(?:số\b|s[oóòôốồơớ]\s*:)", lf)
        if so_line:
            num_at = so_line.start()
        illegible = None if num_m else ILLEGIBLE_NUMBER.search(lf)
        if illegible:
            # a handwritten serial that OCR garbled: keep the typed notation, never guess the serial
            nota = re.sub(r"\s+", "", left.s[illegible.start("nota") : illegible.end("nota")]).strip(".,;:*")
            f["number"] = {"raw": "/" + nota, "serial": None, "notation": nota}
            # the span covers the handwritten serial too ("Số: <ink> /CT-UBND"): the
            # review screen crops the page there, beside the empty serial
            label = illegible.start() + len(re.match(r"\n?[\s|*_]*", lf[illegible.start() :]).group())  # type: ignore[union-attr]
            state.spans["number"] = left.span(label, illegible.end("nota"))
            state.confidence["number"] = 0.4
            state.warn("number-illegible")
        elif num_m:
            parts = number_parts(src.s[num_m.start("num") : num_m.end("num")])
            f["number"] = parts
            state.spans["number"] = src.span(num_m.start("num"), num_m.end("num"))
            state.confidence["number"] = 0.95 if parts["serial"] else 0.7
            if not parts["serial"]:
                state.warn("number-blank")
            num_at = min(num_at, num_m.start()) if src is left else num_at
        elif not illegible:
            state.warn("number-missing")

        # issuer: left-column lines above the number, without the Quốc hiệu
        issuer_lines = []
        for ln in left.s[:num_at].split("\n"):
            qh = QH.search(fold_text(ln))
            ln = ln[: qh.start()] if qh else ln  # "BỘ CÔNG THƯƠNG CỘNG HÒA XÃ HỘI …" run together
            if ln.strip():
                issuer_lines.append(ln)
        issuer_lines = [ln for ln in issuer_lines if not re.match(r"^\s*[-*_=. ]+\s*$", ln)]
        issuer_lines = [re.split(r"\s*-{3,}", ln)[0] for ln in issuer_lines]
        iss = issuer_from_lines([ln for ln in issuer_lines if caps_share(ln) >= 0.7])
        if iss:
            f["issuer"] = {"name": iss[0], "parent": iss[1]}
            state.confidence["issuer"] = 0.9
            first = issuer_lines[0]
            st = left.s.find(first)
            if st >= 0:
                last = issuer_lines[-1]
                en = left.s.find(last, st) + len(last)
                state.spans["issuer"] = left.span(st, en)

        # place and date: right column first
        rf = fold_text(right.s)
        dm = DATE.search(rf)
        view = right
        if not dm:
            dm = DATE.search(bf)
            view = both
        if dm:
            # a day or month that OCR garbled (handwriting) reads as blank, never guessed
            dmm = _BLANK_OR_NUMBER.match(dm.group("draw"))
            mmm = _BLANK_OR_NUMBER.match(dm.group("mraw"))
            d_ = dmm.group("n") if dmm else None
            m_ = mmm.group("n") if mmm else None
            iso, code = parse_date(dm.group("y"), m_, d_ if m_ else None)
            signed = signing_date(state.raw.meta.get("signed_at") if state.raw else None)
            # a blank day, or one OCR made impossible ("ngày 33"): the signing date is
            # offered, not filled in — on the corpus it is the issue day in only 7 of
            # the 17 scans where it could have filled one (signed 1-4 days later)
            suggested = day_from_signature(iso, signed) if code in ("date-partial", "date-invalid") else None
            f["issued_date"] = iso
            state.spans["issued_date"] = view.span(dm.start("draw") - 4, dm.end())
            state.confidence["issued_date"] = 0.95 if code is None else 0.6
            if code:
                state.warn(code)
            if suggested:
                d0 = date.fromisoformat(suggested)
                state.warn(
                    "issued-day-suggested",
                    f"the day of the issue date is blank on the page; the e-signature is dated "
                    f"{d0.day:02d}/{d0.month:02d}/{d0.year} — documents are often signed a few days after "
                    "their date: type the day from the original",
                )
            if dm.group("place"):
                raw_pl = view.s[dm.start("place") : dm.end("place")]
                # the place: the capitalised words right before ", ngày"
                pm = re.search(r"(?:(?<=\s)|^)((?:" + CAP + r"[\w.]*(?:-" + CAP + r"?[\w]*)*\s*){1,5})[\s*_|]*$", raw_pl)
                if pm:
                    pl = collapse(pm.group(1).strip(" *_|,"))
                    a0 = dm.start("place") + pm.start(1)
                    f["place"] = pl
                    state.spans["place"] = view.span(a0, a0 + len(pm.group(1).rstrip()))
                    state.confidence["place"] = 0.9
        else:
            state.warn("date-missing")

        # on a scan: where the number and the date are on page 1 (for a crop of the page)
        if state.raw is not None and state.raw.header_words:
            regions = field_regions(state.raw.header_words, (f.get("number") or {}).get("notation"))
            if regions:
                f["regions"] = regions

        # urgency / secrecy: a caps marker standing alone near the header
        _markers(state)
        # type title, subject, recipients below the header
        _title_subject(state, left)
        _recipients(state)
        if "issuer" not in f:
            state.warn("issuer-missing")
        return state


def _markers(state: WorkingState) -> None:
    text = state.text
    limit = min(len(state.lines), state.header_end + 12)
    for ln in state.lines[:limit]:
        for p in split_columns(text, ln.seg):
            raw = text[p.start : p.end].strip("*_ ")
            if not raw.isupper():
                continue
            f = fold_text(raw)
            for table, key in ((URGENCY, "urgency"), (SECRECY, "secrecy")):
                if key in state.fields:
                    continue
                if f in table:
                    state.fields[key] = table[f]
                    state.spans[key] = (p.start, p.end)
                    state.confidence[key] = 0.9


# "V/v", "Về việc", a title's "VỀ VIỆC", OCR's "Về viêc" / "Vê việc": not part of the subject
VE_VIEC = re.compile(r"^[\W_]*(?:v/v|v[eêề]\s*vi[eêệ]c)\s*:?\s*", re.IGNORECASE)


def _title_subject(state: WorkingState, left: View) -> None:
    text, lines = state.text, state.lines
    titles, abbrs = type_tables()
    f = state.fields
    # công văn: V/v in the left column
    lf = left.s
    vv = re.search(r"(?:^|\n|\s[*_]+|\s{2,})\s*[*_]*\s*(?:V/v|v/v|V/V|Về việc|về việc)\s*:?\s*", lf)
    title_idx = None
    for i in range(state.header_end, min(len(lines), state.header_end + 25)):
        ln = lines[i]
        if ln.noise:
            continue
        raw = text[ln.seg.start : ln.seg.end].strip().strip("#*_ ").strip()
        if not raw:
            continue
        key = fold_text(raw)
        hit = _type_title(text, ln.seg)
        if hit:
            title_idx = i
            f["doc_type"], exact, seg = hit
            state.spans["doc_type"] = (seg.start, seg.end)
            state.confidence["doc_type"] = 0.95 if exact else 0.75
            break
        if KINH_GUI.search(key) or BODY_START.match(key) and not raw.isupper():
            break
    if vv and title_idx is None:
        f["doc_type"] = "Công văn"
        state.confidence["doc_type"] = 0.9
        # subject: from V/v to the end of the left column (stop at a blank-ish or number line)
        tail = lf[vv.end() :]
        stop = len(tail)
        for m in re.finditer(r"\n", tail):
            rest = tail[m.end() :]
            rf = fold_text(rest[:40])
            if re.match(r"\s*(số\s*:|kính gửi|[-=*_]{3,})", rf) or QH.search(rf):
                stop = m.start()
                break
        subj = _join_lines(tail[:stop])
        if subj:
            f["subject"] = subj.strip(" *_")
            state.spans["subject"] = left.span(vv.end(), vv.end() + stop)
            state.confidence["subject"] = 0.85
    elif title_idx is not None:
        parts: list[str] = []
        segs: list[Segment] = []
        blank = 0
        for j in range(title_idx + 1, min(len(lines), title_idx + 12)):
            ln = lines[j]
            line_seg = _worded_piece(text, ln.seg)
            stamp = ARRIVAL_PREFIX.match(text, line_seg.start, line_seg.end)
            if stamp:  # "ĐẾN ngày …" of an arrival stamp run into the subject line
                line_seg = Segment(stamp.end(), line_seg.end)
            raw = text[line_seg.start : line_seg.end]
            s = raw.strip().strip("#*_ ").strip()
            if ln.noise or not s:
                blank += 1
                if parts and blank >= 1 and state.raw and state.raw.format == "markdown":
                    break
                continue
            key = fold_text(s)
            if re.fullmatch(r"[-=_*. ]+", s):
                if parts:
                    break
                continue
            if BODY_START.match(key) and parts or KINH_GUI.search(key):
                break
            if parts and blank and not (s[:1].islower() or parts[-1].endswith(("-", ","))):
                break
            if parts and len(s) > 95 and ln.indent < 3:
                break
            if parts and caps_share(parts[0]) > 0.8 and caps_share(s) < 0.5:
                break  # a subject in capitals ends where the sentence-case body begins
            parts.append(s)
            segs.append(line_seg)
            blank = 0
        if parts:
            subj = _join_lines("\n".join(parts))
            subj = VE_VIEC.sub("", subj)
            f["subject"] = subj
            state.spans["subject"] = (segs[0].start, segs[-1].end)
            state.confidence["subject"] = 0.8
    if "doc_type" not in f:
        nota = (f.get("number") or {}).get("notation") or ""
        for part in re.split(r"[-/]", nota):
            if part.upper() in abbrs:
                f["doc_type"] = abbrs[part.upper()]
                state.confidence["doc_type"] = 0.6
                state.warn("doctype-inferred")
                break
        else:
            if nota and re.match(r"^(UBND|SCT|SNNMT|SXD|BNNMT|VPCP|S|B)", nota.upper()):
                f["doc_type"] = "Công văn"
                state.confidence["doc_type"] = 0.5
                state.warn("doctype-inferred")
            else:
                state.warn("doctype-missing")
    if "subject" not in f:
        state.warn("subject-missing")


def _worded_piece(text: str, seg: Segment) -> Segment:
    """The line without pieces that are not words (an arrival stamp or seal that
    OCR read beside the subject: 'đ0.:†..: &      Xử phạt vi phạm hành chính')."""
    from pipeline.readers.quality import token_verdict

    pieces = split_columns(text, seg)
    if len(pieces) < 2:
        return seg
    good = []
    for p in pieces:
        piece = text[p.start : p.end]
        verdicts = [token_verdict(t) for t in piece.split()]
        judged = [v for v in verdicts if v is not None]
        litter = sum(1 for c in piece if not (c.isalpha() or c.isspace() or c in ",-")) / max(1, len(piece))
        if judged and sum(judged) / len(judged) >= 0.6 and litter < 0.2:
            good.append(p)
    if not good:
        return seg
    return Segment(good[0].start, good[-1].end)


@lru_cache(maxsize=1)
def _loose_titles() -> dict[str, str]:
    """Type titles keyed without diacritics or punctuation ('quyet dinh')."""
    from pipeline.folding import ascii_fold

    titles, _ = type_tables()
    return {_loose_key(ascii_fold(k)): v for k, v in titles.items()}


def _loose_key(ascii_text: str) -> str:
    """Letters and spaces only, a doubled letter once (OCR's 'TỜÒ TRÌNH' → 'to trinh')."""
    return re.sub(r"([a-z])\1+", r"\1", re.sub(r"[^a-z ]", "", ascii_text)).strip()


def _type_title(text: str, seg: Segment) -> tuple[str, bool, Segment] | None:
    """A type title in caps ("THÔNG BÁO") on the line, alone or beside OCR
    litter; OCR's tone slips ("QUYÉT ĐỊNH", "CHÍ THỊ") are read through."""
    from pipeline.folding import ascii_fold

    titles, _ = type_tables()
    loose = _loose_titles()
    for p in split_columns(text, seg):
        raw = text[p.start : p.end].strip("#*_ ")
        if not raw.isupper():
            continue
        key = fold_text(raw)
        if key in titles:
            return titles[key], True, p
        lk = _loose_key(ascii_fold(raw))
        if lk in loose and len(lk) >= 6:
            return loose[lk], False, p
        # a type title with a qualifier in caps on its line ("BÁO CÁO ĐỀ XUẤT")
        words = key.split()
        for n in range(len(words) - 1, max(0, len(words) - 4), -1):
            head = " ".join(words[:n])
            if head in titles and n >= 2:
                return titles[head], False, p
    return None


def _join_lines(s: str) -> str:
    """Lines of a wrapped phrase joined: a break after '-' or '/' inside a number
    joins without a space."""
    s = re.sub(r"(?<=[\w])([-/])\s*\n\s*(?=[\wĐ])", r"\1", s)
    return collapse(s.replace("*", " ").replace("_", " "))


def split_items(s: str) -> list[str]:
    """'- A; - B.' or lines of '- A;' → ['A', 'B']: an item starts at a dash
    that opens a line or follows the ';' or '.' that closed the item before."""
    pieces = re.split(
        r"(?:^|\n)[ \t*_]*[-–•+]\s*|(?<=[;.])\s+[-–•+]\s+|;[ \t*_]*\n(?![ \t*_]*[-–•+])|\n\s*\n", s
    )
    out = []
    for p in pieces:
        p = collapse(p.replace("|", " ")).strip(" ;.,*_|")
        if p and any(c.isalpha() for c in p):
            out.append(p)
    return out


def _recipients(state: WorkingState) -> None:
    text, fold, lines = state.text, state.fold, state.lines
    start = max(0, state.header_end - 3)
    for i in range(start, min(len(lines), state.header_end + 30)):
        ln = lines[i]
        fl = fold[ln.seg.start : ln.seg.end]
        m = KINH_GUI.search(fl)
        if not m or ln.noise:
            continue
        # same-line items after the colon
        first = text[ln.seg.start + m.end() : ln.seg.end]
        first = first.lstrip(" :*_|")
        collected = [first] if first.strip(" |*") else []
        seg_start = ln.seg.start + m.end()
        seg_end = ln.seg.end
        j = i + 1
        blank = 0
        while j < len(lines) and j < i + 20:
            nl = lines[j]
            s = text[nl.seg.start : nl.seg.end].strip()
            if nl.noise:
                j += 1
                continue
            if not s:
                blank += 1
                if blank > 2:
                    break
                j += 1
                continue
            if re.fullmatch(r"[|\s:*_-]+", s) or s.startswith("|"):
                break
            is_item = s.startswith(("-", "–", "•", "+"))
            prev = collected[-1] if collected else ""
            if is_item or (prev and not prev.rstrip().endswith((";", ".", ":")) and len(s) < 80 and blank == 0 and not BODY_START.match(fold_text(s))):
                collected.append(s if not is_item else "\n- " + s.lstrip("-–•+ "))
                seg_end = nl.seg.end
                blank = 0
                j += 1
                continue
            break
        items = split_items("\n".join(collected))
        if items:
            state.fields["recipients"] = items
            state.spans["recipients"] = (seg_start, seg_end)
            state.confidence["recipients"] = 0.85
        return

