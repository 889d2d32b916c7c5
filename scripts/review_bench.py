"""Figures of the review screen (issue 11), printed, never asserted:

1. server-side time to open a document page (/documents/{id}: session check,
   database, template) for documents of 10, 100 and 1,000 tasks, and the list
   of 300 documents — in-process through FastAPI's TestClient over SQLite;
2. time from upload to reviewable through a real ``congvan serve`` (its worker
   extracting): a 1-page text PDF (corpus 115.pdf) and a 3-page scan (126.pdf).

    .venv/bin/python scripts/review_bench.py [--no-upload]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def synthetic(base: dict, n_tasks: int) -> dict:
    """The document with its tasks repeated to ``n_tasks`` (distinct ids)."""
    tasks = [dict(base["tasks"][i % len(base["tasks"])], id=f"{i + 1}") for i in range(n_tasks)]
    return {**base, "tasks": tasks}


def page_times(runs: int) -> None:
    from fastapi.testclient import TestClient

    from pipeline import extract
    from review.app import Settings, create_app
    from review.auth import add_user
    from review.db import TO_REVIEW, Document, open_db
    from review.records import dumps, summarize

    base = extract(ROOT / "corpus/docs/000.txt").model_dump(mode="json")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        _, sessions = open_db(None, data)
        ids = {}
        with sessions() as db:
            add_user(db, "bench", "bench-pass-1", "admin")
            for i in range(300):
                n = (10, 100, 1000)[i] if i < 3 else 10
                doc = synthetic(base, n)
                s = summarize(doc)
                d = Document(sha256=f"{i:064x}", filename=f"{i}.txt", stored_name=f"{i:064x}.txt", size=1, status=TO_REVIEW,
                             extracted_json=dumps(doc), current_json=dumps(doc), number=s.number, issuer=s.issuer,
                             task_count=s.task_count, min_confidence=s.min_confidence, leads=s.leads)
                db.add(d)
                db.flush()
                if i < 3:
                    ids[n] = d.id
            db.commit()
        client = TestClient(create_app(sessions, Settings(data_dir=data)), base_url="http://127.0.0.1")
        page = client.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"username": "bench", "password": "bench-pass-1", "csrf": csrf})
        print(f"document page, server side, median of {runs} (text of {len(base['text'])} characters):")
        for n, doc_id in ids.items():
            times, size = [], 0
            for _ in range(runs):
                t0 = time.perf_counter()
                r = client.get(f"/documents/{doc_id}")
                times.append(time.perf_counter() - t0)
                size = len(r.content)
                assert r.status_code == 200
            print(f"  {n:5d} tasks: {statistics.median(times) * 1000:7.1f} ms  (max {max(times) * 1000:.1f} ms, page {size // 1024} KB)")
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            client.get("/documents")
            times.append(time.perf_counter() - t0)
        print(f"  list of 300 documents: {statistics.median(times) * 1000:.1f} ms")


def upload_times() -> None:
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "pipeline.cli", "users", "add", "bench", "--role", "admin", "--password-stdin",
                        "--data", str(data)], input=b"bench-pass-1\n", check=True, env=env, capture_output=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "serve", "--data", str(data), "--port", str(port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, follow_redirects=False) as c:
                for _ in range(300):
                    try:
                        page = c.get("/login")
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                time.sleep(8)  # let the worker warm up, as a server that has been running would be
                csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
                c.post("/login", data={"username": "bench", "password": "bench-pass-1", "csrf": csrf})
                for name, what in (("115.pdf", "1-page text PDF"), ("126.pdf", "3-page scan (OCR)")):
                    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/documents").text).group(1)  # type: ignore[union-attr]
                    t0 = time.perf_counter()
                    body = (ROOT / "corpus/docs" / name).read_bytes()
                    c.post("/upload", data={"csrf": csrf}, files=[("files", (name, body, "application/pdf"))])
                    while True:
                        html = c.get("/documents?status=review").text  # the row, not the upload message
                        if f'<td class="small">{name}</td>' in html:
                            break
                        if time.perf_counter() - t0 > 300:
                            raise SystemExit(f"{name} not reviewable after 300 s")
                        time.sleep(0.1)
                    print(f"upload to reviewable, {what} ({name}): {time.perf_counter() - t0:.1f} s")
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--no-upload", action="store_true")
    args = ap.parse_args()
    page_times(args.runs)
    if not args.no_upload:
        upload_times()
    print(json.dumps({"cpu": os.cpu_count()}))


if __name__ == "__main__":
    main()
