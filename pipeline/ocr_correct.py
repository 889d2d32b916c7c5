"""OCR post-correction: the tone mark tesseract drops over a circumflex.

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
- it is not inside a run of capitalised words (a person's name: "Lê" in "Ông
  Lê Thanh Liêm" stays).

The correction keeps the length of the text (one precomposed letter for
another) and the letter case, so offsets and word boxes still match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline.folding import fold

_CIRCUMFLEX = {"â": "a", "ê": "e", "ô": "o"}
_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_WORD = re.compile(r"[^\W\d_]+")
_BETWEEN = re.compile(r"[ \t]+")


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(folded syllables, folded two-syllable words): the word list plus the
    syllable pairs of the agency, group and province names."""
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
        frozenset(fold(s) for s in syllables),
        frozenset(fold(p) for p in pairs) | frozenset(extra),
    )


def _toned(low: str) -> list[str]:
    """The five toned forms of a toneless syllable with â/ê/ô (the mark goes on that letter)."""
    for i, c in enumerate(low):
        if c in _CIRCUMFLEX:
            return [low[:i] + unicodedata.normalize("NFC", c + t) + low[i + 1 :] for t in _TONES]
    return []


def _toneless_circumflex(low: str) -> bool:
    if not any(c in _CIRCUMFLEX for c in low):
        return False
    return not any(m in _TONES for m in unicodedata.normalize("NFD", low))


def _with_case(word: str, low: str) -> str:
    return "".join(n.upper() if o.isupper() else n for o, n in zip(word, low, strict=True))


def correct_ocr_tones(text: str) -> tuple[str, int]:
    """The text with the dropped tone marks put back, and how many words changed."""
    syllables, pairs = _lexicon()
    if not pairs:
        return text, 0
    out = list(text)
    changed = 0
    for line in re.finditer(r"[^\n\f]+", text):
        words = list(_WORD.finditer(text, line.start(), line.end()))
        for i, m in enumerate(words):
            word = m.group()
            low = word.lower()
            if len(low) != len(word) or not _toneless_circumflex(low):
                continue
            if word.isupper() and len(word) > 1 and not word.isalpha():
                continue
            left = words[i - 1].group().lower() if i and _BETWEEN.fullmatch(text, words[i - 1].end(), m.start()) else None
            right = (
                words[i + 1].group().lower()
                if i + 1 < len(words) and _BETWEEN.fullmatch(text, m.end(), words[i + 1].start())
                else None
            )
            if left is None and right is None:
                continue
            if word.istitle() and left is not None and right is not None and (
                words[i - 1].group().istitle() and words[i + 1].group().istitle()
            ):
                continue  # inside a run of capitalised words: a person's name ("Ông Lê Thanh Liêm")

            def forms_word(s: str, left: str | None = left, right: str | None = right) -> bool:
                return (left is not None and fold(f"{left} {s}") in pairs) or (
                    right is not None and fold(f"{s} {right}") in pairs
                )

            if forms_word(low):
                continue
            good = [v for v in _toned(low) if fold(v) in syllables and forms_word(v)]
            if len(good) != 1:
                continue
            new = _with_case(word, good[0])
            if len(new) != len(word):
                continue
            out[m.start() : m.end()] = new
            changed += 1
    return ("".join(out) if changed else text), changed
