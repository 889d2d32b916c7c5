"""Is a text layer real Vietnamese text? Syllable validity, page coverage, CER.

``syllable_ok`` checks one word against Vietnamese orthography (onset, rhyme,
tone and the c/k, g/gh, ng/ngh spelling rules from resources/vi_syllables.yaml).
``text_validity`` is the share of word tokens that are valid syllables;
``page_quality`` multiplies it by how much of the page the text covers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from pipeline.readers.resource_files import load_resource

_TONES = {"\u0300": "grave", "\u0301": "acute", "\u0303": "tilde", "\u0309": "hook", "\u0323": "dot"}
_VI_LETTERS = set("abcdefghijklmnopqrstuvwxyzđăâêôơư")
_TOKEN_SPLIT = re.compile(r"[\s\-/.,;:()\[\]{}\"'“”‘’!?…–—_|*+=<>%&#@~^`]+")
_ABBREVIATION = re.compile(r"[A-ZĐ]{1,6}")


@dataclass(frozen=True)
class _Syllables:
    onsets: tuple[str, ...]  # longest first
    rhymes: frozenset[str]
    front: frozenset[str]
    front_only: frozenset[str]
    not_front: frozenset[str]
    stop_codas: tuple[str, ...]
    stop_tones: frozenset[str]


@cache
def _syllables() -> _Syllables:
    data = load_resource("vi_syllables")
    return _Syllables(
        onsets=tuple(sorted(data["onsets"], key=len, reverse=True)),
        rhymes=frozenset(data["rhymes"].split()),
        front=frozenset(data["front_vowels"]),
        front_only=frozenset(data["front_only_onsets"]),
        not_front=frozenset(data["not_front_onsets"]),
        stop_codas=tuple(data["stop_codas"]),
        stop_tones=frozenset(data["stop_tones"]),
    )


def split_tone(word: str) -> tuple[str, str | None]:
    """Return the word (lower case, NFC) without its tone mark, and the tone's name."""
    tone = None
    kept = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        if ch in _TONES:
            if tone is not None:
                return "", "double"
            tone = _TONES[ch]
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _rhyme_ok(onset: str, rhyme: str, tone: str | None, s: _Syllables) -> bool:
    if rhyme not in s.rhymes:
        return False
    first = rhyme[0]
    if onset in s.front_only and first not in s.front:
        return False
    if onset in s.not_front and first in s.front:
        return False
    if onset == "qu" and rhyme.startswith(("u", "o")):
        return False
    if rhyme.endswith(s.stop_codas) and tone not in s.stop_tones:
        return False
    return True


def syllable_ok(word: str) -> bool:
    """True if ``word`` is a well-formed Vietnamese syllable (any case pattern but mixed)."""
    if not word or not (word.islower() or word.isupper() or word.istitle()):
        return False
    base, tone = split_tone(word)
    if tone == "double" or not base or any(ch not in _VI_LETTERS for ch in base):
        return False
    s = _syllables()
    if base == "gi" or base in s.rhymes and _rhyme_ok("", base, tone, s):
        return True
    for onset in s.onsets:
        if base.startswith(onset) and len(base) > len(onset):
            if _rhyme_ok(onset, base[len(onset) :], tone, s):
                return True
    return False


def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")


@lru_cache(maxsize=1 << 16)  # a page repeats its words; the verdict depends on the token only
def token_verdict(token: str) -> bool | None:
    """True: a valid syllable; False: not Vietnamese; None: neutral (number, abbreviation)."""
    if any(ch.isalpha() and not _is_latin(ch) for ch in token):
        return False  # Cyrillic, Greek, box-drawing ... in a Vietnamese text layer
    if not any(ch.isalpha() for ch in token):
        return None
    if any(ch.isdigit() for ch in token):
        return None  # 542, 09/11/2024, 42/2024/QH15
    if syllable_ok(token):
        return True
    if _ABBREVIATION.fullmatch(token):
        return None  # UBND, QĐ, HĐND, TTg-like caps
    return False


# web and e-mail addresses are words of no language: not judged ("Website ... : http://tphem.gdt.gov.vn/wps/portal"
# on a short last page made its text layer fail the check and go to OCR)
_ADDRESS = re.compile(r"(?i)(?:\bhttps?://|\bwww\.)\S+|(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+")


def text_validity(text: str) -> tuple[float, int]:
    """Share of judged tokens that are valid syllables, and the number judged
    (web and e-mail addresses are left out)."""
    good = bad = 0
    for token in _TOKEN_SPLIT.split(_ADDRESS.sub(" ", unicodedata.normalize("NFC", text))):
        verdict = token_verdict(token)
        if verdict is True:
            good += 1
        elif verdict is False:
            bad += 1
    judged = good + bad
    return (good / judged if judged else 0.0), judged


# A full A4 page of typed text carries about 2 500 characters (~27 per square inch);
# a text layer over a scanned image should come near half of that to be a real OCR layer.
CHARS_PER_SQIN_EXPECTED = 13.0


@dataclass(frozen=True)
class PageQuality:
    validity: float  # share of valid syllables
    judged: int  # tokens judged
    coverage: float  # 0..1, chars against what the scanned area should hold
    image_fraction: float  # share of the page covered by images
    score: float  # validity * coverage
    hidden_fraction: float = 0.0  # share of text objects drawn invisible (an OCR layer)
    foreign_words: int = 0  # words with letters of another alphabet (Cyrillic, Greek ...); scans only

    @property
    def scanned(self) -> bool:
        return self.image_fraction >= 0.5


def page_quality(
    text: str, page_sqin: float, image_fraction: float, hidden_fraction: float = 0.0
) -> PageQuality:
    """Score a page's text layer. ``page_sqin`` is the page area in square inches."""
    validity, judged = text_validity(text)
    chars = len("".join(text.split()))  # characters but white space (str.split splits on str.isspace)
    if image_fraction < 0.3:
        coverage = 1.0 if chars else 0.0  # born-digital page: any amount of text is the page
    else:
        expected = max(1.0, CHARS_PER_SQIN_EXPECTED * page_sqin * min(1.0, image_fraction))
        coverage = min(1.0, chars / expected)
    foreign = 0
    if image_fraction >= 0.5:  # another program's OCR layer: does it mix alphabets?
        foreign = sum(1 for token in set(_TOKEN_SPLIT.split(unicodedata.normalize("NFC", text))) if _foreign(token))
    return PageQuality(validity, judged, coverage, image_fraction, validity * coverage, hidden_fraction, foreign)


def _foreign(token: str) -> bool:
    return any(ch.isalpha() and not _is_latin(ch) for ch in token)


# Thresholds for trusting a text layer. A layer over a scan was made by another
# program's OCR; it is kept when it reads as Vietnamese, unless the caller forces
# OCR (--force-ocr). One word in another alphabet is enough to read it again:
# 134.pdf's layer has 95-98% valid syllables, yet "ВСТ-ВТC" in Cyrillic in its
# number and distribution list, and kept it lost the whole distribution list
# (8 of 8 entries, congvan eval --id 134) that our own OCR reads.
MIN_SCORE_BORN_DIGITAL = 0.6
MIN_VALIDITY_OVER_SCAN = 0.93
MIN_JUDGED = 8


def trust_text_layer(q: PageQuality, force_ocr: bool = False) -> bool:
    """Keep this page's text layer (True) or OCR the page (False). ``force_ocr``
    OCRs every scanned page whatever its text layer."""
    if q.scanned:
        if force_ocr or q.judged < MIN_JUDGED or q.coverage < 0.5 or q.foreign_words:
            return False  # forced, an empty or stamp-only layer, or one that mixes alphabets
        return q.validity >= MIN_VALIDITY_OVER_SCAN
    return q.score >= MIN_SCORE_BORN_DIGITAL


def rejection_reason(q: PageQuality, force_ocr: bool = False) -> str:
    """Why a page's text layer was not trusted, in words."""
    if q.judged == 0:
        return "no text layer"
    if q.scanned and q.coverage < 0.5:
        return f"a scan whose text layer covers {q.coverage:.0%} of it (a stamp-only layer)"
    if q.scanned and q.foreign_words and not force_ocr:
        return f"a scan whose text layer has {q.foreign_words} word(s) in another alphabet (Cyrillic, Greek ...), read again"
    if q.scanned and force_ocr and q.validity >= MIN_VALIDITY_OVER_SCAN:
        return f"a scan with a text layer ({q.validity:.0%} valid syllables), read again (--force-ocr)"
    return f"only {q.validity:.0%} of its words are Vietnamese syllables"


def cer(ref: str, hyp: str) -> float:
    """Character error rate: Levenshtein distance / len(ref). Both sides NFC."""
    a = unicodedata.normalize("NFC", ref)
    b = unicodedata.normalize("NFC", hyp)
    if not a:
        return 0.0 if not b else 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1] / len(a)
