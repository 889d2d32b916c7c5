"""The review web application (FastAPI, server-rendered Jinja2 pages).

Every page and action needs a login; every form carries the session's CSRF
token; roles are checked here, on the server: clerks edit, reviewers also
approve, admins also manage users. All output goes through Jinja2 with
autoescaping on; document text reaches the page as JSON and is put into the
page with ``textContent`` only.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session, defer, sessionmaker
from starlette.datastructures import UploadFile

from review import auth
from review.boxes import locate, locate_from_label, page_words
from review.db import (
    APPROVED,
    EXTRACTING,
    FAILED,
    QUEUED,
    ROLES,
    STATUSES,
    TO_REVIEW,
    AuditEntry,
    Document,
    User,
    WebSession,
    utcnow,
)
from review.pages import PageError, has_pages, page_png
from review.records import (
    DEADLINE_KINDS,
    LOW_CONFIDENCE,
    Change,
    EditError,
    add_task,
    delete_task,
    dumps,
    edit_header,
    edit_task,
    find_task,
    header_rows,
    merge_tasks,
    reviewed,
    show_date,
    split_task,
    summarize,
    validate,
)
from review.uploads import check_upload
from review.worker import queue_file, stored_path

HERE = Path(__file__).parent
COOKIE = "congvan_session"
FLASH = "congvan_flash"
PRE_COOKIE = "congvan_login_csrf"
MAX_UPLOAD_FILES = 20
PAGE_SIZE = 100  # documents per page of the list
STATUS_LABELS = {
    QUEUED: "chờ trích xuất",
    EXTRACTING: "đang trích xuất",
    TO_REVIEW: "chờ kiểm tra",
    APPROVED: "đã duyệt",
    FAILED: "lỗi",
}
ROLE_LABELS = {"clerk": "văn thư", "reviewer": "người duyệt", "admin": "quản trị"}
ACTION_LABELS = {
    "upload": "tải lên",
    "edit": "sửa",
    "add-task": "thêm nhiệm vụ",
    "delete-task": "xóa nhiệm vụ",
    "approve": "duyệt",
    "reopen": "mở lại",
    "split-task": "tách nhiệm vụ",
    "retry": "trích xuất lại",
    "merge-tasks": "gộp nhiệm vụ",
}
DEADLINE_LABELS = {"by": "trước / chậm nhất", "in": "trong (tháng, quý)", "on": "vào ngày", "recurring": "định kỳ", "asap": "ngay / khẩn trương"}


@dataclass
class Settings:
    data_dir: Path
    max_upload_mb: int = int(os.environ.get("CONGVAN_MAX_UPLOAD_MB", "50"))
    secure_cookies: bool = False  # set when served over HTTPS (--https-cookies)
    webhook_url: str | None = os.environ.get("CONGVAN_WEBHOOK_URL") or None  # approvals POSTed there (review/webhook.py)


FORM_LIMIT = 1 << 20  # any request body but an upload
UPLOAD_PATHS = ("/upload", "/api/documents")
# the API's documentation page (Swagger UI from its CDN, started by an inline script)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; style-src 'self' https://cdn.jsdelivr.net; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class BodyLimit:
    """ASGI middleware: a request body over its limit is refused while it is
    being read (chunked bodies too, which have no Content-Length to check)."""

    def __init__(self, app: Any, upload_limit: int) -> None:
        self.app, self.upload_limit = app, upload_limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"] in UPLOAD_PATHS else FORM_LIMIT
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise Refused(413, f"Dữ liệu gửi lên quá lớn (tối đa {limit >> 20} MB).")
            return message

        await self.app(scope, limited, send)


class NeedLogin(Exception):
    pass


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


def _agency_names() -> list[str]:
    import yaml

    from pipeline.resources import __file__ as res_init

    data = yaml.safe_load((Path(res_init).parent / "agencies.yaml").read_text(encoding="utf-8"))
    names = {a["name"] for a in data.get("agencies", [])}
    names |= {a["city_form"] for a in data.get("agencies", []) if a.get("city_form")}
    return sorted(names)


def create_app(sessions: sessionmaker, settings: Settings) -> FastAPI:
    app = FastAPI(title="congvan review", docs_url=None, redoc_url=None, openapi_url=None)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["vndate"] = show_date
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS, ROLE_LABELS=ROLE_LABELS, ACTION_LABELS=ACTION_LABELS,
        DEADLINE_LABELS=DEADLINE_LABELS, DEADLINE_KINDS=DEADLINE_KINDS, LOW=LOW_CONFIDENCE, can=auth.can,
    )
    agency_names = _agency_names()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(BodyLimit, upload_limit=(settings.max_upload_mb << 20) * MAX_UPLOAD_FILES + FORM_LIMIT)

    def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("user", getattr(request.state, "user", None))
        ctx.setdefault("csrf", getattr(request.state, "csrf", ""))
        # the message of the action just done: from a cookie set by that action (a
        # message in the URL could be written by anyone into a link)
        flash = unquote(request.cookies.get(FLASH, ""))[:1500]
        ctx.setdefault("flash", flash)
        resp = HTMLResponse(env.get_template(name).render(request=request, **ctx), status_code=status)
        if flash:
            resp.delete_cookie(FLASH, path="/")
        return resp

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = DOCS_CSP if request.url.path == "/api/docs" else (
            "default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.url.path != "/static" and not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin) -> Response:
        if request.method == "GET":
            return RedirectResponse("/login?next=" + quote(request.url.path), status_code=303)
        return HTMLResponse("Cần đăng nhập", status_code=401)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return render(request, "error.html", status=exc.status, message=exc.message)

    # ---------------------------------------------------------------- helpers

    def db_of() -> Session:
        return sessions()

    def require(request: Request, db: Session, role: str = "clerk") -> User:
        found = auth.session_user(db, request.cookies.get(COOKIE))
        if found is None:
            raise NeedLogin()
        sess, user = found
        request.state.user, request.state.csrf, request.state.session = user, sess.csrf, sess
        if not auth.can(user.role, role):
            raise Refused(403, f"Việc này cần vai trò {ROLE_LABELS[role]} trở lên.")
        return user

    async def form_of(request: Request) -> dict[str, str]:
        form = await request.form(max_files=0, max_fields=50, max_part_size=256 * 1024)
        return {k: v for k, v in form.items() if isinstance(v, str)}

    def check_csrf(request: Request, form: dict[str, str]) -> None:
        sess: WebSession = request.state.session
        if not auth.same_token(form.get("csrf"), sess.csrf):
            raise Refused(403, "Phiên làm việc không hợp lệ (mã CSRF sai): tải lại trang rồi thử lại.")

    def get_doc(db: Session, doc_id: int) -> Document:
        doc = db.get(Document, doc_id)
        if doc is None:
            raise Refused(404, "Không có văn bản này.")
        return doc

    def editable(doc: Document) -> dict[str, Any]:
        if doc.status == APPROVED:
            raise Refused(409, "Văn bản đã duyệt: không sửa được nữa (người duyệt có thể mở lại).")
        if doc.current_json is None:
            raise Refused(409, "Văn bản chưa trích xuất xong hoặc trích xuất lỗi.")
        data: dict[str, Any] = json.loads(doc.current_json)
        return data

    def save(db: Session, doc: Document, data: dict[str, Any], user: User, action: str, changes: list[Change]) -> None:
        """Store the edited JSON and its audit records in one transaction, only if
        nobody changed or approved the document since it was read (compare and
        swap on the JSON): two clerks saving at once never lose an edit silently."""
        checked = validate(data)
        s = summarize(checked)
        res = db.execute(
            update(Document)
            .where(Document.id == doc.id, Document.status == TO_REVIEW, Document.current_json == doc.current_json)
            .values(
                current_json=dumps(checked), number=s.number, issuer=s.issuer, issued_date=s.issued_date,
                subject=s.subject, task_count=s.task_count, min_confidence=s.min_confidence, leads=s.leads,
                next_deadline=s.next_deadline,
            )
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]  # nothing was written: the session closes unchanged
            raise Refused(409, "Văn bản vừa được người khác sửa hoặc duyệt: tải lại trang rồi làm lại.")
        now = utcnow()
        for c in changes:
            db.add(AuditEntry(
                document_id=doc.id, username=user.username, at=now, action=action, field=c.field,
                old=None if c.old is None else dumps(c.old), new=None if c.new is None else dumps(c.new),
            ))
        db.commit()

    def back(doc_id: int, msg: str = "", anchor: str = "") -> RedirectResponse:
        return redirect(f"/documents/{doc_id}{anchor}", msg)

    # ---------------------------------------------------------------- login

    @app.get("/login")
    def login_page(request: Request, next: str = "/documents") -> Response:
        token = secrets.token_urlsafe(32)
        resp = render(request, "login.html", user=None, csrf=token, next=_local(next), error="")
        resp.set_cookie(PRE_COOKIE, token, httponly=True, samesite="strict", secure=settings.secure_cookies, path="/login")
        return resp

    @app.post("/login")
    async def login_post(request: Request) -> Response:
        form = await form_of(request)
        nxt = _local(form.get("next", "/documents"))
        if not auth.same_token(form.get("csrf"), request.cookies.get(PRE_COOKIE)):
            return _login_again(request, render, nxt, "Phiên đăng nhập hết hạn: hãy thử lại.", settings, 403)
        with db_of() as db:
            res = auth.login(db, form.get("username", "")[:64], form.get("password", "")[:1024])
            if res.wait_s:
                return _login_again(request, render, nxt, f"Đăng nhập sai nhiều lần: thử lại sau {res.wait_s} giây.", settings, 429)
            if res.user is None:
                return _login_again(request, render, nxt, "Sai tên đăng nhập hoặc mật khẩu.", settings, 401)
            _, token = auth.new_session(db, res.user)
        resp = RedirectResponse(nxt, status_code=303)
        resp.set_cookie(
            COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies,
            max_age=auth.SESSION_HOURS * 3600, path="/",
        )
        resp.delete_cookie(PRE_COOKIE, path="/login")
        return resp

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        with db_of() as db:
            require(request, db)
            check_csrf(request, await form_of(request))
            auth.end_session(db, request.cookies.get(COOKIE))
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.get("/")
    def home() -> Response:
        return RedirectResponse("/documents", status_code=303)

    # ---------------------------------------------------------------- the list

    @app.get("/documents")
    def documents(
        request: Request, status: str = "", issuer: str = "", lead: str = "", window: str = "", page: int = 1
    ) -> Response:
        with db_of() as db:
            require(request, db)
            # the list never needs the JSON columns (tens of KB per document)
            q = select(Document).options(defer(Document.extracted_json), defer(Document.current_json))
            if status in STATUSES:
                q = q.where(Document.status == status)
            if issuer:
                q = q.where(Document.issuer == issuer)
            if lead:
                typed = " ".join(lead.split()).casefold()
                like = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                q = q.where(Document.leads.like(like, escape="\\"))
            today = date.today()
            if window == "overdue":
                q = q.where(Document.next_deadline < today, Document.status != APPROVED)
            elif window == "week":
                q = q.where(Document.next_deadline >= today, Document.next_deadline <= today + timedelta(days=7))
            order = case(
                (Document.status == TO_REVIEW, 0), (Document.status == FAILED, 1), (Document.status == EXTRACTING, 2),
                (Document.status == QUEUED, 3), else_=4,
            )
            total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, page), pages)
            q = q.order_by(order, Document.min_confidence.is_(None), Document.min_confidence, Document.id.desc())
            docs = list(db.scalars(q.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
            issuers = [i for i in db.scalars(select(Document.issuer).where(Document.issuer.is_not(None)).distinct().order_by(Document.issuer))]
            counts = dict(db.execute(select(Document.status, func.count()).group_by(Document.status)).all())  # type: ignore[arg-type]
            return render(
                request, "documents.html", docs=docs, issuers=issuers, counts=counts,
                f={"status": status, "issuer": issuer, "lead": lead, "window": window},
                page=page, pages=pages, total=total,
                page_query=lambda n: urlencode({"status": status, "issuer": issuer, "lead": lead, "window": window, "page": n}),
                busy=any(d.status in (QUEUED, EXTRACTING) for d in docs), max_mb=settings.max_upload_mb,
                max_files=MAX_UPLOAD_FILES,
            )

    @app.post("/upload")
    async def upload(request: Request) -> Response:
        with db_of() as db:
            user = require(request, db)
            limit = settings.max_upload_mb << 20
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > limit * MAX_UPLOAD_FILES + (1 << 20):
                raise Refused(413, f"Tải lên quá lớn (tối đa {MAX_UPLOAD_FILES} tệp, mỗi tệp {settings.max_upload_mb} MB).")
            try:
                form = await request.form(max_files=MAX_UPLOAD_FILES, max_fields=5)
            except Refused:
                raise
            except Exception:
                raise Refused(400, f"Tải lên không đọc được (tối đa {MAX_UPLOAD_FILES} tệp một lần).") from None
            if not auth.same_token(form.get("csrf") if isinstance(form.get("csrf"), str) else None, request.state.csrf):  # type: ignore[arg-type]
                raise Refused(403, "Phiên làm việc không hợp lệ (mã CSRF sai): tải lại trang rồi thử lại.")
            results: list[tuple[str, str]] = []
            for f in form.getlist("files"):
                if not isinstance(f, UploadFile) or not f.filename:
                    continue
                name = Path(f.filename.replace("\\", "/")).name  # only the name: never a path
                head = await f.read(16)
                await f.seek(0)
                why = check_upload(name, head)
                if why:
                    results.append((name, "từ chối: " + why))
                    continue
                try:
                    doc, new = queue_file(db, settings.data_dir, f.file, name, user.username, limit)
                except ValueError as e:
                    msg = str(e)
                    results.append((name, "từ chối: " + (f"quá {settings.max_upload_mb} MB" if "limit" in msg else msg)))
                    continue
                results.append((name, "đã nhận, đang chờ trích xuất" if new else f"đã có (văn bản #{doc.id})"))
            await form.close()
            if not results:
                raise Refused(400, "Chưa chọn tệp nào.")
            msg = "; ".join(f"{n}: {r}" for n, r in results)
            return redirect("/documents", msg)

    # ---------------------------------------------------------------- one document

    @app.get("/documents/{doc_id}")
    def document(request: Request, doc_id: int) -> Response:
        with db_of() as db:
            user = require(request, db)
            doc = get_doc(db, doc_id)
            data = json.loads(doc.current_json) if doc.current_json else None
            history = list(db.scalars(select(AuditEntry).where(AuditEntry.document_id == doc.id).order_by(AuditEntry.id.desc())))
            return render(
                request, "document.html", doc=doc, data=data, history=history, header=header_rows(data) if data else [],
                pages=(data or {}).get("source", {}).get("pages", 0) if has_pages(doc.stored_name) else 0,
                text_json={"text": (data or {}).get("text", "")},
                can_edit=doc.status == TO_REVIEW and auth.can(user.role, "clerk"),
                agency_names=agency_names,
            )

    @app.get("/documents/{doc_id}/tasks/{index}/form")
    def task_form(request: Request, doc_id: int, index: int, task_id: str = "") -> Response:
        """The edit forms of one task (an HTML fragment the page fetches when its "Sửa" opens)."""
        with db_of() as db:
            require(request, db, "clerk")
            doc = get_doc(db, doc_id)
            data = editable(doc)
            try:
                t = find_task(data, index, task_id)
            except EditError as e:
                return HTMLResponse(f'<p class="error">{escape(str(e))}</p>', status_code=409)
            tasks = data["tasks"]
            return render(request, "task_form.html", doc=doc, t=t, index=index,
                          next_task=tasks[index + 1] if index + 1 < len(tasks) else None)

    @app.get("/documents/{doc_id}/pages/{page}.png")
    def page_image(request: Request, doc_id: int, page: int) -> Response:
        with db_of() as db:
            require(request, db)
            doc = get_doc(db, doc_id)
            pages = json.loads(doc.current_json or "{}").get("source", {}).get("pages", 0)
            if not has_pages(doc.stored_name) or not 1 <= page <= pages:  # extracted documents only
                raise Refused(404, "Không có trang này.")
            try:
                png = page_png(settings.data_dir, stored_path(settings.data_dir, doc), doc.sha256, page)
            except (PageError, OSError, ValueError) as e:
                raise Refused(500, f"Không dựng được ảnh trang: {e}") from None
            return FileResponse(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/documents/{doc_id}/boxes")
    def boxes(request: Request, doc_id: int, q: str = "", find: str = "") -> Response:
        """Boxes of a value on the page images (text PDFs): JSON list of {page, x, y, w, h}."""
        with db_of() as db:
            require(request, db)
            doc = get_doc(db, doc_id)
            if not has_pages(doc.stored_name):
                return JSONResponse([])
            try:
                words = page_words(settings.data_dir, stored_path(settings.data_dir, doc), doc.sha256)
            except Exception:  # a PDF pdfplumber cannot read: no boxes, the text highlight still works
                return JSONResponse([])
            if words is None:  # scanned pages: the worker has not read their word boxes yet
                return JSONResponse([])
            return JSONResponse(locate(words, q[:20000], find[:500]))

    @app.get("/documents/{doc_id}/crop/{field}.png")
    def crop(request: Request, doc_id: int, field: str) -> Response:
        """The part of the page image where a header value is printed (or written
        by hand): the number and the date, shown beside their fields."""
        with db_of() as db:
            require(request, db)
            doc = get_doc(db, doc_id)
            data = json.loads(doc.current_json or "{}")
            span = (data.get("spans") or {}).get(field)
            region = (data.get("regions") or {}).get(field)
            if field not in CROP_FIELDS or not (span or region) or not has_pages(doc.stored_name):
                raise Refused(404, "Không có vùng ảnh cho trường này.")
            stored = stored_path(settings.data_dir, doc)
            try:
                if region:  # the pipeline's own OCR boxed it: no page words needed
                    x0, y0, x1, y1 = region["bbox"]
                    png = page_png(settings.data_dir, stored, doc.sha256, int(region["page"]))
                    box = {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}
                    return Response(crop_png(png, box), media_type="image/png", headers={"Cache-Control": "private, max-age=600"})
                words = page_words(settings.data_dir, stored, doc.sha256) if span else None
                found = locate(words, data["text"][span[0] : span[1]]) if words and span else []
                if not found and words and span and field == "number":
                    found = locate_from_label(words, data["text"][span[0] : span[1]])
                if not found:
                    raise Refused(404, "Không tìm thấy trường này trên ảnh trang.")
                b = found[0]
                png = page_png(settings.data_dir, stored, doc.sha256, int(b["page"]))
                return Response(crop_png(png, b), media_type="image/png", headers={"Cache-Control": "private, max-age=600"})
            except (PageError, OSError, ValueError) as e:
                raise Refused(500, f"Không cắt được ảnh: {e}") from None

    @app.get("/documents/{doc_id}/json")
    def document_json(request: Request, doc_id: int, version: str = "reviewed") -> Response:
        with db_of() as db:
            require(request, db)
            doc = get_doc(db, doc_id)
            if doc.current_json is None or doc.extracted_json is None:
                raise Refused(409, "Văn bản chưa có kết quả trích xuất.")
            if version == "extracted":
                body: dict[str, Any] = json.loads(doc.extracted_json)
            else:
                body = reviewed(json.loads(doc.current_json), review_block(db, doc))
            stem = Path(doc.filename).stem or f"document-{doc.id}"
            return JSONResponse(body, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(stem)}.{version}.json"})

    @app.post("/documents/{doc_id}/tasks/{index}")
    async def edit(request: Request, doc_id: int, index: int) -> Response:
        with db_of() as db:
            user = require(request, db, "clerk")
            form = await form_of(request)
            check_csrf(request, form)
            doc = get_doc(db, doc_id)
            data = editable(doc)
            fields: dict[str, str] = {k: form[k] for k in ("text", "lead", "support", "deadline_date", "deadline_kind", "deadline_text") if k in form}
            try:
                changes = edit_task(data, index, form.get("task_id", ""), fields)
            except (EditError, ValueError) as e:
                return back(doc_id, f"Không lưu được: {_short(e)}")
            if changes:
                save(db, doc, data, user, "edit", changes)
            return back(doc_id, "Đã lưu." if changes else "Không có gì thay đổi.", f"#task-{index}")

    @app.post("/documents/{doc_id}/header")
    async def header_edit(request: Request, doc_id: int) -> Response:
        with db_of() as db:
            user = require(request, db, "clerk")
            form = await form_of(request)
            check_csrf(request, form)
            doc = get_doc(db, doc_id)
            data = editable(doc)
            fields = {k: v for k, v in form.items() if k != "csrf"}
            try:
                changes = edit_header(data, fields)
            except (EditError, ValueError) as e:
                return back(doc_id, f"Không lưu được: {_short(e)}")
            if changes:
                save(db, doc, data, user, "edit", changes)
            return back(doc_id, "Đã lưu." if changes else "Không có gì thay đổi.")

    @app.post("/documents/{doc_id}/tasks/{index}/split")
    async def split(request: Request, doc_id: int, index: int) -> Response:
        with db_of() as db:
            user = require(request, db, "clerk")
            form = await form_of(request)
            check_csrf(request, form)
            doc = get_doc(db, doc_id)
            data = editable(doc)
            try:
                changes = split_task(data, index, form.get("task_id", ""), form.get("at", ""))
            except (EditError, ValueError) as e:
                return back(doc_id, f"Không tách được: {_short(e)}")
            save(db, doc, data, user, "split-task", changes)
            return back(doc_id, "Đã tách nhiệm vụ.", f"#task-{index}")

    @app.post("/documents/{doc_id}/tasks/{index}/merge")
    async def merge(request: Request, doc_id: int, index: int) -> Response:
        with db_of() as db:
            user = require(request, db, "clerk")
            form = await form_of(request)
            check_csrf(request, form)
            doc = get_doc(db, doc_id)
            data = editable(doc)
            try:
                changes = merge_tasks(data, index, form.get("task_id", ""), form.get("next_id", ""))
            except (EditError, ValueError) as e:
                return back(doc_id, f"Không gộp được: {_short(e)}")
            save(db, doc, data, user, "merge-tasks", changes)
            return back(doc_id, "Đã gộp nhiệm vụ.", f"#task-{index}")

    @app.post("/documents/{doc_id}/tasks/{index}/delete")
    async def remove_task(request: Request, doc_id: int, index: int) -> Response:
        with db_of() as db:
            user = require(request, db, "clerk")
            form = await form_of(request)
            check_csrf(request, form)
            doc = get_doc(db, doc_id)
            data = editable(doc)
            try:
                change = delete_task(data, index, form.get("task_id", ""))
            except EditError as e:
                return back(doc_id, f"Không xóa được: {e}")
            save(db, doc, data, user, "delete-task", [change])
            return back(doc_id, "Đã xóa nhiệm vụ.")

    @app.post("/documents/{doc_id}/tasks")
    async def add(request: Request, doc_id: int) -> Response:
        with db_of() as db:
            user = require(request, db, "clerk")
            form = await form_of(request)
            check_csrf(request, form)
            doc = get_doc(db, doc_id)
            data = editable(doc)
            try:
                change = add_task(data, form)
            except (EditError, ValueError) as e:
                return back(doc_id, f"Không thêm được: {_short(e)}")
            save(db, doc, data, user, "add-task", [change])
            return back(doc_id, "Đã thêm nhiệm vụ.")

    @app.post("/documents/{doc_id}/approve")
    async def approve(request: Request, doc_id: int) -> Response:
        with db_of() as db:
            user = require(request, db, "reviewer")
            check_csrf(request, await form_of(request))
            doc = get_doc(db, doc_id)
            if doc.status != TO_REVIEW:
                raise Refused(409, "Chỉ duyệt được văn bản đang chờ kiểm tra.")
            doc.status, doc.approved_by, doc.approved_at = APPROVED, user.username, utcnow()
            db.add(AuditEntry(document_id=doc.id, username=user.username, at=doc.approved_at, action="approve",
                              field="status", old=dumps(TO_REVIEW), new=dumps(APPROVED)))
            if settings.webhook_url and doc.current_json is not None:  # sent by the worker, never here
                from review.webhook import queue_delivery

                db.flush()
                payload = dumps(reviewed(json.loads(doc.current_json), review_block(db, doc)))
                queue_delivery(db, doc.id, settings.webhook_url, payload)
            db.commit()
            return back(doc_id, "Đã duyệt.")

    @app.post("/documents/{doc_id}/retry")
    async def retry(request: Request, doc_id: int) -> Response:
        """A failed extraction queued again (after the pipeline was fixed, say)."""
        with db_of() as db:
            user = require(request, db, "clerk")
            check_csrf(request, await form_of(request))
            doc = get_doc(db, doc_id)
            res = db.execute(update(Document).where(Document.id == doc.id, Document.status == FAILED).values(status=QUEUED, error=None))
            if res.rowcount != 1:  # type: ignore[attr-defined]
                raise Refused(409, "Chỉ trích xuất lại được văn bản bị lỗi.")
            db.add(AuditEntry(document_id=doc.id, username=user.username, at=utcnow(), action="retry",
                              field="status", old=dumps(FAILED), new=dumps(QUEUED)))
            db.commit()
            return back(doc_id, "Đã xếp hàng trích xuất lại.")

    @app.post("/documents/{doc_id}/reopen")
    async def reopen(request: Request, doc_id: int) -> Response:
        with db_of() as db:
            user = require(request, db, "reviewer")
            check_csrf(request, await form_of(request))
            doc = get_doc(db, doc_id)
            if doc.status != APPROVED:
                raise Refused(409, "Văn bản chưa duyệt.")
            doc.status, doc.approved_by, doc.approved_at = TO_REVIEW, None, None
            db.add(AuditEntry(document_id=doc.id, username=user.username, at=utcnow(), action="reopen",
                              field="status", old=dumps(APPROVED), new=dumps(TO_REVIEW)))
            db.commit()
            return back(doc_id, "Đã mở lại để sửa.")

    # ---------------------------------------------------------------- users (admins)

    @app.get("/admin/users")
    def users_page(request: Request) -> Response:
        with db_of() as db:
            require(request, db, "admin")
            users = list(db.scalars(select(User).order_by(User.username)))
            return render(request, "users.html", users=users, roles=ROLES, error="")

    @app.post("/admin/users")
    async def users_add(request: Request) -> Response:
        with db_of() as db:
            require(request, db, "admin")
            form = await form_of(request)
            check_csrf(request, form)
            try:
                auth.add_user(db, form.get("username", ""), form.get("password", ""), form.get("role", ""))
            except auth.AccountError as e:
                users = list(db.scalars(select(User).order_by(User.username)))
                return render(request, "users.html", status=400, users=users, roles=ROLES, error=str(e))
            return redirect("/admin/users", "Đã thêm người dùng.")

    @app.post("/admin/users/{user_id}")
    async def users_change(request: Request, user_id: int) -> Response:
        with db_of() as db:
            admin = require(request, db, "admin")
            form = await form_of(request)
            check_csrf(request, form)
            target = db.get(User, user_id)
            if target is None:
                raise Refused(404, "Không có người dùng này.")
            if target.id == admin.id:
                raise Refused(409, "Không tự đổi vai trò hay khóa chính mình.")
            if form.get("role") in ROLES:
                target.role = form["role"]
            target.active = form.get("active") == "1"
            if not target.active:
                db.execute(delete(WebSession).where(WebSession.user_id == target.id))
            db.commit()
            return redirect("/admin/users", "Đã cập nhật.")

    # ---------------------------------------------------------------- exports (the list page's link)

    @app.get("/export")
    def export_documents(request: Request, format: str = "xlsx", status: str = APPROVED) -> Response:
        """The reviewed documents as a file for a register or tracker (the same as GET /api/export)."""
        from review.api import ApiError, document_statuses, export_file

        with db_of() as db:
            require(request, db)
        try:
            return export_file(sessions, document_statuses(status), format.lower(), f"congvan-{status.replace(',', '-')}")
        except ApiError as e:
            raise Refused(e.status, e.message) from None

    # ---------------------------------------------------------------- the HTTP API (review/api.py)

    from review.api import ApiSettings, create_api

    app.mount("/api", create_api(sessions, ApiSettings(data_dir=settings.data_dir, max_upload_mb=settings.max_upload_mb)))

    return app


CROP_FIELDS = ("number", "issued_date")


def crop_png(png: Path, box: dict[str, Any]) -> bytes:
    """The box's line with some margin around it, from the page image, as PNG bytes."""
    import io

    from PIL import Image

    with Image.open(png) as im:
        W, H = im.size
        x0, x1 = max(0.0, box["x"] - 0.12), min(1.0, box["x"] + box["w"] + 0.12)
        y0, y1 = max(0.0, box["y"] - 1.2 * box["h"]), min(1.0, box["y"] + 2.2 * box["h"])
        part = im.crop((int(x0 * W), int(y0 * H), int(x1 * W) + 1, int(y1 * H) + 1))
        out = io.BytesIO()
        part.save(out, "PNG")
    return out.getvalue()


def review_block(db: Session, doc: Document) -> dict[str, Any]:
    """The ``review`` block of the reviewed JSON."""
    n = db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.document_id == doc.id,
        AuditEntry.action.in_(("edit", "add-task", "delete-task", "split-task", "merge-tasks"))))
    return {
        "status": "approved" if doc.status == APPROVED else "to-review",
        "reviewer": doc.approved_by,
        "time": doc.approved_at.isoformat(timespec="seconds") + "Z" if doc.approved_at else None,
        "corrections": n,
        "pipeline_version": doc.pipeline_version,
    }


def redirect(url: str, msg: str = "") -> RedirectResponse:
    """303 to ``url``, with the message to show there in a short-lived cookie."""
    resp = RedirectResponse(url, status_code=303)
    value = quote(msg)
    while len(value) > 3000:  # a cookie holds about 4 KB: a long upload report is cut
        msg = msg[: len(msg) * 4 // 5].rstrip() + " …"
        value = quote(msg)
    if msg:
        resp.set_cookie(FLASH, value, max_age=60, httponly=True, samesite="lax", path="/")
    return resp


def _local(url: str) -> str:
    """A redirect target on this site only (never //host or a scheme)."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url or "\n" in url or "\r" in url:
        return "/documents"
    return url


def _login_again(request: Request, render: Any, nxt: str, error: str, settings: Settings, status: int) -> Response:
    token = secrets.token_urlsafe(32)
    resp: Response = render(request, "login.html", status=status, user=None, csrf=token, next=nxt, error=error)
    resp.set_cookie(PRE_COOKIE, token, httponly=True, samesite="strict", secure=settings.secure_cookies, path="/login")
    return resp


def _short(e: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(e, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:3])
    return str(e)
