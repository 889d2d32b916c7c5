"""The `congvan` command: thin wrappers of library functions."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core

# typer prints an argument's Python type in help ("PATH... <list[str]>"): a clerk needs the name only
typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign,assignment]

EXIT_OK, EXIT_INPUT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _version(value: bool) -> None:
    if value:
        from pipeline import __version__
        from pipeline.batch import pipeline_version

        print(f"congvan {__version__} (pipeline {pipeline_version()})")
        raise typer.Exit(0)


app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Vietnamese administrative documents to trackable tasks.")


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, metavar="", help="print the version and exit")
    ] = False,
) -> None:
    """Vietnamese administrative documents to trackable tasks."""


def _log_level(quiet: bool, verbose: int) -> int:
    return logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)


def default_workers(paths: list[str]) -> int:
    """1 worker for small text batches, one per core otherwise.

    Measured (README 'A batch'): on 17 text files 2 workers took about the
    same wall time as 1 for 60% more CPU; PDFs, scans and large batches pay a
    worker's start-up back many times over.
    """
    from pipeline.readers.dispatch import TEXT_SUFFIXES

    cores = os.cpu_count() or 1
    light, heavy = 0, 0
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for i, f in enumerate(path.rglob("*")):
                if i > 5000:
                    return cores
                if f.suffix.lower() in TEXT_SUFFIXES:
                    light += 1
                elif f.is_file():
                    heavy += 1
        elif path.suffix.lower() in TEXT_SUFFIXES:
            light += 1
        else:
            heavy += 1
    return 1 if heavy == 0 and light < 200 else cores


@app.command()
def extract(
    paths: Annotated[list[str], typer.Argument(metavar="PATH...", help="files or folders; '-' alone reads standard input")],
    out_arg: Annotated[
        str | None, typer.Option("--out", "-o", metavar="DIR", help="write DIR/<path in the input folder>.json per document (a path, file:// or s3:// URL)")
    ] = None,
    jsonl: Annotated[
        str | None, typer.Option("--jsonl", metavar="FILE", help="one JSON line per document ('-': standard output)")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", "-w", metavar="N", help="worker processes (default: 1 for fewer than 200 text files, else one per core)")
    ] = 0,
    force: Annotated[bool, typer.Option("--force", metavar="", help="redo inputs that already have an output")] = False,
    follow_symlinks: Annotated[
        bool, typer.Option("--follow-symlinks", metavar="", help="follow symbolic links out of the input folders")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", metavar="SECONDS", help="time limit per document (default 300, $CONGVAN_TIMEOUT; 0: none)")
    ] = None,
    max_memory: Annotated[
        str | None, typer.Option("--max-memory", metavar="SIZE", help="memory limit per document, e.g. 4G (default 4G, $CONGVAN_MAX_MEMORY; 0: none)")
    ] = None,
    max_pages: Annotated[
        int | None, typer.Option("--max-pages", metavar="N", help="pages a PDF may have (default 1000, $CONGVAN_MAX_PAGES)")
    ] = None,
    max_chars: Annotated[
        int | None, typer.Option("--max-chars", metavar="N", help="characters a document's text may have (default 2000000, $CONGVAN_MAX_CHARS)")
    ] = None,
    force_ocr: Annotated[
        bool, typer.Option("--force-ocr", metavar="", help="OCR scanned PDF pages even when their text layer (another program's OCR) passes the quality check; with --force to redo earlier outputs")
    ] = False,
    ocr_engine: Annotated[
        str | None, typer.Option("--ocr", metavar="ENGINE", help="OCR engine for scans and photos: tesseract (default, $CONGVAN_OCR_ENGINE) or trueocr (pip install \"congvan[trueocr]\"); with --force to redo earlier outputs")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", metavar="ENGINE", help="local (worker processes here) or dask (a Dask cluster: pip install \"congvan[dask]\")")
    ] = "local",
    address: Annotated[
        str | None, typer.Option("--address", metavar="URL", help="--engine dask: the scheduler, e.g. tcp://HOST:8786 (default: a cluster of --workers processes here)")
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", metavar="URL", help="s3:// on an S3-compatible store (MinIO …), e.g. http://HOST:9000 ($CONGVAN_S3_ENDPOINT_URL)")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="print only errors")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, metavar="", help="more detail (-vv: debug)")] = 0,
) -> None:
    """Extract documents to the contract JSON. Exit codes: 0 done, 1 some input failed,
    2 bad command line or output path, 130 interrupted (finished work is kept)."""
    from pipeline.batch import BatchSetupError, print_error, run_batch
    from pipeline.limits import LimitValueError, parse_megabytes
    from pipeline.locations import LocationError, is_store_url, local_path, resolve

    if endpoint_url:  # read by pipeline/stores.py here and in the workers (it travels with Dask tasks)
        os.environ["CONGVAN_S3_ENDPOINT_URL"] = endpoint_url
    try:  # file:// URLs name local paths; s3:// URLs stay URLs (pipeline/stores.py)
        paths = [resolve(p, "input") for p in paths]
        out_dest = resolve(out_arg, "--out") if out_arg is not None else None
        out: Path | str | None = out_dest if out_dest is None or is_store_url(out_dest) else Path(out_dest)
        jsonl = local_path(jsonl, "--jsonl") if jsonl is not None else None
    except LocationError as e:
        print(f"congvan: {e}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE) from None

    # the readers (here and in the workers) read the page and text limits from the environment
    if max_pages is not None:
        os.environ["CONGVAN_MAX_PAGES"] = str(max_pages)
    if max_chars is not None:
        os.environ["CONGVAN_MAX_CHARS"] = str(max_chars)
    if force_ocr:
        os.environ["CONGVAN_FORCE_OCR"] = "1"
    if ocr_engine is not None:
        from pipeline.readers.ocr_engines import ENGINE_ENV, engine_problem

        problem = engine_problem(ocr_engine)
        if problem:
            print(f"congvan: --ocr {ocr_engine}: {problem}", file=sys.stderr)
            raise typer.Exit(EXIT_USAGE)
        os.environ[ENGINE_ENV] = ocr_engine.strip().lower()  # read by the readers here and in the workers
    try:
        memory_mb = parse_megabytes(max_memory) if max_memory is not None else None
    except LimitValueError as e:
        print(f"congvan: --max-memory: {e}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE) from None

    logging.basicConfig(level=_log_level(quiet, verbose), format="congvan: %(message)s", stream=sys.stderr)
    if "-" in paths:
        if paths != ["-"]:
            print("congvan: '-' (standard input) cannot be mixed with other inputs", file=sys.stderr)
            raise typer.Exit(EXIT_USAGE)
        if isinstance(out, str):
            print("congvan: standard input: --out must be a local folder", file=sys.stderr)
            raise typer.Exit(EXIT_USAGE)
        raise typer.Exit(_extract_stdin(out, jsonl))
    if out is None and jsonl is None:
        print("congvan: give --out DIR or --jsonl FILE", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    n_workers = workers or (os.cpu_count() or 1 if any(map(is_store_url, paths)) else default_workers(paths))
    bar = _Progress(enabled=not quiet and sys.stderr.isatty())
    try:
        res = run_batch(
            paths, out, workers=n_workers, force=force, jsonl=jsonl, follow_symlinks=follow_symlinks,
            timeout=timeout, max_memory_mb=memory_mb, progress=bar.update, on_start=bar.start,
            engine=engine, address=address, keep_records=False,
        )
    except BatchSetupError as e:
        print(f"congvan: {e}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE) from None
    bar.close()
    for err in res.errors:
        if err.get("status") == "failed" or verbose:
            print_error(err)
    rate = res.pages / res.seconds if res.seconds else 0.0
    if not quiet or res.interrupted:
        print(
            f"congvan: {res.ok} ok, {res.partial} partial, {res.failed} failed, {res.skipped} skipped "
            f"(unchanged), {res.not_read} not documents or not followed, in {res.seconds:.1f}s, {rate:.1f} pages/s"
            + (f"; JSON in {out}" if out else "")
            + (f"; JSON lines in {jsonl}" if jsonl and jsonl != "-" else ""),
            file=sys.stderr,
        )
    if res.interrupted:
        print(
            f"congvan: interrupted: {res.ok + res.partial + res.failed} of {res.total} documents finished and kept, "
            f"{res.left} left; run the same command again to go on",
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    if res.failed:
        raise typer.Exit(EXIT_INPUT_FAILED)


def _extract_stdin(out: Path | None, jsonl: str | None) -> int:
    """One document from standard input; the JSON to stdout, --out DIR/stdin.json or --jsonl."""
    from pipeline import extract as extract_one
    from pipeline.batch import JsonlSink, atomic_write, failure_of

    data = sys.stdin.buffer.read()
    try:
        doc = extract_one(data, name=None)
    except Exception as e:  # InputError and friends
        print(f"congvan: standard input: {getattr(e, 'reason', e)}", file=sys.stderr)
        return EXIT_INPUT_FAILED
    if doc.status == "failed":
        print(f"congvan: standard input: {failure_of(doc)[0]}", file=sys.stderr)
        return EXIT_INPUT_FAILED
    payload = doc.model_dump_json(indent=1)
    if out:
        atomic_write(out / "stdin.json", payload)
    if jsonl:
        sink = JsonlSink(None if jsonl == "-" else Path(jsonl))
        sink.write_json(payload)
        sink.close()
    if not out and not jsonl:
        print(payload)
    return EXIT_OK


class _Progress:
    """A tqdm bar on stderr: files, pages, rate, ETA and the current file."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.pages = 0
        self.bar: Any = None

    def start(self, total: int) -> None:
        if self.enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="doc", file=sys.stderr, dynamic_ncols=True, leave=True)

    def update(self, rec: dict[str, Any], done: int, total: int) -> None:
        self.pages += rec.get("pages", 0) or 0
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.pages} pages, {Path(rec['path']).name[:30]}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@app.command("eval")
def eval_cmd(
    pred: Annotated[Path, typer.Argument(metavar="PRED_DIR", help="folder of predicted JSON (from congvan extract corpus/docs --out PRED_DIR)")],
    corpus: Annotated[Path, typer.Option(metavar="DIR", help="corpus folder with manifest.jsonl, split.json and gold/")] = Path("corpus"),
    part: Annotated[list[str] | None, typer.Option(metavar="PART", help="only this part of the split: dev or test")] = None,
    kind: Annotated[list[str] | None, typer.Option(metavar="KIND", help="only documents of this kind: text, word, pdf-text, scan")] = None,
    ids: Annotated[list[str] | None, typer.Option("--id", metavar="ID", help="only these document ids")] = None,
    misses: Annotated[int, typer.Option(metavar="N", help="misses to print per field (with --part/--kind/--id)")] = 20,
    json_out: Annotated[Path | None, typer.Option("--json", metavar="FILE", help="write the scores as JSON")] = None,
) -> None:
    """Score predictions against the gold files. Without a selection: F1 per field
    for the development and test parts and the test part by kind, and the
    confidence reliability table of the test part. With --part/--kind/--id: the
    full P/R/F1 table and the misses. Exit 2 when it cannot run."""
    from pipeline.evaluate import PARTS, EvalError, evaluate, format_summary, format_table, reliability

    try:
        ev = evaluate(pred, corpus, set(kind) if kind else None, set(ids) if ids else None, set(part) if part else None)
    except EvalError as e:
        print(f"congvan eval: {e}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE) from None
    if ev.missing:
        print(f"congvan eval: no prediction for {len(ev.missing)} documents (scored as empty): {' '.join(ev.missing[:20])}", file=sys.stderr)
    if part or kind or ids:
        counts, n = ev.total()
        print(format_table(counts, n, misses))
        outcomes = [o for p in PARTS for o in ev.outcomes[p]]
    else:
        print(format_summary(ev))
        counts, n = ev.total(parts=("test",))
        outcomes = ev.outcomes["test"]
        print("\nreliability (test part): task confidence vs task entirely right, and per field")
    for what in ("right", "lead", "support", "deadline"):
        print(reliability(outcomes, what))
    if json_out:
        json_out.write_text(
            json.dumps({k: {"p": c.p, "r": c.r, "f1": c.f1, "tp": c.tp, "fp": c.fp, "fn": c.fn} for k, c in counts.items()}, indent=1),
            encoding="utf-8",
        )


@app.command()
def train(
    corpus: Annotated[Path, typer.Option(metavar="DIR", help="corpus folder (its development part is used, never the test part)")] = Path("corpus"),
    out: Annotated[Path | None, typer.Option("--out", "-o", metavar="DIR", help="where the model JSON goes (default: the package's resources/models)")] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", metavar="N", help="worker processes (default 2)")] = 2,
) -> None:
    """Train the learned decisions (task or not; lead/support/deadline right) on
    the development part of the corpus; writes small JSON weight files."""
    from pipeline.evaluate import EvalError
    from pipeline.train import MODELS_DIR
    from pipeline.train import train as run_train

    try:
        run_train(corpus, out or MODELS_DIR, workers=workers)
    except EvalError as e:
        print(f"congvan train: {e}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE) from None


@app.command()
def bench(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON results; the corpus is cached beside it")] = Path(
        "bench-results/bench.json"
    ),
    docs: Annotated[int | None, typer.Option(help="text documents (default 1000; 40 with --quick)")] = None,
    scan_pages: Annotated[int | None, typer.Option(help="scanned pages (default 50; 3 with --quick)")] = None,
    quick: Annotated[bool, typer.Option("--quick", metavar="", help="a tiny run, for tests")] = False,
    text_only: Annotated[
        bool, typer.Option("--text-only", metavar="", help="only text documents, the NFC+regex floor and start-up (the CI guard: a few seconds with --quick)")
    ] = False,
    targets: Annotated[bool, typer.Option("--targets", metavar="", help="also print the development targets and whether each is met")] = False,
) -> None:
    """Benchmark: docs/s and pages/s per input kind, stages, baselines, scaling, memory."""
    from pipeline.bench import BenchConfig, format_report, run_bench

    res = run_bench(BenchConfig.make(docs, scan_pages, quick, text_only), out)
    print(format_report(res, show_targets=targets))
    print(f"results in {out}", file=sys.stderr)


@app.command("export")
def export_cmd(
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="jsonl, csv, xlsx, ics or xml")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE", help="the export file (never replaced without --force)")],
    source: Annotated[Path | None, typer.Argument(metavar="SOURCE", help="folder of JSON outputs (congvan extract --out) or a JSONL file (--jsonl); or --db")] = None,
    force: Annotated[bool, typer.Option("--force", metavar="", help="replace FILE if it exists")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="print only errors")] = False,
    db: Annotated[str | None, typer.Option("--db", metavar="URL", help="export from the review database instead of SOURCE (e.g. sqlite:///congvan-data/congvan.db)")] = None,
    status: Annotated[str, typer.Option("--status", metavar="STATUS", help="with --db: approved, review or both comma-separated")] = "approved",
) -> None:
    """Export extracted documents for trackers and registers: one document per line
    (jsonl), one task per row (csv; xlsx: the register of Decree 30/2020 Appendix IV
    and a documents sheet), one to-do per dated task (ics), document metadata and
    tasks validated against an XSD (xml). Exit codes: 0 done, 1 some input was not a
    congvan document (the others were exported), 2 cannot run (nothing written)."""
    import time

    from pipeline.export import DocumentSource, ExportInvalid, ExportSetupError, export_to_path

    def bad(e: Any) -> None:
        print(f"congvan export: {e.path}: {e.reason}", file=sys.stderr)

    started = time.perf_counter()
    if (source is None) == (db is None):
        print("congvan export: give SOURCE or --db URL (one of them)", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    try:
        if db is not None:
            from review.dbexport import DatabaseSource

            docs: Any = DatabaseSource(db, status)
        else:
            assert source is not None
            docs = DocumentSource(source, exclude=out, on_bad=bad)
        counts = export_to_path(docs, fmt.lower(), out, force=force)
    except (ExportSetupError, ExportInvalid) as e:
        print(f"congvan export: {e}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE) from None
    if not quiet:
        left = f", {counts.left_out} tasks without a dated deadline left out" if counts.left_out else ""
        print(
            f"congvan export: {counts.documents} documents, {counts.tasks} tasks -> {out} "
            f"({counts.written} {fmt.lower()} records{left}), {len(docs.bad)} inputs not exported, "
            f"in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
    if docs.bad:
        raise typer.Exit(EXIT_INPUT_FAILED)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the output."""
    from models import json_schema

    print(json.dumps(json_schema(), ensure_ascii=False, indent=2))


def _register_review() -> None:
    """serve, ingest, users, tokens, export-gold: the review application (review/cli.py)."""
    from review.cli import register

    register(app)


_register_review()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
