"""Figures for the scale model (docs/scale_model.md, issue 15).

    .venv/bin/python scripts/dask_scale.py kinds        # seconds per document by kind, one warm process
    .venv/bin/python scripts/dask_scale.py overhead     # per-task overhead: no-op tasks, local pool vs LocalCluster
    .venv/bin/python scripts/dask_scale.py throughput   # the same 2,000 text documents, local pool vs LocalCluster
    .venv/bin/python scripts/dask_scale.py unchunked    # the Dask run again, one document per task
    .venv/bin/python scripts/dask_scale.py client       # the client's memory, index line, SHA-256 per document
    .venv/bin/python scripts/dask_scale.py model        # the scale model's table from the figures above

Each part prints its figures and adds them to bench-results/dask_scale.json.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results/dask_scale.json"
WORKERS = 2


def save_figures(results: Path, part: str, figures: dict[str, Any]) -> None:
    """Print a part's figures and put them under ``part`` in the JSON file ``results``."""
    results.parent.mkdir(exist_ok=True)
    data = json.loads(results.read_text()) if results.exists() else {}
    data[part] = figures
    results.write_text(json.dumps(data, indent=1))
    print(json.dumps(figures, indent=1))


def _save(part: str, figures: dict[str, Any]) -> None:
    save_figures(RESULTS, part, figures)


def kinds(scans: int = 3) -> None:
    """Seconds per document (and per page) by kind, read in this process after a
    warm-up: the pure reading cost a worker pays, without any dispatch."""
    from pipeline.batch import process_one, warm_up

    warm_up()
    manifest = [json.loads(line) for line in (ROOT / "corpus/manifest.jsonl").read_text().splitlines()]
    figures: dict[str, Any] = {}
    for kind in ("text", "word", "pdf-text", "scan"):
        docs = [m for m in manifest if m["kind"] == kind and m["file"].endswith((".txt", ".md", ".docx", ".pdf"))]
        if kind == "scan":
            docs = docs[:scans]
        secs, pages = [], 0
        for m in docs:
            t0 = time.perf_counter()
            rec = process_one(str(ROOT / "corpus" / m["file"]), None)
            secs.append(time.perf_counter() - t0)
            pages += rec.get("pages") or 1
        figures[kind] = {
            "docs": len(docs), "pages": pages, "s_per_doc_mean": statistics.mean(secs),
            "s_per_doc_median": statistics.median(secs), "s_per_page": sum(secs) / pages,
        }
    _save("kinds", figures)


def _noop(path: str, out: str | None) -> dict[str, Any]:
    return {"path": path, "status": "ok", "seconds": 0.0}


def _noop_many(items: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    return [_noop(path, out) for path, out in items]


def overhead(n: int = 2000) -> None:
    """Per-task cost of the dispatch alone: ``n`` no-op tasks through the local
    pool (pipe to a forked worker) and through a LocalCluster (scheduler, with
    the engine's bounded submission: 4 x threads in flight, as_completed)."""
    import dask
    from distributed import Client, LocalCluster, as_completed

    from pipeline.dask_engine import DOCS_PER_TASK, IN_FLIGHT_PER_THREAD
    from pipeline.pool import Pool

    figures: dict[str, Any] = {"tasks": n, "workers": WORKERS}
    pool = Pool(_noop, WORKERS, timeout=300, memory_mb=0)
    got = 0

    def count(key: Any, rec: dict[str, Any]) -> None:
        nonlocal got
        got += 1

    t0 = time.perf_counter()
    pool.run(((i, f"/x/{i}", None) for i in range(n)), count)
    figures["local_pool_s"] = time.perf_counter() - t0
    assert got == n

    with dask.config.set({"distributed.worker.daemon": False}):
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        client.wait_for_workers(WORKERS)
        figures["cluster_start_s"] = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        it = iter(range(n))
        first = [client.submit(_noop, f"/x/{i}", None, pure=False) for i in range(IN_FLIGHT_PER_THREAD * WORKERS)]
        for _ in first:
            next(it)
        done = 0
        queue = as_completed(first)
        for fut in queue:
            fut.result()
            fut.release()
            done += 1
            i = next(it, None)
            if i is not None:
                queue.add(client.submit(_noop, f"/x/{i}", None, pure=False))
        figures["dask_s"] = time.perf_counter() - t0
        assert done == n
        # the engine's grouping: DOCS_PER_TASK text files to a task
        t0 = time.perf_counter()
        chunks = [[(f"/x/{i}", None) for i in range(k, min(n, k + DOCS_PER_TASK))] for k in range(0, n, DOCS_PER_TASK)]
        futs = [client.submit(_noop_many, c, pure=False) for c in chunks[: IN_FLIGHT_PER_THREAD * WORKERS]]
        left = iter(chunks[IN_FLIGHT_PER_THREAD * WORKERS :])
        queue = as_completed(futs)
        done = 0
        for fut in queue:
            done += len(fut.result())
            fut.release()
            c = next(left, None)
            if c is not None:
                queue.add(client.submit(_noop_many, c, pure=False))
        figures["dask_chunked_s"] = time.perf_counter() - t0
        assert done == n
    finally:
        client.close()
        cluster.close()
    figures["local_pool_ms_per_task"] = 1000 * figures["local_pool_s"] / n
    figures["dask_ms_per_task"] = 1000 * figures["dask_s"] / n
    figures["dask_tasks_per_s"] = n / figures["dask_s"]
    figures["dask_chunked_ms_per_doc"] = 1000 * figures["dask_chunked_s"] / n
    _save("overhead", figures)


def make_docs(folder: Path, n: int) -> None:
    """``n`` text documents: the corpus's text documents in turn, each with a
    small edit (its serial number line changed) so every file has its own hash."""
    import re

    sources = sorted(p for p in (ROOT / "corpus/docs").iterdir() if p.suffix in (".txt", ".md"))
    texts = [p.read_text(encoding="utf-8") for p in sources]
    folder.mkdir(parents=True)
    for i in range(n):
        j = i % len(texts)
        body, k = re.subn(r"Số:\s*(\d+)", f"Số: {1000 + i}", texts[j], count=1)
        if not k:
            body = texts[j] + f"\n{i}\n"
        (folder / f"d{i:05d}{sources[j].suffix}").write_text(body, encoding="utf-8")


def throughput(n: int = 2000) -> None:
    """The same ``n`` documents with each engine (2 workers, default limits);
    the Dask time includes starting its LocalCluster and loading the workers."""
    from pipeline.batch import run_batch

    tmp = Path(tempfile.mkdtemp(prefix="congvan-scale-"))
    try:
        make_docs(tmp / "in", n)
        figures: dict[str, Any] = {"docs": n, "workers": WORKERS}
        for engine in ("local", "dask"):
            t0 = time.perf_counter()
            res = run_batch([str(tmp / "in")], tmp / engine, workers=WORKERS, engine=engine)
            wall = time.perf_counter() - t0
            figures[engine] = {"wall_s": wall, "docs_per_s": n / wall, "ok": res.ok + res.partial, "failed": res.failed}
            print(engine, figures[engine], file=sys.stderr)
        a = {p.name: p.read_bytes() for p in (tmp / "local").glob("*.json")}
        b = {p.name: p.read_bytes() for p in (tmp / "dask").glob("*.json")}
        figures["identical_outputs"] = a == b and len(a) == figures["local"]["ok"]
        figures["dask_over_local"] = figures["dask"]["docs_per_s"] / figures["local"]["docs_per_s"]
        _save("throughput", figures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def unchunked(n: int = 2000) -> None:
    """The throughput run's Dask half again with one document per task (the
    engine's grouping off): what grouping text files saves."""
    from pipeline import dask_engine
    from pipeline.batch import run_batch

    dask_engine.DOCS_PER_TASK = 1
    tmp = Path(tempfile.mkdtemp(prefix="congvan-scale-"))
    try:
        make_docs(tmp / "in", n)
        t0 = time.perf_counter()
        res = run_batch([str(tmp / "in")], tmp / "dask1", workers=WORKERS, engine="dask")
        wall = time.perf_counter() - t0
        _save("unchunked", {"docs": n, "workers": WORKERS, "wall_s": wall, "docs_per_s": n / wall, "ok": res.ok + res.partial})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def client(n: int = 100_000) -> None:
    """What the client (the process running ``congvan extract``) pays per
    document whatever the cluster: memory for its lists and resume index,
    the index line written per result, SHA-256 of the input, output size."""
    import hashlib
    import tracemalloc
    from pathlib import PurePosixPath

    from pipeline.batch import AppendLog, Input, process_one, warm_up

    tracemalloc.start()
    files = [Input(Path(f"/archive/tinh-{i % 63:02d}/{i // 1000:05d}/cv-{i:09d}.pdf"), PurePosixPath(f"tinh-{i % 63:02d}/{i // 1000:05d}/cv-{i:09d}.pdf"), "archive") for i in range(n)]
    outputs = {f.path: str(f.rel.with_suffix("")) + ".json" for f in files}
    index = {
        outputs[f.path]: {"output": outputs[f.path], "input": str(f.path), "sha256": hashlib.sha256(str(i).encode()).hexdigest(),
                          "version": "0.1.0+5433916af477", "status": "ok", "seconds": 0.123, "peak_mb": 114.2, "time": "2026-12-03T15:36:27+00:00"}
        for i, f in enumerate(files)
    }
    todo = [(f, outputs[f.path], Path("/out") / outputs[f.path], index[outputs[f.path]]["sha256"]) for f in files]
    mem = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    figures: dict[str, Any] = {"client_bytes_per_doc": mem / n}
    del files, outputs, todo

    tmp = Path(tempfile.mkdtemp(prefix="congvan-client-"))
    log = AppendLog(tmp / "index.jsonl")
    entries = list(index.values())[:20_000]
    t0 = time.perf_counter()
    for e in entries:
        log.write(e)
    log.close()
    figures["index_line_ms"] = 1000 * (time.perf_counter() - t0) / len(entries)
    blob = (ROOT / "corpus/docs/124.pdf").read_bytes()
    t0 = time.perf_counter()
    for _ in range(20):
        hashlib.sha256(blob).hexdigest()
    figures["sha256_mb_per_s"] = 20 * len(blob) / (time.perf_counter() - t0) / 1e6
    shutil.rmtree(tmp, ignore_errors=True)

    warm_up()
    manifest = [json.loads(line) for line in (ROOT / "corpus/manifest.jsonl").read_text().splitlines()]
    sizes: dict[str, Any] = {}
    for kind in ("text", "word", "pdf-text", "scan"):
        docs = [m for m in manifest if m["kind"] == kind and m["file"].endswith((".txt", ".md", ".docx", ".pdf"))][:3 if kind == "scan" else None]
        ins = [(ROOT / "corpus" / m["file"]).stat().st_size for m in docs]
        outs = [len((process_one(str(ROOT / "corpus" / m["file"]), None).get("json") or "").encode()) for m in docs]
        sizes[kind] = {"input_kb": statistics.mean(ins) / 1024, "output_kb": statistics.mean(outs) / 1024}
    figures["sizes"] = sizes
    _save("client", figures)


PRICE_PER_CORE_HOUR = 0.04  # USD, an assumption: an on-demand general-purpose cloud vCPU-hour (spot ~1/3)
SCHEDULER_TASKS_PER_S = 1000  # Dask's documented scheduler cost, ~1 ms per task on a core of its own (not measured here)


def _duration(hours: float) -> str:
    return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min"


def model() -> None:
    """The scale model's tables from the measured figures (run the other parts first)."""
    from pipeline.dask_engine import DOCS_PER_TASK

    data = json.loads(RESULTS.read_text())
    k, sizes = data["kinds"], data["client"]["sizes"]
    kinds = ("text", "word", "pdf-text", "scan")
    cost = {x: k[x]["s_per_doc_mean"] for x in kinds}
    scan_pages = k["scan"]["pages"] / k["scan"]["docs"]
    mixes = {  # share of each kind; per-task grouping applies to text only
        "born-digital text": {"text": 1.0},
        "mixed: 20% text, 20% Word, 30% text PDF, 30% scans": {"text": 0.2, "word": 0.2, "pdf-text": 0.3, "scan": 0.3},
        "scanned paper": {"scan": 1.0},
    }
    eff_text = min(1.0, data.get("throughput", {}).get("dask_over_local", 1.0))
    lines = ["| documents | archive | core-s/doc | 10 workers | 100 workers | 1,000 workers | core-hours | cost (USD) |",
             "|---|---|---|---|---|---|---|---|"]
    limits = ["| archive | docs/s | Dask tasks/s | storage MB/s (read x2 + write) | files written/s | client SHA-256 of 100 M docs |",
              "|---|---|---|---|---|---|"]
    for name, mix in mixes.items():
        c = sum(share * cost[x] for x, share in mix.items())
        eff = eff_text * mix.get("text", 0.0) + (1 - mix.get("text", 0.0))  # the dispatch cost shows on short texts only
        tasks_per_doc = mix.get("text", 0.0) / DOCS_PER_TASK + (1 - mix.get("text", 0.0))
        in_kb = sum(share * sizes[x]["input_kb"] for x, share in mix.items())
        out_kb = sum(share * sizes[x]["output_kb"] for x, share in mix.items())
        rate = 1000 * eff / c  # documents per second on 1,000 workers
        limits.append(
            f"| {name} | {rate:,.0f} | {rate * tasks_per_doc:,.0f} | {rate * (2 * in_kb + out_kb) / 1024:,.0f} | {rate:,.0f} | "
            f"{_duration(1e8 * in_kb / 1024 / data['client']['sha256_mb_per_s'] / 3600)} |"
        )
        for docs in (1_000_000, 10_000_000, 100_000_000):
            core_h = docs * c / eff / 3600
            cells = " | ".join(_duration(core_h / n) for n in (10, 100, 1000))
            lines.append(f"| {docs:,} | {name} | {c:.2f} | {cells} | {core_h:,.0f} | {core_h * PRICE_PER_CORE_HOUR:,.0f} |")
    print("\n".join(lines))
    print()
    print("\n".join(limits))
    print(f"\n(scans: {scan_pages:.1f} pages each, as measured; Dask efficiency on text {eff_text:.2f}, measured; "
          f"{PRICE_PER_CORE_HOUR} USD per core-hour, assumed)")


if __name__ == "__main__":
    parts = {"model": model, "unchunked": unchunked, "kinds": kinds, "overhead": overhead, "throughput": throughput, "client": client}
    if len(sys.argv) != 2 or sys.argv[1] not in parts:
        sys.exit(__doc__)
    parts[sys.argv[1]]()
