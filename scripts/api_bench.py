"""Figures of the HTTP API (issue 12), printed, nothing asserted:

1. the OpenAPI schema's path and operation counts (/api/openapi.json);
2. upload-to-JSON latency through a real ``congvan serve`` (its worker
   process, SQLite): POST /api/documents with a text document, then
   GET /api/documents/{id} every 50 ms until it answers 200 with the contract JSON.

    .venv/bin/python scripts/api_bench.py [--docs 101.txt 102.txt 104.txt]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    import httpx

    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", nargs="+", default=["101.txt", "102.txt", "104.txt", "105.txt", "106.txt"])
    ap.add_argument("--warm", type=float, default=8.0, help="seconds to let the worker warm up first")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        made = subprocess.run([sys.executable, "-m", "pipeline.cli", "tokens", "add", "bench", "--data", str(data)],
                              check=True, env=env, capture_output=True, text=True)
        auth = {"Authorization": "Bearer " + made.stdout.strip().splitlines()[-1]}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--data", str(data), "--port", str(port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=60) as c:
                for _ in range(300):
                    try:
                        schema = c.get("/api/openapi.json").json()
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                ops = sum(len(v) for v in schema["paths"].values())
                print(f"OpenAPI schema: {len(schema['paths'])} paths, {ops} operations: {', '.join(schema['paths'])}")
                time.sleep(args.warm)  # a server that has been running has a warm worker
                took = []
                for name in args.docs:
                    body = (ROOT / "corpus/docs" / name).read_bytes()
                    t0 = time.perf_counter()
                    r = c.post("/api/documents", files={"file": (name, body, "text/plain")})
                    r.raise_for_status()
                    doc_id = r.json()["id"]
                    while (got := c.get(f"/api/documents/{doc_id}")).status_code == 202:
                        if time.perf_counter() - t0 > 300:
                            raise SystemExit(f"{name}: no JSON after 300 s")
                        time.sleep(0.05)
                    dt = time.perf_counter() - t0
                    got.raise_for_status()
                    took.append(dt)
                    print(f"upload to JSON, {name} ({len(body):,} bytes, {len(got.json()['tasks'])} tasks): {dt:.2f} s")
                print(f"upload to JSON, median of {len(took)} text documents: {statistics.median(took):.2f} s")
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    print(json.dumps({"cpu": os.cpu_count()}))


if __name__ == "__main__":
    main()
