"""One canonical form for matching Vietnamese text.

``fold`` lowercases, moves the tone mark of the open syllables oa/oe/uy to the
first vowel ("hoà" → "hòa", "Uỷ" → "ủy") and maps a few look-alike characters,
always keeping the length of the string, so an offset in the folded text is an
offset in the original. ``ascii_fold`` also drops every diacritic (for keys).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The uppercase letters, as the body of a regex character class: "A-Z" and every
# uppercase Latin letter with a mark (À, Đ, Ơ, Ạ … Ỹ). Not "À-Ỹ": that range holds
# the lowercase letters too (đ, á, ệ are inside it).
UPPER = "A-Z" + "".join(c for c in map(chr, range(0xC0, 0x1EFA)) if c.isupper() and c.isalpha())
CAP = "[" + UPPER + "]"  # one uppercase letter

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_LOOKALIKE = str.maketrans(
    {
        "\u01a3": "ư",  # ƣ (broken PDF glyph maps) → ư
        "\u01a2": "ư",
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "đ": "đ",
    }
)


def _split_tone(ch: str) -> tuple[str, str]:
    d = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in d if c in _TONES)
    base = "".join(c for c in d if c not in _TONES)
    return unicodedata.normalize("NFC", base), tone


def _with_tone(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


@lru_cache(maxsize=4096)
def _fold_word(word: str) -> str:
    low = "".join(c.lower() if len(c.lower()) == 1 else c for c in word)
    low = low.translate(_LOOKALIKE)
    if len(low) >= 2:
        # look at the last two letters of the syllable
        a, b = low[-2], low[-1]
        b_base, b_tone = _split_tone(b)
        a_base, a_tone = _split_tone(a)
        if b_tone and not a_tone and (a_base + b_base) in {"oa", "oe", "uy"}:
            # "quy" keeps the tone on y ("quý"): u there is part of the onset
            if not (a_base == "u" and len(low) >= 3 and low[-3] == "q"):
                low = low[:-2] + _with_tone(a_base, b_tone) + b_base
        # "hòa" style is the canonical one; NFC keeps the length 1 char each
    return low


_WORD = re.compile(r"[^\W\d_]+")


def _fold_slow(text: str) -> str:
    return _WORD.sub(lambda m: _fold_word(m.group(0)), text.translate(_LOOKALIKE))


def _tone_moves() -> dict[str, str]:
    """'oà' → 'òa', 'oé' → 'óe', 'uý' → 'úy' (at the end of a word, not in 'quý')."""
    moves: dict[str, str] = {}
    for first, lasts in (("o", "ae"), ("u", "y")):
        for last in lasts:
            for tone in _TONES:
                toned = unicodedata.normalize("NFC", last + tone)
                moves[first + toned] = _with_tone(first, tone) + last
    return moves


_MOVES = _tone_moves()
_LOOKALIKE_PAIRS = [(chr(k), str(v)) for k, v in _LOOKALIKE.items()]


def _lookalikes(s: str) -> str:
    # str.replace per character present: far faster than str.translate on
    # non-ASCII text (which looks every character up in a dict)
    for c, to in _LOOKALIKE_PAIRS:
        if c in s:
            s = s.replace(c, to)
    return s


def fold(text: str) -> str:
    """Lowercase, one tone placement, look-alikes mapped; same length as ``text``."""
    # names, cells and phrases are folded again and again: short strings are cached
    return _fold_short(text) if len(text) <= SHORT else _fold(text)


SHORT = 200


def _fold(text: str) -> str:
    low = _lookalikes(text).lower()
    if len(low) != len(text):  # a letter whose lowercase is longer ("İ"): word by word
        return _fold_slow(text)
    low = _lookalikes(low)
    chars: list[str] | None = None
    for pair, moved in _MOVES.items():
        i = low.find(pair)
        while i >= 0:
            j = i + 2
            # the pair ends the word, and 'u' is not part of the onset 'qu'
            if not (j < len(low) and low[j].isalpha() and not low[j].isdigit()) and not (
                pair[0] == "u" and i > 0 and low[i - 1] == "q"
            ):
                if chars is None:
                    chars = list(low)
                chars[i], chars[i + 1] = moved[0], moved[1]
            i = low.find(pair, j)
    return low if chars is None else "".join(chars)


_fold_short = lru_cache(maxsize=1 << 15)(_fold)


def ascii_fold(text: str) -> str:
    """Fold and drop every diacritic ("Ủy ban" → "uy ban"); not length-preserving."""
    d = unicodedata.normalize("NFD", fold(text))
    d = "".join(c for c in d if not unicodedata.combining(c))
    return d.replace("đ", "d")


def caps_share(s: str) -> float:
    """Share of the letters of ``s`` that are uppercase (0 when it has none)."""
    letters, upper = letter_counts(s)
    return upper / letters if letters else 0.0


def letter_counts(s: str) -> tuple[int, int]:
    """(letters, uppercase letters) of ``s`` (builtin filter/map: no Python loop per character)."""
    letters = list(filter(str.isalpha, s))
    return len(letters), sum(map(str.isupper, letters))


def is_caps(s: str, share: float = 0.8) -> bool:
    """A caps line ("KT. CHỦ TỊCH"): at least two letters, mostly uppercase."""
    letters, upper = letter_counts(s)
    return letters >= 2 and upper >= share * letters
