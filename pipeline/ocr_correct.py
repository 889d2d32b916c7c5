"""OCR post-correction: the tone mark tesseract drops over a circumflex, and
the marks above a letter that it confuses.

Tesseract's Vietnamese model often reads a letter that carries both a
circumflex and a tone (ổ, ấ, ề …) as the circumflex letter alone: "bô sung",
"sản xuât", "vận chuyên", "Lâm Đông", "sự cô mạng" for "bổ sung", "sản xuất",
"vận chuyển", "Lâm Đồng", "sự cố mạng" (measured on the corpus scans: most
subject lines of the scans lost a mark this way).

A word is corrected only when all of these hold:
- it has â, ê or ô and no tone mark (the shape of this error);
- with neither neighbour on its line does it form a two-syllable word of the
  word list (underthesea's Viet74K, the pairs inside the agency and province
  names of pipeline/resources);
- exactly one toned form of it is a syllable of the list and forms such a word
  with a neighbour;
- next to another capitalised word (a proper name) only the agency and
  province names count as evidence ("Lâm Đông" becomes "Lâm Đồng"; "Lê" in
  "Ông Lê Thanh Liêm" and "Long Biên" stay).
Neighbours are the words before and after, on the same line or across one line
break; a function word (resources/ocr_correction.yaml: và, của, vào, để …) is
no neighbour, its two-syllable entries ("vào sống") prove nothing.

It also confuses the three marks written above a letter — sắc, hỏi, ngã:
"tố chức", "bỗ nhiệm", "thuốc nỗ", "tối thiếu", "UBND tính" for "tổ chức",
"bổ nhiệm", "thuốc nổ", "tối thiểu", "UBND tỉnh". A word with one of these
marks is given another of them under the same conditions, and only when the
word as read forms a word with neither neighbour, function words included
("có thể" stays), and is not itself a function word. On the development
part's scans this changed 38 words: about 25 to the right word, 4 right words
to wrong ones ("tính bồi thường", "thải lượng"), the rest wrong to wrong.
Huyền, nặng and no mark are not tried: on typed text that made ten times
more false changes ("để" → "đề", "tại" → "tài").

The correction keeps the length of the text (one precomposed letter for
another) and the letter case, so offsets and word boxes still match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline.folding import fold
from pipeline.readers.diacritics import TONES as _TONES
from pipeline.readers.diacritics import WORD as _WORD

_CIRCUMFLEX = frozenset("âêô")
# neighbours: words apart by spaces or one line break (a wrapped line), not a blank line
_BETWEEN = re.compile(r"[ \t]+|[ \t]*\n[ \t]*")


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(folded syllables, folded two-syllable words of the word list and the
    names, folded syllable pairs of the agency, group and province names)."""
    from pipeline.readers.diacritics import _lexicon as viet74k
    from pipeline.resources import load

    syllables, pairs = viet74k()
    names: list[str] = []
    for e in load("agencies.yaml")["agencies"]:
        names += [e["name"], *(e.get("aliases") or [])]
    for g in load("agency_groups.yaml")["groups"]:
        names += [g["name"], *(g.get("variants") or [])]
    for p in load("provinces.yaml")["provinces"]:
        names += [p["name"], *(p.get("aliases") or [])]
    extra: set[str] = set()
    for n in names:
        words = _WORD.findall(n)
        extra.update(fold(f"{a} {b}") for a, b in zip(words, words[1:], strict=False))
    return (
        _fold_all(syllables),
        _fold_all(pairs) | frozenset(extra),
        frozenset(extra),
    )


def _fold_all(items: frozenset[str]) -> frozenset[str]:
    """{fold(x) for x in items} with one fold of all the items joined by line breaks:
    fold keeps the length and ends a word at a line break as at the end of a text
    (0.35 -> 0.07 CPU-s for Viet74K's 83,000 entries, and the items do not fill
    fold's cache of short strings)."""
    if any("\n" in x for x in items):
        return frozenset(fold(x) for x in items)
    return frozenset(fold("\n".join(items)).split("\n")) if items else frozenset()


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from pipeline.resources import load

    return frozenset(fold(w) for w in load("ocr_correction.yaml")["function_words"])


def _toned(low: str) -> list[str]:
    """The five toned forms of a toneless syllable with â/ê/ô (the mark goes on that letter)."""
    for i, c in enumerate(low):
        if c in _CIRCUMFLEX:
            return [low[:i] + unicodedata.normalize("NFC", c + t) + low[i + 1 :] for t in _TONES]
    return []


# The marks written above the letter that tesseract confuses with each other:
# sắc (acute), hỏi (hook), ngã (tilde) — "tố chức", "bỗ nhiệm", "tính Quảng Ngãi"
_ABOVE = ("\u0301", "\u0309", "\u0303")


def _retoned(low: str) -> list[str]:
    """The other marks above the letter of a syllable that carries one of them
    ("tố" → "tổ", "tỗ"): huyền, nặng and no mark are not confused this way."""
    for i, c in enumerate(low):
        d = unicodedata.normalize("NFD", c)
        marks = [m for m in d if m in _TONES]
        if marks:
            if marks[0] not in _ABOVE:
                return []
            base = "".join(m for m in d if m not in _TONES)
            return [low[:i] + unicodedata.normalize("NFC", base + t) + low[i + 1 :] for t in _ABOVE if t != marks[0]]
    return []


def _toneless_circumflex(low: str) -> bool:
    if not any(c in _CIRCUMFLEX for c in low):
        return False
    return not any(m in _TONES for m in unicodedata.normalize("NFD", low))


def _with_case(word: str, low: str) -> str:
    return "".join(n.upper() if o.isupper() else n for o, n in zip(word, low, strict=True))


def correct_ocr_tones(text: str) -> tuple[str, int]:
    """The text with the dropped or confused tone marks put right, and how many words changed."""
    syllables, all_pairs, name_pairs = _lexicon()
    if not all_pairs:
        return text, 0
    out = list(text)
    changed = 0
    words = list(_WORD.finditer(text))
    for i, m in enumerate(words):
        word = m.group()
        low = word.lower()
        if len(low) != len(word):
            continue
        weak = _function_words()
        retone = not _toneless_circumflex(low)
        variants = (_retoned(low) if fold(low) not in weak else []) if retone else _toned(low)
        if not variants:
            continue
        left_m = words[i - 1] if i and _BETWEEN.fullmatch(text, words[i - 1].end(), m.start()) else None
        right_m = words[i + 1] if i + 1 < len(words) and _BETWEEN.fullmatch(text, m.end(), words[i + 1].start()) else None
        if left_m is None and right_m is None:
            continue
        left = left_m.group().lower() if left_m else None
        right = right_m.group().lower() if right_m else None
        if retone and (left is not None and fold(f"{left} {low}") in all_pairs or right is not None and fold(f"{low} {right}") in all_pairs):
            continue  # a word with its mark already forms a word ("có thể"): it stays
        # a pair with a function word ("vào sống", "biển và") proves nothing
        left = None if left is not None and fold(left) in weak else left
        right = None if right is not None and fold(right) in weak else right
        if left is None and right is None:
            continue
        # a capitalised word next to another is part of a proper name: only the
        # agency and province names are evidence there ("Lâm Đông" → "Lâm Đồng",
        # but "Long Biên", "Nguyễn Hồng Vân" stay)
        proper = word.istitle() and any(x is not None and x.group().istitle() for x in (left_m, right_m))
        pairs = name_pairs if proper else all_pairs

        def forms_word(s: str, left: str | None = left, right: str | None = right, pairs: frozenset[str] = pairs) -> bool:
            return (left is not None and fold(f"{left} {s}") in pairs) or (
                right is not None and fold(f"{s} {right}") in pairs
            )

        if forms_word(low) or proper and (
            (left is not None and fold(f"{left} {low}") in all_pairs) or (right is not None and fold(f"{low} {right}") in all_pairs)
        ):
            continue
        good = [v for v in variants if fold(v) in syllables and forms_word(v)]
        if len(good) != 1:
            continue
        new = _with_case(word, good[0])
        if len(new) != len(word):
            continue
        out[m.start() : m.end()] = new
        changed += 1
    return ("".join(out) if changed else text), changed
