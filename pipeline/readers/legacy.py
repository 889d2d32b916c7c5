"""Legacy 8-bit Vietnamese encodings (TCVN3/ABC, VNI) typed as Latin-1 text -> Unicode.

The tables are data: resources/legacy_tcvn3.yaml and resources/legacy_vni.yaml.
Text is in a legacy encoding when converting it raises the share of valid
Vietnamese syllables clearly (``detect_legacy``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from pipeline.readers.quality import text_validity
from pipeline.readers.resource_files import load_resource

ENCODINGS = ("tcvn3", "vni")
# Vietnamese letters that exist only in Unicode: their presence means the text is not legacy.
_UNICODE_VI = re.compile("[\u0102\u0103\u0110\u0111\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]")


@cache
def _table(encoding: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """(pattern of legacy sequences, longest first; legacy -> Unicode)."""
    chars: dict[str, str] = load_resource(f"legacy_{encoding}")["chars"]
    reverse = {legacy: uni for uni, legacy in chars.items()}
    keys = sorted(reverse, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys)), reverse


@cache
def _encode_table(encoding: str) -> dict[str, str]:
    return dict(load_resource(f"legacy_{encoding}")["chars"])


def _fix_case(line: str) -> str:
    """ABC 'H' fonts draw capitals from lower-case codes: re-capitalise all-caps text.

    A line whose ASCII letters are nearly all capitals is upper-cased; elsewhere a
    word with two or more ASCII capitals and no ASCII lower-case letter is.
    """
    ascii_letters = [c for c in line if c.isascii() and c.isalpha()]
    if len(ascii_letters) >= 4 and sum(c.isupper() for c in ascii_letters) >= 0.8 * len(ascii_letters):
        return line.upper()

    def word_case(m: re.Match[str]) -> str:
        word = m.group(0)
        upper = sum(1 for c in word if c.isascii() and c.isupper())
        lower = sum(1 for c in word if c.isascii() and c.islower())
        return word.upper() if upper >= 2 and not lower else word

    return re.sub(r"\S+", word_case, line)


def _capitalize_sentence_starts(text: str) -> str:
    """A converted lower-case letter that starts a line or a sentence was a capital."""
    return re.sub(
        r"(^|[.!?]\s+)([^\W\d_])",
        lambda m: m.group(1) + m.group(2).upper() if not m.group(2).isascii() else m.group(0),
        text,
        flags=re.M,
    )


def legacy_to_unicode(text: str, encoding: str) -> str:
    """Convert text whose characters are legacy bytes read as Latin-1 into NFC Unicode."""
    pattern, reverse = _table(encoding)
    out = pattern.sub(lambda m: reverse[m.group(0)], text)
    if encoding == "tcvn3":
        out = "\n".join(_fix_case(line) for line in out.split("\n"))
        out = _capitalize_sentence_starts(out)
    return unicodedata.normalize("NFC", out)


def unicode_to_legacy(text: str, encoding: str) -> str:
    """The reverse, for tests and fixtures: Unicode -> legacy characters (Latin-1 code points).

    TCVN3 has no upper-case toned letters: they are written with the lower-case codes.
    """
    table = _encode_table(encoding)
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in table:
            out.append(table[ch])
        elif encoding == "tcvn3" and ch.lower() in table and ch.lower() != ch:
            out.append(table[ch.lower()])
        else:
            out.append(ch)
    return "".join(out)


def might_be_legacy(text: str) -> bool:
    """Cheap pre-check: 8-bit Latin letters present and no Unicode-only Vietnamese letters."""
    if _UNICODE_VI.search(text):
        return False
    high = sum(1 for ch in text if "\u00a0" <= ch <= "\u00ff")
    return high >= 3 and high >= 0.01 * max(1, len(text))


def detect_legacy(text: str) -> tuple[str | None, str]:
    """Return (encoding, converted text) when ``text`` is TCVN3 or VNI, else (None, text)."""
    if not might_be_legacy(text):
        return None, text
    before, judged = text_validity(text)
    best: tuple[float, str | None, str] = (before, None, text)
    for candidate in ENCODINGS:
        converted = legacy_to_unicode(text, candidate)
        score, _ = text_validity(converted)
        if score > best[0]:
            best = (score, candidate, converted)
    score, found, converted = best
    if found is None or score < 0.6 or score - before < 0.15:
        return None, text
    return found, converted
