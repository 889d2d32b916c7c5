"""Does enlarging a small photo before tesseract help? Measured on pages whose
truth is known: the first page of each text-layer PDF of corpus/ is rendered at
a phone-photo resolution (long side ~960 px, no DPI in the file, like a chat
photo), OCRed as congvan does (pipeline.readers.ocr.prepare_page + tesseract),
without and with the enlargement, and the character error rate (Levenshtein
distance / truth length, whitespace collapsed) is computed against the PDF's own
text layer (pdftotext -layout).

    .venv/bin/python scripts/photo_upscale_eval.py [--long-side 960] [--pages 8]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.readers.ocr import prepare_page, run_tesseract  # noqa: E402


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
        cur = np.minimum.accumulate(cur - idx) + idx
        prev = cur
    return int(prev[-1])


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--long-side", type=int, default=960)
    ap.add_argument("--pages", type=int, default=8)
    args = ap.parse_args()
    root = Path(__file__).resolve().parents[1] / "corpus"
    entries = [json.loads(x) for x in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    pdfs = [root / e["file"] for e in entries if e["kind"] == "pdf-text"][: args.pages]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pdf in pdfs:
            truth = norm(subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
                                        capture_output=True, text=True).stdout)
            if len(truth) < 200:
                continue
            big = Path(tmp) / "page"
            subprocess.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-singlefile", "-png", str(pdf), str(big)], check=True)
            im = Image.open(str(big) + ".png").convert("RGB")
            f = args.long_side / max(im.size)
            photo = im.resize((round(im.width * f), round(im.height * f)), Image.Resampling.LANCZOS)
            row = {"doc": pdf.name, "size": photo.size}
            for label, up in (("native", False), ("enlarged", True)):
                gray, _ = prepare_page(photo, None, upscale=up)
                png = Path(tmp) / f"{label}.png"
                Image.fromarray(gray).save(png)
                text, _, _, secs = run_tesseract(png)
                row[label] = levenshtein(norm(text), truth) / len(truth)
                row[label + "_s"] = secs
            rows.append(row)
            print(f"{row['doc']:10} {row['size'][0]}x{row['size'][1]}  CER native {row['native']:.3f}  enlarged {row['enlarged']:.3f}"
                  f"  (tesseract {row['native_s']:.1f} s / {row['enlarged_s']:.1f} s)", flush=True)
    if rows:
        n = len(rows)
        print(f"mean over {n} pages: CER native {sum(r['native'] for r in rows) / n:.3f}, "
              f"enlarged {sum(r['enlarged'] for r in rows) / n:.3f}; tesseract seconds "
              f"{sum(r['native_s'] for r in rows):.1f} vs {sum(r['enlarged_s'] for r in rows):.1f}")


if __name__ == "__main__":
    main()
