"""Memory of a batch's parent process as the number of documents grows (issue 14).

Makes N small text documents from the corpus's text documents (each one a
corpus document with a new serial number, so every input differs), then runs
``congvan extract SRC --out DIR`` and ``congvan extract SRC --jsonl FILE`` on
them and prints the parent process's resident memory (VmRSS, read from /proc
every 0.2 s) when 1,000, 2,000 ... documents are done (counted from the
resume index the batch appends to after every document).

    .venv/bin/python scripts/batch_memory.py --docs 5000 --workers 2
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_docs(corpus: Path, out: Path, n: int) -> None:
    sources = []
    for line in (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["kind"] == "text":
            sources.append((corpus / entry["file"]).read_text(encoding="utf-8-sig"))
    out.mkdir(parents=True)
    for i in range(n):
        text = re.sub(r"(Số\s*:\s*)(\d+)", lambda m, i=i: f"{m.group(1)}{i + 1}", sources[i % len(sources)], count=1)
        sub = out / f"{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{i:05d}.txt").write_text(text, encoding="utf-8")


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def lines(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


def run(mode: str, src: Path, work: Path, n: int, workers: int, step: int) -> list[tuple[int, float]]:
    congvan = str(Path(sys.executable).parent / "congvan")
    if mode == "out":
        target, index = work / "out", work / "out" / ".congvan-index.jsonl"
        cmd = [congvan, "extract", str(src), "--out", str(target)]
    else:
        target, index = work / "docs.jsonl", work / ".docs.jsonl.congvan-index.jsonl"
        cmd = [congvan, "extract", str(src), "--jsonl", str(target)]
    proc = subprocess.Popen([*cmd, "--workers", str(workers), "-q"])
    marks = list(range(step, n + 1, step))
    seen: list[tuple[int, float]] = []
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, rss_mb(proc.pid) or 0.0)
        done = lines(index)
        while marks and done >= marks[0]:
            seen.append((marks.pop(0), peak))
        time.sleep(0.2)
    for m in marks:  # finished between two looks
        seen.append((m, peak))
    return seen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--step", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="congvan-batch-memory-"))
    try:
        src = tmp / "src"
        make_docs(args.corpus, src, args.docs)
        print(f"{args.docs} text documents in {src}; parent VmRSS peak (MB) so far, at each count of documents done")
        for mode in ("out", "jsonl"):
            work = tmp / mode
            work.mkdir()
            t0 = time.perf_counter()
            seen = run(mode, src, work, args.docs, args.workers, args.step)
            row = ", ".join(f"{k}: {mb:.0f}" for k, mb in seen)
            growth = (seen[-1][1] - seen[0][1]) / ((seen[-1][0] - seen[0][0]) / 1000) if len(seen) > 1 else 0.0
            print(f"--{mode:<6} {row}  (growth {growth:+.1f} MB per 1,000 documents; {time.perf_counter() - t0:.0f} s)", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
