"""The HTTP API for trackers and other systems, mounted at ``/api``.

Its own FastAPI application, so the OpenAPI schema (``/api/openapi.json``,
browsable at ``/api/docs``) documents the API only, not the clerks' pages.
Every call needs ``Authorization: Bearer <token>`` (``congvan tokens add
NAME [--read-only]``): no token or a wrong one is 401, an upload with a
read-only token 403. Uploads go through the same checks and the same queue
as the browser's; the background worker extracts them.

Statuses seen through the API: ``extracting`` (queued or being extracted),
``review`` (extracted, waiting for a reviewer), ``approved``, ``failed``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, sessionmaker
from starlette.background import BackgroundTask

from models import DirectiveDocument
from review import auth
from review.db import APPROVED, EXTRACTING, FAILED, QUEUED, TO_REVIEW, ApiToken, Document
from review.records import full_date, reviewed
from review.uploads import check_upload
from review.worker import queue_file

# the API's names of the database's statuses (queued and extracting are one to a caller)
API_STATUS = {QUEUED: "extracting", EXTRACTING: "extracting", TO_REVIEW: "review", APPROVED: APPROVED, FAILED: FAILED}
DB_STATUSES = {"extracting": (QUEUED, EXTRACTING), "review": (TO_REVIEW,), "approved": (APPROVED,), "failed": (FAILED,)}
MAX_LIMIT = 1000

bearer = HTTPBearer(auto_error=False, description="a token made with `congvan tokens add NAME [--read-only]`")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


class Accepted(BaseModel):
    id: int
    status: str


class Error(BaseModel):
    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "no token or a wrong one"},
}


@dataclass(frozen=True)
class ApiSettings:
    data_dir: Path
    max_upload_mb: int


def document_statuses(status: str) -> tuple[str, ...]:
    """The database statuses of an API status (or several, comma-separated); 400 otherwise."""
    out: list[str] = []
    for s in status.split(","):
        s = s.strip()
        if s not in DB_STATUSES:
            raise ApiError(400, f"status is one or more of {', '.join(DB_STATUSES)} (comma-separated), not {s!r}")
        out += DB_STATUSES[s]
    return tuple(out)


def parse_since(value: str | None) -> datetime | None:
    """An ISO date or date-time (UTC when no offset is given) as naive UTC."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value or " " in value else datetime.combine(date.fromisoformat(value), time())
    except ValueError:
        raise ApiError(400, f"since is an ISO date or date-time (2026-12-03 or 2026-12-03T08:00:00Z), not {value!r}") from None
    if when.tzinfo is not None:
        from datetime import UTC

        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def changed_at(doc: Document) -> datetime:
    """When the document last changed status: approval, extraction or upload."""
    return doc.approved_at or doc.extracted_at or doc.created_at


def _iso(when: datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") + "Z" if when else None


def summary(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id, "status": API_STATUS[doc.status], "number": doc.number, "issuer": doc.issuer,
        "issued_date": doc.issued_date, "subject": doc.subject, "task_count": doc.task_count,
        "filename": doc.filename, "uploaded_at": _iso(doc.created_at), "extracted_at": _iso(doc.extracted_at),
        "approved_by": doc.approved_by, "approved_at": _iso(doc.approved_at), "changed_at": _iso(changed_at(doc)),
    }


def period_end(value: str | None) -> date | None:
    """The last day of a (possibly partial) ISO date: 2026-12 → 2026-12-31, 2026 → 2026-12-31."""
    if not value:
        return None
    if d := full_date(value):
        return d
    try:
        if len(value) == 7:
            y, m = int(value[:4]), int(value[5:7])
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            return date.fromordinal(nxt.toordinal() - 1)
        if len(value) == 4:
            return date(int(value), 12, 31)
    except ValueError:
        return None
    return None


def contract_documents(sessions: sessionmaker, statuses: tuple[str, ...]) -> Iterator[DirectiveDocument]:
    """The current (reviewed) contract JSON of the documents with these statuses, oldest first, one at a time."""
    with sessions() as db:
        q = (select(Document.current_json).where(Document.status.in_(statuses), Document.current_json.is_not(None))
             .order_by(Document.id).execution_options(yield_per=100))
        for (text,) in db.execute(q):
            yield DirectiveDocument.model_validate_json(text)


def export_file(sessions: sessionmaker, statuses: tuple[str, ...], fmt: str, name: str) -> FileResponse:
    """The export of these documents in ``fmt``, written to a temporary file
    (the documents are read one at a time) and streamed back; an XML export is
    validated against its XSD first. The file is removed once sent."""
    from pipeline.export import FORMATS, MEDIA_TYPES, export
    from pipeline.export.edxml import ExportInvalid, validate_file

    if fmt not in FORMATS:
        raise ApiError(400, f"format is one of {', '.join(FORMATS)}, not {fmt!r}")
    fd, tmp_name = tempfile.mkstemp(prefix="congvan-export-", suffix="." + fmt)
    try:
        with os.fdopen(fd, "wb") as fh:
            export(contract_documents(sessions, statuses), fmt, fh)
        if fmt == "xml":
            validate_file(Path(tmp_name))
    except ExportInvalid as e:
        os.unlink(tmp_name)
        raise ApiError(500, f"the XML export does not validate: {e}") from None
    except BaseException:
        os.unlink(tmp_name)
        raise
    return FileResponse(
        tmp_name, media_type=MEDIA_TYPES[fmt], filename=f"{name}.{fmt}", background=BackgroundTask(os.unlink, tmp_name)
    )


def db_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as db:
        yield db


Db = Annotated[Session, Depends(db_session)]


def token(db: Db, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> ApiToken:
    found = auth.token_of(db, f"Bearer {cred.credentials}" if cred else None)
    if found is None:
        raise ApiError(401, "a valid 'Authorization: Bearer <token>' header is needed (congvan tokens add NAME)")
    return found


Token = Annotated[ApiToken, Depends(token)]


def create_api(sessions: sessionmaker, settings: ApiSettings) -> FastAPI:
    api = FastAPI(
        title="congvan API",
        version="1",
        description=(
            "Documents and their tasks for trackers and other systems. Authenticate with "
            "`Authorization: Bearer <token>` (made by `congvan tokens add NAME [--read-only]`). "
            "A document's status is `extracting`, `review` (waiting for a reviewer), `approved` or `failed`. "
            "Lists are paged with `limit` (at most 1000) and `offset`; each page gives `total` and `next` "
            "(the URL of the next page, or null)."
        ),
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )

    api.state.sessions = sessions

    @api.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=headers)

    def page_of(request: Request, items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
        nxt = None
        if offset + len(items) < total:
            nxt = str(request.url.include_query_params(offset=offset + len(items), limit=limit))
        return {"items": items, "total": total, "limit": limit, "offset": offset, "next": nxt}

    @api.post(
        "/documents", status_code=202, response_model=Accepted,
        responses={**ERRORS, 200: {"model": Accepted, "description": "the same content was uploaded before: that document"},
                   400: {"model": Error}, 403: {"model": Error, "description": "a read-only token"},
                   413: {"model": Error}},
    )
    def upload(db: Db, tok: Token, file: Annotated[UploadFile, File(description="a document: PDF, scan, Word, text …")]) -> Any:
        """Upload a document to extract. It is checked as a browser upload is (type,
        content, size), stored and queued; the background worker extracts it and it
        then waits for review. Poll `GET /documents/{id}`."""
        if tok.read_only:
            raise ApiError(403, f"token '{tok.name}' is read-only: it cannot upload (congvan tokens add NAME without --read-only)")
        name = Path((file.filename or "").replace("\\", "/")).name
        if not name:
            raise ApiError(400, "the multipart field 'file' has no file name")
        why = check_upload(name, file.file.read(16))
        file.file.seek(0)
        if why:
            raise ApiError(400, f"{name}: {why}")
        try:
            doc, new = queue_file(db, settings.data_dir, file.file, name, f"token:{tok.name}", settings.max_upload_mb << 20)
        except ValueError as e:
            raise ApiError(413 if "limit" in str(e) else 400, f"{name}: {e}") from None
        body = {"id": doc.id, "status": API_STATUS[doc.status]}
        return body if new else JSONResponse(body, status_code=200)

    @api.get("/documents", responses=ERRORS)
    def documents(
        request: Request, db: Db, tok: Token,
        status: Annotated[str, Query(description="extracting, review, approved or failed; several comma-separated")] = APPROVED,
        since: Annotated[str | None, Query(description="only documents whose status changed at or after this ISO date or date-time (UTC): approval for approved, extraction for review/failed, upload otherwise")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Documents with the given status, ordered by when their status changed (then id):
        summaries; the contract JSON is at `/documents/{id}`."""
        statuses = document_statuses(status)
        when = parse_since(since)
        q = select(Document).options(defer(Document.extracted_json), defer(Document.current_json)).where(Document.status.in_(statuses))
        order = func.coalesce(Document.approved_at, Document.extracted_at, Document.created_at)
        if when is not None:
            q = q.where(order >= when)
        total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
        docs = db.scalars(q.order_by(order, Document.id).offset(offset).limit(limit))
        return page_of(request, [summary(d) for d in docs], total, limit, offset)

    @api.get(
        "/documents/{doc_id}",
        responses={**ERRORS, 202: {"model": Accepted, "description": "not extracted yet"},
                   404: {"model": Error}, 422: {"description": "extraction failed: {id, status, error}"}},
    )
    def document(db: Db, tok: Token, doc_id: int) -> Any:
        """The document's contract JSON with a `review` block (`status` review or
        approved, reviewer, time, corrections, pipeline_version) once extracted;
        202 with `{id, status: extracting}` before; 422 with the reason when
        extraction failed."""
        from review.app import review_block

        doc = db.get(Document, doc_id)
        if doc is None:
            raise ApiError(404, f"no document {doc_id}")
        if doc.status in (QUEUED, EXTRACTING):
            return JSONResponse({"id": doc.id, "status": API_STATUS[doc.status]}, status_code=202)
        if doc.status == FAILED or doc.current_json is None:
            return JSONResponse({"id": doc.id, "status": FAILED, "error": doc.error}, status_code=422)
        block = review_block(db, doc)
        block["status"] = API_STATUS[doc.status]
        return reviewed(json.loads(doc.current_json), block)

    @api.get("/tasks", responses=ERRORS)
    def tasks(
        request: Request, db: Db, tok: Token,
        lead: Annotated[str | None, Query(description="part of a lead agency's name (any case)")] = None,
        due_before: Annotated[date | None, Query(description="YYYY-MM-DD: tasks whose deadline ends before this day (a month or year deadline ends on its last day); tasks without a dated deadline are left out")] = None,
        status: Annotated[str, Query(description="the documents' status: review, approved or both comma-separated")] = APPROVED,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Tasks across documents (document order, then task order), each with a
        `document` block: id, number, issuer, issued_date, status."""
        q = select(Document).options(defer(Document.extracted_json)).where(
            Document.status.in_(document_statuses(status)), Document.current_json.is_not(None))
        typed = " ".join((lead or "").split()).casefold()
        if typed:  # the summary column holds the lead names casefolded: a first cut in SQL
            like = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            q = q.where(Document.leads.like(like, escape="\\"))
        found: list[dict[str, Any]] = []
        total = 0
        for doc in db.scalars(q.order_by(Document.id).execution_options(yield_per=100)):
            data = json.loads(doc.current_json or "{}")
            head = {"id": doc.id, "number": doc.number, "issuer": doc.issuer, "issued_date": doc.issued_date,
                    "status": API_STATUS[doc.status]}
            for t in data.get("tasks") or []:
                if typed and not any(typed in " ".join(a["name"].split()).casefold() for a in t.get("lead") or []):
                    continue
                if due_before is not None:
                    end = period_end((t.get("deadline") or {}).get("date"))
                    if end is None or end >= due_before:
                        continue
                if offset <= total < offset + limit:
                    found.append({**t, "document": head})
                total += 1
        return page_of(request, found, total, limit, offset)

    @api.get(
        "/export",
        responses={**ERRORS, 200: {"description": "the export file", "content": {
            "text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            "text/calendar": {}, "application/xml": {}, "application/jsonl": {}}}},
    )
    def export(
        tok: Token,
        format: Annotated[str, Query(description="jsonl, csv, xlsx, ics or xml")],
        status: Annotated[str, Query(description="the documents' status: review, approved or both comma-separated")] = APPROVED,
    ) -> FileResponse:
        """The documents as an export file: jsonl (one contract document per line), csv
        (one row per task, UTF-8 with BOM), xlsx (the register of Decree 30/2020
        Appendix IV), ics (a VTODO per dated task), xml (Appendix VI metadata,
        validated against its XSD)."""
        return export_file(sessions, document_statuses(status), format.lower(), f"congvan-{status.replace(',', '-')}")

    return api
