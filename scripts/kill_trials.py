"""Kill a batch and resume it (issue 13): figures, and the helpers of tests/test_fuzz.py.

    python scripts/kill_trials.py WORKDIR [--docs 300] [--trials 8] [--seed 7]

generates small text documents, runs ``congvan extract --out --jsonl -w 2``,
kills it with SIGKILL at random points (the parent alone, or its whole process
group) and resumes, ``--trials`` times; then lets a run finish and prints: kill
trials, documents redone after a resume (a finished document's output rewritten),
duplicate outputs and JSONL lines, temporary files left, workers alive after
their parent was killed, and the time from SIGTERM to exit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDEX_NAME = ".congvan-index.jsonl"

AGENCIES = ["Sở Nội vụ", "Sở Tài chính", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Công an tỉnh", "Sở Xây dựng"]


def make_docs(folder: Path, n: int = 300, seed: int = 7) -> list[Path]:
    """``n`` short công văn, each different."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        lead, support = rng.sample(AGENCIES, 2)
        day, month = rng.randint(1, 28), rng.randint(1, 12)
        text = (
            "ỦY BAN NHÂN DÂN                CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
            "TỈNH AN GIANG                         Độc lập - Tự do - Hạnh phúc\n\n"
            f"Số: {i + 1}/UBND-VP                An Giang, ngày {day} tháng {month} năm 2025\n"
            f"V/v triển khai nhiệm vụ số {i + 1}\n\n"
            f"Kính gửi: {lead}.\n\n"
            f"Giao {lead} chủ trì, phối hợp với {support} thực hiện nhiệm vụ {i + 1}, "
            f"báo cáo kết quả về Ủy ban nhân dân tỉnh trước ngày {day}/{month}/2026.\n\n"
            "Nơi nhận:                                  KT. CHỦ TỊCH\n- Như trên;                                 PHÓ CHỦ TỊCH\n- Lưu: VT.\n"
        )
        p = folder / f"cv-{i:04d}.txt"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


def command(src: Path, out: Path, jsonl: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", "extract", str(src), "--out", str(out), "--jsonl", str(jsonl), "-w", "2", "-q"]


def index_lines(out: Path) -> list[dict]:
    path = out / INDEX_NAME
    if not path.exists():
        return []
    recs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            recs.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line torn by the kill
    return recs


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(d))
    return kids


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def finished_outputs(out: Path) -> dict[str, tuple[int, int]]:
    """Outputs the index records as finished, with their inode and mtime (a rewrite changes both)."""
    found = {}
    for rec in index_lines(out):
        if rec.get("status") in ("ok", "partial"):
            p = out / rec["output"]
            if p.exists():
                st = p.stat()
                found[rec["output"]] = (st.st_ino, st.st_mtime_ns)
    return found


def wait_for_index(out: Path, at_least: int, proc: subprocess.Popen, limit_s: float = 300) -> bool:
    """Wait until ``at_least`` documents are finished (distinct outputs the index
    records; a resumed run's lines for documents it skips do not count)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and proc.poll() is None:
        if len(finished_outputs(out)) >= at_least:
            return True
        time.sleep(0.05)
    return proc.poll() is None


def kill_trial(src: Path, out: Path, jsonl: Path, rng: random.Random, total: int, group: bool = False) -> dict:
    """Start a run, SIGKILL it once a random number more documents have finished; what it left."""
    done_before = len(finished_outputs(out))
    target = done_before + rng.randint(1, max(1, (total - done_before) // 3))
    proc = subprocess.Popen(command(src, out, jsonl), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    running = wait_for_index(out, target, proc)
    workers = children_of(proc.pid)
    if running:
        time.sleep(rng.random() * 0.3)  # anywhere between two documents
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(w) for w in workers):
        time.sleep(0.05)
    return {
        "killed": running,
        "finished": finished_outputs(out),
        "workers": len(workers),
        "orphans": sum(alive(w) for w in workers),
    }


def sigterm_seconds(src: Path, out: Path, jsonl: Path, after: int) -> tuple[float, int, int]:
    """Seconds from SIGTERM to the run's exit, its exit code and the workers still alive."""
    proc = subprocess.Popen(command(src, out, jsonl), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_index(out, len(finished_outputs(out)) + after, proc)
    workers = children_of(proc.pid)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait()
    return time.monotonic() - t0, code, sum(alive(w) for w in workers)


def temporaries(*folders: Path) -> list[Path]:
    return [p for f in folders for p in f.rglob("*.tmp")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    src, out, jsonl = args.workdir / "in", args.workdir / "out", args.workdir / "all.jsonl"
    make_docs(src, args.docs, args.seed)
    redone = orphans = kills = 0
    for t in range(args.trials):
        before = finished_outputs(out)
        trial = kill_trial(src, out, jsonl, rng, args.docs, group=t % 2 == 1)
        kills += trial["killed"]
        orphans += trial["orphans"]
        # outputs finished before this trial's run and rewritten by it were redone
        redone += sum(1 for k, v in before.items() if trial["finished"].get(k, v) != v)
        print(f"trial {t + 1}: killed={trial['killed']} finished={len(trial['finished'])} orphans={trial['orphans']}", file=sys.stderr)
    # SIGTERM on fresh outputs (the killed runs may have little left to do)
    terms = [sigterm_seconds(src, args.workdir / f"term{k}", args.workdir / f"term{k}.jsonl", 20) for k in range(3)]
    before = finished_outputs(out)
    r = subprocess.run(command(src, out, jsonl), cwd=ROOT, capture_output=True)
    final = finished_outputs(out)
    redone += sum(1 for k, v in before.items() if final.get(k, v) != v)
    lines = [json.loads(x) for x in jsonl.read_text(encoding="utf-8").splitlines()]
    keys = [x["source"]["path"] for x in lines]
    outputs = sorted(p.name for p in out.glob("*.json"))
    print(json.dumps({
        "documents": args.docs,
        "kill_trials": args.trials,
        "killed_mid_run": kills,
        "workers_alive_after_parent_killed": orphans,
        "documents_redone_after_resume": redone,
        "outputs": len(outputs),
        "duplicate_jsonl_lines": len(keys) - len(set(keys)),
        "jsonl_lines": len(lines),
        "temporary_files_left": len(temporaries(out, jsonl.parent)),
        "sigterm_to_exit_s": [round(t[0], 2) for t in terms],
        "sigterm_exit_codes": [t[1] for t in terms],
        "workers_alive_after_sigterm": sum(t[2] for t in terms),
        "final_run_exit_code": r.returncode,
    }, indent=1))


if __name__ == "__main__":
    main()
