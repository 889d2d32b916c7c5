"""Screenshots of the review screen for the README (docs/img/review-*.png):
a data directory with a few corpus documents, ``congvan serve`` on a free
port, Playwright driving Debian's chromium.

    .venv/bin/python scripts/review_screenshots.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["corpus/docs/103.txt", "corpus/docs/000.txt", "corpus/docs/114.pdf", "corpus/docs/115.pdf", "corpus/docs/101.txt"]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "pipeline.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        data = str(Path(tmp) / "data")
        subprocess.run([*cli, "users", "add", "vanthu", "--role", "reviewer", "--password-stdin", "--data", data],
                       input=b"mat-khau-dai\n", env=env, check=True)
        subprocess.run([*cli, "ingest", *DOCS, "--data", data], env=env, check=True, cwd=ROOT)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([*cli, "serve", "--data", data, "--port", str(port)], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/login", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = b.new_page(viewport={"width": 1440, "height": 900})
                page.goto(base + "/documents")
                page.fill("input[name=username]", "vanthu")
                page.fill("input[name=password]", "mat-khau-dai")
                page.click("form.login button[type=submit]")
                page.wait_for_url(base + "/documents")
                page.screenshot(path=str(args.out / "review-list.png"))
                page.goto(base + "/documents/1")
                page.locator("#task-0 .agency.lead").first.click()
                page.screenshot(path=str(args.out / "review-document.png"))
                page.goto(base + "/documents/3")
                page.click("button[data-tab=pages-pane]")
                page.locator(".agency.lead", has_text="Ban Dân tộc tỉnh").first.click()
                page.locator(".box").first.wait_for()
                time.sleep(0.5)
                page.screenshot(path=str(args.out / "review-page-box.png"))
                b.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
