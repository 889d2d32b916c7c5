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
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.readers.ocr import prepare_page, run_tesseract  # noqa: E402
from scripts.cer import first_page_truth, levenshtein, norm, text_pdfs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--long-side", type=int, default=960)
    ap.add_argument("--pages", type=int, default=8)
    args = ap.parse_args()
    pdfs = text_pdfs(args.pages)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pdf in pdfs:
            truth = first_page_truth(pdf)
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
