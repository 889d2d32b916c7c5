"""Getting documents into the review database and extracting them.

Files are copied into ``DATA/files/<sha256><suffix>`` (a generated name: what
the user called the file is only shown, never used as a path) and queued; a
worker claims queued documents one at a time, runs the pipeline on the copy
and stores the contract JSON. A file whose content hash is already in the
database is not added again (resume by content hash). Inputs are only read.

``congvan ingest`` queues and extracts in its own process (with a pool of
worker processes for several files); ``congvan serve`` starts
``python -m review.worker`` beside the web server for uploads.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from review.db import APPROVED, EXTRACTING, FAILED, QUEUED, TO_REVIEW, AuditEntry, Document, open_db, utcnow
from review.records import dumps, summarize

log = logging.getLogger("congvan.review")


def files_dir(data_dir: Path) -> Path:
    return data_dir / "files"


def stored_path(data_dir: Path, doc: Document) -> Path:
    return files_dir(data_dir) / doc.stored_name


def _suffix(name: str) -> str:
    from pipeline.readers.dispatch import DOCUMENT_SUFFIXES

    suffix = Path(name).suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        raise ValueError(f"'{suffix or 'no suffix'}' is not a document type congvan reads")
    return suffix


def store_stream(data_dir: Path, fh: IO[bytes], name: str, max_bytes: int) -> tuple[str, str, int]:
    """Copy a stream into DATA/files under a generated name; (sha256, stored name, size).

    Raises ValueError when the type is not read or the stream is over ``max_bytes``.
    """
    suffix = _suffix(name)
    target_dir = files_dir(data_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=target_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                size += len(chunk)
                if size > max_bytes:
                    raise ValueError(f"the file is over the {max_bytes // (1 << 20)} MB limit")
                h.update(chunk)
                out.write(chunk)
        digest = h.hexdigest()
        stored = digest + suffix
        os.replace(tmp, target_dir / stored)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return digest, stored, size


def queue_file(db: Session, data_dir: Path, fh: IO[bytes], name: str, user: str, max_bytes: int) -> tuple[Document, bool]:
    """Store and queue one file; (the document, True when new). A file whose
    hash is already in the database returns that document."""
    digest, stored, size = store_stream(data_dir, fh, name, max_bytes)
    doc = db.scalar(select(Document).where(Document.sha256 == digest))
    if doc is not None:
        return doc, False
    doc = Document(
        sha256=digest, filename=name[-255:], stored_name=stored, size=size, status=QUEUED,
        task_count=0, uploaded_by=user, created_at=utcnow(),
    )
    db.add(doc)
    db.flush()
    db.add(AuditEntry(document_id=doc.id, username=user, at=utcnow(), action="upload", field="source", new=dumps(name)))
    db.commit()
    return doc, True


def extract_file(path: str, display: str) -> dict[str, Any]:
    """Worker process: the contract JSON of one stored file, or why it failed."""
    from pipeline import extract
    from pipeline.batch import failure_of, pipeline_version
    from pipeline.errors import InputError

    t0 = time.perf_counter()
    try:
        doc = extract(Path(path))
        if doc.status == "failed":
            return {"ok": False, "reason": failure_of(doc)[0], "seconds": time.perf_counter() - t0}
        data = doc.model_dump(mode="json")
        data["source"]["path"] = display  # the name the user knows, not the generated one
        return {"ok": True, "doc": data, "version": pipeline_version(), "seconds": time.perf_counter() - t0}
    except InputError as e:
        return {"ok": False, "reason": e.reason, "seconds": time.perf_counter() - t0}
    except Exception as e:  # a defect: recorded on the document, the worker goes on
        return {"ok": False, "reason": f"internal error: {type(e).__name__}: {e}", "seconds": time.perf_counter() - t0}


def claim(db: Session) -> Document | None:
    """Take the oldest queued document (atomic: two workers never take the same one)."""
    while True:
        doc_id = db.scalar(select(Document.id).where(Document.status == QUEUED).order_by(Document.id).limit(1))
        if doc_id is None:
            return None
        res = db.execute(
            update(Document).where(Document.id == doc_id, Document.status == QUEUED).values(status=EXTRACTING)
        )
        db.commit()
        if res.rowcount == 1:  # type: ignore[attr-defined]
            return db.get(Document, doc_id, populate_existing=True)


def store_result(db: Session, doc: Document, result: dict[str, Any]) -> None:
    doc.extracted_at = utcnow()
    if not result["ok"]:
        doc.status, doc.error = FAILED, result["reason"]
    else:
        data = result["doc"]
        s = summarize(data)
        doc.status, doc.error = TO_REVIEW, None
        doc.extract_status = data["status"]
        doc.extracted_json = doc.current_json = dumps(data)
        doc.pipeline_version = result["version"]
        doc.number, doc.issuer, doc.issued_date, doc.subject = s.number, s.issuer, s.issued_date, s.subject
        doc.task_count, doc.min_confidence, doc.leads, doc.next_deadline = s.task_count, s.min_confidence, s.leads, s.next_deadline
    db.commit()


def requeue_interrupted(db: Session) -> int:
    """Documents left 'extracting' by a worker that stopped go back to the queue."""
    res = db.execute(update(Document).where(Document.status == EXTRACTING).values(status=QUEUED))
    db.commit()
    return int(res.rowcount)  # type: ignore[attr-defined]


def run_pending(sessions: sessionmaker, data_dir: Path, workers: int = 1, progress: Callable[[Document], None] | None = None) -> int:
    """Extract every queued document; the number done."""
    done = 0
    with sessions() as db:
        if workers <= 1:
            while (doc := claim(db)) is not None:
                store_result(db, doc, extract_file(str(stored_path(data_dir, doc)), doc.filename))
                done += 1
                if progress:
                    progress(doc)
            return done
        claimed: list[Document] = []
        while (doc := claim(db)) is not None:
            claimed.append(doc)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(extract_file, str(stored_path(data_dir, d)), d.filename): d for d in claimed}
            for fut in as_completed(futures):
                d = futures[fut]
                store_result(db, d, fut.result())
                done += 1
                if progress:
                    progress(d)
    return done


@dataclass
class IngestResult:
    added: int = 0
    skipped: int = 0  # already in the database (same content hash)
    not_read: list[dict[str, str]] = field(default_factory=list)  # walk records: missing, not documents …
    documents: list[int] = field(default_factory=list)


def ingest(
    paths: Iterable[str], sessions: sessionmaker, data_dir: Path, user: str = "ingest", workers: int = 1,
    max_bytes: int = 200 << 20, progress: Callable[[Document], None] | None = None,
) -> IngestResult:
    """Queue the document files under ``paths`` (pipeline.batch's walk) and extract them."""
    from pipeline.batch import iter_inputs

    res = IngestResult()
    records: list[dict[str, str]] = []
    with sessions() as db:
        for inp in iter_inputs(paths, records, exclude=[data_dir]):
            try:
                with inp.path.open("rb") as fh:
                    doc, new = queue_file(db, data_dir, fh, str(inp.path), user, max_bytes)
            except (OSError, ValueError) as e:
                records.append({"path": str(inp.path), "reason": str(getattr(e, "strerror", None) or e), "stage": "read", "status": "failed"})
                continue
            res.documents.append(doc.id)
            if new:
                res.added += 1
            else:
                res.skipped += 1
    res.not_read = records
    run_pending(sessions, data_dir, workers, progress)
    return res


class ConsumeFolder:
    """A folder the server watches for new document files (pipeline.batch's
    walk: sub-folders too, hidden files and non-documents skipped). A file is
    taken once its size and modification time are the same on two scans (a
    copy still in progress is not read half-written), then queued like an
    upload; a content already in the database is not redone. Files are only
    read: never moved, changed or removed."""

    def __init__(self, root: Path, max_bytes: int = 200 << 20) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.taken: dict[str, tuple[int, int]] = {}
        self.waiting: dict[str, tuple[int, int]] = {}
        self.reported: set[str] = set()

    def scan(self, db: Session, data_dir: Path) -> list[Document]:
        """Queue what is new and settled; the documents added."""
        from pipeline.batch import iter_inputs

        added: list[Document] = []
        records: list[dict[str, str]] = []
        for inp in iter_inputs([str(self.root)], records, exclude=[data_dir]):
            key = str(inp.path)
            try:
                st = inp.path.stat()
            except OSError:
                continue
            stamp = (st.st_size, st.st_mtime_ns)
            if self.taken.get(key) == stamp:
                continue
            if self.waiting.get(key) != stamp:
                self.waiting[key] = stamp  # seen changing: look again at the next scan
                continue
            del self.waiting[key]
            self.taken[key] = stamp
            try:
                with inp.path.open("rb") as fh:
                    doc, new = queue_file(db, data_dir, fh, str(inp.path.relative_to(self.root)), "consume", self.max_bytes)
            except (OSError, ValueError) as e:
                log.warning("%s: %s", inp.path, getattr(e, "strerror", None) or e)
                continue
            if new:
                added.append(doc)
        for rec in records:
            if rec["path"] not in self.reported:
                self.reported.add(rec["path"])
                log.warning("%s: %s", rec["path"], rec["reason"])
        return added


def read_page_words(data_dir: Path, doc: Document) -> None:
    """Word boxes of a document's pages (OCR for scanned pages: seconds a page),
    so that clicked values can be framed on its page images."""
    from review.boxes import page_words, words_cache
    from review.pages import has_pages

    if doc.status not in (TO_REVIEW, APPROVED) or not has_pages(doc.stored_name) or words_cache(data_dir, doc.sha256).exists():
        return
    try:
        page_words(data_dir, stored_path(data_dir, doc), doc.sha256, ocr=True)
    except Exception as e:  # no boxes for this document; the text highlight still works
        log.warning("%s: page word boxes not read: %s", doc.filename, e)


def warm_up() -> None:
    """Load the pipeline's models before the first upload: the first extraction
    in a process costs about 4 s more than the next ones (measured on 115.pdf:
    4.35 s, then 0.17 s for 117.pdf)."""
    from pipeline import extract_text

    try:
        extract_text("Ủy ban nhân dân tỉnh yêu cầu Sở Nội vụ báo cáo trước ngày 20/3/2025.")
    except Exception as e:  # never keep the worker from starting
        log.warning("warm-up extraction failed: %s", e)


def serve_forever(
    url: str | None, data_dir: Path, parent: int | None = None, consume: Path | None = None,
    words: bool = True, poll_s: float = 0.5, scan_s: float = 2.0,
) -> None:
    """The server's background worker: extract queued documents until stopped
    (SIGTERM) or until the server ``parent`` that started it is gone (even
    killed: then this process is handed to another parent); with ``consume``,
    queue the files put in that folder; with ``words``, read the page word
    boxes of extracted documents when idle (one worker of several does)."""
    _, sessions = open_db(url, data_dir)
    stop = False

    def on_term(signum: int, frame: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    warm_up()
    with sessions() as db:
        n = requeue_interrupted(db)
        if n:
            log.warning("%d documents interrupted by a previous stop queued again", n)
    watcher = ConsumeFolder(consume) if consume else None
    next_scan = 0.0
    with sessions() as db:  # documents whose page word boxes are not read yet (done when idle)
        words_todo = [d.id for d in db.scalars(select(Document).where(Document.status.in_((TO_REVIEW, APPROVED))))] if words else []
    while not stop:
        if parent is not None and os.getppid() != parent:  # the server is gone: so is its worker
            log.warning("the server stopped: worker exiting")
            return
        if watcher is not None and time.monotonic() >= next_scan:
            with sessions() as db:
                for found in watcher.scan(db, data_dir):
                    log.info("%s: queued from the consume folder", found.filename)
            next_scan = time.monotonic() + scan_s
        with sessions() as db:
            doc = claim(db)
            if doc is None:
                if words:  # the first worker also sends the approval webhooks that are due
                    from review.webhook import deliver_due

                    deliver_due(sessions)
                if words_todo:  # extraction first; word boxes when nothing waits
                    idle = db.get(Document, words_todo.pop())
                    if idle is not None:
                        read_page_words(data_dir, idle)
                    continue
                time.sleep(poll_s)
                continue
            store_result(db, doc, extract_file(str(stored_path(data_dir, doc)), doc.filename))
            if words:
                words_todo.append(doc.id)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m review.worker", description="extract documents queued in the review database")
    ap.add_argument("--db", default=None)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--parent", type=int, default=None, help="process id of the server: exit when it is gone")
    ap.add_argument("--consume", type=Path, default=None, help="a folder to watch for new documents")
    ap.add_argument("--page-words", action="store_true", help="read the page word boxes of extracted documents when idle")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="congvan worker: %(message)s", stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    serve_forever(args.db, args.data, args.parent, args.consume, args.page_words)


if __name__ == "__main__":
    main()
