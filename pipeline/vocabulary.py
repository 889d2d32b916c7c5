"""Closed vocabularies that OCR'd header values are snapped to: the names of
bodies (agency list + provinces) and signer titles. OCR of real scans drops or
swaps tone marks ("Úy ban nhân dân tĩnh", "Chu tịch"); these values come from a
known set, so a value that equals a known one once every diacritic is dropped is
written the known way. Nothing is changed when no known value matches."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.folding import ascii_fold
from pipeline.resources import load

LOCALITY = ("tỉnh", "thành phố")


def _key(s: str) -> str:
    return re.sub(r"[^a-z0-9&]+", " ", ascii_fold(s)).strip()


@lru_cache(maxsize=1)
def _body_keys() -> dict[str, list[str]]:
    """Diacritic-free key -> the body names written that way, in list order."""
    out: dict[str, list[str]] = {}
    for e in load("agencies.yaml")["agencies"]:
        for n in [e["name"], *(e.get("aliases") or [])]:
            names = out.setdefault(_key(n), [])
            if e["name"] not in names:
                names.append(e["name"])
    return out


@lru_cache(maxsize=1)
def _bodies() -> dict[str, str]:
    """Diacritic-free key -> the first body name written that way."""
    return {k: names[0] for k, names in _body_keys().items()}


@lru_cache(maxsize=1)
def _squeezed() -> dict[str, str]:
    """Body names keyed without spaces, for names only (one body per key)."""
    out: dict[str, set[str]] = {}
    for k, names in _body_keys().items():
        out.setdefault(k.replace(" ", ""), set()).update(names)
    return {k: next(iter(v)) for k, v in out.items() if len(v) == 1 and len(k) >= 8}


@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    out: dict[str, str] = {}
    for p in load("provinces.yaml")["provinces"]:
        for n in [p["name"], *(p.get("aliases") or [])]:
            out.setdefault(_key(n), p["name"])
    return out


@lru_cache(maxsize=1)
def _titles() -> list[tuple[str, str]]:
    """(diacritic-free key, title) for keys that name one title only: 'thu truong'
    is both Thứ trưởng and Thủ trưởng, so it is left alone."""
    titles = load("leader_titles.yaml")["titles"]
    extra = ["Chủ tịch", "Phó Chủ tịch", "Thủ tướng", "Phó Thủ tướng", "Người lập phiếu trình"]
    by_key: dict[str, set[str]] = {}
    for t in [*titles, *extra]:
        if t[:1].isupper():
            by_key.setdefault(_key(t), set()).add(t)
    return sorted(((k, next(iter(v))) for k, v in by_key.items() if len(v) == 1), key=lambda kv: -len(kv[0]))


@lru_cache(maxsize=1)
def _known_titles() -> set[str]:
    from pipeline.folding import fold

    return {fold(t) for _, t in _titles()} | {fold(t) for t in load("leader_titles.yaml")["titles"]}


def snap_body(name: str) -> str:
    """'Úy ban nhân dân tĩnh quảng ngãi' → 'Ủy ban nhân dân tỉnh Quảng Ngãi';
    OCR's lost spaces ('vàmôi') and litter ('__—') are read through."""
    k = _key(name)
    bodies = _bodies()
    if k in bodies and len(_body_keys().get(k, ())) == 1:
        return bodies[k]
    squeezed = _squeezed().get(k.replace(" ", ""))
    if squeezed:
        return squeezed
    # a generic provincial body + a province name
    for loc in LOCALITY:
        lk = _key(loc)
        idx = k.find(" " + lk + " ")
        if idx > 0:
            head, place = k[: idx + len(lk) + 1], k[idx + len(lk) + 2 :]
            if head in bodies and place in _provinces():
                return f"{bodies[head]} {_provinces()[place]}"
    return name


def snap_title(title: str, ocr: bool = False) -> str:
    """'Chu tịch lắc gnee' → 'Chủ tịch': the known title the value starts with;
    in OCR text also the one inside a garbled line (``_title_inside``). Typed
    text keeps a title with its body ('Vụ trưởng Vụ Tổ chức phi Chính phủ')."""
    from pipeline.folding import fold

    ft = fold(title)
    if ft in _known_titles():
        return title
    # a known title followed by OCR litter from the signature ("Thứ trưởng jc")
    words = title.split()
    for cut in range(len(words) - 1, max(0, len(words) - 4), -1):
        head = " ".join(words[:cut])
        if fold(head) in _known_titles():
            return head
    k = _key(title)
    for tk, t in _titles():
        if k == tk or k.startswith(tk + " ") and len(k.split()) - len(tk.split()) <= 3:
            return t
    return (_title_inside(k) if ocr else None) or title


# authority marks as OCR leaves them ("KT." read "T.", "Kt.giám đốc")
_AUTHORITY_WORDS = {"k", "t", "kt", "tm", "tl", "tuq", "q"}


def _title_inside(k: str) -> str | None:
    """The first known title inside a garbled title line that is not the one
    signed for (after KT./TM./TL.): 'T. chủ tịch phó chủ tịch sh am' →
    'Phó Chủ tịch'; a last word OCR cut short counts ('Phó Chủ tịc')."""
    ws = k.split()
    for i in range(len(ws)):
        if i and ws[i - 1] in _AUTHORITY_WORDS:
            continue
        for tk, t in _titles():
            tw = tk.split()
            if ws[i : i + len(tw)] == tw:
                return t
            n = len(tw)
            if n >= 2 and i + n == len(ws) and ws[i : i + n - 1] == tw[:-1]:
                last = ws[-1]
                if tw[-1].startswith(last) and len(last) >= len(tw[-1]) - 1:
                    return t
    return None
