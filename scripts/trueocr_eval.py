"""trueocr (PyPI, Apache-2.0, ONNX models in the wheel) against tesseract on
pages whose truth is known: the first page of each text-layer PDF of corpus/ is
rendered at 300 dpi (a clean scan), both engines read the PNG, and the
character error rate (Levenshtein / truth length, whitespace collapsed) is taken
against the PDF's own text layer (pdftotext -layout). CPU seconds are the
engines' own (tesseract: the child process; trueocr: this process, model load
excluded). trueocr is not a congvan dependency: run this in a venv that has it:

    python3 -m venv /tmp/tocr && /tmp/tocr/bin/pip install trueocr
    /tmp/tocr/bin/python scripts/trueocr_eval.py [--pages 6] [--dpi 300]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scripts.cer import first_page_truth, levenshtein, norm, text_pdfs  # noqa: E402


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--dpi", type=int, default=300)
    args = ap.parse_args()
    from trueocr import load_model

    model = load_model()
    pdfs = text_pdfs(args.pages)
    tot = {"tess": [0.0, 0.0], "true": [0.0, 0.0]}
    n = 0
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    with tempfile.TemporaryDirectory() as tmp:
        for pdf in pdfs:
            truth = first_page_truth(pdf, nfc=True)
            if len(truth) < 200:
                continue
            base = Path(tmp) / "page"
            subprocess.run(["pdftoppm", "-r", str(args.dpi), "-gray", "-f", "1", "-l", "1", "-singlefile", "-png", str(pdf), str(base)], check=True)
            png = str(base) + ".png"
            c0 = children_cpu()
            tess = subprocess.run(["tesseract", png, "-", "-l", "vie", "--psm", "3"], capture_output=True, text=True, env=env).stdout
            t_cpu = children_cpu() - c0
            c0 = time.process_time()
            true = model.predict(png).text
            r_cpu = time.process_time() - c0
            ct, cr = levenshtein(norm(tess, nfc=True), truth) / len(truth), levenshtein(norm(true, nfc=True), truth) / len(truth)
            tot["tess"][0] += ct
            tot["tess"][1] += t_cpu
            tot["true"][0] += cr
            tot["true"][1] += r_cpu
            n += 1
            print(f"{pdf.name:10} CER tesseract {ct:.3f} ({t_cpu:.1f} CPU-s)  trueocr {cr:.3f} ({r_cpu:.1f} CPU-s)", flush=True)
    if n:
        print(f"mean over {n} pages at {args.dpi} dpi: CER tesseract {tot['tess'][0] / n:.3f}, trueocr {tot['true'][0] / n:.3f}; "
              f"CPU seconds tesseract {tot['tess'][1]:.1f}, trueocr {tot['true'][1]:.1f}")


if __name__ == "__main__":
    main()
