"""The `congvan` command: thin wrappers of library functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(add_completion=False, help="Vietnamese administrative documents to trackable tasks.")


@app.command()
def extract(
    paths: Annotated[list[str], typer.Argument(help="files or folders; '-' reads standard input")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="folder for <stem>.json outputs")] = None,
    jsonl: Annotated[Path | None, typer.Option("--jsonl", help="append one JSON line per document")] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", help="worker processes (default: cores)")] = 0,
    force: Annotated[bool, typer.Option("--force", help="redo inputs that already have an output")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Extract documents to the contract JSON."""
    import os

    from pipeline.batch import print_error, run_batch

    if paths == ["-"]:
        from pipeline import extract as extract_one

        data = sys.stdin.buffer.read()
        try:
            doc = extract_one(data, name="stdin")
        except Exception as e:  # InputError and friends
            print(f"congvan: standard input: {getattr(e, 'reason', e)}", file=sys.stderr)
            raise typer.Exit(1) from None
        payload = doc.model_dump_json(indent=1)
        if out:
            out.mkdir(parents=True, exist_ok=True)
            (out / "stdin.json").write_text(payload, encoding="utf-8")
        if jsonl:
            with jsonl.open("a", encoding="utf-8") as fh:
                fh.write(doc.model_dump_json() + "\n")
        if not out and not jsonl:
            print(payload)
        return
    if out is None and jsonl is None:
        print("congvan: give --out DIR or --jsonl FILE", file=sys.stderr)
        raise typer.Exit(2)
    n_workers = workers or (os.cpu_count() or 1)
    bar = _Progress(enabled=not quiet and sys.stderr.isatty())
    res = run_batch(paths, out, workers=n_workers, force=force, jsonl=jsonl, progress=bar.update)
    bar.close()
    for err in res.errors:
        print_error(err)
    rate = res.pages / res.seconds if res.seconds else 0.0
    print(
        f"congvan: {res.ok} ok, {res.partial} partial, {res.failed} failed, {res.skipped} skipped "
        f"(unchanged) in {res.seconds:.1f}s, {rate:.1f} pages/s"
        + (f"; JSON in {out}" if out else "")
        + (f"; JSON lines in {jsonl}" if jsonl else ""),
        file=sys.stderr,
    )
    if res.failed:
        raise typer.Exit(1)


class _Progress:
    """One status line on stderr: files, pages, ETA, current file."""

    def __init__(self, enabled: bool) -> None:
        import time

        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.pages = 0

    def update(self, rec: dict[str, Any], done: int, total: int) -> None:
        import time

        self.pages += rec.get("pages", 0) or 0
        if not self.enabled:
            return
        el = time.perf_counter() - self.t0
        eta = el / done * (total - done) if done else 0.0
        name = Path(rec["path"]).name[:40]
        sys.stderr.write(f"\r[{done}/{total}] {self.pages} pages, ETA {eta:5.0f}s  {name:<40}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


@app.command("eval")
def eval_cmd(
    pred: Annotated[Path, typer.Argument(help="folder of predicted <stem>.json")],
    corpus: Annotated[Path, typer.Option(help="corpus folder with manifest.jsonl and gold/")] = Path("corpus"),
    kind: Annotated[list[str] | None, typer.Option(help="only documents of this kind: text, pdf-text, scan")] = None,
    ids: Annotated[list[str] | None, typer.Option("--id", help="only these document ids")] = None,
    misses: Annotated[int, typer.Option(help="misses to print per field")] = 20,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the scores as JSON")] = None,
) -> None:
    """Score predictions against the gold files: per-field P/R/F1 and the misses."""
    from pipeline.evaluate import evaluate, format_table

    counts, n = evaluate(pred, corpus, set(kind) if kind else None, set(ids) if ids else None)
    print(format_table(counts, n, misses))
    if json_out:
        json_out.write_text(
            json.dumps({k: {"p": c.p, "r": c.r, "f1": c.f1, "tp": c.tp, "fp": c.fp, "fn": c.fn} for k, c in counts.items()}, indent=1),
            encoding="utf-8",
        )


@app.command()
def bench(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON results; the corpus is cached beside it")] = Path(
        "bench-results/bench.json"
    ),
    docs: Annotated[int | None, typer.Option(help="text documents (default 1000; 40 with --quick)")] = None,
    scan_pages: Annotated[int | None, typer.Option(help="scanned pages (default 50; 3 with --quick)")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="a tiny run, for tests")] = False,
) -> None:
    """Benchmark: docs/s and pages/s per input kind, stages, baselines, scaling, memory."""
    from pipeline.bench import BenchConfig, format_report, run_bench

    res = run_bench(BenchConfig.make(docs, scan_pages, quick), out)
    print(format_report(res))
    print(f"results in {out}", file=sys.stderr)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the output."""
    from models import json_schema

    print(json.dumps(json_schema(), ensure_ascii=False, indent=2))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
