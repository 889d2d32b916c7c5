"""Add shared/corpus-raw-2 to corpus/manifest.jsonl (run once; idempotent).

Kind says how the text reaches the pipeline (corpus/README.md): text files and
someone else's OCR are `text`, Word files `word`, PDFs with a usable text layer
`pdf-text`, scans, images and PDFs whose text layer is broken `scan`. The PDF
kinds are those of shared/corpus-raw-2/SOURCES.md's format column.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus-raw-2"
FORMATS = {".txt": "text", ".md": "markdown", ".pdf": "pdf", ".jpg": "image", ".docx": "docx", ".doc": "docx"}


def kind_of(ext: str, fmt_col: str) -> str:
    if ext in (".txt", ".md"):
        return "text"
    if ext in (".docx", ".doc"):
        return "word"
    if ext == ".jpg":
        return "scan"
    col = fmt_col.lower()
    if "scan" in col or "broken" in col or "defective" in col:
        return "scan"
    return "pdf-text"


def main() -> None:
    manifest = ROOT / "corpus" / "manifest.jsonl"
    have = {json.loads(line)["id"] for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()}
    rows = []
    for line in (RAW / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*(\d{3})(\.\w+)\s*\|(.*)", line)
        if not m:
            continue
        cols = [c.strip() for c in m.group(3).split("|")]
        ident, ext = m.group(1), m.group(2)
        if ident in have:
            continue
        rows.append({
            "id": ident,
            "file": f"docs/{ident}{ext}",
            "format": FORMATS[ext],
            "kind": kind_of(ext, cols[5] if len(cols) > 5 else ""),
            "provenance": f"shared/corpus-raw-2/{ident}{ext}: {cols[0]} ({cols[1]}; {cols[2]})",
        })
    with manifest.open("a", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"added {len(rows)} documents")


if __name__ == "__main__":
    main()
