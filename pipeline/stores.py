"""SOURCE and DEST in an object store (``s3://bucket/prefix``, through fsspec):
issue 15, for workers on other machines that share no filesystem.

- The client lists SOURCE (one recursive listing) and decides what is left to
  do from the resume index at DEST; it never reads a document's bytes.
- A worker (a local pool process or a Dask worker's reading process) copies
  its input to a local temporary file (the readers need a path: PDFium,
  LibreOffice, tesseract), reads it there and removes it; the output JSON says
  ``source.path`` = the object's URL, as a local run says the path it was given.
- Each output is written with one PUT of the whole JSON. A PUT on S3 (and on
  GCS and Azure) is atomic: a reader sees the old object, or the new one whole,
  never a part; a worker killed mid-upload leaves nothing. A temporary key then
  copy + delete would cost two more requests per document and add nothing (a
  store has no rename; the copy is itself one atomic PUT).
- A store cannot append to an object, so the resume index and errors.jsonl at
  DEST are kept as the local logs are, but flushed as numbered *part* objects
  (``DEST/.congvan-parts/NAME/…``, every :data:`FLUSH_S` seconds and at the
  end); the end of a run writes ``DEST/.congvan-index.jsonl`` and
  ``DEST/errors.jsonl`` whole and deletes the parts. A run killed in between
  leaves its parts: the next run reads them (nothing it recorded is redone
  except the last few seconds' documents, whose outputs are rewritten with the
  same bytes).
- Resume: a store's listing gives each object's ETag (an MD5 of the content
  for an ordinary upload, a hash of the parts' MD5s for a multipart one) and
  size. The index keeps them beside the worker's SHA-256 of the bytes it read;
  an object whose ETag and size are unchanged is skipped without reading it.
  An object re-uploaded with the same bytes in another way gets another ETag
  and is read again (the same output, rewritten). A store whose listing gives
  no ETag: the client hashes each object (SHA-256, streamed) instead.
- One run at a time per DEST: a lock object ``DEST/.congvan.lock`` (host,
  process, time) created by a conditional PUT (If-None-Match: ``*``, refused
  when the object exists: AWS S3 honours it since 2024, moto too; a store that
  ignores it is caught by reading the token back), rewritten every 30 s by a
  thread of the client. One older than :data:`LOCK_STALE_S` is a dead run's and
  is removed and taken; two runs taking over the same dead lock in the same
  instant could both get it.

Credentials and region come from the usual environment (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, an instance role …); the endpoint
of an S3-compatible store (MinIO, Ceph, on-premises) from ``--endpoint-url``,
``$CONGVAN_S3_ENDPOINT_URL`` or botocore's own ``$AWS_ENDPOINT_URL``. Dask
workers on other machines need credentials of their own (they are not sent
with the tasks); the endpoint travels with the tasks like the other CONGVAN_
settings.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from pipeline.locations import is_store_url

if TYPE_CHECKING:
    from pipeline.batch import StoreInput

log = logging.getLogger(__name__)

ENDPOINT_ENV = "CONGVAN_S3_ENDPOINT_URL"
PARTS_DIR = ".congvan-parts"
LOCK_NAME = ".congvan.lock"
FLUSH_S = 10.0  # the index and error log reach the store at least this often
FLUSH_RECORDS = 2000  # … or after this many records
LOCK_REFRESH_S = 30.0
LOCK_STALE_S = 180.0  # a lock not refreshed for this long is a dead run's
COPY_CHUNK = 1 << 22  # 4 MiB per read when the client hashes an object (no ETag)


class StoreError(ValueError):
    """DEST or SOURCE in a store cannot be used: no such bucket, no permission,
    another run writing there (the command stops with exit code 2)."""


def storage_options(url: str) -> dict[str, Any]:
    """fsspec options for ``url``: the S3 endpoint from $CONGVAN_S3_ENDPOINT_URL."""
    endpoint = os.environ.get(ENDPOINT_ENV)
    if url.startswith(("s3://", "s3a://")) and endpoint:
        return {"client_kwargs": {"endpoint_url": endpoint}}
    return {}


def filesystem(url: str) -> tuple[Any, str]:
    """(fsspec filesystem, path without the protocol) for a store URL."""
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(url, **storage_options(url))
    return fs, str(path).rstrip("/")


def _url(fs: Any, path: str) -> str:
    return str(fs.unstrip_protocol(path))


def _etag(info: dict[str, Any]) -> str:
    """The store's content fingerprint of an object ('' when its listing has none)."""
    for key in ("ETag", "etag", "md5Hash"):
        value = info.get(key)
        if value:
            etag = str(value).strip('"')
            return f"{etag}/{info.get('size', '')}"
    return ""


def _describe(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    return text if len(text) < 300 else text[:300] + "…"


# ---------------------------------------------------------------- SOURCE


def walk_store(url: str, records: list[dict[str, str]], exclude: Iterable[str] = ()) -> Iterator[StoreInput]:
    """The documents under a store URL (a prefix is walked recursively, in key
    order), as :class:`pipeline.batch.StoreInput` with the object's URL as ``path``
    and its ETag as ``fingerprint``. What is not read goes to ``records`` like
    a local walk's: a missing prefix or bucket (failed), names that are not
    documents (skipped). Names starting with '.' and the ``exclude`` URLs
    (DEST inside SOURCE) are left out."""
    from pipeline.batch import INPUT_SUFFIXES, StoreInput, _not_a_document

    def record(path: str, reason: str, status: str = "failed") -> None:
        records.append({"path": path, "reason": reason, "stage": "walk", "status": status})

    try:
        fs, root = filesystem(url)
        fs.invalidate_cache()  # a listing cached by an earlier run in this process may be stale
        info = fs.info(root)
    except FileNotFoundError:
        record(url, "no such object, prefix or bucket in the store")
        return
    except Exception as e:  # permission, endpoint unreachable, bad credentials …
        record(url, f"cannot list it in the store: {_describe(e)}")
        return
    skip = [x.rstrip("/") + "/" for x in exclude]
    if info.get("type") != "directory":
        name = root.rsplit("/", 1)[-1]
        if PurePosixPath(name).suffix.lower() not in INPUT_SUFFIXES:
            record(url, _not_a_document(PurePosixPath(name)), "skipped")
            return
        parent = root.rsplit("/", 2)[-2] if root.count("/") else "."
        yield StoreInput(_url(fs, root), PurePosixPath(name), parent, _etag(info) or _sha256_of(fs, root))
        return
    try:
        found = fs.find(root, detail=True)
    except Exception as e:
        record(url, f"cannot list it in the store: {_describe(e)}")
        return
    label = root.rsplit("/", 1)[-1] or "."
    for path in sorted(found):
        det = found[path]
        if det.get("type") == "directory" or path.endswith("/"):
            continue
        rel = path[len(root) :].lstrip("/")
        full = _url(fs, path)
        if not rel or any(part.startswith(".") for part in rel.split("/")):
            continue
        if any(full.startswith(s) for s in skip):
            continue
        pure = PurePosixPath(rel)
        if pure.suffix.lower() not in INPUT_SUFFIXES:
            record(full, _not_a_document(pure), "skipped")
            continue
        yield StoreInput(full, pure, label, _etag(det) or _sha256_of(fs, path))


def _sha256_of(fs: Any, path: str) -> str:
    """The content hash read through the store (only for stores whose listing has no ETag)."""
    h = hashlib.sha256()
    try:
        with fs.open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(COPY_CHUNK), b""):
                h.update(chunk)
    except Exception:
        return ""
    return "sha256:" + h.hexdigest()


# ---------------------------------------------------------------- DEST


class StoreLog:
    """A JSON-lines log at ``DEST/NAME`` in a store, which cannot append: records
    are buffered and PUT as a numbered part object every :data:`FLUSH_S` seconds;
    :meth:`close` writes NAME once (its earlier lines, then every part's, or the
    ``rewrite`` records) and deletes the parts."""

    def __init__(self, dest: StoreDest, name: str) -> None:
        self.dest, self.name = dest, name
        self.buffer: list[str] = []
        self.last = time.monotonic()
        self.seq = 0

    def write(self, obj: dict[str, Any]) -> None:
        from pipeline.batch import _dumps

        self.buffer.append(_dumps(obj) + "\n")
        if len(self.buffer) >= FLUSH_RECORDS or time.monotonic() - self.last >= FLUSH_S:
            self.flush()

    def flush(self) -> bool:
        """PUT what is buffered as a part; False (kept for the next try) when the store refuses."""
        self.last = time.monotonic()
        if not self.buffer:
            return True
        self.seq += 1
        part = f"{self.dest.parts(self.name)}/{time.time_ns():020d}-{self.dest.token}-{self.seq:06d}.jsonl"
        try:
            self.dest.fs.pipe_file(part, "".join(self.buffer).encode("utf-8"))
        except Exception as e:  # a moment without the store: the batch goes on, the records wait
            log.warning("%s/%s: cannot be written now (%s); tried again in %.0f s", self.dest.url, self.name, _describe(e), FLUSH_S)
            return False
        self.buffer = []
        return True

    def records(self) -> Iterator[dict[str, Any]]:
        """What NAME and its parts hold, oldest first (torn or invalid lines skipped)."""
        for text in self.dest.texts(self.name):
            for line in text.splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict):
                    yield rec

    def close(self, rewrite: Iterable[dict[str, Any]] | None = None) -> None:
        """Write NAME whole and delete the parts. When the store cannot be written
        the parts stay (the next run reads them); records never flushed are lost
        from the log (their documents are redone by the next run)."""
        from pipeline.batch import _dumps

        if not self.flush():
            log.error("%s/%s: %d records could not be written to the store", self.dest.url, self.name, len(self.buffer))
        try:
            parts = self.dest.part_paths(self.name)
            if not parts and rewrite is None:
                return
            recs = self.records() if rewrite is None else rewrite
            self.dest.fs.pipe_file(self.dest.key(self.name), "".join(_dumps(r) + "\n" for r in recs).encode("utf-8"))
            if parts:
                self.dest.fs.rm(parts)
        except Exception as e:
            log.error("%s/%s: cannot be written whole (%s); its parts stay for the next run", self.dest.url, self.name, _describe(e))


class StoreDest:
    """An output prefix in a store: the outputs, the resume index, errors.jsonl and the lock."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = filesystem(self.url)
        self.token = uuid.uuid4().hex[:12]
        self._stop_refresh = threading.Event()
        self._refresher: threading.Thread | None = None
        self._locked = False
        self._listing: set[str] | None = None

    def key(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def target(self, rel: str) -> str:
        return f"{self.url}/{rel}"

    def parts(self, name: str) -> str:
        return f"{self.root}/{PARTS_DIR}/{name}"

    def part_paths(self, name: str) -> list[str]:
        self.fs.invalidate_cache(self.parts(name))
        try:
            return sorted(self.fs.find(self.parts(name)))
        except FileNotFoundError:
            return []

    def texts(self, name: str) -> Iterator[str]:
        for path in [self.key(name), *self.part_paths(name)]:
            try:
                yield self.fs.cat_file(path).decode("utf-8", "replace")
            except FileNotFoundError:
                continue

    def has(self, rel: str) -> bool:
        """Whether the output ``rel`` exists (one listing of DEST for the whole run)."""
        if self._listing is None:
            self.fs.invalidate_cache(self.root)
            try:
                self._listing = {p[len(self.root) :].lstrip("/") for p in self.fs.find(self.root)}
            except FileNotFoundError:
                self._listing = set()
        return rel in self._listing

    def read_text(self, target: str) -> str:
        fs, path = filesystem(target)
        return bytes(fs.cat_file(path)).decode("utf-8")

    def check(self) -> None:
        """StoreError when DEST cannot be written (a missing bucket, no permission)."""
        bucket = self.root.split("/", 1)[0]
        try:
            self.fs.info(bucket)
        except FileNotFoundError:
            raise StoreError(f"--out {self.url}: the bucket {bucket} does not exist (create it first)") from None
        except Exception as e:
            raise StoreError(f"--out {self.url}: cannot reach the store: {_describe(e)}") from None

    # -------------------------------------------------- the lock

    def lock(self) -> None:
        """Take ``DEST/.congvan.lock`` by a conditional PUT (If-None-Match: the PUT
        fails when the object exists: AWS S3, MinIO, moto); StoreError when a live
        run holds it. A lock not refreshed for :data:`LOCK_STALE_S` is removed and
        taken. The token read back catches a store that ignores the condition."""
        key = self.key(LOCK_NAME)
        for _ in range(3):
            try:
                self._write_lock(create=True)
            except FileExistsError:
                held = self._held()
                if held is None:  # removed since: try again
                    continue
                age = time.time() - float(held.get("time", 0) or 0)
                if age < LOCK_STALE_S:
                    raise StoreError(
                        f"--out {self.url}: another congvan run (process {held.get('pid')} on {held.get('host')}) is writing there; "
                        f"wait for it to finish or choose another output (its lock, refreshed {max(0, age):.0f} s ago, is taken "
                        f"over after {LOCK_STALE_S:.0f} s; if that run is dead, delete {self.url}/{LOCK_NAME})"
                    ) from None
                with contextlib.suppress(FileNotFoundError):  # a dead run's
                    self.fs.rm_file(key)
                continue
            except Exception as e:
                raise StoreError(f"--out {self.url}: cannot write there: {_describe(e)}") from None
            if (self._held() or {}).get("token") != self.token:
                break
            self._locked = True
            self._refresher = threading.Thread(target=self._refresh, name="congvan-store-lock", daemon=True)
            self._refresher.start()
            return
        raise StoreError(f"--out {self.url}: another congvan run took the lock at the same moment; choose another output")

    def _held(self) -> dict[str, Any] | None:
        """The lock object's content: None when there is none, {} when it is not a lock's JSON."""
        try:
            held = json.loads(self.fs.cat_file(self.key(LOCK_NAME)))
        except FileNotFoundError:
            return None
        except ValueError:
            return {}
        except Exception as e:
            raise StoreError(f"--out {self.url}: cannot read there: {_describe(e)}") from None
        return held if isinstance(held, dict) else {}

    def _write_lock(self, create: bool = False) -> None:
        body = {"host": socket.gethostname(), "pid": os.getpid(), "token": self.token, "time": time.time()}
        self.fs.pipe_file(self.key(LOCK_NAME), json.dumps(body).encode(), mode="create" if create else "overwrite")

    def _refresh(self) -> None:
        """The lock's time, rewritten while the run goes (a document may take many minutes)."""
        while not self._stop_refresh.wait(LOCK_REFRESH_S):
            with contextlib.suppress(Exception):  # the store unreachable a moment: the next try
                self._write_lock()

    def unlock(self) -> None:
        if not self._locked:
            return
        self._locked = False
        self._stop_refresh.set()
        if self._refresher is not None:  # not rewriting the lock as it is removed
            self._refresher.join(30)
        with contextlib.suppress(Exception):
            if json.loads(self.fs.cat_file(self.key(LOCK_NAME))).get("token") == self.token:
                self.fs.rm_file(self.key(LOCK_NAME))


# ---------------------------------------------------------------- the worker


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def _size_limit(limit: int) -> Any:
    """An fsspec download callback that stops a download larger than ``limit``
    bytes before its first byte is written (s3fs tells the size from the GET's
    headers: no HEAD request needed)."""
    from fsspec.callbacks import Callback

    class SizeLimit(Callback):
        def set_size(self, size: int | None) -> None:
            if size is not None and size > limit:
                raise _TooLarge(size)
            super().set_size(size)

    return SizeLimit()


@contextlib.contextmanager
def staged(url: str) -> Iterator[str]:
    """A local copy of the object ``url`` (same file name, in a temporary folder
    of this process's temporary directory), removed on leaving. One GET (large
    objects: s3fs's concurrent ranged GETs). FileNotFoundError when the object
    is gone; ValueError (the reason) when it is too large."""
    from pipeline.readers.dispatch import max_bytes_default

    fs, path = filesystem(url)
    folder = tempfile.mkdtemp(prefix="congvan-staged-")
    try:
        name = path.rsplit("/", 1)[-1] or "input"
        local = os.path.join(folder, name[:200])
        limit = max_bytes_default()
        try:
            fs.get_file(path, local, callback=_size_limit(limit))
        except _TooLarge as e:
            raise ValueError(f"the file is too large ({e.size / 1e6:.0f} MB; the limit is {limit / 1e6:.0f} MB)") from None
        if os.path.getsize(local) > limit:  # a store that did not tell the size first
            raise ValueError(f"the file is too large ({os.path.getsize(local) / 1e6:.0f} MB; the limit is {limit / 1e6:.0f} MB)")
        yield local
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def put_output(url: str, data: str) -> None:
    """The output JSON in one PUT (atomic on an object store: see the module docstring)."""
    fs, path = filesystem(url)
    fs.pipe_file(path, data.encode("utf-8"))


def process_in_store(path: str, out: str | None, work: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """The batch worker for an input or output in a store: stage the input,
    run ``work`` (pipeline.batch.process_one) on the local copy with the URL as
    the path shown, PUT the JSON. Returns process_one's record, with the URL."""
    t0 = time.perf_counter()

    def failed(stage: str, code: str, reason: str) -> dict[str, Any]:
        return {"path": path, "status": "failed", "reason": reason, "stage": stage, "code": code, "seconds": time.perf_counter() - t0}

    out_in_store = out is not None and is_store_url(out)
    local_out = None if out_in_store else out
    try:
        with contextlib.ExitStack() as stack:
            local = stack.enter_context(staged(path)) if is_store_url(path) else path
            rec = work(local, local_out, shown=path)
    except FileNotFoundError:
        return failed("read", "input-error", "the object does not exist in the store (deleted since the listing?)")
    except ValueError as e:
        return failed("read", "input-error", str(e))
    except Exception as e:  # the store refused or could not be reached
        return failed("read", "input-error", f"cannot be read from the store: {_describe(e)}")
    if out_in_store and out is not None and rec.get("status") != "failed":
        try:
            put_output(out, rec["json"])
        except Exception as e:
            return failed("write", "output-error", f"its output {out} cannot be written to the store ({_describe(e)})")
        rec["json"] = None
    rec["seconds"] = time.perf_counter() - t0
    return rec
