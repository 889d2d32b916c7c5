"""Batch extraction of many inputs: a pool of worker processes, resumable by
content hash, atomic writes, bad inputs recorded in errors.jsonl, never lost.

Guarantees (each has a test in tests/test_batch.py):
- one output per input: outputs mirror the input tree (``DIR/a/cv.json`` for
  ``FOLDER/a/cv.txt``); inputs that would share a name keep their suffix
  (``x.txt.json``, ``x.pdf.json``);
- only document files are read (:data:`INPUT_SUFFIXES`); anything else in a
  folder is skipped with a record; the output folder and the JSONL file are
  never read back as input; symbolic links are not followed out of a folder,
  and pipes, devices and sockets are never opened;
- progress is kept as it goes: the resume index and errors.jsonl are appended
  after every document, so an interrupted run (even ``kill -9``) keeps what
  finished, and a resume redoes none of it;
- a re-run leaves one JSONL line per document;
- every document is bounded (tests/test_limits.py): a worker past the time or
  memory limit is ended and replaced, the document recorded, the rest goes on
  (pipeline/pool.py);
- one run at a time per output: a lock in --out (and beside the --jsonl file).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, Any

import jsonlines

from pipeline.errors import shown_path
from pipeline.locations import is_store_url
from pipeline.readers.dispatch import DOCUMENT_SUFFIXES, TEXT_SUFFIXES

INPUT_SUFFIXES = DOCUMENT_SUFFIXES
INDEX_NAME = ".congvan-index.jsonl"
ERRORS_NAME = "errors.jsonl"
LOCK_NAME = ".congvan.lock"


def pipeline_version() -> str:
    """Version of the code and data that produce an output: the package version
    plus a hash of the pipeline's source and resources."""
    from pipeline import __version__

    root = Path(__file__).parent
    h = hashlib.sha256()
    for p in sorted(list(root.rglob("*.py")) + list(root.rglob("*.yaml")) + list(root.rglob("*.json"))):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Input:
    """One input file: its path and where its output goes (relative, no suffix)."""

    path: Path
    rel: PurePosixPath  # path relative to the folder it was found in (or its name)
    root_label: str  # the folder or file argument it came from
    fingerprint = ""  # (a local file has none: the resume compares its SHA-256)


@dataclass(frozen=True)
class StoreInput:
    """One object in a store (pipeline/stores.py): its URL, where its output goes,
    and its ETag/size from the listing (the resume skips it while they are unchanged)."""

    path: str
    rel: PurePosixPath
    root_label: str
    fingerprint: str


def _record(records: list[dict[str, str]], path: str | Path, reason: str, stage: str, status: str = "failed") -> None:
    records.append({"path": str(path), "reason": reason, "stage": stage, "status": status})


def iter_inputs(
    paths: Iterable[str],
    records: list[dict[str, str]],
    *,
    exclude: Iterable[Path] = (),
    follow_symlinks: bool = False,
) -> Iterator[Input]:
    """Document files under the given paths, in a stable order.

    Folders are walked recursively. What is not read is recorded in ``records``:
    missing paths and unreadable folders (status ``failed``), files that are not
    documents, special files and links out of the folder (status ``skipped``).
    ``exclude`` folders (the output folder) and files (the JSONL) are never read.
    """
    excluded = {p.resolve() for p in exclude}
    for p in paths:
        path = Path(p)
        try:
            st = path.stat()
        except FileNotFoundError:
            if path.is_symlink():
                _record(records, path, "a symbolic link whose target does not exist", "walk")
            else:
                _record(records, path, "no such file or folder", "walk")
            continue
        except OSError as e:
            _record(records, path, f"cannot open: {e.strerror}", "walk")
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(path, records, excluded, follow_symlinks)
        elif stat.S_ISREG(st.st_mode):
            if path.resolve() in excluded:
                continue
            if path.suffix.lower() not in INPUT_SUFFIXES:
                _record(records, path, _not_a_document(path), "walk")
                continue
            yield Input(path, PurePosixPath(path.name), path.parent.name or ".")
        else:
            _record(records, path, "not a regular file (a pipe, device or socket): not read", "walk")


def iter_sources(
    paths: Iterable[str], records: list[dict[str, str]], *, exclude: Iterable[Path] = (), follow_symlinks: bool = False,
    exclude_urls: Iterable[str] = (),
) -> Iterator[Input | StoreInput]:
    """:func:`iter_inputs`, and the objects under store URLs (``s3://bucket/prefix``)
    listed through fsspec (pipeline/stores.py; ``exclude_urls``: an output prefix there)."""
    for p in paths:
        if is_store_url(p):
            from pipeline.stores import walk_store

            yield from walk_store(p, records, exclude_urls)
        else:
            yield from iter_inputs([p], records, exclude=exclude, follow_symlinks=follow_symlinks)


def _not_a_document(path: Path | PurePosixPath) -> str:
    kinds = ", ".join(sorted(INPUT_SUFFIXES))
    return f"not a document type congvan reads ('{path.suffix or 'no suffix'}'; it reads {kinds})"


def _walk(root: Path, records: list[dict[str, str]], excluded: set[Path], follow: bool) -> Iterator[Input]:
    root_real = root.resolve()
    seen_dirs: set[tuple[int, int]] = set()

    def onerror(e: OSError) -> None:
        _record(records, str(e.filename), f"cannot open the folder: {e.strerror}", "walk")

    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow, onerror=onerror):
        here = Path(dirpath)
        try:
            st = os.stat(dirpath)
        except OSError as e:
            _record(records, dirpath, f"cannot open the folder: {e.strerror}", "walk")
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            _record(records, dirpath, "symbolic link loop: this folder was already read", "walk", "skipped")
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        keep = []
        for d in sorted(dirnames):
            sub = here / d
            if d.startswith(".") or sub.resolve() in excluded:
                continue
            if sub.is_symlink() and not follow:
                _record(records, sub, "a symbolic link to a folder: not followed (--follow-symlinks reads it)", "walk", "skipped")
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            f = here / name
            try:
                fst = f.lstat()
            except OSError as e:
                _record(records, f, f"cannot open: {e.strerror}", "walk")
                continue
            if stat.S_ISLNK(fst.st_mode):
                try:
                    target = f.resolve(strict=True)
                    fst = target.stat()
                except (OSError, RuntimeError):
                    _record(records, f, "a symbolic link whose target does not exist", "walk", "skipped")
                    continue
                if not follow and not target.is_relative_to(root_real):
                    _record(records, f, "a symbolic link that leads out of the folder: not followed (--follow-symlinks reads it)", "walk", "skipped")
                    continue
            if not stat.S_ISREG(fst.st_mode):
                _record(records, f, "not a regular file (a pipe, device or socket): not read", "walk", "skipped")
                continue
            if f.resolve() in excluded:
                continue
            if f.suffix.lower() not in INPUT_SUFFIXES:
                _record(records, f, _not_a_document(f), "walk", "skipped")
                continue
            yield Input(f, PurePosixPath(f.relative_to(root).as_posix()), root.name or ".")


def assign_outputs(inputs: Sequence[Input | StoreInput]) -> dict[Path | str, str]:
    """Output path (relative to DIR, with .json) for each input; never two alike.

    ``a/cv.txt`` → ``a/cv.json``; inputs that would share that name keep their
    suffix (``x.txt.json``, ``x.pdf.json``); inputs from different arguments that
    still collide are put under their argument's name, then numbered.
    """
    by_stem: dict[str, list[Input | StoreInput]] = {}
    for i in inputs:
        by_stem.setdefault(str(i.rel.with_suffix("")).lower(), []).append(i)
    first: dict[Path | str, str] = {}
    for group in by_stem.values():
        for i in group:
            first[i.path] = str(i.rel.with_suffix("")) if len(group) == 1 else str(i.rel)
    counts: dict[str, int] = {}
    for name in first.values():
        counts[name.lower()] = counts.get(name.lower(), 0) + 1
    out: dict[Path | str, str] = {}
    used: set[str] = set()
    for i in inputs:
        name = first[i.path]
        if counts[name.lower()] > 1:
            name = f"{i.root_label}/{name}"
        base, n = name, 1
        while name.lower() in used:
            n += 1
            name = f"{base}~{n}"
        used.add(name.lower())
        out[i.path] = name + ".json"
    return out


# ---------------------------------------------------------------- writing


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_prefix(path: Path) -> str:
    # a name of its own (a killed run's leftovers are found by it), short enough
    # for a 255-byte file name however long the target's
    return f".congvan-{path.name[:80]}-"


def atomic_write(path: Path, data: str) -> None:
    """Write via a temp file in the same folder and rename: never half a file.
    The file gets the user's usual permissions (0666 less the umask)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class AppendLog:
    """An append-only JSON-lines file, flushed after every record (jsonlines)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None
        self._writer: jsonlines.Writer | None = None

    def write(self, obj: dict[str, Any]) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            drop_torn_tail(self.path)
            self._fh = self.path.open("a", encoding="utf-8")
            self._writer = jsonlines.Writer(self._fh, compact=True, flush=True, dumps=_dumps)
        self._writer.write(obj)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()
        self._writer = self._fh = None


def drop_torn_tail(path: Path) -> None:
    """Cut a last line without its newline (a run killed while writing it), so
    the next record starts a line of its own instead of gluing onto the torn one."""
    try:
        with path.open("rb+") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            pos = size
            while pos > 0:
                step = min(1 << 16, pos)
                fh.seek(pos - step)
                chunk = fh.read(step)
                nl = chunk.rfind(b"\n")
                if nl >= 0:
                    fh.truncate(pos - step + nl + 1)
                    return
                pos -= step
            fh.truncate(0)
    except FileNotFoundError:
        return


def _dumps(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a file name with bytes that are not UTF-8: escaped, read back the same
        text = json.dumps(obj, ensure_ascii=True)
    return text


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSON-lines file; a torn last line (a killed run) is ignored."""
    if not path.exists():
        return
    with jsonlines.open(path, loads=json.loads) as reader:
        try:
            yield from reader.iter(type=dict, skip_invalid=True)
        except jsonlines.InvalidLineError:
            return


def rewrite_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    atomic_write(path, "".join(_dumps(r) + "\n" for r in records))


class JsonlSink:
    """The --jsonl output: one line per document, also after re-runs.

    New lines are appended as documents finish; at the end, lines superseded
    by a newer line for the same input are dropped (atomic rewrite)."""

    def __init__(self, target: Path | None) -> None:
        self.target = target  # None: standard output
        self.keys: dict[str, int] = {}  # source.path -> lines in the file
        self.log = AppendLog(target) if target is not None else None
        if target is not None:
            for rec in read_jsonl(target):
                key = (rec.get("source") or {}).get("path")
                if key:
                    self.keys[key] = self.keys.get(key, 0) + 1

    def has(self, key: str) -> bool:
        return key in self.keys

    def write_json(self, data: str) -> None:
        obj = json.loads(data)
        if self.log is None:
            sys.stdout.write(_dumps(obj) + "\n")
            sys.stdout.flush()
            return
        key = (obj.get("source") or {}).get("path")
        if key:
            self.keys[key] = self.keys.get(key, 0) + 1
        self.log.write(obj)

    def close(self) -> None:
        if self.log is None:
            return
        self.log.close()
        assert self.target is not None
        if any(n > 1 for n in self.keys.values()):
            last: dict[str, dict[str, Any]] = {}
            order: list[str] = []
            rest: list[dict[str, Any]] = []
            for rec in read_jsonl(self.target):
                key = (rec.get("source") or {}).get("path")
                if not key:
                    rest.append(rec)
                    continue
                if key not in last:
                    order.append(key)
                last[key] = rec
            rewrite_jsonl(self.target, rest + [last[k] for k in order])


# ---------------------------------------------------------------- the worker


def failure_of(doc: Any) -> tuple[str, str | None]:
    """Why a ``failed`` result failed: the first error warning's message and code."""
    first = next((w for w in doc.warnings if w.level == "error"), None)
    return (first.message, first.code) if first else ("nothing could be extracted", None)


# a few lines of a letter: reading them loads every stage's code and data
WARM_UP_TEXT = (
    "ỦY BAN NHÂN DÂN\nTỈNH AN GIANG\nSố: 1/UBND-VP\nV/v thực hiện nhiệm vụ\n"
    "Kính gửi: Sở Nội vụ.\nGiao Sở Tài chính chủ trì, phối hợp với Sở Nội vụ thực hiện trước ngày 30/6/2025.\n"
)


def warm_up(readers: bool = True) -> None:
    """Load the pipeline in a new worker before its first document's clock starts;
    the PDF, Word and image readers (numpy, PIL, pdfium: ~0.45 CPU-s) only when
    ``readers`` (a batch of text files never needs them)."""
    if readers:
        import pipeline.readers.docx  # noqa: F401
        import pipeline.readers.image  # noqa: F401
        import pipeline.readers.pdf  # noqa: F401
    from pipeline import extract_text

    extract_text(WARM_UP_TEXT)


def process_one(path: str, out_path: str | None, shown: str | None = None) -> dict[str, Any]:
    """Worker: extract one file; returns a small record (the JSON is written here).

    An input or output in a store (a URL) goes through pipeline/stores.py, which
    reads a local copy of the input with ``shown``, its URL, as the path the
    output and the record name."""
    from pipeline import run_state
    from pipeline.errors import InputError, stage_of

    if shown is None and (is_store_url(path) or (out_path is not None and is_store_url(out_path))):
        from pipeline.stores import process_in_store

        return process_in_store(path, out_path, process_one)
    t0 = time.perf_counter()
    local, path = path, shown if shown is not None else path
    try:
        state = run_state(Path(local))
        doc = state.document
        if shown is not None:  # a local copy: the output names what was given
            doc = doc.model_copy(update={"source": doc.source.model_copy(update={"path": shown_path(shown)})})
        if doc.status == "failed":
            reason, code = failure_of(doc)
            return {"path": path, "status": "failed", "reason": reason, "stage": stage_of(code or ""), "code": code, "seconds": time.perf_counter() - t0}
        data = doc.model_dump_json(indent=1)
        if out_path:
            try:
                atomic_write(Path(out_path), data)
            except OSError as e:
                reason = f"its output {shown_path(out_path)} cannot be written ({e.strerror or e})"
                return {"path": path, "status": "failed", "reason": reason, "stage": "write", "code": "output-error", "seconds": time.perf_counter() - t0}
        return {
            "path": path,
            "status": doc.status,
            "pages": doc.source.pages,
            "ocr": doc.source.ocr,
            "seconds": time.perf_counter() - t0,
            "timings": state.timings,
            "json": None if out_path else data,
            "sha256": doc.source.sha256,
        }
    except InputError as e:
        return {"path": path, "status": "failed", "reason": e.reason, "stage": e.stage, "code": e.code, "seconds": time.perf_counter() - t0}
    except MemoryError:  # past the worker's memory limit (pipeline/pool.py words the reason)
        return {"path": path, "status": "failed", "reason": "not enough memory to read it", "stage": "limit", "code": "memory-limit", "seconds": time.perf_counter() - t0}
    except Exception as e:  # a defect: still never stop the batch
        return {"path": path, "status": "failed", "reason": f"internal error: {type(e).__name__}: {e}", "stage": "pipeline", "code": "internal-error", "seconds": time.perf_counter() - t0}


# ---------------------------------------------------------------- the batch


@dataclass
class BatchResult:
    ok: int = 0
    partial: int = 0
    failed: int = 0
    skipped: int = 0  # unchanged since the last run
    not_read: int = 0  # not documents, special files, links out of the folder
    pages: int = 0
    seconds: float = 0.0
    total: int = 0  # documents to extract this run
    interrupted: bool = False
    errors: list[dict[str, str]] = field(default_factory=list)
    # per document: path, status, pages, seconds, peak memory (no JSON, no stage timings)
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def left(self) -> int:
        return self.total - self.ok - self.partial - self.failed


class BatchSetupError(ValueError):
    """The command cannot start: a bad --out or --jsonl, say (exit code 2)."""


def check_targets(out_dir: Path | None, jsonl: Path | None) -> None:
    """Fail before any work when an output cannot be written."""
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            raise BatchSetupError(f"--out {out_dir}: exists and is not a folder")
        probe = out_dir
        while not probe.exists():
            probe = probe.parent
        if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
            raise BatchSetupError(f"--out {out_dir}: cannot create or write this folder (permission denied at {probe})")
    if jsonl is not None:
        if jsonl.exists() and jsonl.is_dir():
            raise BatchSetupError(f"--jsonl {jsonl}: is a folder, not a file")
        parent = jsonl.parent
        if not parent.is_dir():
            raise BatchSetupError(f"--jsonl {jsonl}: the folder {parent} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK) or (jsonl.exists() and not os.access(jsonl, os.W_OK)):
            raise BatchSetupError(f"--jsonl {jsonl}: cannot write here (permission denied)")


def _load_index(path: Path) -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for rec in read_jsonl(path):
        if "output" in rec:
            index[rec["output"]] = rec
    return index


def lock_outputs(out_dir: Path | None, jsonl: Path | None) -> list[int]:
    """Take the output lock(s): ``DIR/.congvan.lock`` and ``.FILE.congvan.lock``
    beside a --jsonl file (flock, released when the process ends, even by kill -9).
    A second run on the same output stops with BatchSetupError."""
    targets: list[tuple[Path, str]] = []
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise BatchSetupError(f"--out {out_dir}: cannot create this folder ({e.strerror})") from None
        targets.append((out_dir / LOCK_NAME, f"--out {out_dir}"))
    if jsonl is not None:
        targets.append((jsonl.parent / f".{jsonl.name}.congvan.lock", f"--jsonl {jsonl}"))
    fds: list[int] = []
    try:
        for lock, what in targets:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666 & ~_umask())
            except OSError as e:
                raise BatchSetupError(f"{what}: cannot write here ({e.strerror})") from None
            fds.append(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                other = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                raise BatchSetupError(
                    f"{what}: another congvan run{f' (process {other})' if other else ''} is writing there; "
                    "wait for it to finish or choose another output"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return fds


# atomic_write's temporary names: ".congvan-" + target name + "-" + 8 random characters + ".tmp"
_TEMP_NAME = re.compile(r"^\.congvan-.*-[a-z0-9_]{8}\.tmp$")


def remove_stale_temporaries(out_dir: Path | None, jsonl: Path | None) -> int:
    """Half-written files of a run killed while writing (we hold the lock: no run is writing now)."""
    found: list[Path] = []
    if out_dir is not None and out_dir.is_dir():
        found += [p for p in out_dir.rglob(".*.tmp") if _TEMP_NAME.match(p.name)]
    if jsonl is not None and jsonl.parent.is_dir():
        found += [p for p in jsonl.parent.glob(".*.tmp") if p.name.startswith(_temp_prefix(jsonl)) and _TEMP_NAME.match(p.name)]
    for p in found:
        try:
            p.unlink()
        except OSError:
            pass
    return len(found)


def run_batch(
    inputs: list[str],
    out_dir: Path | str | None,
    *,
    workers: int = 1,
    force: bool = False,
    jsonl: Path | str | None = None,
    follow_symlinks: bool = False,
    timeout: float | None = None,
    max_memory_mb: int | None = None,
    progress: Callable[[dict[str, Any], int, int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    engine: str = "local",
    address: str | None = None,
    keep_records: bool = True,
) -> BatchResult:
    """Extract every document under ``inputs``.

    Writes ``out_dir/<relative path>.json`` per document and/or JSON lines to
    ``jsonl`` (a path, or ``"-"`` for standard output). Inputs whose content
    hash already has an output from the same pipeline version are skipped
    unless ``force``. Stops cleanly on SIGINT/SIGTERM (``interrupted``).

    Each document runs in a worker process under ``timeout`` seconds and
    ``max_memory_mb`` (None: the defaults of pipeline/limits.py or their
    environment variables; 0: no limit). With no limit and one worker the
    documents are read in this process.

    ``engine`` "dask" reads the documents on a Dask cluster (``address``, or a
    LocalCluster of ``workers`` processes): pipeline/dask_engine.py.

    Inputs and ``out_dir`` may be store URLs (``s3://bucket/prefix``): the
    workers read and write the store themselves (pipeline/stores.py).

    ``keep_records=False`` leaves ``BatchResult.records`` empty, so that the
    parent's memory does not grow with the number of documents (the command line).
    """
    from pipeline.limits import max_memory_mb as default_memory
    from pipeline.limits import timeout_s

    store = None
    if isinstance(out_dir, str) and is_store_url(out_dir):
        from pipeline.stores import StoreDest

        store, out_dir = StoreDest(out_dir), None
    elif isinstance(out_dir, str):
        out_dir = Path(out_dir)
    jsonl_path = None if jsonl in (None, "-") else Path(str(jsonl))
    check_targets(out_dir, jsonl_path)
    limits = (timeout_s() if timeout is None else max(0.0, timeout), default_memory() if max_memory_mb is None else max(0, max_memory_mb))
    dispatch = _dispatcher(engine, address, inputs, out_dir, jsonl_path)
    if store is not None:
        _take_store(store)
    try:
        lock_fds = lock_outputs(out_dir, jsonl_path)
    except BaseException:
        if store is not None:
            store.unlock()
        raise
    try:
        remove_stale_temporaries(out_dir, jsonl_path)
        return _run_locked(
            inputs, out_dir, jsonl, jsonl_path, workers, force, follow_symlinks, limits, lock_fds, progress, on_start, dispatch,
            store,
            keep_records,
        )
    finally:
        # the workers are ended by now: what one was writing when it was stopped
        # (SIGTERM, Ctrl-C, a limit) goes, while the lock is still ours
        remove_stale_temporaries(out_dir, jsonl_path)
        for fd in lock_fds:
            os.close(fd)
        if store is not None:
            store.unlock()


def _take_store(store: Any) -> None:
    """Check an output prefix in a store and take its lock (BatchSetupError when it cannot be used)."""
    from pipeline.stores import StoreError

    try:
        store.check()
        store.lock()
    except StoreError as e:
        raise BatchSetupError(str(e)) from None


def _run_locked(
    inputs: list[str],
    out_dir: Path | None,
    jsonl: Path | str | None,
    jsonl_path: Path | None,
    workers: int,
    force: bool,
    follow_symlinks: bool,
    limits: tuple[float, int],
    lock_fds: list[int],
    progress: Callable[[dict[str, Any], int, int], None] | None,
    on_start: Callable[[int], None] | None,
    dispatch: Dispatch | None = None,
    store: Any = None,  # pipeline.stores.StoreDest: --out in a store
    keep_records: bool = True,
) -> BatchResult:
    from pipeline.pool import Pool, PoolError

    res = BatchResult()
    t0 = time.perf_counter()
    version = pipeline_version()

    # where the resume index and the error log live
    index_path: Path | None = None
    errors_path: Path | None = None
    if out_dir is not None:
        index_path, errors_path = out_dir / INDEX_NAME, out_dir / ERRORS_NAME
    elif jsonl_path is not None:
        index_path = jsonl_path.parent / f".{jsonl_path.name}.congvan-index.jsonl"
        errors_path = jsonl_path.parent / f"{jsonl_path.stem}.errors.jsonl"

    exclude = [p for p in (out_dir, jsonl_path, index_path, errors_path) if p is not None]
    walk_records: list[dict[str, str]] = []
    files = list(iter_sources(
        inputs, walk_records, exclude=exclude, follow_symlinks=follow_symlinks, exclude_urls=[store.url] if store else [],
    ))
    outputs = assign_outputs(files)
    index = _load_index(index_path) if index_path else {}
    errors_log: Any = AppendLog(errors_path) if errors_path else None
    index_log: Any = AppendLog(index_path) if index_path else None
    if store is not None:  # --out in a store: the index and the error log there (pipeline/stores.py)
        from pipeline.stores import StoreLog

        errors_log, index_log = StoreLog(store, ERRORS_NAME), StoreLog(store, INDEX_NAME)
        index = {rec["output"]: rec for rec in index_log.records() if "output" in rec}

    def output_exists(rel_out: str, target: Path | str | None) -> bool:
        return store.has(rel_out) if store is not None else target is not None and Path(target).exists()

    def read_output(target: Path | str | None) -> str:
        if store is not None:
            return str(store.read_text(str(target)))
        return Path(str(target)).read_text(encoding="utf-8") if target else ""
    sink = JsonlSink(jsonl_path) if jsonl is not None else None

    def log_error(e: dict[str, str]) -> None:
        res.errors.append(e)
        if errors_log is not None:
            errors_log.write({"time": now_iso(), **e})

    for rec in walk_records:
        if rec["status"] == "skipped":
            res.not_read += 1
        else:
            res.failed += 1
        log_error(rec)

    from pipeline.readers import file_sha256

    todo: list[tuple[Input | StoreInput, str, Path | str | None, str]] = []
    for f in files:
        rel_out = outputs[f.path]
        target: Path | str | None = out_dir / rel_out if out_dir else (store.target(rel_out) if store else None)
        digest = ""
        if not force:  # the hash only decides a skip; the worker hashes what it reads
            try:
                # an object in a store: its ETag from the listing (not read here)
                digest = f.fingerprint if isinstance(f.path, str) else file_sha256(f.path)
            except OSError:
                digest = ""
        if digest:
            prev = index.get(rel_out)
            if (
                prev is not None
                and prev.get("etag" if isinstance(f.path, str) else "sha256") == digest
                and prev.get("version") == version
                and prev.get("status") in ("ok", "partial")
            ):
                key = shown_path(f.path)
                if target is not None and output_exists(rel_out, target):
                    res.skipped += 1
                    if sink is not None and sink.target is not None and not sink.has(key):
                        sink.write_json(read_output(target))
                    continue
                if target is None and sink is not None and sink.target is not None and sink.has(key):
                    res.skipped += 1
                    continue
        todo.append((f, rel_out, target, digest))
    res.total = len(todo)
    if on_start:
        on_start(res.total)
    done = 0

    def handle(item: tuple[Input | StoreInput, str, Path | str | None, str], rec: dict[str, Any]) -> None:
        nonlocal done
        f, rel_out, target, digest = item
        done += 1
        # the record stays in the result without its JSON text (--jsonl: ~35 kB a
        # document, which made the parent grow with the number of documents)
        if keep_records:
            res.records.append({k: v for k, v in rec.items() if k not in ("json", "timings")})
        st = rec["status"]
        sha = rec.get("sha256") or ("" if f.fingerprint else digest)
        entry: dict[str, Any] = {"output": rel_out, "input": rec["path"], "sha256": sha, "version": version, "status": st}
        if f.fingerprint:  # an object in a store: what its listing said (ETag/size)
            entry["etag"] = f.fingerprint
        entry["seconds"] = round(rec.get("seconds") or 0.0, 3)
        if rec.get("peak_mb") is not None:  # the worker's peak resident memory for this document
            entry["peak_mb"] = round(rec["peak_mb"], 1)
        if st == "failed":
            res.failed += 1
            log_error({"path": rec["path"], "status": "failed", "reason": rec.get("reason", ""), "stage": rec.get("stage", ""), "code": rec.get("code") or ""})
            entry.update(code=rec.get("code") or "", reason=rec.get("reason", ""))
        else:
            res.ok += st == "ok"
            res.partial += st == "partial"
            res.pages += rec.get("pages", 0)
            if sink is not None:
                data = rec["json"] if rec.get("json") else read_output(target)
                sink.write_json(data)
        if index_log is not None:
            entry["time"] = now_iso()
            index[rel_out] = entry
            index_log.write(entry)
        if progress:
            progress(rec, done, res.total)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        old_term = signal.signal(signal.SIGTERM, on_term)
        # Ctrl-C stops the batch even when this process was started with SIGINT
        # ignored (a background job of a script: the shell sets it so)
        old_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread
        old_term = old_int = None
    limit_s, limit_mb = limits
    try:
        if dispatch is not None:
            if todo:
                tasks = ((item, str(item[0].path), str(item[2]) if item[2] else None) for item in todo)
                dispatch(tasks, handle, min(max(1, workers), len(todo)), limit_s, limit_mb, version)
        elif workers <= 1 and not limit_s and not limit_mb:
            for item in todo:
                f, _, target, _ = item
                handle(item, process_one(str(f.path), str(target) if target else None))
        elif todo:
            only_text = all(PurePosixPath(str(item[0].path)).suffix.lower() in TEXT_SUFFIXES for item in todo)
            pool = Pool(
                process_one, min(max(1, workers), len(todo)), timeout=limit_s, memory_mb=limit_mb,
                warm_up=partial(warm_up, not only_text), close_fds=tuple(lock_fds),
            )
            pool.check_memory()
            pool.run(((item, str(item[0].path), str(item[2]) if item[2] else None) for item in todo), handle)
    except KeyboardInterrupt:
        res.interrupted = True
    except PoolError as e:
        raise BatchSetupError(str(e)) from None
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
        if old_int is not None:
            signal.signal(signal.SIGINT, old_int)
        if sink is not None:
            sink.close()
        if errors_log is not None:
            errors_log.close()
        if store is not None:
            index_log.close(rewrite=index.values())
        elif index_log is not None and index_path is not None:
            index_log.close()
            _compact_index(index_path, index)
    res.seconds = time.perf_counter() - t0
    return res


Dispatch = Callable[..., None]  # (tasks, handle, workers, timeout, memory_mb, version): another engine


def _dispatcher(engine: str, address: str | None, inputs: list[str], out_dir: Path | None, jsonl: Path | None) -> Dispatch | None:
    """None for the local pool; for "dask", the Dask engine's dispatch (BatchSetupError
    when Dask is not installed, or when a remote cluster is given relative paths)."""
    if engine == "local":
        if address:
            raise BatchSetupError("--address needs --engine dask")
        return None
    if engine != "dask":
        raise BatchSetupError(f"--engine {engine}: not an engine (local or dask)")
    from pipeline.dask_engine import require_dask, run_on_dask
    from pipeline.pool import PoolError

    try:
        require_dask()
    except PoolError as e:
        raise BatchSetupError(str(e)) from None
    if address:  # the workers run elsewhere: they open the paths the client gives them
        relative = [
            p for p in [*inputs, *(str(x) for x in (out_dir, jsonl) if x is not None)] if not os.path.isabs(p) and not is_store_url(p)
        ]
        if relative:
            raise BatchSetupError(
                f"with --address, give absolute paths on a filesystem every worker mounts at the same place: {relative[0]}"
            )

    def dispatch(tasks: Iterable[Any], handle: Callable[..., None], workers: int, timeout: float, memory_mb: int, version: str) -> None:
        run_on_dask(tasks, handle, address=address, workers=workers, timeout=timeout, memory_mb=memory_mb, version=version)

    return dispatch


def _compact_index(path: Path, index: dict[str, dict[str, Any]]) -> None:
    """One line per output in the resume index (it only ever grows while a run goes)."""
    try:
        rewrite_jsonl(path, index.values())
    except OSError:
        pass


def print_error(e: dict[str, str]) -> None:
    print(f"congvan: {e['path']}: {e['reason']}", file=sys.stderr)
