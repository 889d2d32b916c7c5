"""A batch you can trust (issue 8): nothing overwritten or lost, outputs valid,
honest exit codes. Each test failed before its fix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models import DirectiveDocument
from pipeline import extract, extract_text
from pipeline.batch import INDEX_NAME, run_batch
from pipeline.errors import InputError
from pipeline.readers.legacy import unicode_to_legacy

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "corpus/docs/102.txt"
DOC2 = ROOT / "corpus/docs/103.txt"


def congvan(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], input=stdin, capture_output=True, cwd=cwd or ROOT, timeout=600)


def _outputs(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))


# ---------------------------------------------------------------- one output per input


def test_same_named_files_in_subfolders_give_one_output_each(tmp_path):
    coll = tmp_path / "coll"
    for d in "abc":
        (coll / d).mkdir(parents=True)
        (coll / d / "cv.txt").write_bytes(DOC.read_bytes())
    res = run_batch([str(coll)], tmp_path / "o")
    assert res.ok == 3
    assert _outputs(tmp_path / "o") == ["a/cv.json", "b/cv.json", "c/cv.json"]
    again = run_batch([str(coll)], tmp_path / "o")
    assert (again.skipped, again.ok) == (3, 0)


def test_same_stem_different_suffix_keeps_both(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in/x.txt").write_bytes(DOC.read_bytes())
    (tmp_path / "in/x.md").write_bytes(DOC2.read_bytes())
    (tmp_path / "in/y.txt").write_bytes(DOC2.read_bytes())
    run_batch([str(tmp_path / "in")], tmp_path / "o")
    assert _outputs(tmp_path / "o") == ["x.md.json", "x.txt.json", "y.json"]


def test_file_arguments_from_different_folders_do_not_collide(tmp_path):
    for d in "ab":
        (tmp_path / d).mkdir()
        (tmp_path / d / "cv.txt").write_bytes(DOC.read_bytes())
    res = run_batch([str(tmp_path / "a/cv.txt"), str(tmp_path / "b/cv.txt")], tmp_path / "o")
    assert res.ok == 2 and len(_outputs(tmp_path / "o")) == 2


# ---------------------------------------------------------------- outputs valid


def test_every_output_and_jsonl_line_validates_against_the_schema(tmp_path):
    docs = tmp_path / "in"
    docs.mkdir()
    for name in ("000.txt", "102.txt", "115.pdf", "001.txt"):
        (docs / name).write_bytes((ROOT / "corpus/docs" / name).read_bytes())
    run_batch([str(docs)], tmp_path / "o", jsonl=tmp_path / "all.jsonl")
    files = list((tmp_path / "o").rglob("*.json"))
    assert len(files) == 4
    for f in files:
        DirectiveDocument.model_validate_json(f.read_text(encoding="utf-8"))
    lines = (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    for line in lines:
        DirectiveDocument.model_validate_json(line)


def test_stdin_output_has_no_made_up_path():
    r = congvan("extract", "-", stdin=DOC.read_bytes())
    assert r.returncode == 0, r.stderr
    doc = DirectiveDocument.model_validate_json(r.stdout)
    assert doc.source.path is None


# ---------------------------------------------------------------- only documents are read


def test_unknown_types_are_skipped_with_a_record(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "hello.xyz").write_text("hello", encoding="utf-8")
    (src / "empty.json").write_text("{}", encoding="utf-8")
    (src / "cv.txt").write_bytes(DOC.read_bytes())
    res = run_batch([str(src)], tmp_path / "o")
    assert (res.ok, res.failed, res.not_read) == (1, 0, 2)
    recs = [json.loads(x) for x in (tmp_path / "o/errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(Path(r["path"]).name for r in recs) == ["empty.json", "hello.xyz"]
    assert all(r["status"] == "skipped" and "not a document type" in r["reason"] for r in recs)


def test_output_folder_inside_the_input_is_never_read(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "102.txt").write_bytes(DOC.read_bytes())
    for _ in range(2):
        run_batch([str(src)], src / "out", force=True)
    assert _outputs(src / "out") == ["102.json"]


def test_symlink_out_of_the_folder_is_not_followed(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_bytes(DOC2.read_bytes())
    (src / "leak.txt").symlink_to(secret)
    (src / "etc").symlink_to(tmp_path, target_is_directory=True)
    (src / "cv.txt").write_bytes(DOC.read_bytes())
    res = run_batch([str(src)], tmp_path / "o")
    assert res.ok == 1 and _outputs(tmp_path / "o") == ["cv.json"]
    assert res.not_read == 2


def test_a_fifo_is_skipped_not_waited_on(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    os.mkfifo(src / "pipe.txt")
    (src / "cv.txt").write_bytes(DOC.read_bytes())
    res = run_batch([str(src)], tmp_path / "o")
    assert res.ok == 1 and res.not_read == 1


# ---------------------------------------------------------------- JSONL


def test_jsonl_rerun_leaves_one_line_per_document(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_bytes(DOC.read_bytes())
    (src / "b.txt").write_bytes(DOC2.read_bytes())
    out = tmp_path / "all.jsonl"
    run_batch([str(src)], None, jsonl=out)
    run_batch([str(src)], None, jsonl=out)  # unchanged: skipped
    run_batch([str(src)], None, jsonl=out, force=True)  # redone: replaces
    (src / "a.txt").write_bytes(DOC2.read_bytes())  # changed: redone
    run_batch([str(src)], None, jsonl=out)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(x["source"]["path"] for x in lines) == [str(src / "a.txt"), str(src / "b.txt")]


def test_jsonl_dash_is_standard_output(tmp_path):
    r = congvan("extract", str(DOC), "--jsonl", "-", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "-").exists()
    assert len(r.stdout.decode().splitlines()) == 1
    DirectiveDocument.model_validate_json(r.stdout.decode().splitlines()[0])


# ---------------------------------------------------------------- the Python API


def test_api_missing_path_is_an_error_not_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError):
        extract("corpus/docs/102.txt")
    with pytest.raises(TypeError, match="extract_text"):
        extract(DOC.read_text(encoding="utf-8"))


def test_api_text_gets_the_same_repairs_as_bytes():
    text = DOC.read_text(encoding="utf-8")
    legacy = unicode_to_legacy(text, "tcvn3")
    a = extract_text(legacy)
    b = extract(DOC)
    assert a.number == b.number and a.subject == b.subject
    assert any(w.code == "legacy-encoding" for w in a.warnings)


# ---------------------------------------------------------------- status


def test_illegible_number_makes_the_result_partial():
    text = DOC.read_text(encoding="utf-8")
    doc = extract_text(text)
    assert doc.status == "ok"
    raw = doc.number.raw if doc.number else ""
    serial = doc.number.serial if doc.number else ""
    assert serial
    doc2 = extract_text(text.replace(raw.replace("/", " /", 1), "/" + raw.split("/", 1)[1]).replace(raw, "/" + raw.split("/", 1)[1]))
    assert doc2.number is not None and doc2.number.serial is None
    # a blank printed serial (an unnumbered draft) stays ok; an invalid date does not
    assert doc2.status == "ok"
    bad = text.replace("ngày 26 tháng 8 năm 2025", "ngày 31 tháng 02 năm 2025")
    if bad != text:
        assert extract_text(bad).status == "partial"


# ---------------------------------------------------------------- exit codes and messages


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["extract", "/nonexistent/x", "--out", "{tmp}/o"], 1, "no such file"),
        (["extract", "-", str(DOC), "--out", "{tmp}/o"], 2, "cannot be mixed"),
        (["extract", str(DOC)], 2, "--out DIR or --jsonl"),
        (["extract", str(DOC), "--out", str(DOC)], 2, "not a folder"),
        (["extract", str(DOC), "--jsonl", "/nonexistent-dir/x.jsonl"], 2, "does not exist"),
        (["extract", str(DOC), "--out", "{tmp}/o"], 0, "1 ok"),
        (["eval", "{tmp}/nothing"], 2, "no predictions"),
        (["eval", "{tmp}", "--corpus", "{tmp}/nocorpus"], 2, "no corpus"),
        (["eval", "{tmp}", "--kind", "bogus"], 2, "unknown kind"),
    ],
    ids=["missing-input", "stdin-mixed", "no-output", "out-is-a-file", "jsonl-dir-missing", "ok", "eval-no-pred", "eval-no-corpus", "eval-bad-kind"],
)
def test_exit_codes(tmp_path, args, code, message):
    r = congvan(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr.decode()
    assert b"Traceback" not in r.stderr


def test_failed_stdin_document_exits_1():
    r = congvan("extract", "-", stdin=b"\x00\x01\x02" * 100)
    assert r.returncode == 1 and b"standard input" in r.stderr


def test_version_and_plain_help():
    r = congvan("--version")
    assert r.returncode == 0 and r.stdout.startswith(b"congvan ")
    h = congvan("extract", "--help").stdout.decode()
    assert "<bool>" not in h and "<list" not in h


def test_errors_jsonl_has_time_and_the_failing_stage(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in/empty.txt").write_bytes(b"")
    (tmp_path / "in/english.txt").write_text("The committee met on Monday to review the quarterly budget. " * 8, encoding="utf-8")
    run_batch([str(tmp_path / "in")], tmp_path / "o")
    run_batch([str(tmp_path / "in")], tmp_path / "o")
    recs = [json.loads(x) for x in (tmp_path / "o/errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(recs) == 4  # one per failed input per run
    by = {Path(r["path"]).name: r for r in recs}
    assert by["empty.txt"]["stage"] == "read"
    assert by["english.txt"]["stage"] == "normalize" and by["english.txt"]["code"] == "not-vietnamese"
    assert all(r["time"] for r in recs)


def test_outputs_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        run_batch([str(DOC)], tmp_path / "o")
    finally:
        os.umask(old)
    assert (tmp_path / "o/102.json").stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------- interruption


# enough documents that a loaded machine cannot finish them all before the
# test's SIGINT lands (300 did once, with the load average at 8)
N_CTRL_C = 1000


@pytest.mark.slow
def test_ctrl_c_stops_soon_and_keeps_what_finished(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(N_CTRL_C):
        (src / f"{i:04d}.txt").write_bytes((DOC if i % 2 else DOC2).read_bytes() + f"\n{i}\n".encode())
    out = tmp_path / "o"
    # started with SIGINT ignored, as a shell starts a script's background job: Ctrl-C still stops it
    p = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "extract", str(src), "--out", str(out), "--workers", "2", "-q"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    index = out / INDEX_NAME
    deadline = time.time() + 300
    while time.time() < deadline and (not index.exists() or len(index.read_text().splitlines()) < 5):
        time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    t0 = time.time()
    _, err = p.communicate(timeout=120)
    stopped = time.time() - t0
    assert p.returncode == 130, err
    assert b"interrupted" in err and b"left" in err
    finished = len(list(out.glob("*.json")))
    assert 5 <= finished < N_CTRL_C
    assert stopped < 60
    r = congvan("extract", str(src), "--out", str(out), "--workers", "2")
    assert r.returncode == 0
    assert f"{finished} skipped".encode() in r.stderr or b"skipped" in r.stderr
    assert len(list(out.glob("*.json"))) == N_CTRL_C
