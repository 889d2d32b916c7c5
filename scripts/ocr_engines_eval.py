"""The OCR engines side by side on the corpus scans (issue 10): field accuracy and cost.

For each engine: ``congvan extract`` of every scan/photo document of corpus/docs
(kind ``scan`` in corpus/manifest.jsonl) with ``--ocr ENGINE --force`` into
OUT/ENGINE, timed as a whole process (wall seconds, CPU seconds of the command
and all its children — workers, tesseract — and the peak resident memory of the
largest of them); then ``congvan eval OUT/ENGINE --kind scan --part dev|test``.
Prints per engine and part: header macro-F1 (mean F1 of doc_type, issuer,
number, number.notation, place, issued_date, subject), signer name/position,
tasks, lead, deadline; and pages, seconds and CPU-seconds per page, peak MB.
The figures go to OUT/figures.json as well.

    .venv/bin/python scripts/ocr_engines_eval.py [--out /tmp/ocr-engines] [--engines tesseract trueocr] [-w 1]
    .venv/bin/python scripts/ocr_engines_eval.py --score-only   # eval the outputs already in OUT again

Run it on a quiet machine for the wall figures; CPU seconds hold under load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["doc_type", "issuer", "number", "number.notation", "place", "issued_date", "subject"]
SHOWN = [("signer.name", "signer"), ("signer.position", "position"), ("tasks", "tasks"), ("task.lead", "lead"), ("task.deadline", "deadline")]


def scan_files(corpus: Path) -> list[Path]:
    out = []
    for line in (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            if entry.get("kind") == "scan":
                out.append(corpus / entry["file"])
    return out


def extract(engine: str, files: list[Path], out: Path, workers: int) -> dict[str, float]:
    """One whole ``congvan extract`` process: wall, CPU (it and its children), peak MB of one process.

    It runs in a fresh interpreter of its own (a child of a child), so that the
    peak memory is this run's and not the one before."""
    code = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "rc = subprocess.run(sys.argv[1:]).returncode\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': rc, 'wall': time.perf_counter() - t, 'cpu': r.ru_utime + r.ru_stime, 'peak_mb': r.ru_maxrss / 1024}))\n"
    )
    cmd = [sys.executable, "-m", "pipeline.cli", "extract", *map(str, files), "--out", str(out), "-w", str(workers), "--force", "-q", "--ocr", engine]
    proc = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, cwd=ROOT)
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    if figures["rc"] not in (0, 1):
        raise SystemExit(f"congvan extract --ocr {engine} failed (exit {figures['rc']}): {proc.stderr[-2000:]}")
    pages = 0
    for f in out.rglob("*.json"):
        try:
            pages += int(json.loads(f.read_text(encoding="utf-8"))["source"].get("pages") or 0)
        except (ValueError, KeyError, TypeError):
            continue
    figures["pages"] = pages
    return figures


def score(pred: Path, part: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "scores.json"
        subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "eval", str(pred), "--kind", "scan", "--part", part, "--misses", "0", "--json", str(target)],
            capture_output=True, text=True, cwd=ROOT, check=True,
        )
        scores = json.loads(target.read_text(encoding="utf-8"))
    out = {"header_macro_f1": sum(scores[f]["f1"] for f in HEADER) / len(HEADER)}
    out.update({name: scores[name]["f1"] for name, _ in SHOWN})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "ocr-engines")
    ap.add_argument("--engines", nargs="+", default=["tesseract", "trueocr"])
    ap.add_argument("-w", "--workers", type=int, default=1)
    ap.add_argument("--score-only", action="store_true", help="score the outputs already in OUT/ENGINE")
    args = ap.parse_args()
    files = scan_files(ROOT / "corpus")
    saved = args.out / "figures.json"
    figures: dict[str, dict] = json.loads(saved.read_text()) if args.score_only and saved.exists() else {}
    for engine in args.engines:
        dest = args.out / engine
        if not args.score_only:
            print(f"{engine}: congvan extract of {len(files)} scan documents ...", file=sys.stderr, flush=True)
            figures[engine] = {"speed": extract(engine, files, dest, args.workers)}
        figures.setdefault(engine, {})["dev"] = score(dest, "dev")
        figures[engine]["test"] = score(dest, "test")
    args.out.mkdir(parents=True, exist_ok=True)
    figures["_run"] = {"time": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load": list(os.getloadavg()), "workers": args.workers}
    saved.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(f"{'engine':10} {'part':5} {'header':>7} " + " ".join(f"{label:>8}" for _, label in SHOWN))
    for engine in args.engines:
        for part in ("dev", "test"):
            s = figures[engine][part]
            print(f"{engine:10} {part:5} {s['header_macro_f1']:7.3f} " + " ".join(f"{s[name]:8.3f}" for name, _ in SHOWN))
    print(f"\n{'engine':10} {'pages':>5} {'s/page':>7} {'CPU-s/page':>10} {'peak MB':>8}")
    for engine in args.engines:
        sp = figures[engine].get("speed")
        if sp and sp["pages"]:
            print(f"{engine:10} {sp['pages']:5d} {sp['wall'] / sp['pages']:7.2f} {sp['cpu'] / sp['pages']:10.2f} {sp['peak_mb']:8.0f}")
    print(f"\nload average at the end: {figures['_run']['load']}; figures in {saved}")


if __name__ == "__main__":
    main()
