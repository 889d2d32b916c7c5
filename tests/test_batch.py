"""A folder of bad inputs: each gives an errors.jsonl record, the rest is extracted."""

import json
import os
from pathlib import Path

from pipeline.batch import run_batch

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = (
    "The committee met on Monday to review the quarterly budget and agreed that the "
    "department should submit its revised plan before the end of the month. Members "
    "asked for a clearer timeline, a list of responsible teams and a summary of the "
    "risks that could delay the work. The chair thanked everyone for attending."
)


def _errors(out: Path) -> dict[str, dict[str, str]]:
    lines = (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()
    return {Path(e["path"]).name: e for e in map(json.loads, lines)}


def test_symlink_loop_is_recorded_and_the_batch_goes_on(tmp_path):
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    (src / "a" / "loop").symlink_to(src, target_is_directory=True)
    (src / "a" / "102.txt").write_bytes((ROOT / "corpus/docs/102.txt").read_bytes())
    out = tmp_path / "out"
    res = run_batch([str(src)], out, follow_symlinks=True)
    assert res.ok == 1
    errs = (out / "errors.jsonl").read_text(encoding="utf-8")
    assert "symbolic link loop" in errs


def test_wrong_extension_is_read_by_content(tmp_path):
    pdf_as_txt = tmp_path / "cong-van.txt"
    pdf_as_txt.write_bytes((ROOT / "corpus/docs/115.pdf").read_bytes())
    out = tmp_path / "out"
    res = run_batch([str(pdf_as_txt)], out)
    assert res.ok == 1 and res.failed == 0
    doc = json.loads((out / "cong-van.json").read_text(encoding="utf-8"))
    assert doc["source"]["format"] == "pdf" and doc["number"]["raw"] == "507/UBND-KGVX"


def test_text_in_another_language_fails_with_a_reason(tmp_path):
    (tmp_path / "english.txt").write_text(ENGLISH, encoding="utf-8")
    (tmp_path / "viet.txt").write_bytes((ROOT / "corpus/docs/103.txt").read_bytes())
    out = tmp_path / "out"
    res = run_batch([str(tmp_path / "english.txt"), str(tmp_path / "viet.txt")], out)
    assert (res.ok, res.failed) == (1, 1)
    err = _errors(out)["english.txt"]
    assert "not a Vietnamese document" in err["reason"] and err["stage"] == "normalize" and err["code"] == "not-vietnamese"
    assert not (out / "english.json").exists()


def test_unaccented_vietnamese_is_still_vietnamese(tmp_path):
    from pipeline.stages.normalize import looks_vietnamese

    plain = "Giao So Noi vu chu tri phoi hop voi Cong an tinh tham muu thanh lap Ban Chi dao " * 6
    assert looks_vietnamese(plain)
    assert not looks_vietnamese(ENGLISH)


def test_crash_leaves_no_half_json(tmp_path):
    """Outputs are written atomically: a temp file renamed into place."""
    from pipeline.batch import atomic_write

    target = tmp_path / "x.json"
    target.write_text('{"old": 1}', encoding="utf-8")

    try:
        atomic_write(target, object())  # type: ignore[arg-type]  # fails while writing
    except TypeError:
        pass
    assert target.read_text(encoding="utf-8") == '{"old": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_unreadable_folder_is_recorded(tmp_path):
    if os.geteuid() == 0:
        # root reads every folder; a missing path stands in for an unreachable one
        out = tmp_path / "out"
        res = run_batch([str(tmp_path / "nope")], out)
        assert res.failed == 1 and "no such file or folder" in (out / "errors.jsonl").read_text(encoding="utf-8")
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.txt").write_text("x", encoding="utf-8")
    locked.chmod(0)
    try:
        out = tmp_path / "out"
        run_batch([str(locked)], out)
        assert "cannot open the folder" in (out / "errors.jsonl").read_text(encoding="utf-8")
    finally:
        locked.chmod(0o755)


def test_jsonl_batch_keeps_no_document_json_in_the_parent(tmp_path):
    """--jsonl: each document's JSON goes to the file, not into the batch result the
    parent keeps for the whole run (it grew ~35 MB per 1,000 documents)."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("102.txt", "103.txt"):
        (src / name).write_bytes((ROOT / "corpus/docs" / name).read_bytes())
    target = tmp_path / "all.jsonl"
    for workers, timeout in ((1, 0.0), (2, None)):  # in this process, and in a pool of workers
        res = run_batch([str(src)], None, jsonl=target, workers=workers, timeout=timeout, max_memory_mb=0 if timeout == 0.0 else None, force=True)
        assert res.ok + res.partial == 2
        assert len(res.records) == 2
        assert all("json" not in r and "timings" not in r for r in res.records)
        assert all(r["status"] in ("ok", "partial") and r["seconds"] > 0 for r in res.records)
        lines = target.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 2 and all(json.loads(line)["tasks"] is not None for line in lines)
    res = run_batch([str(src)], None, jsonl=target, workers=1, timeout=0.0, max_memory_mb=0, force=True, keep_records=False)
    assert res.ok + res.partial == 2 and res.records == []  # the command line keeps none
