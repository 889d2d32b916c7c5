"""Export speed: seconds per format for N tasks (default 10,000), built by
repeating real pipeline outputs of the corpus's text documents.

    .venv/bin/python scripts/bench_exports.py                 # extract corpus/docs/*.txt, then time
    .venv/bin/python scripts/bench_exports.py --source DIR    # outputs of `congvan extract … --out DIR`
    .venv/bin/python scripts/bench_exports.py --openpyxl      # also the register written by openpyxl write-only

Each format is written to a file with export_to_path (atomic, XML validated per
document and again as a whole), best of --runs. A separate untimed pass gives
the peak Python memory of each writer (tracemalloc), to show that it streams.
Reading the documents back (JSON lines, pydantic validation) is timed apart:
the command line pays it once whatever the format.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import DirectiveDocument  # noqa: E402
from pipeline.export import FORMATS, DocumentSource, export_to_path  # noqa: E402
from pipeline.export.rows import columns, task_values  # noqa: E402


def corpus_outputs(source: Path | None) -> list[DirectiveDocument]:
    if source is not None:
        return list(DocumentSource(source))
    from pipeline import extract

    return [extract(p) for p in sorted((ROOT / "corpus" / "docs").glob("*.txt"))]


def repeated(base: list[DirectiveDocument], tasks: int) -> list[DirectiveDocument]:
    """Copies of the real outputs, each a distinct document (its own hash and path), until ``tasks`` tasks."""
    out: list[DirectiveDocument] = []
    n = 0
    i = 0
    while n < tasks:
        doc = base[i % len(base)]
        i += 1
        if n + len(doc.tasks) > tasks:
            doc = doc.model_copy(update={"tasks": doc.tasks[: tasks - n]})
        src = doc.source.model_copy(
            update={"sha256": hashlib.sha256(f"{doc.source.sha256}/{i}".encode()).hexdigest(), "path": f"{doc.source.path}#{i}"}
        )
        out.append(doc.model_copy(update={"source": src}))
        n += len(doc.tasks)
    return out


def openpyxl_register(docs: list[DirectiveDocument], path: Path) -> None:
    """The register sheet's rows written by openpyxl's write-only mode: the alternative measured."""
    import datetime as dt

    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    spec = columns()["register"]
    keys = [c["key"] for c in spec["columns"]]
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(spec["sheet"])
    ws.freeze_panes = "A2"
    ws.append([c["title"] for c in spec["columns"]])
    for doc in docs:
        for task in doc.tasks:
            values = task_values(doc, task)
            row = []
            for k in keys:
                cell = WriteOnlyCell(ws, value=values[k])
                if isinstance(values[k], dt.date):
                    cell.number_format = "DD/MM/YYYY"
                elif isinstance(values[k], str):
                    cell.data_type = "s"
                row.append(cell)
            ws.append(row)
    wb.save(path)


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--source", type=Path, help="folder or JSONL of congvan outputs (default: extract corpus/docs/*.txt)")
    ap.add_argument("--openpyxl", action="store_true", help="also time the register written by openpyxl write-only")
    args = ap.parse_args()

    base = corpus_outputs(args.source)
    if not any(d.tasks for d in base):
        sys.exit("bench_exports: the source has no tasks")
    docs = repeated(base, args.tasks)
    n_tasks = sum(len(d.tasks) for d in docs)
    print(f"{len(docs)} documents, {n_tasks} tasks (from {len(base)} real outputs, repeated); best of {args.runs}")
    # the calendar takes only dated tasks: also time it with every task dated (a real corpus deadline)
    deadline = next(t.deadline for d in base for t in d.tasks if t.deadline and t.deadline.date and len(t.deadline.date) == 10)
    dated = [d.model_copy(update={"tasks": [t.model_copy(update={"deadline": deadline}) for t in d.tasks]}) for d in docs]
    print(f"{'format':8} {'seconds':>8} {'tasks/s':>9} {'records':>8} {'MB':>7} {'peak MB':>8}")
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        for fmt, label, these in [*((f, f, docs) for f in FORMATS), ("ics", "ics*", dated)]:
            path = Path(tmp) / f"out.{fmt}"
            secs = best_of(args.runs, lambda fmt=fmt, path=path, these=these: export_to_path(these, fmt, path, force=True))
            tracemalloc.start()
            counts = export_to_path(these, fmt, path, force=True)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"{label:8} {secs:8.2f} {n_tasks / secs:9.0f} {counts.written:8} "
                f"{path.stat().st_size / 1e6:7.1f} {peak / 1e6:8.1f}"
            )
        print("ics*: every task given a dated deadline, so that each becomes a to-do")
        if args.openpyxl:
            path = Path(tmp) / "openpyxl.xlsx"
            secs = best_of(args.runs, lambda: openpyxl_register(docs, path))
            print(f"{'openpyxl':8} {secs:8.2f} {n_tasks / secs:9.0f} {n_tasks:8} {path.stat().st_size / 1e6:7.1f}  (register sheet only, write-only mode)")
        jl = Path(tmp) / "out.jsonl"  # written above
        secs = best_of(args.runs, lambda: sum(1 for _ in DocumentSource(jl)))
        print(f"reading the {len(docs)} documents back from JSON lines and validating them: {secs:.2f} s")


if __name__ == "__main__":
    main()
