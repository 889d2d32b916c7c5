"""CPU split of the text-PDF path: the PDF reader against every other stage, as the bench runs it.

Usage: python scripts/pdf_cpu_split.py DIR_OF_PDFS
(e.g. the pdf/ folder of a `congvan bench` corpus: bench-results/corpus-*/pdf)

Runs batch.process_one (JSON written) on each PDF of DIR in this process after one
warm-up document; CPU = RUSAGE_SELF + RUSAGE_CHILDREN (pdftotext and tesseract
included) around read_pdf and around each stage.
"""

from __future__ import annotations

import resource
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pipeline.readers.pdf as pdf_reader  # noqa: E402
import pipeline.stage as stage  # noqa: E402
from pipeline.batch import process_one  # noqa: E402


def cpu() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def main(folder: Path) -> None:
    reader = [0.0]
    stage_cpu: dict[str, float] = defaultdict(float)
    read_pdf = pdf_reader.read_pdf

    def timed_read_pdf(*args: Any, **kwargs: Any) -> Any:
        c = cpu()
        try:
            return read_pdf(*args, **kwargs)
        finally:
            reader[0] += cpu() - c

    def run(self: stage.Pipeline, state: Any) -> Any:
        for st in self.stages:
            c = cpu()
            state = st(state)
            stage_cpu[st.name] += cpu() - c
        return state

    pdf_reader.read_pdf = timed_read_pdf  # type: ignore[assignment]
    stage.Pipeline.run = run  # type: ignore[method-assign]
    paths = sorted(folder.glob("*.pdf"))
    if not paths:
        sys.exit(f"no PDF in {folder}")
    out = Path(tempfile.mkdtemp(prefix="pdf-cpu-split-"))
    process_one(str(paths[0]), str(out / "warm-up.json"))
    reader[0] = 0.0
    stage_cpu.clear()
    c0, pages = cpu(), 0
    for p in paths:
        pages += process_one(str(p), str(out / f"{p.stem}.json")).get("pages") or 0
    total = cpu() - c0
    stages = sum(v for k, v in stage_cpu.items() if k != "read")
    print(f"{len(paths)} PDFs, {pages} pages, {total:.2f} CPU-s = {pages / total:.1f} pages/CPU-s")
    print(f"  PDF reader (read_pdf)             {reader[0]:6.2f} ({100 * reader[0] / total:.0f}%)")
    print(f"  rest of the read stage (OCR tones) {stage_cpu['read'] - reader[0]:6.2f}")
    print(f"  other stages                       {stages:6.2f} ({100 * stages / total:.0f}%)")
    print(f"  JSON dump + write, the rest        {total - stage_cpu['read'] - stages:6.2f}")
    for k, v in sorted(stage_cpu.items(), key=lambda kv: -kv[1]):
        print(f"    {k:12s} {v:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
