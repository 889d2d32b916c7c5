"""Tone marks that a web or PDF-to-HTML conversion detached from their letters.

Some converted documents carry their tone marks as stand-alone combining
characters after the words that lost them ("tinh hình bị thiêt hai ̀ ̣ ̣" for
"tình hình bị thiệt hại"): the marks of one printed line, in order, each after a
space. Each run of marks is given back to the toneless words before it: the
words are chosen (in order) so that every syllable is valid Vietnamese and as
many neighbouring pairs as possible are words of underthesea's Vietnamese word
list (Viet74K, installed with underthesea). A run that cannot be placed is left
as it is.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from pipeline.readers.quality import split_tone, syllable_ok

TONES = {"\u0300": "grave", "\u0301": "acute", "\u0303": "tilde", "\u0309": "hook", "\u0323": "dot"}
# a run of stand-alone tone marks: each after a space (or at a line start)
MARK_RUN = re.compile(r"(?:(?<=\s)|^)[\u0300\u0301\u0303\u0309\u0323](?:\s+[\u0300\u0301\u0303\u0309\u0323])*(?=\s|$)", re.M)
WORD = re.compile(r"[^\W\d_]+")
_VOWELS = "aăâeêioôơuưy"
_MARKED = "ăâêôơư"


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(syllables, two-syllable words) of underthesea's Viet74K word list, lowercased NFC."""
    # the file's place without importing underthesea (its import costs ~0.9 CPU-s)
    spec = importlib.util.find_spec("underthesea")
    if spec is None or not spec.submodule_search_locations:
        return frozenset(), frozenset()
    try:
        path = Path(next(iter(spec.submodule_search_locations))) / "corpus" / "data" / "Viet74K.txt"
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, OSError):
        return frozenset(), frozenset()
    syllables: set[str] = set()
    pairs: set[str] = set()
    for line in lines:
        words = unicodedata.normalize("NFC", line.strip().lower()).split()
        syllables.update(words)
        for a, b in zip(words, words[1:], strict=False):
            pairs.add(f"{a} {b}")
    return frozenset(syllables), frozenset(pairs)


def detached_runs(text: str) -> int:
    """How many runs of stand-alone tone marks the text holds."""
    if not any(mark in text for mark in TONES):  # NFC text has none: skip the scan
        return 0
    return len(MARK_RUN.findall(text))


def _tone_vowel(base: str) -> int:
    """Index of the vowel that carries the tone in a toneless syllable (the
    classic placement, "hòa", "thủy", as pipeline.folding folds to)."""
    low = base.lower()
    idx = [i for i, c in enumerate(low) if c in _VOWELS]
    if low.startswith(("qu", "gi")) and len(idx) > 1:
        idx = idx[1:]
    if not idx:
        return -1
    for i in idx:
        if low[i] in _MARKED:
            # "ươ": the tone goes on ơ
            if low[i] == "ư" and i + 1 < len(low) and low[i + 1] == "ơ":
                return i + 1
            return i
    if len(idx) == 1:
        return idx[0]
    last = idx[-1]
    ends_in_vowel = last == len(low) - 1
    if ends_in_vowel and len(idx) >= 2:
        return idx[-2]
    return last


def with_tone(word: str, mark: str) -> str | None:
    """The word with the tone mark placed on its vowel, or None."""
    base = unicodedata.normalize("NFC", word)
    i = _tone_vowel(base)
    if i < 0:
        return None
    return unicodedata.normalize("NFC", base[: i + 1] + mark + base[i + 1 :])


def _toneless(word: str) -> bool:
    return split_tone(word)[1] is None


def _place(words: list[str], marks: list[str]) -> list[str] | None:
    """Give the marks, in order, to toneless words; best by validity and word pairs."""
    syllables, pairs = _lexicon()
    n, k = len(words), len(marks)
    if k == 0 or n < k:
        return None
    low = [w.lower() for w in words]
    cand = [_toneless(w) for w in words]

    def unit(i: int, j: int | None) -> tuple[str, float] | None:
        """Form and score of word i, with mark j (None: unchanged)."""
        if j is None:
            form = low[i]
            ok = syllable_ok(form)
            return form, (0.0 if ok else -3.0) + (0.3 if form in syllables else 0.0)
        if not cand[i]:
            return None
        toned = with_tone(low[i], marks[j])
        if toned is None or not syllable_ok(toned):
            return None
        return toned, 0.5 + (0.3 if toned in syllables else 0.0)

    # dp[i][j] = best (score, choices) after i words with j marks used; choices keeps the forms
    NEG = float("-inf")
    dp: list[list[tuple[float, list[str]]]] = [[(NEG, []) for _ in range(k + 1)] for _ in range(n + 1)]
    dp[0][0] = (0.0, [])
    for i in range(n):
        for j in range(k + 1):
            score, forms = dp[i][j]
            if score == NEG:
                continue
            for use in (False, True):
                if use and j >= k:
                    continue
                u = unit(i, j if use else None)
                if u is None:
                    continue
                form, s = u
                bonus = 1.0 if forms and f"{forms[-1]} {form}" in pairs else 0.0
                nj = j + 1 if use else j
                cand_score = score + s + bonus
                if cand_score > dp[i + 1][nj][0]:
                    dp[i + 1][nj] = (cand_score, [*forms, form])
    best = dp[n][k]
    if best[0] == NEG:
        return None
    return best[1]


def _restore_case(orig: str, form: str) -> str:
    if orig.isupper() and len(orig) > 1:
        return form.upper()
    if orig[:1].isupper():
        return form[:1].upper() + form[1:]
    return form


def reattach(text: str) -> tuple[str, int]:
    """The text with detached tone marks put back on their words; and how many
    runs were placed. Runs that cannot be placed stay where they are."""
    out: list[str] = []
    pos = 0
    seg_start = 0
    placed = 0
    for m in MARK_RUN.finditer(text):
        marks = [c for c in m.group(0) if c in TONES]
        segment = text[seg_start : m.start()]
        words = [(w.start(), w.end(), w.group(0)) for w in WORD.finditer(segment)]
        # the marks belong to the words of the same printed line: the last stretch
        # of words before the run, no longer than a line holds
        window = words[-14:]
        forms = _place([w for _, _, w in window], marks) if window else None
        if forms is None:
            out.append(text[pos : m.end()])
            pos = seg_start = m.end()
            continue
        rebuilt = []
        last = 0
        for (a, b, w), form in zip(window, forms, strict=True):
            rebuilt.append(segment[last:a])
            rebuilt.append(_restore_case(w, form))
            last = b
        rebuilt.append(segment[last:])
        out.append(text[pos:seg_start])
        out.append("".join(rebuilt).rstrip(" "))
        pos = seg_start = m.end()
        placed += 1
    out.append(text[pos:])
    return "".join(out), placed
