"""Hostile, huge and interrupted (issue 13): the fuzz inputs of scripts/fuzz_inputs.py
(fixed seed) through the real command, every input checked; and a batch killed
with SIGKILL at random points and resumed (scripts/kill_trials.py)."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from models import DirectiveDocument

ROOT = Path(__file__).resolve().parents[1]
FUZZ_TIMEOUT_S = 60
FUZZ_MEMORY_MB = 2048
LIMIT_CODES = {"internal-error", "worker-died", "timeout", "memory-limit"}


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_every_hostile_input_gives_a_result_or_one_clear_error(tmp_path):
    fuzz = _script("fuzz_inputs")
    src = tmp_path / "in"
    cases = fuzz.make_inputs(src, seed=13)
    before = fuzz.snapshot(src)
    tmp = tmp_path / "tmp"  # the run's temporary files go here: it must be empty after
    tmp.mkdir()
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "extract", str(src), "--out", str(out), "-w", "2",
         "--timeout", str(FUZZ_TIMEOUT_S), "--max-memory", f"{FUZZ_MEMORY_MB}M", "-q"],
        cwd=ROOT, capture_output=True, timeout=900, env=dict(os.environ, TMPDIR=str(tmp)),
    )
    assert r.returncode == 1, r.stderr[-2000:]  # some inputs failed, the run went to its end
    assert b"Traceback" not in r.stderr and b"Warning" not in r.stderr, r.stderr[-2000:]

    errors: dict[str, list[dict]] = {}
    for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        errors.setdefault(rec["path"], []).append(rec)
    index: dict[str, list[dict]] = {}
    for line in (out / ".congvan-index.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        index.setdefault(rec["input"], []).append(rec)

    problems = []
    outputs = set()
    for case in cases:
        path = str(src / case.name)
        errs, entries = errors.get(path, []), index.get(path, [])
        if case.expect == "skipped":
            if len(errs) != 1 or errs[0]["status"] != "skipped" or entries:
                problems.append((case.name, "not skipped with one record", errs, entries))
            continue
        if len(entries) != 1:
            problems.append((case.name, "not exactly one index entry", entries))
            continue
        entry = entries[0]
        if entry["seconds"] > FUZZ_TIMEOUT_S or entry.get("peak_mb", 0) > FUZZ_MEMORY_MB:
            problems.append((case.name, "past a limit", entry))
        if entry["status"] == "failed":
            if len(errs) != 1 or not errs[0]["reason"] or errs[0]["code"] in LIMIT_CODES or "Traceback" in errs[0]["reason"]:
                problems.append((case.name, "not one clear error", errs))
            if (out / entry["output"]).exists():
                problems.append((case.name, "an output for a failed input"))
        else:
            if case.expect == "error":
                problems.append((case.name, f"came out {entry['status']}, must fail"))
            if errs:
                problems.append((case.name, "a result and an error", errs))
            DirectiveDocument.model_validate_json((out / entry["output"]).read_text(encoding="utf-8"))
            outputs.add(entry["output"])
    assert not problems, problems

    # nothing else written: the inputs as they were, no temporary file anywhere
    assert fuzz.snapshot(src) == before
    assert not list(tmp.iterdir())
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == outputs | {"errors.jsonl", ".congvan-index.jsonl", ".congvan.lock"}


@pytest.mark.slow
def test_a_batch_killed_at_random_points_resumes_without_redoing_or_duplicating(tmp_path):
    kt = _script("kill_trials")
    rng = random.Random(7)
    src, out, jsonl = tmp_path / "in", tmp_path / "out", tmp_path / "all.jsonl"
    inputs = kt.make_docs(src, 300)
    redone = []
    for trial in range(3):
        before = kt.finished_outputs(out)
        result = kt.kill_trial(src, out, jsonl, rng, len(inputs), group=trial == 1)
        assert result["killed"], "the run ended before it could be killed"
        assert result["orphans"] == 0, "workers outlived their killed parent"
        redone += [k for k, v in before.items() if result["finished"].get(k, v) != v]
        assert len(result["finished"]) > len(before)  # each run got further
    seconds, code, orphans = kt.sigterm_seconds(src, tmp_path / "term", tmp_path / "term.jsonl", 10)
    assert code == 130 and orphans == 0  # SIGTERM: exit 130, workers gone
    before = kt.finished_outputs(out)
    r = subprocess.run(kt.command(src, out, jsonl), cwd=ROOT, capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr
    final = kt.finished_outputs(out)
    redone += [k for k, v in before.items() if final.get(k, v) != v]
    assert redone == [], "documents finished before a kill were redone"

    assert sorted(p.name for p in out.glob("*.json")) == sorted(p.with_suffix(".json").name for p in inputs)
    lines = [json.loads(x) for x in jsonl.read_text(encoding="utf-8").splitlines()]
    assert sorted(x["source"]["path"] for x in lines) == sorted(str(p) for p in inputs)  # one line each
    assert len(final) == 300
    assert kt.temporaries(out, tmp_path) == []
