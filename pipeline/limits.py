"""Limits on one document (issue 13): wall time, memory, text length and the
unpacked size of a Word file. Each has a default and an environment variable
(the batch's flags set the same variables, so worker processes see them); an
error past a limit names the limit and how to raise it.

Pages per PDF (CONGVAN_MAX_PAGES, ``--max-pages``) live in readers/pdf.py,
pixels per page (CONGVAN_MAX_PAGE_MPIX) in readers/ocr.py and the file size
(CONGVAN_MAX_FILE_MB) in readers/dispatch.py, next to the code they bound.
"""

from __future__ import annotations

import os
import re

TIMEOUT_ENV = "CONGVAN_TIMEOUT"
DEFAULT_TIMEOUT_S = 300.0

# Memory is RLIMIT_DATA (private writable memory: heap, anonymous mappings,
# thread stacks), not RLIMIT_AS: the address space also counts what is only
# reserved (glibc's per-thread malloc arenas, guard pages, shared libraries),
# which grows with the OCR threads, i.e. with the core count. A worker reading a
# scan peaks near 0.35 GB resident / 0.65 GB address space on this machine; each
# tesseract subprocess inherits the same limit for itself.
MAX_MEMORY_ENV = "CONGVAN_MAX_MEMORY"
DEFAULT_MAX_MEMORY_MB = 4096

MAX_CHARS_ENV = "CONGVAN_MAX_CHARS"
DEFAULT_MAX_CHARS = 2_000_000  # about 700 pages of a typed document

MAX_UNZIPPED_ENV = "CONGVAN_MAX_UNZIPPED_MB"
DEFAULT_MAX_UNZIPPED_MB = 250
# a part of a Word file packed tighter than this (and over 1 MB unpacked) is a zip bomb
MAX_ZIP_RATIO = 100
ZIP_RATIO_MIN_BYTES = 1 << 20


class LimitValueError(ValueError):
    """A limit given in a form that cannot be read ("4 gigs")."""


def _env_number(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        return default


def timeout_s() -> float:
    """Seconds one document may take in a batch (0: no limit)."""
    return max(0.0, _env_number(TIMEOUT_ENV, DEFAULT_TIMEOUT_S))


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.I)
_FACTOR_MB = {"": 1.0, "k": 1 / 1024, "m": 1.0, "g": 1024.0, "t": 1024.0 * 1024}


def parse_megabytes(text: str) -> int:
    """'4G', '4096M', '4096' (megabytes), '0' (no limit) -> megabytes."""
    m = _SIZE.match(text)
    if not m:
        raise LimitValueError(f"{text!r} is not a size (say 4G or 4096M)")
    return int(float(m.group(1)) * _FACTOR_MB[m.group(2).lower()])


def max_memory_mb() -> int:
    """Megabytes of memory one document may use in a batch worker (0: no limit)."""
    value = os.environ.get(MAX_MEMORY_ENV)
    if not value:
        return DEFAULT_MAX_MEMORY_MB
    try:
        return parse_megabytes(value)
    except LimitValueError:
        return DEFAULT_MAX_MEMORY_MB


def max_chars() -> int:
    """Characters of text one document may have once read (0: no limit)."""
    return int(_env_number(MAX_CHARS_ENV, DEFAULT_MAX_CHARS))


def max_unzipped_bytes() -> int:
    """Bytes a Word file may unpack to."""
    return int(_env_number(MAX_UNZIPPED_ENV, DEFAULT_MAX_UNZIPPED_MB) * 1024 * 1024)


def too_long(chars: int, at_least: bool = False) -> str | None:
    """The reason a text of ``chars`` characters is refused, or None."""
    limit = max_chars()
    if limit and chars > limit:
        return (
            f"the text is too long ({'at least ' if at_least else ''}{chars:,} characters; the limit is {limit:,}: "
            f"set {MAX_CHARS_ENV} or --max-chars to raise it)"
        )
    return None


def timeout_reason(seconds: float) -> str:
    return (
        f"stopped after {seconds:.0f} s: the time limit per document "
        f"(raise it with --timeout SECONDS or {TIMEOUT_ENV}; 0 for none)"
    )


def memory_reason(mb: int) -> str:
    return (
        f"stopped: it needed more than {mb} MB of memory, the limit per document "
        f"(raise it with --max-memory, e.g. --max-memory 8G, or {MAX_MEMORY_ENV}; 0 for none)"
    )
