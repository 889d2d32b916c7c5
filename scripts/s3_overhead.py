"""What s3:// SOURCE and --out cost per document (issue 15, pipeline/stores.py).

    .venv/bin/python scripts/s3_overhead.py io       # one GET, one PUT, a listing, through s3fs
    .venv/bin/python scripts/s3_overhead.py worker   # one reading process: a text document local vs s3
    .venv/bin/python scripts/s3_overhead.py batch    # the same text documents local->local and s3->s3
    .venv/bin/python scripts/s3_overhead.py batch --engine dask
    .venv/bin/python scripts/s3_overhead.py batch --workers 4   # more workers than cores: I/O waits overlap

The store is moto's S3 server (python -m moto.server) on localhost, in a
process of its own: NOT AWS. A request costs here what moto's Python code and
the loopback cost (and moto's CPU is taken from the same 2 cores the workers
use); against S3 a request costs its network round trip (tens of ms from
outside the region, a few ms inside). The figures say how much the staging,
the PUT and the bookkeeping add, not what AWS would charge in time.

Each part prints its figures and adds them to bench-results/s3_overhead.json.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results/s3_overhead.json"
sys.path.insert(0, str(ROOT / "scripts"))


def _save(part: str, figures: dict[str, Any]) -> None:
    from dask_scale import save_figures

    save_figures(RESULTS, part, figures)


class _Moto:
    """moto's S3 server in a process of its own (its CPU is not the client's)."""

    def __init__(self) -> None:
        import socket
        import subprocess
        import urllib.request

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        os.environ.update(
            AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
            CONGVAN_S3_ENDPOINT_URL=url,
        )

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _moto() -> _Moto:
    return _Moto()


def _documents(tmp: Path, n: int) -> tuple[Any, list[str]]:
    """``n`` text documents in ``tmp``/in and the same under s3://bench/in
    (uploaded, not timed): the store's filesystem and the file names."""
    from dask_scale import make_docs

    from pipeline.stores import filesystem

    make_docs(tmp / "in", n)
    fs, _ = filesystem("s3://bench")
    fs.mkdir("bench")
    names = sorted(p.name for p in (tmp / "in").iterdir())
    for name in names:
        fs.pipe_file(f"bench/in/{name}", (tmp / "in" / name).read_bytes())
    return fs, names


def io(n: int = 300) -> None:
    """Milliseconds per request through s3fs against moto: GET of a corpus text
    (3 KB), PUT of an output JSON (~30 KB), one listing of ``n`` objects."""
    from pipeline.stores import filesystem

    server = _moto()
    try:
        fs, _ = filesystem("s3://bench")
        fs.mkdir("bench")
        text = (ROOT / "corpus/docs/102.txt").read_bytes()
        out = b"{" + b" " * 30_000 + b"}"
        puts, gets = [], []
        for i in range(n):
            t0 = time.perf_counter()
            fs.pipe_file(f"bench/in/d{i:05d}.txt", text)
            puts.append(time.perf_counter() - t0)
        for i in range(n):
            t0 = time.perf_counter()
            fs.cat_file(f"bench/in/d{i:05d}.txt")
            gets.append(time.perf_counter() - t0)
        put30 = []
        for i in range(n):
            t0 = time.perf_counter()
            fs.pipe_file(f"bench/out/d{i:05d}.json", out)
            put30.append(time.perf_counter() - t0)
        fs.invalidate_cache()
        t0 = time.perf_counter()
        listed = fs.find("bench/in", detail=True)
        listing = time.perf_counter() - t0
        _save("io", {
            "store": "moto server on localhost, own process (not AWS)", "requests": n,
            "put_3kb_ms_median": 1000 * statistics.median(puts), "get_3kb_ms_median": 1000 * statistics.median(gets),
            "put_30kb_ms_median": 1000 * statistics.median(put30),
            "list_ms_per_1000_objects": 1000 * listing / len(listed) * 1000,
        })
    finally:
        server.stop()


def worker(n: int = 100) -> None:
    """One warm reading process, one document after the other (no pool, no
    parallel load): seconds per text document local->local vs s3->s3 and the
    process's CPU per document. The difference is what the staging (HEAD + GET),
    the PUT and the copy add to a worker's time per document."""
    from pipeline.batch import process_one, warm_up

    server = _moto()
    tmp = Path(tempfile.mkdtemp(prefix="congvan-s3bench-"))
    try:
        _, names = _documents(tmp, n)
        warm_up()
        process_one(f"s3://bench/in/{names[0]}", "s3://bench/warm.json")  # s3fs loaded and connected
        figures: dict[str, Any] = {"store": "moto server on localhost, own process (not AWS)", "docs": n}
        for kind in ("local", "s3"):
            wall, cpu = [], []
            for name in names:
                src, out = (
                    (str(tmp / "in" / name), str(tmp / "out" / (name + ".json"))) if kind == "local"
                    else (f"s3://bench/in/{name}", f"s3://bench/out/{name}.json")
                )
                c0, t0 = time.process_time(), time.perf_counter()
                rec = process_one(src, out)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                assert rec["status"] != "failed", rec
            figures[kind] = {"s_per_doc_median": statistics.median(wall), "s_per_doc_mean": statistics.mean(wall),
                             "cpu_s_per_doc_mean": statistics.mean(cpu)}
        figures["added_ms_per_doc_median"] = 1000 * (figures["s3"]["s_per_doc_median"] - figures["local"]["s_per_doc_median"])
        figures["added_cpu_ms_per_doc"] = 1000 * (figures["s3"]["cpu_s_per_doc_mean"] - figures["local"]["cpu_s_per_doc_mean"])
        _save("worker", figures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        server.stop()


def batch(n: int = 500, engine: str = "local", workers: int = 2) -> None:
    """The same ``n`` text documents local->local, then s3->s3 (uploaded first,
    not timed), then s3->s3 again (a resume: all skipped). Overhead per document
    = (s3 wall - local wall) / n."""
    from pipeline.batch import run_batch

    server = _moto()
    tmp = Path(tempfile.mkdtemp(prefix="congvan-s3bench-"))
    try:
        fs, _ = _documents(tmp, n)
        figures: dict[str, Any] = {"store": "moto server on localhost, own process (not AWS)", "docs": n, "engine": engine, "workers": workers}
        runs = {"local": ([str(tmp / "in")], tmp / "out"), "s3": (["s3://bench/in"], "s3://bench/out")}
        for name, (src, dest) in runs.items():
            t0 = time.perf_counter()
            res = run_batch(src, dest, workers=workers, engine=engine)
            wall = time.perf_counter() - t0
            figures[name] = {"wall_s": wall, "docs_per_s": n / wall, "ok": res.ok + res.partial, "failed": res.failed}
            print(name, figures[name], file=sys.stderr)
        t0 = time.perf_counter()
        again = run_batch(["s3://bench/in"], "s3://bench/out", workers=workers, engine=engine)
        figures["s3_resume"] = {"wall_s": time.perf_counter() - t0, "skipped": again.skipped, "read": again.total}
        figures["overhead_ms_per_doc"] = 1000 * (figures["s3"]["wall_s"] - figures["local"]["wall_s"]) / n
        local = {p.name: p.read_bytes() for p in (tmp / "out").glob("*.json")}
        fs.invalidate_cache()
        same = 0
        for name, data in local.items():
            mine = json.loads(fs.cat_file(f"bench/out/{name}"))
            theirs = json.loads(data)
            mine["source"]["path"] = theirs["source"]["path"]
            same += mine == theirs
        figures["identical_but_source_path"] = f"{same}/{len(local)}"
        _save(f"batch_{engine}_{workers}w", figures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        server.stop()


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="s3:// overhead against moto's S3 server on localhost")
    ap.add_argument("part", choices=["io", "worker", "batch"])
    ap.add_argument("--engine", default="local")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--docs", type=int, default=500)
    args = ap.parse_args()
    if args.part == "io":
        io()
    elif args.part == "worker":
        worker()
    else:
        batch(args.docs, args.engine, args.workers)
