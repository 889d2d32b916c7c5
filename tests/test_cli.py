"""End to end through the command line: a folder with good and bad inputs."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def congvan(*args, stdin=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd or ROOT,
        timeout=600,
    )


def test_folder_with_bad_inputs_continues_and_fails_at_the_end(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    good = (ROOT / "corpus" / "docs" / "102.txt").read_bytes()
    (src / "102.txt").write_bytes(good)
    (src / "sub" / "103.txt").write_bytes((ROOT / "corpus" / "docs" / "103.txt").read_bytes())
    (src / "empty.txt").write_bytes(b"")
    (src / "junk.pdf").write_bytes(os.urandom(3000))
    out = tmp_path / "out"
    r = congvan("extract", str(src), "--out", str(out), "--workers", "2")
    assert r.returncode == 1, r.stderr
    assert (out / "102.json").exists() and (out / "sub" / "103.json").exists()
    doc = json.loads((out / "102.json").read_text(encoding="utf-8"))
    assert doc["number"]["raw"] == "9387/UBND-KT"
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {Path(e["path"]).name for e in errors} == {"empty.txt", "junk.pdf"}
    assert all(e["reason"] for e in errors)
    assert b"empty.txt" in r.stderr and b"junk.pdf" in r.stderr
    # the inputs are untouched
    assert (src / "102.txt").read_bytes() == good


def test_rerun_skips_unchanged_inputs_and_force_redoes(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_bytes((ROOT / "corpus" / "docs" / "103.txt").read_bytes())
    out = tmp_path / "out"
    r1 = congvan("extract", str(src), "--out", str(out))
    assert r1.returncode == 0, r1.stderr
    assert b"1 ok" in r1.stderr
    r2 = congvan("extract", str(src), "--out", str(out))
    assert b"1 skipped" in r2.stderr
    (src / "a.txt").write_bytes((ROOT / "corpus" / "docs" / "102.txt").read_bytes())
    r3 = congvan("extract", str(src), "--out", str(out))
    assert b"1 ok" in r3.stderr
    r4 = congvan("extract", str(src), "--out", str(out), "--force")
    assert b"1 ok" in r4.stderr and b"0 skipped" in r4.stderr


def test_jsonl_and_stdin(tmp_path):
    jl = tmp_path / "all.jsonl"
    r = congvan("extract", "corpus/docs/102.txt", "corpus/docs/103.txt", "--jsonl", str(jl))
    assert r.returncode == 0, r.stderr
    lines = jl.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and all(json.loads(x)["schema_name"] == "DirectiveDocument" for x in lines)
    r = congvan("extract", "-", stdin=(ROOT / "corpus" / "docs" / "102.txt").read_bytes())
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["number"]["raw"] == "9387/UBND-KT"


def test_schema_command_prints_the_schema():
    r = congvan("schema")
    assert r.returncode == 0
    assert json.loads(r.stdout)["title"] == "DirectiveDocument"
