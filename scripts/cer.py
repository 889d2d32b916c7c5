"""Character error of OCR against pages whose truth is known, shared by the
OCR evaluation scripts (numpy only: it also runs in a venv without congvan's
dependencies, e.g. scripts/trueocr_eval.py's)."""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from pathlib import Path

import numpy as np

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def levenshtein(a: str, b: str) -> int:
    """Edit distance, one numpy row at a time (insertions by a running minimum)."""
    if not a:
        return len(b)
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    prev = np.arange(len(b) + 1, dtype=np.int64)
    idx = np.arange(len(b) + 1, dtype=np.int64)
    for i, ch in enumerate(a, 1):
        cost = (bb != ord(ch)).astype(np.int64)
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        prev = np.minimum.accumulate(cur - idx) + idx
    return int(prev[-1])


def norm(s: str, nfc: bool = False) -> str:
    """Whitespace collapsed (and NFC when asked: an engine may write decomposed marks)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s) if nfc else s).strip()


def text_pdfs(n: int) -> list[Path]:
    """The first ``n`` text-layer PDFs of corpus/ (manifest order)."""
    entries = [json.loads(x) for x in (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    return [CORPUS / e["file"] for e in entries if e["kind"] == "pdf-text"][:n]


def first_page_truth(pdf: Path, nfc: bool = False) -> str:
    """The first page's own text layer (pdftotext -layout), normalised."""
    out = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    return norm(out, nfc)
