"""CPU seconds per scanned page: the pipeline against bare tesseract on the same pages,
measured as ``congvan bench`` measures its scan figure (pipeline/bench.py's
pipeline_files and baseline_tesseract, each in a fresh process pinned to one CPU),
without the rest of the bench. The pages: the corpus's scanned PDFs, fewest pages
first (as the bench picks them) until there are PAGES, or the PDFs named.

    .venv/bin/python scripts/scan_cpu.py [--pages 12] [corpus/docs/129.pdf ...]

Prints pages, CPU-s and seconds per page of each side, the CPU ratio and the
pipeline's stage timings per page. Compare two commits by running it with
PYTHONPATH set to each checkout.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=12)
    ap.add_argument("pdfs", nargs="*", type=Path)
    args = ap.parse_args()
    import pypdfium2 as pdfium

    from pipeline import bench

    corpus = ROOT / "corpus"
    if args.pdfs:
        chosen = [p.resolve() for p in args.pdfs]
    else:
        entries = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
        scans = sorted(
            (corpus / e["file"] for e in entries if e["kind"] == "scan" and e["file"].endswith(".pdf")),
            key=lambda p: (len(pdfium.PdfDocument(str(p))), p.name),
        )
        chosen, pages = [], 0
        for pdf in scans:
            if pages >= args.pages:
                break
            chosen.append(pdf)
            pages += len(pdfium.PdfDocument(str(pdf)))
    tmp = Path(tempfile.mkdtemp(prefix="scan-cpu-"))
    pngs: list[str] = []
    for pdf in chosen:
        pngs += bench.render_pdf_pages(pdf, tmp, pdf.stem)
    warm = str(min(chosen, key=lambda p: len(pdfium.PdfDocument(str(p)))))
    sp = bench.in_worker(bench.pipeline_files, [str(p) for p in chosen], str(tmp / "out"), warm, cpu=0)
    bare = bench.in_worker(bench.baseline_tesseract, pngs, True, cpu=0)
    records = sp["records"]
    pages = sum(r.get("pages") or 0 for r in records)
    p_cpu, b_cpu = sum(r["cpu_seconds"] for r in records), sum(bare["cpu_seconds"])
    stages: dict[str, float] = {}
    for r in records:
        for k, v in (r.get("timings") or {}).items():
            stages[k] = stages.get(k, 0.0) + v
    print(f"{len(chosen)} PDFs, {pages} pages (bare: {len(pngs)} page images); 1 CPU each side", file=sys.stderr)
    print(
        json.dumps(
            {
                "pages": pages,
                "pipeline_cpu_s_per_page": round(p_cpu / pages, 3),
                "bare_tesseract_cpu_s_per_page": round(b_cpu / len(pngs), 3),
                "cpu_ratio": round(p_cpu / b_cpu, 3),
                "pipeline_s_per_page": round(sum(r["seconds"] for r in records) / pages, 3),
                "bare_s_per_page": round(sum(bare["seconds"]) / len(pngs), 3),
                "stage_seconds_per_page": {k: round(v / pages, 3) for k, v in sorted(stages.items(), key=lambda kv: -kv[1])[:8]},
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
