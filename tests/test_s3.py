"""SOURCE and --out as s3:// URLs (issue 15, pipeline/stores.py).

The S3 endpoint is moto's server mode (``moto.server.ThreadedMotoServer``): a
real HTTP server on localhost speaking the S3 protocol, which s3fs/botocore
reach over the network exactly as they reach AWS or MinIO. It is moto, not AWS:
what AWS alone does (eventual listings of old regions, throttling, multipart
ETags of large uploads) is not exercised here.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

from pipeline.batch import ERRORS_NAME, INDEX_NAME, run_batch  # noqa: E402
from pipeline.stores import ENDPOINT_ENV, LOCK_NAME, PARTS_DIR, filesystem  # noqa: E402
from tests.dask_helpers import worker_killer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "corpus/docs"
# text, markdown, Word and a text PDF (as tests/test_dask.py: scans are slow)
SAMPLE = ["102.txt", "103.txt", "265.txt", "297.md", "239.docx", "291.docx", "115.pdf"]
TIMING = {"seconds", "peak_mb", "time"}
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server on a free port; the environment points congvan at it
    (fake credentials, $CONGVAN_S3_ENDPOINT_URL). Yields the fsspec filesystem."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {**AWS_ENV, ENDPOINT_ENV: f"http://{host}:{port}"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    fs, _ = filesystem("s3://congvan-test")
    fs.mkdir("congvan-test")
    yield fs
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    server.stop()


@pytest.fixture(scope="module")
def cluster(s3):
    """A LocalCluster of 2 processes started after the endpoint is set (its workers inherit it)."""
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.worker.daemon": False}):
        lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(lc)
    yield client
    client.close()
    lc.close()


_prefixes = iter(range(10_000))


def _prefix() -> str:
    """A fresh prefix in the test bucket for each use."""
    return f"congvan-test/t{next(_prefixes)}"


def _upload(fs, names: list[str], prefix: str, local: Path | None = None) -> str:
    for n in names:
        data = (DOCS / n).read_bytes()
        fs.pipe_file(f"{prefix}/{n}", data)
        if local is not None:
            local.mkdir(parents=True, exist_ok=True)
            (local / n).write_bytes(data)
    return f"s3://{prefix}"


def _store_outputs(fs, prefix: str) -> dict[str, bytes]:
    fs.invalidate_cache()
    return {p[len(prefix) + 1 :]: fs.cat_file(p) for p in fs.find(prefix) if p.endswith(".json")}


def _store_jsonl(fs, key: str) -> list[dict]:
    return [json.loads(line) for line in fs.cat_file(key).decode("utf-8").splitlines()]


def _same_but_path(local: bytes, remote: bytes, local_path: str, url: str) -> bool:
    """The store's output is the local one byte for byte, but for source.path (the URL, as given)."""
    assert json.loads(local)["source"]["path"] == local_path and json.loads(remote)["source"]["path"] == url
    old, new = f'"path": {json.dumps(local_path, ensure_ascii=False)}', f'"path": {json.dumps(url, ensure_ascii=False)}'
    assert local.decode("utf-8").count(old) == 1
    return local.decode("utf-8").replace(old, new) == remote.decode("utf-8")


def _strip(entries: list[dict]) -> list[dict]:
    drop = TIMING | {"input", "etag"}
    return sorted(({k: v for k, v in e.items() if k not in drop} for e in entries), key=lambda e: e["output"])


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_s3_source_and_dest_give_the_local_outputs(tmp_path, s3, engine, request):
    address = request.getfixturevalue("cluster").scheduler.address if engine == "dask" else None
    src = tmp_path / "in"
    prefix = _prefix()
    url = _upload(s3, SAMPLE, f"{prefix}/in", src)
    local = run_batch([str(src)], tmp_path / "local", workers=2)
    res = run_batch([url], f"s3://{prefix}/out", workers=2, engine=engine, address=address)
    assert (res.ok + res.partial, res.failed) == (local.ok + local.partial, 0) == (len(SAMPLE), 0)
    mine = _store_outputs(s3, f"{prefix}/out")
    theirs = {p.name: p.read_bytes() for p in (tmp_path / "local").glob("*.json")}
    assert sorted(mine) == sorted(theirs) and len(mine) == len(SAMPLE)
    for n in SAMPLE:
        out = Path(n).stem + ".json"
        assert _same_but_path(theirs[out], mine[out], str(src / n), f"{url}/{n}"), n
    index = _store_jsonl(s3, f"{prefix}/out/{INDEX_NAME}")
    assert _strip(index) == _strip([json.loads(line) for line in (tmp_path / "local" / INDEX_NAME).read_text().splitlines()])
    assert all(e["input"].startswith(url) and e["etag"] for e in index)  # the store's fingerprint, for the resume
    s3.invalidate_cache()
    assert not s3.exists(f"{prefix}/out/{PARTS_DIR}") and not s3.exists(f"{prefix}/out/{LOCK_NAME}")
    assert not s3.exists(f"{prefix}/out/{ERRORS_NAME}")

    # a resume reads nothing: every object's ETag is the index's
    again = run_batch([url], f"s3://{prefix}/out", workers=2, engine=engine, address=address)
    assert (again.total, again.skipped, again.ok) == (0, len(SAMPLE), 0)
    assert len(_store_jsonl(s3, f"{prefix}/out/{INDEX_NAME}")) == len(SAMPLE)

    # one object changed: that one alone is read again
    s3.pipe_file(f"{prefix}/in/102.txt", (DOCS / "102.txt").read_bytes() + "\nKính gửi thêm.\n".encode())
    third = run_batch([url], f"s3://{prefix}/out", workers=2, engine=engine, address=address)
    assert (third.total, third.skipped, third.ok + third.partial) == (1, len(SAMPLE) - 1, 1)
    index = {e["output"]: e for e in _store_jsonl(s3, f"{prefix}/out/{INDEX_NAME}")}
    assert len(index) == len(SAMPLE) and json.loads(_store_outputs(s3, f"{prefix}/out")["102.json"])["source"]["sha256"] == index["102.json"]["sha256"]


def test_mixed_places_local_to_s3_and_s3_to_jsonl(tmp_path, s3):
    """A local folder to an s3 DEST, and an s3 SOURCE to a local JSON-lines file (one process, no pool)."""
    src = tmp_path / "in"
    prefix = _prefix()
    url = _upload(s3, ["102.txt", "239.docx"], f"{prefix}/in", src)
    res = run_batch([str(src)], f"s3://{prefix}/out", workers=1, timeout=0, max_memory_mb=0)
    assert res.ok + res.partial == 2
    outs = _store_outputs(s3, f"{prefix}/out")
    assert json.loads(outs["102.json"])["source"]["path"] == str(src / "102.txt")  # read in place, not staged
    jsonl = tmp_path / "all.jsonl"
    res = run_batch([url], None, jsonl=jsonl, workers=1, timeout=0, max_memory_mb=0)
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert sorted(d["source"]["path"] for d in lines) == [f"{url}/102.txt", f"{url}/239.docx"]
    one = run_batch([f"{url}/239.docx"], tmp_path / "one", workers=1, timeout=0, max_memory_mb=0)  # one object, not a prefix
    assert one.ok + one.partial == 1 and [p.name for p in (tmp_path / "one").glob("*.json")] == ["239.json"]
    assert json.loads((tmp_path / "one" / INDEX_NAME).read_text())["etag"]
    assert not list(Path(tempfile.gettempdir()).glob("congvan-staged-*"))  # the local copies are gone


def test_an_object_past_the_size_limit_is_not_downloaded(tmp_path, s3, monkeypatch):
    import pipeline

    monkeypatch.setenv("CONGVAN_MAX_FILE_MB", "0.001")  # 1 KB; 102.txt is 3 KB

    def never(*args, **kwargs):  # refused by the staging (the GET's size), not by the reader after a download
        raise AssertionError("the pipeline read a copy of an object past the limit")

    monkeypatch.setattr(pipeline, "run_state", never)
    prefix = _prefix()
    url = _upload(s3, ["102.txt"], f"{prefix}/in")
    res = run_batch([url], tmp_path / "out", workers=1, timeout=0, max_memory_mb=0)
    assert res.failed == 1 and "too large" in res.errors[0]["reason"] and res.errors[0]["path"] == f"{url}/102.txt"
    assert not list(Path(tempfile.gettempdir()).glob("congvan-staged-*"))


def test_bad_documents_in_s3_are_recorded_and_the_rest_goes_on(tmp_path, s3):
    prefix = _prefix()
    url = _upload(s3, ["102.txt", "103.txt"], f"{prefix}/in")
    s3.pipe_file(f"{prefix}/in/english.txt", b"The committee met on Monday to review the quarterly budget. " * 8)
    s3.pipe_file(f"{prefix}/in/broken.pdf", b"%PDF-1.4\nnot really a pdf\n")
    s3.pipe_file(f"{prefix}/in/notes.xlsx", b"PK\x03\x04 not a document")
    res = run_batch([url], f"s3://{prefix}/out", workers=2)
    assert (res.ok + res.partial, res.failed, res.not_read) == (2, 2, 1)
    errors = {e["path"].rsplit("/", 1)[-1]: e for e in _store_jsonl(s3, f"{prefix}/out/{ERRORS_NAME}")}
    assert set(errors) == {"english.txt", "broken.pdf", "notes.xlsx"}
    assert errors["english.txt"]["code"] == "not-vietnamese" and errors["english.txt"]["path"] == f"{url}/english.txt"
    assert errors["notes.xlsx"]["status"] == "skipped"
    assert sorted(_store_outputs(s3, f"{prefix}/out")) == ["102.json", "103.json"]
    # a failed document is tried again by the next run, its record appended to errors.jsonl
    again = run_batch([url], f"s3://{prefix}/out", workers=2)
    assert (again.total, again.failed) == (2, 2)
    assert len(_store_jsonl(s3, f"{prefix}/out/{ERRORS_NAME}")) == 6


def test_a_killed_run_leaves_parts_the_next_run_reads(tmp_path, s3, monkeypatch):
    """The index reaches the store as part objects while the run goes; a run that
    dies before its end (no compaction) leaves them, and the next run skips what they record."""
    import pipeline.stores as stores

    monkeypatch.setattr(stores, "FLUSH_S", 0.0)  # every record flushed at once
    prefix = _prefix()
    url = _upload(s3, ["102.txt", "103.txt", "265.txt"], f"{prefix}/in")

    def die_after_two(rec, done, total):
        if done == 2:
            raise RuntimeError("the client died")

    with monkeypatch.context() as m:  # dead: the logs are never closed (compacted)
        m.setattr(stores.StoreLog, "close", lambda self, rewrite=None: None)
        with pytest.raises(RuntimeError):
            run_batch([url], f"s3://{prefix}/out", workers=1, timeout=0, max_memory_mb=0, progress=die_after_two)
    s3.invalidate_cache()
    parts = s3.find(f"{prefix}/out/{PARTS_DIR}")
    assert parts, "the records flushed before the end are in the store"
    res = run_batch([url], f"s3://{prefix}/out", workers=1, timeout=0, max_memory_mb=0)
    assert (res.skipped, res.total) == (2, 1)
    s3.invalidate_cache()
    assert not s3.exists(f"{prefix}/out/{PARTS_DIR}")
    assert len(_store_jsonl(s3, f"{prefix}/out/{INDEX_NAME}")) == 3


def test_killing_a_dask_worker_with_dest_in_s3_loses_and_duplicates_nothing(tmp_path, s3, cluster):
    prefix = _prefix()
    n = 48
    text = (DOCS / "104.txt").read_bytes()
    for i in range(n):
        s3.pipe_file(f"{prefix}/in/d{i:03d}.txt", text + f"\n{i}\n".encode())
    kill_one, killed, lost = worker_killer(cluster)

    res = run_batch([f"s3://{prefix}/in"], f"s3://{prefix}/out", engine="dask", address=cluster.scheduler.address, progress=kill_one)
    assert killed and lost and killed[0] not in cluster.run(os.getpid).values()
    assert (res.ok + res.partial, res.failed, res.interrupted) == (n, 0, False)
    assert sorted(_store_outputs(s3, f"{prefix}/out")) == [f"d{i:03d}.json" for i in range(n)]
    assert sorted(e["output"] for e in _store_jsonl(s3, f"{prefix}/out/{INDEX_NAME}")) == [f"d{i:03d}.json" for i in range(n)]
    assert not s3.exists(f"{prefix}/out/{ERRORS_NAME}")


def test_the_command_line_with_s3_urls_and_its_errors(tmp_path, s3):
    prefix = _prefix()
    url = _upload(s3, ["102.txt"], f"{prefix}/in")
    endpoint = os.environ[ENDPOINT_ENV]
    env = {k: v for k, v in os.environ.items() if k != ENDPOINT_ENV}  # given by --endpoint-url instead
    cli = [sys.executable, "-m", "pipeline.cli", "extract", url, "--endpoint-url", endpoint]
    r = subprocess.run([*cli, "--out", f"s3://{prefix}/out", "--workers", "1"], capture_output=True, cwd=ROOT, env=env, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    assert b"1 ok" in r.stderr and "102.json" in _store_outputs(s3, f"{prefix}/out")

    r = subprocess.run([*cli, "--out", "s3://no-such-bucket/out"], capture_output=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 2 and b"the bucket no-such-bucket does not exist" in r.stderr

    s3.pipe_file(f"{prefix}/busy/{LOCK_NAME}", json.dumps({"host": "h", "pid": 7, "token": "x", "time": time.time()}).encode())
    r = subprocess.run([*cli, "--out", f"s3://{prefix}/busy"], capture_output=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 2 and b"another congvan run (process 7 on h)" in r.stderr

    r = subprocess.run([*cli, "--out", str(tmp_path / "o"), "--jsonl", f"s3://{prefix}/x.jsonl"], capture_output=True, cwd=ROOT, env=env)
    assert r.returncode == 2 and b"--jsonl" in r.stderr


def test_the_store_lock_is_refreshed_while_the_run_goes_and_removed_after(s3, monkeypatch):
    import pipeline.stores as stores

    monkeypatch.setattr(stores, "LOCK_REFRESH_S", 0.2)
    prefix = _prefix()
    dest = stores.StoreDest(f"s3://{prefix}/out")
    dest.lock()
    first = json.loads(s3.cat_file(f"{prefix}/out/{LOCK_NAME}"))["time"]
    time.sleep(1.0)
    assert json.loads(s3.cat_file(f"{prefix}/out/{LOCK_NAME}"))["time"] > first  # a long document does not let it go stale
    with pytest.raises(stores.StoreError, match="another congvan run"):
        stores.StoreDest(f"s3://{prefix}/out").lock()
    dest.unlock()
    s3.invalidate_cache()
    assert not s3.exists(f"{prefix}/out/{LOCK_NAME}")
    s3.pipe_file(f"{prefix}/out/{LOCK_NAME}", json.dumps({"pid": 1, "host": "h", "time": time.time() - stores.LOCK_STALE_S - 1}).encode())
    taker = stores.StoreDest(f"s3://{prefix}/out")
    taker.lock()  # a dead run's lock is taken over
    # a run that looked just before the taker wrote (it saw no lock) still cannot take it: the PUT is conditional
    late = stores.StoreDest(f"s3://{prefix}/out")
    monkeypatch.setattr(late, "_held", lambda: None)
    with pytest.raises(stores.StoreError, match="at the same moment"):
        late.lock()
    assert json.loads(s3.cat_file(f"{prefix}/out/{LOCK_NAME}"))["token"] == taker.token
    taker.unlock()
