"""The batch on a Dask cluster (issue 15): the same outputs, index and guarantees
as the local engine, on a LocalCluster of 2 worker processes started here."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from pipeline.batch import ERRORS_NAME, INDEX_NAME, run_batch  # noqa: E402
from tests.dask_helpers import worker_killer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "corpus/docs"
# text, markdown, Word and a text PDF (scans are left out to stay fast; the
# timeout test reads one)
SAMPLE = ["102.txt", "103.txt", "265.txt", "297.md", "239.docx", "291.docx", "115.pdf"]
SCAN = DOCS / "126.pdf"  # two scanned pages: OCR takes many seconds
TIMING = {"seconds", "peak_mb", "time"}  # the index fields that differ from run to run


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster for the module (2 processes, 1 thread each): each
    worker loads the pipeline once, on its first document."""
    import dask

    with dask.config.set({"distributed.worker.daemon": False}):
        lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(lc)
    yield client
    client.close()
    lc.close()


def _copy(names: list[str], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for n in names:
        (folder / n).write_bytes((DOCS / n).read_bytes())
    return folder


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.json")}


def _index(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / INDEX_NAME).read_text(encoding="utf-8").splitlines()]


def test_local_and_dask_engines_give_identical_outputs(tmp_path, cluster):
    src = _copy(SAMPLE, tmp_path / "in")
    local = run_batch([str(src)], tmp_path / "local", workers=2)
    dask_res = run_batch([str(src)], tmp_path / "dask", workers=2, engine="dask", address=cluster.scheduler.address)
    assert (dask_res.ok + dask_res.partial, dask_res.failed) == (local.ok + local.partial, 0) == (len(SAMPLE), 0)
    a, b = _outputs(tmp_path / "local"), _outputs(tmp_path / "dask")
    assert sorted(a) == sorted(b) and len(a) == len(SAMPLE)
    for name in a:
        assert a[name] == b[name], name  # byte for byte: the JSON has no timing field
    strip = lambda entries: sorted(({k: v for k, v in e.items() if k not in TIMING} for e in entries), key=lambda e: e["output"])
    assert strip(_index(tmp_path / "local")) == strip(_index(tmp_path / "dask"))

    # JSON lines only (no --out): the JSON comes back from the workers to the client
    jsonl = tmp_path / "all.jsonl"
    res = run_batch([str(src)], None, jsonl=jsonl, engine="dask", address=cluster.scheduler.address)
    assert res.ok + res.partial == len(SAMPLE)
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    by_path = {Path(d["source"]["path"]).name: d for d in lines}
    assert len(lines) == len(SAMPLE)
    for n in SAMPLE:
        assert by_path[n] == json.loads(a[Path(n).stem + ".json"])

    # a resume redoes nothing: no task is submitted, no output rewritten
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "dask").rglob("*.json")}
    again = run_batch([str(src)], tmp_path / "dask", engine="dask", address=cluster.scheduler.address)
    assert (again.total, again.skipped, again.ok) == (0, len(SAMPLE), 0)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "dask").rglob("*.json")} == before
    assert len(_index(tmp_path / "dask")) == len(SAMPLE)


def test_bad_and_slow_inputs_are_recorded_and_the_rest_goes_on(tmp_path, cluster):
    src = _copy(["102.txt", "103.txt", "239.docx"], tmp_path / "in")
    (src / "english.txt").write_text("The committee met on Monday to review the quarterly budget. " * 8, encoding="utf-8")
    (src / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf\n")
    (src / "slow.pdf").write_bytes(SCAN.read_bytes())
    out = tmp_path / "out"
    res = run_batch([str(src)], out, engine="dask", address=cluster.scheduler.address, timeout=3)
    assert (res.ok + res.partial, res.failed) == (3, 3)
    errors = {Path(e["path"]).name: e for e in map(json.loads, (out / ERRORS_NAME).read_text(encoding="utf-8").splitlines())}
    assert set(errors) == {"english.txt", "broken.pdf", "slow.pdf"}
    assert errors["english.txt"]["code"] == "not-vietnamese"
    assert errors["slow.pdf"]["code"] == "timeout" and "--timeout" in errors["slow.pdf"]["reason"]
    assert sorted(p.name for p in out.glob("*.json")) == ["102.json", "103.json", "239.json"]
    index = {e["output"]: e for e in _index(out)}
    assert index["slow.json"]["status"] == "failed" and index["slow.json"]["code"] == "timeout"
    assert not list(out.glob(".*.tmp"))


def _worker_pids(client) -> list[int]:
    return list(client.run(os.getpid).values())


def test_killing_a_dask_worker_mid_batch_loses_and_duplicates_nothing(tmp_path, cluster):
    src = tmp_path / "in"
    src.mkdir()
    n = 60
    text = (DOCS / "104.txt").read_bytes()
    for i in range(n):
        (src / f"d{i:03d}.txt").write_bytes(text + f"\n{i}\n".encode())
    out, jsonl = tmp_path / "out", tmp_path / "all.jsonl"
    kill_one, killed, lost = worker_killer(cluster)  # lost: the tasks the killed worker was running or holding

    res = run_batch([str(src)], out, jsonl=jsonl, engine="dask", address=cluster.scheduler.address, progress=kill_one)
    assert killed and lost and killed[0] not in _worker_pids(cluster)  # killed with work on it (replaced by its nanny)
    assert (res.ok + res.partial, res.failed, res.interrupted) == (n, 0, False)
    assert sorted(p.name for p in out.glob("*.json")) == [f"d{i:03d}.json" for i in range(n)]
    index = _index(out)
    assert sorted(e["output"] for e in index) == [f"d{i:03d}.json" for i in range(n)]  # one entry each
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    assert sorted(Path(json.loads(line)["source"]["path"]).name for line in lines) == [f"d{i:03d}.txt" for i in range(n)]
    assert not list(out.glob(".*.tmp")) and not (out / ERRORS_NAME).exists()


def test_the_command_line_starts_its_own_local_cluster_and_reads_file_urls(tmp_path):
    src = _copy(["102.txt", "239.docx"], tmp_path / "in")
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "extract", f"file://{src}", "--out", f"file://{out}", "--engine", "dask", "--workers", "2"],
        capture_output=True, cwd=ROOT, timeout=300,
    )
    assert r.returncode == 0, r.stderr.decode()
    assert sorted(p.name for p in out.glob("*.json")) == ["102.json", "239.json"]
    assert b"2 ok" in r.stderr and b"Nanny" not in r.stderr  # the cluster's own log lines stay quiet


def test_engine_errors_are_exit_2(tmp_path):
    src = _copy(["102.txt"], tmp_path / "in")
    cli = [sys.executable, "-m", "pipeline.cli", "extract", str(src)]
    r = subprocess.run([*cli, "--out", "rel-out", "--engine", "dask", "--address", "tcp://127.0.0.1:9"], capture_output=True, cwd=tmp_path)
    assert r.returncode == 2 and b"absolute paths" in r.stderr and not (tmp_path / "rel-out").exists()
    r = subprocess.run([*cli, "--out", str(tmp_path / "o"), "--engine", "spark"], capture_output=True, cwd=tmp_path)
    assert r.returncode == 2 and b"not an engine" in r.stderr
    r = subprocess.run([*cli, "--out", "nosuch://bucket/out"], capture_output=True, cwd=tmp_path)
    assert r.returncode == 2 and b"--out nosuch://bucket/out: nosuch:// is not a store congvan knows" in r.stderr
    assert not (tmp_path / "nosuch:").exists()


def test_an_unreachable_scheduler_is_a_setup_error(tmp_path, monkeypatch):
    from pipeline import dask_engine
    from pipeline.batch import BatchSetupError

    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT_S", 2)
    src = _copy(["102.txt"], tmp_path / "in")
    with pytest.raises(BatchSetupError, match="cannot reach a Dask scheduler"):
        run_batch([str(src)], tmp_path / "o", engine="dask", address="tcp://127.0.0.1:9")
    assert not (tmp_path / "o" / "102.json").exists()


def test_dask_missing_is_a_clear_exit_2(tmp_path):
    """Without dask installed: a python whose import of distributed fails."""
    src = _copy(["102.txt"], tmp_path / "in")
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['distributed'] = None\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    r = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "extract", str(src), "--out", str(tmp_path / "o"), "--engine", "dask"],
        capture_output=True, cwd=ROOT, env=env, timeout=120,
    )
    assert r.returncode == 2 and b'pip install "congvan[dask]"' in r.stderr


def test_a_scheduler_without_workers_is_a_setup_error(tmp_path, monkeypatch):
    from pipeline import dask_engine
    from pipeline.batch import BatchSetupError

    monkeypatch.setattr(dask_engine, "WORKERS_WAIT_S", 1)
    src = _copy(["102.txt"], tmp_path / "in")
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as empty:
        with pytest.raises(BatchSetupError, match="no Dask worker joined"):
            run_batch([str(src)], tmp_path / "o", engine="dask", address=empty.scheduler_address)
    assert not (tmp_path / "o" / "102.json").exists()
