"""The review web application over a real SQLite database (FastAPI's TestClient):
login and sessions, CSRF, roles, the list, the document page, edits and their
audit, approval, the reviewed JSON, uploads, escaping, migrations, ingest."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models import DirectiveDocument
from tests.review_helpers import DOCS, PASSWORDS, ROOT, csrf_of


def login(client: TestClient, user: str, password: str | None = None):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": user, "password": password or PASSWORDS[user], "csrf": csrf_of(page.text), "next": "/documents"},
    )


def logged_in(client: TestClient, user: str) -> TestClient:
    r = login(client, user)
    assert r.status_code == 303 and r.headers["location"] == "/documents", r.text
    return client


def page_csrf(client: TestClient, url: str = "/documents") -> str:
    return csrf_of(client.get(url).text)


def doc_json(sessions, doc_id: int) -> tuple[dict, dict]:
    from review.db import Document

    with sessions() as db:
        d = db.get(Document, doc_id)
        return json.loads(d.extracted_json), json.loads(d.current_json)


def audit_of(sessions, doc_id: int):
    from review.db import AuditEntry

    with sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.document_id == doc_id).order_by(AuditEntry.id)))


# ---------------------------------------------------------------- schema


def test_migrations_create_exactly_the_models_schema(sessions, data_dir):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from review.db import Base, make_engine, upgrade

    engine = make_engine(f"sqlite:///{data_dir / 'congvan.db'}")
    upgrade(engine)  # a second upgrade is a no-op
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.exec_driver_sql("select version_num from alembic_version").scalar() == "0004"


def test_a_database_of_the_first_schema_is_upgraded_keeping_its_rows(tmp_path):
    from alembic import command
    from alembic.config import Config

    from review.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "review" / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql(
            "insert into users (username, password_hash, role, active, created_at) values ('a', 'h', 'clerk', 1, '2026-01-01')"
        )
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select username from users").scalar() == "a"
        assert conn.exec_driver_sql("select count(*) from api_tokens").scalar() == 0


# ---------------------------------------------------------------- login, sessions


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/documents"),
        ("get", "/documents/1"),
        ("get", "/documents/1/json"),
        ("get", "/documents/2/pages/1.png"),
        ("get", "/admin/users"),
        ("post", "/documents/1/approve"),
        ("post", "/documents/1/tasks/0"),
        ("post", "/upload"),
        ("post", "/admin/users"),
    ],
)
def test_every_page_and_action_needs_a_login(client, method, url):
    r = getattr(client, method)(url)
    if method == "get":
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    else:
        assert r.status_code == 401


def test_login_sets_an_httponly_samesite_session_cookie_and_logout_ends_it(client, sessions):
    r = login(client, "clerk")
    cookie = r.headers["set-cookie"]
    assert "congvan_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/documents").status_code == 200
    token = client.cookies["congvan_session"]
    from review.db import WebSession

    with sessions() as db:  # only the token's hash is stored: a copy of the database logs nobody in
        stored = [s.token for s in db.scalars(select(WebSession))]
        assert len(stored) == 1 and token not in stored and len(stored[0]) == 64
    r = client.post("/logout", data={"csrf": page_csrf(client)})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    client.cookies.set("congvan_session", token)  # the old cookie replayed: the session is gone on the server
    assert client.get("/documents").status_code == 303


def test_wrong_password_is_refused_and_repeated_failures_are_slowed_down(client):
    for _ in range(3):
        r = login(client, "clerk", "wrong-password")
        assert r.status_code == 401 and "Sai tên đăng nhập" in r.text
    r = login(client, "clerk")  # the right password, but too soon after three failures
    assert r.status_code == 429 and "thử lại sau" in r.text
    assert "congvan_session" not in client.cookies


def test_unknown_user_names_are_slowed_down_too(client):
    for _ in range(3):
        assert login(client, "nobody", "whatever-1").status_code == 401
    assert login(client, "nobody", "whatever-1").status_code == 429


@pytest.mark.parametrize("failures,wait", [(0, 0), (2, 0), (3, 1), (4, 2), (6, 8), (30, 300)])
def test_wait_after_failures(failures, wait):
    from review.auth import wait_needed

    assert wait_needed(failures) == wait


def test_login_form_without_its_csrf_cookie_is_refused(client):
    r = client.post("/login", data={"username": "clerk", "password": PASSWORDS["clerk"], "csrf": "forged"})
    assert r.status_code == 403 and "congvan_session" not in client.cookies


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_login_redirects_only_within_the_site(client, target):
    page = client.get("/login")
    r = client.post("/login", data={"username": "clerk", "password": PASSWORDS["clerk"], "csrf": csrf_of(page.text), "next": target})
    assert r.status_code == 303 and r.headers["location"] == "/documents"


def test_passwords_are_stored_as_argon2_hashes(sessions):
    from review.db import User

    with sessions() as db:
        for u in db.scalars(select(User)):
            assert u.password_hash.startswith("$argon2") and PASSWORDS[u.username] not in u.password_hash


# ---------------------------------------------------------------- CSRF and roles


def test_a_form_without_the_csrf_token_changes_nothing(client, sessions):
    logged_in(client, "clerk")
    _, before = doc_json(sessions, 1)
    for token in (None, "forged"):
        data = {"task_id": before["tasks"][0]["id"], "lead": "Sở Y tế"}
        if token:
            data["csrf"] = token
        r = client.post("/documents/1/tasks/0", data=data)
        assert r.status_code == 403
    assert doc_json(sessions, 1)[1] == before


def test_a_clerk_edits_but_cannot_approve_or_manage_users(client):
    logged_in(client, "clerk")
    csrf = page_csrf(client, "/documents/1")
    assert client.post("/documents/1/approve", data={"csrf": csrf}).status_code == 403
    assert client.get("/admin/users").status_code == 403
    r = client.post("/admin/users", data={"csrf": csrf, "username": "x", "password": "12345678", "role": "admin"})
    assert r.status_code == 403
    assert 'id="approve"' not in client.get("/documents/1").text


def test_an_admin_adds_a_user_who_can_then_log_in(client):
    logged_in(client, "admin")
    csrf = page_csrf(client, "/admin/users")
    r = client.post("/admin/users", data={"csrf": csrf, "username": "thu", "password": "mat-khau-9", "role": "clerk"})
    assert r.status_code == 303
    client.cookies.clear()
    assert login(client, "thu", "mat-khau-9").status_code == 303


def test_a_disabled_user_is_logged_out(client, sessions):
    from review.db import User

    logged_in(client, "admin")
    csrf = page_csrf(client, "/admin/users")
    with sessions() as db:
        clerk_id = db.scalar(select(User.id).where(User.username == "clerk"))
    other = TestClient(client.app, base_url="http://127.0.0.1", follow_redirects=False)
    logged_in(other, "clerk")
    assert client.post(f"/admin/users/{clerk_id}", data={"csrf": csrf, "role": "clerk"}).status_code == 303  # no active=1
    assert other.get("/documents").status_code == 303
    assert login(other, "clerk").status_code == 401


# ---------------------------------------------------------------- the list


def test_list_shows_each_document_with_its_summary(client):
    logged_in(client, "clerk")
    html = client.get("/documents").text
    assert "77/UBND-TH" in html and "8129/UBND-KT" in html
    assert "05/03/2025" in html and "10/08/2026" in html  # dd/mm/yyyy
    assert html.count("chờ kiểm tra</span>") == 3


def test_list_filters_by_status_issuer_lead_and_deadline_window(client, sessions):
    from review.db import Document

    logged_in(client, "clerk")

    def ids(query: str) -> set[str]:
        return set(re.findall(r'<td><a href="/documents/(\d+)">\d+</a>', client.get("/documents" + query).text))

    assert ids("") == {"1", "2", "3"}
    assert ids("?issuer=Ủy ban nhân dân tỉnh Lào Cai") == {"2"}
    assert ids("?lead=nội vụ") == {"1"}
    assert ids("?lead=%25") == set()  # a LIKE wildcard typed by the user is a plain character
    assert ids("?status=approved") == set()
    with sessions() as db:
        db.get(Document, 1).next_deadline = date.today() - timedelta(days=1)
        db.get(Document, 2).next_deadline = date.today() + timedelta(days=3)
        db.get(Document, 3).next_deadline = date.today() + timedelta(days=30)
        db.commit()
    assert ids("?window=overdue") == {"1"}
    assert ids("?window=week") == {"2"}


def test_list_puts_the_least_sure_documents_to_review_first(client, sessions):
    from review.db import APPROVED, Document

    logged_in(client, "clerk")
    with sessions() as db:
        db.get(Document, 1).min_confidence, db.get(Document, 2).min_confidence, db.get(Document, 3).min_confidence = 0.9, 0.2, 0.5
        db.commit()
    order = re.findall(r'<td><a href="/documents/(\d+)">\d+</a>', client.get("/documents").text)
    assert order == ["2", "3", "1"]
    with sessions() as db:
        db.get(Document, 2).status = APPROVED
        db.commit()
    assert re.findall(r'<td><a href="/documents/(\d+)">\d+</a>', client.get("/documents").text) == ["3", "1", "2"]


# ---------------------------------------------------------------- the document page


def test_document_text_and_names_are_escaped(client):
    logged_in(client, "clerk")
    for url in ("/documents", "/documents/1"):
        html = client.get(url).text
        assert "<script>alert" not in html and "<b>đậm" not in html
    html = client.get("/documents/1").text
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html  # the subject, shown as text
    data = re.search(r'<script type="application/json" id="doc-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in data and json.loads(data)["text"].count("<script>") == 2  # the text, as JSON with < escaped


def test_document_page_gives_every_value_its_span(client, sessions):
    logged_in(client, "clerk")
    html = client.get("/documents/1").text
    _, doc = doc_json(sessions, 1)
    s = doc["spans"]["number"]
    assert f'data-span="{s[0]},{s[1]}" data-field="number"' in html
    assert doc["text"][s[0] : s[1]].replace(" ", "") == "77/UBND-TH"
    t = doc["tasks"][0]
    assert f'data-span="{t["span"][0]},{t["span"][1]}" data-find="Sở Nội vụ"' in html


def test_security_headers(client):
    logged_in(client, "clerk")
    r = client.get("/documents/1")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"


def test_pdf_pages_are_rendered_to_png_and_cached(client, data_dir):
    logged_in(client, "clerk")
    assert 'src="/documents/3/pages/1.png"' in client.get("/documents/3").text
    r = client.get("/documents/3/pages/1.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    cached = next((data_dir / "pages").rglob("1.png"))
    mtime = cached.stat().st_mtime_ns
    assert client.get("/documents/3/pages/1.png").content == r.content and cached.stat().st_mtime_ns == mtime
    assert client.get("/documents/3/pages/999.png").status_code == 404
    assert client.get("/documents/1/pages/1.png").status_code == 404  # a text document has no page images


# ---------------------------------------------------------------- edits, audit, approval


def test_correcting_a_lead_is_audited_and_keeps_the_machine_output(client, sessions):
    logged_in(client, "clerk")
    extracted, before = doc_json(sessions, 1)
    task = before["tasks"][0]
    r = client.post(
        "/documents/1/tasks/0",
        data={"csrf": page_csrf(client, "/documents/1"), "task_id": task["id"], "text": task["text"],
              "lead": "Sở Tư pháp\nSở Nội vụ", "support": "Sở Tài chính",
              "deadline_date": "20/03/2025", "deadline_kind": "by", "deadline_text": "trước ngày 20/3/2025"},
    )
    assert r.status_code == 303 and "congvan_flash=" in r.headers["set-cookie"]
    extracted_after, after = doc_json(sessions, 1)
    assert extracted_after == extracted  # the machine's output is never overwritten
    assert [a["name"] for a in after["tasks"][0]["lead"]] == ["Sở Tư pháp", "Sở Nội vụ"]
    # a kept name keeps its agency-list id
    kept = {a["name"]: a.get("agency_id") for a in task["lead"]}
    assert after["tasks"][0]["lead"][1].get("agency_id") == kept["Sở Nội vụ"]
    entries = [e for e in audit_of(sessions, 1) if e.action == "edit"]
    assert [e.field for e in entries] == [f"tasks[{task['id']}].lead"]  # only what changed
    assert entries[0].username == "clerk"
    assert json.loads(entries[0].old) == task["lead"] and [a["name"] for a in json.loads(entries[0].new)] == ["Sở Tư pháp", "Sở Nội vụ"]
    html = client.get("/documents/1").text
    assert f"tasks[{task['id']}].lead" in html and "Sở Tư pháp" in html.split('id="history"')[1]
    DirectiveDocument.model_validate(after)


@pytest.mark.parametrize(
    "field,value,message",
    [("deadline_date", "31/02/2025", "không có thật"), ("deadline_date", "ngày mai", "không hợp lệ"),
     ("text", "   ", "không được để trống"), ("deadline_kind", "soon", "không hợp lệ")],
)
def test_a_bad_edit_is_refused_with_a_message_and_changes_nothing(client, sessions, field, value, message):
    logged_in(client, "clerk")
    _, before = doc_json(sessions, 1)
    form = {"csrf": page_csrf(client, "/documents/1"), "task_id": before["tasks"][0]["id"], field: value}
    r = client.post("/documents/1/tasks/0", data=form)
    assert r.status_code == 303
    assert message in client.get(r.headers["location"]).text
    assert doc_json(sessions, 1)[1] == before


def test_an_edit_of_a_task_that_moved_is_refused(client, sessions):
    logged_in(client, "clerk")
    _, before = doc_json(sessions, 1)
    r = client.post("/documents/1/tasks/0", data={"csrf": page_csrf(client, "/documents/1"), "task_id": before["tasks"][1]["id"], "lead": "X"})
    assert "tải lại trang" in client.get(r.headers["location"]).text
    assert doc_json(sessions, 1)[1] == before


def test_add_and_delete_a_task(client, sessions):
    logged_in(client, "clerk")
    csrf = page_csrf(client, "/documents/1")
    _, before = doc_json(sessions, 1)
    n = len(before["tasks"])
    r = client.post("/documents/1/tasks", data={"csrf": csrf, "text": "Báo cáo kết quả", "lead": "Sở Y tế",
                                                "deadline_date": "30/06/2025", "span_start": "10", "span_end": "40"})
    assert r.status_code == 303
    _, after = doc_json(sessions, 1)
    new = after["tasks"][-1]
    assert len(after["tasks"]) == n + 1 and new["id"] == "new-1" and new["span"] == [10, 40]
    assert new["deadline"] == {"date": "2025-06-30", "kind": "by", "text": "30/06/2025"}
    client.post(f"/documents/1/tasks/{n}/delete", data={"csrf": csrf, "task_id": "new-1"})
    _, final = doc_json(sessions, 1)
    assert final["tasks"] == before["tasks"]
    actions = [(e.action, e.field) for e in audit_of(sessions, 1)]
    assert ("add-task", "tasks[new-1]") in actions and ("delete-task", "tasks[new-1]") in actions
    r = client.post("/documents/1/tasks", data={"csrf": csrf, "text": "x", "span_start": "0", "span_end": "999999"})
    assert "ngoài văn bản" in client.get(r.headers["location"]).text


def test_approval_freezes_the_document_and_the_json_carries_a_review_block(client, sessions):
    logged_in(client, "reviewer")
    csrf = page_csrf(client, "/documents/1")
    _, before = doc_json(sessions, 1)
    assert client.post("/documents/1/approve", data={"csrf": csrf}).status_code == 303
    assert "đã duyệt" in client.get("/documents/1").text
    r = client.post("/documents/1/tasks/0", data={"csrf": csrf, "task_id": before["tasks"][0]["id"], "lead": "X"})
    assert r.status_code == 409
    body = client.get("/documents/1/json").json()
    assert body["review"]["status"] == "approved" and body["review"]["reviewer"] == "reviewer"
    assert body["review"]["time"].endswith("Z")
    DirectiveDocument.model_validate({k: v for k, v in body.items() if k != "review"})
    assert client.get("/documents/1/json?version=extracted").json()["tasks"] == before["tasks"]
    assert client.post("/documents/1/approve", data={"csrf": csrf}).status_code == 409
    assert [e.action for e in audit_of(sessions, 1)][-1] == "approve"
    assert client.post("/documents/1/reopen", data={"csrf": csrf}).status_code == 303
    assert "chờ kiểm tra" in client.get("/documents/1").text


def test_gold_export_of_approved_documents(client, sessions, tmp_path):
    from review.export import export_gold

    logged_in(client, "reviewer")
    client.post("/documents/2/approve", data={"csrf": page_csrf(client, "/documents/2")})
    assert export_gold(sessions, tmp_path / "out") == 1
    gold = json.loads(next((tmp_path / "out" / "gold").glob("*.json")).read_text(encoding="utf-8"))
    assert gold["number"]["raw"] == "8129/UBND-KT"
    assert not {"text", "spans", "confidence", "warnings", "review"} & gold.keys()
    assert all("span" not in t and "confidences" not in t for t in gold["tasks"])
    line = json.loads((tmp_path / "out" / "manifest.jsonl").read_text(encoding="utf-8"))
    assert (tmp_path / "out" / line["file"]).read_text(encoding="utf-8").startswith("[Bản trích")


# ---------------------------------------------------------------- uploads


def _upload(client, files):
    return client.post("/upload", data={"csrf": page_csrf(client)}, files=[("files", f) for f in files])


def test_upload_queues_files_under_generated_names_for_the_worker(client, sessions, data_dir):
    from review.db import Document
    from review.worker import run_pending

    logged_in(client, "clerk")
    body = (ROOT / "corpus/docs/101.txt").read_bytes()
    r = _upload(client, [("../../../etc/evil<b>.txt", io.BytesIO(body), "text/plain")])
    assert r.status_code == 303
    html = client.get(r.headers["location"]).text
    assert "đã nhận" in html and "evil&lt;b&gt;.txt" in html and "<b>.txt" not in html
    with sessions() as db:
        doc = db.scalar(select(Document).where(Document.filename == "evil<b>.txt"))
        assert doc.status == "queued" and re.fullmatch(r"[0-9a-f]{64}\.txt", doc.stored_name)
    stored = [p for p in (data_dir / "files").iterdir()]
    assert all(p.parent == data_dir / "files" for p in stored)
    assert not (data_dir.parent / "etc").exists()
    assert run_pending(sessions, data_dir) == 1  # the worker's work, not the request's
    with sessions() as db:
        assert db.get(Document, doc.id).status == "review"
    r = _upload(client, [("again.txt", io.BytesIO(body), "text/plain")])
    assert f"đã có (văn bản #{doc.id})" in client.get(r.headers["location"]).text


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("virus.exe", b"MZ\x90\x00", "không được nhận"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "không phải là PDF"),
        ("fake.png", b"%PDF-1.4", "không phải là PNG"),
        ("empty.txt", b"", "tệp rỗng"),
        ("binary.txt", b"abc\x00\x01", "nhị phân"),
        ("big.txt", b"a" * (1024 * 1024 + 1), "quá 1 MB"),
    ],
)
def test_upload_checks_type_and_size(client, sessions, data_dir, name, data, reason):
    from review.db import Document

    logged_in(client, "clerk")
    r = _upload(client, [(name, io.BytesIO(data), "application/octet-stream")])
    assert reason in client.get(r.headers["location"]).text
    with sessions() as db:
        assert db.scalar(select(Document).where(Document.filename == name)) is None
    assert not [p for p in (data_dir / "files").iterdir() if p.name.startswith(".upload")]


def test_upload_of_several_files_at_once(client, sessions):
    from review.db import Document

    logged_in(client, "clerk")
    files = [(f"cv{i}.txt", io.BytesIO(f"Văn bản số {i}: yêu cầu các sở báo cáo.".encode()), "text/plain") for i in range(3)]
    _upload(client, files)
    with sessions() as db:
        assert len(list(db.scalars(select(Document).where(Document.status == "queued")))) == 3


# ---------------------------------------------------------------- ingest and the CLI


def test_ingest_resumes_by_content_hash_records_bad_files_and_never_modifies_inputs(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app
    from review.db import Document, open_db

    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "cv.txt").write_bytes((DOCS / "script.txt").read_bytes())
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "notes.xyz").write_text("not a document")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in inputs.iterdir()}
    data = tmp_path / "data"
    runner = CliRunner()
    r = runner.invoke(app, ["ingest", str(inputs), "--data", str(data)])
    assert r.exit_code == 1, r.output  # one input failed
    assert "1 added" not in r.output and "2 added" in r.output
    _, sessions = open_db(None, data)
    with sessions() as db:
        docs = {Path(d.filename).name: d for d in db.scalars(select(Document))}
    assert docs["cv.txt"].status == "review" and docs["empty.txt"].status == "failed" and docs["empty.txt"].error
    r = runner.invoke(app, ["ingest", str(inputs), "--data", str(data)])
    assert "0 added, 2 already in the database" in r.output
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in inputs.iterdir()} == before


def test_users_add_from_standard_input(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["users", "add", "vanthu", "--role", "clerk", "--password-stdin", "--data", str(tmp_path)], input="mat-khau-dai\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "add", "vanthu", "--role", "clerk", "--password-stdin", "--data", str(tmp_path)], input="mat-khau-dai\n")
    assert r.exit_code == 2 and "already exists" in r.output
    r = runner.invoke(app, ["users", "add", "x", "--role", "boss", "--password-stdin", "--data", str(tmp_path)], input="mat-khau-dai\n")
    assert r.exit_code == 2 and "unknown role" in r.output
    r = runner.invoke(app, ["users", "list", "--data", str(tmp_path)])
    assert r.output.strip() == "vanthu\tclerk\tactive"


def test_worker_requeues_documents_left_extracting(sessions):
    from review.db import Document
    from review.worker import requeue_interrupted

    with sessions() as db:
        db.get(Document, 1).status = "extracting"
        db.commit()
        assert requeue_interrupted(db) == 1
        assert db.get(Document, 1, populate_existing=True).status == "queued"


# ---------------------------------------------------------------- records


@pytest.mark.parametrize(
    "typed,iso",
    [("20/3/2025", "2025-03-20"), (" 05 / 11 / 2024 ", "2024-11-05"), ("4/2025", "2025-04"), ("2025", "2025"),
     ("2025-03-20", "2025-03-20"), ("", None)],
)
def test_parse_date(typed, iso):
    from review.records import parse_date

    assert parse_date(typed) == iso


@pytest.mark.parametrize("iso,shown", [("2025-03-20", "20/03/2025"), ("2025-04", "04/2025"), ("2025", "2025"), (None, "")])
def test_show_date(iso, shown):
    from review.records import show_date

    assert show_date(iso) == shown


def test_names_of_splits_lines_and_semicolons_and_drops_repeats():
    from review.records import names_of

    assert names_of(" Sở Y tế \n\nSở  Tài chính; Sở Y tế\n") == ["Sở Y tế", "Sở Tài chính"]


# ---------------------------------------------------------------- header, split, merge


def test_header_fields_are_edited_audited_and_the_list_follows(client, sessions):
    logged_in(client, "clerk")
    csrf = page_csrf(client, "/documents/1")
    r = client.post("/documents/1/header", data={"csrf": csrf, "number": "78 / UBND-TH", "issued_date": "06/03/2025",
                                                 "subject": "kiểm tra hồ sơ", "recipients": "Sở Nội vụ\nSở Tư pháp"})
    assert "Đã lưu" in client.get(r.headers["location"]).text
    _, doc = doc_json(sessions, 1)
    assert doc["number"] == {"raw": "78/UBND-TH", "serial": "78", "notation": "UBND-TH"}
    assert doc["issued_date"] == "2025-03-06" and doc["subject"] == "kiểm tra hồ sơ"
    assert doc["recipients"] == ["Sở Nội vụ", "Sở Tư pháp"] and doc["confidence"]["number"] == 1.0
    assert {e.field for e in audit_of(sessions, 1) if e.action == "edit"} == {"number", "issued_date", "subject", "recipients"}
    html = client.get("/documents").text
    assert "78/UBND-TH" in html and "06/03/2025" in html
    r = client.post("/documents/1/header", data={"csrf": csrf, "issued_date": "30/02/2025"})
    assert "không có thật" in client.get(r.headers["location"]).text


def test_split_and_merge_tasks(client, sessions):
    logged_in(client, "clerk")
    csrf = page_csrf(client, "/documents/1")
    _, before = doc_json(sessions, 1)
    t = before["tasks"][0]
    r = client.post("/documents/1/tasks/0/split", data={"csrf": csrf, "task_id": t["id"], "at": "báo cáo Ủy ban"})
    assert "Đã tách" in client.get(r.headers["location"]).text
    _, doc = doc_json(sessions, 1)
    a, b = doc["tasks"][0], doc["tasks"][1]
    assert b["id"] == f"{t['id']}#2" and b["text"].startswith("báo cáo Ủy ban") and a["text"] + " " + b["text"] == t["text"]
    assert a["lead"] == b["lead"] == t["lead"] and a["span"][1] == b["span"][0]
    assert doc["text"][b["span"][0] :].startswith("báo cáo Ủy ban")
    r = client.post("/documents/1/tasks/0/merge", data={"csrf": csrf, "task_id": a["id"], "next_id": b["id"]})
    _, merged = doc_json(sessions, 1)
    assert merged["tasks"][0]["text"] == t["text"] and merged["tasks"][0]["span"] == t["span"]
    assert len(merged["tasks"]) == len(before["tasks"])
    actions = [e.action for e in audit_of(sessions, 1)]
    assert actions.count("split-task") == 2 and actions.count("merge-tasks") == 2
    r = client.post("/documents/1/tasks/0/split", data={"csrf": csrf, "task_id": t["id"], "at": "không có trong văn bản"})
    assert "không tìm thấy chỗ tách" in client.get(r.headers["location"]).text


def test_lead_filter_folds_vietnamese_capitals(client):
    logged_in(client, "clerk")
    html = client.get("/documents?lead=SỞ NỘI VỤ").text
    assert re.findall(r'<td><a href="/documents/(\d+)">\d+</a>', html) == ["1"]


# ---------------------------------------------------------------- boxes on the page images


def test_boxes_of_a_value_on_a_text_pdf_page(client, sessions):
    logged_in(client, "clerk")
    _, doc = doc_json(sessions, 3)
    task = next(t for t in doc["tasks"] if any(a["name"] == "Ban Dân tộc tỉnh" for a in t["lead"]))
    q = doc["text"][task["span"][0] : task["span"][1]]
    whole = client.get("/documents/3/boxes", params={"q": q}).json()
    assert whole and all(0 <= b["x"] < 1 and 0 <= b["y"] < 1 and 0 < b["w"] <= 1 and 0 < b["h"] < 0.1 for b in whole)
    lead = client.get("/documents/3/boxes", params={"q": q, "find": "Ban Dân tộc tỉnh"}).json()
    assert len(lead) == 1 and lead[0]["page"] == whole[0]["page"]
    # the name inside the task, not its first mention elsewhere in the document
    assert lead[0]["y"] >= whole[0]["y"] - 0.001
    assert client.get("/documents/3/boxes", params={"q": "không có chữ này trong văn bản"}).json() == []
    assert client.get("/documents/1/boxes", params={"q": "Sở Nội vụ"}).json() == []  # a text file has no pages


@pytest.mark.parametrize(
    "query,find,expect",
    [("Giao Sở Nội vụ chủ trì", "", [(1, 0.1, 0.5)]),
     ("Giao Sở Nội vụ chủ trì", "Sở Nội vụ", [(1, 0.2, 0.5)]),
     ("Sở Tài chính phối hợp", "", [(1, 0.6, 0.5), (2, 0.1, 0.1)]),  # across a page break: one box per line
     ("Sở  nội VỤ", "", [(1, 0.2, 0.5)]),  # case and spacing folded
     ("Sở Y tế", "", [])],
)
def test_locate_words_on_pages(query, find, expect):
    from pipeline.folding import fold
    from review.boxes import locate

    def line(words, x0, top):
        return [[fold(w), x0 + 0.1 * i * 100, top, x0 + 0.1 * i * 100 + 8, top + 10] for i, w in enumerate(words)]

    pages = [
        {"width": 100.0, "height": 100.0, "words": line("Giao Sở Nội vụ chủ trì".split(), 10, 50) + line("Sở Tài".split(), 60, 50)},
        {"width": 100.0, "height": 100.0, "words": line("chính phối hợp".split(), 10, 10)},
    ]
    boxes = locate(pages, query, find)
    assert [(b["page"], round(b["x"], 2), round(b["y"], 2)) for b in boxes] == expect


# ---------------------------------------------------------------- the server process


@pytest.mark.slow
def test_stopping_the_server_stops_its_workers(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "serve", "--data", str(tmp_path), "--port", "0", "--workers", "2"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 60
    while not (children.exists() and len(children.read_text().split()) == 2):
        assert time.monotonic() < deadline and proc.poll() is None, "the server did not start its workers"
        time.sleep(0.1)
    workers = [int(p) for p in children.read_text().split()]
    assert all("review.worker" in Path(f"/proc/{w}/cmdline").read_bytes().decode() for w in workers)
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]


def test_consume_folder_takes_settled_new_files_once_and_leaves_them(tmp_path, sessions, data_dir):
    import os

    from review.db import Document
    from review.worker import ConsumeFolder

    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    a = inbox / "sub" / "cv.txt"
    a.write_bytes((ROOT / "corpus/docs/101.txt").read_bytes())
    (inbox / "readme.xyz").write_text("not a document")
    before = (a.read_bytes(), a.stat().st_mtime_ns)
    watcher = ConsumeFolder(inbox)
    with sessions() as db:
        assert watcher.scan(db, data_dir) == []  # first seen: not yet settled
        added = watcher.scan(db, data_dir)
        assert [d.filename for d in added] == ["sub/cv.txt"] and added[0].status == "queued"
        assert watcher.scan(db, data_dir) == []  # taken once
        a.write_bytes(before[0] + b"\nThem mot dong.")  # changed: a new content, taken again once settled
        os.utime(a, ns=(before[1] + 10**9, before[1] + 10**9))
        assert watcher.scan(db, data_dir) == []
        assert len(watcher.scan(db, data_dir)) == 1
        (inbox / "copy.txt").write_bytes(before[0])  # a content already in the database
        watcher.scan(db, data_dir)
        assert watcher.scan(db, data_dir) == []
        assert db.query(Document).filter(Document.uploaded_by == "consume").count() == 2
    assert (inbox / "readme.xyz").read_text() == "not a document"



# ---------------------------------------------------------------- the API for trackers


def test_api_gives_approved_documents_to_a_token_only(client, data_dir):
    from typer.testing import CliRunner

    from pipeline.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["tokens", "add", "tracker", "--data", str(data_dir)])
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    assert token.startswith("cv_") and token not in (data_dir / "congvan.db").read_bytes().decode("latin-1")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/documents").status_code == 401
    assert client.get("/api/documents", headers={"Authorization": "Bearer cv_wrong"}).status_code == 401
    assert client.get("/api/documents", headers=auth).json()["items"] == []
    logged_in(client, "reviewer")  # a browser session does not open the API
    client.post("/documents/2/approve", data={"csrf": page_csrf(client, "/documents/2")})
    client.cookies.clear()
    listed = client.get("/api/documents", headers=auth).json()["items"]
    assert [d["id"] for d in listed] == [2] and listed[0]["approved_by"] == "reviewer"
    body = client.get("/api/documents/2", headers=auth).json()
    assert body["review"]["status"] == "approved" and body["number"]["raw"] == "8129/UBND-KT"
    assert client.get("/api/documents/1", headers=auth).json()["review"]["status"] == "review"  # not approved
    assert client.get("/api/documents/99", headers=auth).status_code == 404
    assert "tracker" in runner.invoke(app, ["tokens", "list", "--data", str(data_dir)]).output
    assert runner.invoke(app, ["tokens", "revoke", "tracker", "--data", str(data_dir)]).exit_code == 0
    assert client.get("/api/documents", headers=auth).status_code == 401


def test_a_body_over_the_limit_is_refused_while_read_even_without_content_length(client):
    logged_in(client, "clerk")
    csrf = page_csrf(client)
    boundary = "XyZ"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n").encode()

    def chunks():  # 1 MB per file, 20 files: the whole upload may be ~21 MB; send 40 MB, chunked
        yield head
        for _ in range(40):
            yield b"a" * (1 << 20)
        yield f"\r\n--{boundary}--\r\n".encode()

    r = client.post("/upload", content=chunks(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413
    r = client.post("/documents/1/tasks/0", content=(b"x" * (2 << 20) for _ in range(1)),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_two_clerks_saving_at_once_never_lose_an_edit_silently(client, sessions, monkeypatch):
    """The second save, made on a copy read before the first was stored, is refused."""
    from review import records
    from review.db import Document

    logged_in(client, "clerk")
    csrf = page_csrf(client, "/documents/1")
    _, before = doc_json(sessions, 1)
    real = records.edit_task

    def meanwhile(doc, index, task_id, form):  # another clerk's save lands between our read and our write
        with sessions() as db:
            d = db.get(Document, 1)
            other = json.loads(d.current_json)
            other["tasks"][1]["text"] = "sửa bởi người khác"
            d.current_json = json.dumps(other, ensure_ascii=False)
            db.commit()
        return real(doc, index, task_id, form)

    monkeypatch.setattr("review.app.edit_task", meanwhile)
    r = client.post("/documents/1/tasks/0", data={"csrf": csrf, "task_id": before["tasks"][0]["id"], "lead": "Sở Y tế"})
    assert r.status_code == 409 and "tải lại trang" in r.text
    _, after = doc_json(sessions, 1)
    assert after["tasks"][1]["text"] == "sửa bởi người khác" and after["tasks"][0]["lead"] == before["tasks"][0]["lead"]
    assert not [e for e in audit_of(sessions, 1) if e.action == "edit"]


def test_a_failed_document_can_be_queued_again(client, sessions, data_dir):
    from review.db import Document

    logged_in(client, "clerk")
    _upload(client, [("trong.txt", io.BytesIO(b"   \n  \n"), "text/plain")])
    from review.worker import run_pending

    run_pending(sessions, data_dir)
    with sessions() as db:
        doc = db.scalar(select(Document).where(Document.filename == "trong.txt"))
        assert doc.status == "failed" and doc.error
    html = client.get(f"/documents/{doc.id}").text
    assert 'id="retry"' in html and doc.error in html
    assert client.post(f"/documents/{doc.id}/retry", data={"csrf": csrf_of(html)}).status_code == 303
    with sessions() as db:
        assert db.get(Document, doc.id).status == "queued"
    assert client.post(f"/documents/{doc.id}/retry", data={"csrf": csrf_of(html)}).status_code == 409
    assert client.post("/documents/1/retry", data={"csrf": csrf_of(html)}).status_code == 409


def test_list_pages_keep_the_filters(client, sessions, monkeypatch):
    monkeypatch.setattr("review.app.PAGE_SIZE", 2)
    logged_in(client, "clerk")
    first = client.get("/documents?status=review").text
    assert "3 văn bản · trang 1/2" in first and 'href="/documents?status=review&amp;issuer=&amp;lead=&amp;window=&amp;page=2"' in first
    ids = re.findall(r'<td><a href="/documents/(\d+)">\d+</a>', first)
    second = client.get("/documents?status=review&page=2").text
    ids += re.findall(r'<td><a href="/documents/(\d+)">\d+</a>', second)
    assert sorted(ids) == ["1", "2", "3"]
    assert "trang 2/2" in client.get("/documents?status=review&page=99").text


@pytest.mark.slow
def test_boxes_on_a_scanned_page_come_from_ocr_read_by_the_worker(client, sessions, data_dir, generated):
    """A simulated 200 dpi scan: no boxes until the worker has read its word boxes, then the number is framed."""
    from review.db import Document
    from review.worker import ingest, read_page_words

    res = ingest([str(generated["seed-scan200.png"])], sessions, data_dir)
    (doc_id,) = res.documents
    logged_in(client, "clerk")
    _, doc = doc_json(sessions, doc_id)
    s, e = doc["spans"]["number"]
    q = doc["text"][s:e]
    assert client.get(f"/documents/{doc_id}/boxes", params={"q": q}).json() == []  # not read yet: no wait in the request
    with sessions() as db:
        read_page_words(data_dir, db.get(Document, doc_id))
    boxes = client.get(f"/documents/{doc_id}/boxes", params={"q": q}).json()
    assert len(boxes) == 1 and boxes[0]["page"] == 1
    assert 0 < boxes[0]["y"] < 0.35 and 0 < boxes[0]["w"] < 0.5  # in the header, one short line


def test_the_number_and_date_are_shown_cropped_from_the_page(client, sessions):
    from PIL import Image

    logged_in(client, "clerk")
    assert 'src="/documents/3/crop/number.png"' in client.get("/documents/3").text
    r = client.get("/documents/3/crop/number.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    crop = Image.open(io.BytesIO(r.content))
    page = Image.open(io.BytesIO(client.get("/documents/3/pages/1.png").content))
    assert crop.width < page.width / 2 and crop.height < page.height / 10
    assert client.get("/documents/3/crop/issued_date.png").status_code == 200
    assert client.get("/documents/3/crop/subject.png").status_code == 404  # only the number and the date
    assert client.get("/documents/1/crop/number.png").status_code == 404  # a text file has no page
    assert "crop/number.png" not in client.get("/documents/1").text


def test_users_passwd_changes_the_password_and_ends_sessions(client, data_dir):
    from typer.testing import CliRunner

    from pipeline.cli import app

    logged_in(client, "clerk")
    r = CliRunner().invoke(app, ["users", "passwd", "clerk", "--password-stdin", "--data", str(data_dir)], input="mat-khau-moi-1\n")
    assert r.exit_code == 0, r.output
    assert client.get("/documents").status_code == 303  # logged out
    assert login(client, "clerk").status_code == 401  # the old password
    assert login(client, "clerk", "mat-khau-moi-1").status_code == 303
    r = CliRunner().invoke(app, ["users", "passwd", "nobody", "--password-stdin", "--data", str(data_dir)], input="mat-khau-moi-1\n")
    assert r.exit_code == 2 and "no user" in r.output


def test_messages_come_from_the_action_not_from_the_url(client):
    logged_in(client, "clerk")
    assert "Gọi số" not in client.get("/documents?msg=Gọi số 0900 để gia hạn tài khoản").text
    r = client.post("/documents/1/approve", data={"csrf": page_csrf(client)})  # a clerk: refused, no message cookie
    assert r.status_code == 403 and "congvan_flash" not in client.cookies
    from review.app import redirect

    long = redirect("/documents", "tệp-rất-dài.pdf: đã nhận; " * 200)
    assert len(long.headers["set-cookie"]) < 4000


def test_page_images_only_for_extracted_documents(client, sessions, data_dir):
    from PIL import Image

    from review.db import Document
    from review.worker import run_pending

    logged_in(client, "clerk")
    blank = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(blank, "PNG")
    _upload(client, [("trang.png", io.BytesIO(blank.getvalue()), "image/png")])
    run_pending(sessions, data_dir)
    with sessions() as db:
        doc = db.scalar(select(Document).where(Document.filename == "trang.png"))
        assert doc.status == "failed"
    assert client.get(f"/documents/{doc.id}/pages/1.png").status_code == 404


def test_task_forms_are_fetched_when_opened(client, sessions):
    assert client.get("/documents/1/tasks/0/form?task_id=1").status_code == 303  # login first
    logged_in(client, "clerk")
    page = client.get("/documents/1").text
    assert 'data-src="/documents/1/tasks/0/form?task_id=1"' in page and 'name="lead"' not in page.split('id="add-task"')[0]
    form = client.get("/documents/1/tasks/0/form?task_id=1")
    assert form.status_code == 200 and "<html" not in form.text
    assert 'action="/documents/1/tasks/0"' in form.text and ">Sở Nội vụ\n</textarea>" in form.text
    assert 'name="next_id" value="2"' in form.text and csrf_of(form.text) == csrf_of(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in form.text  # the task text, escaped
    assert client.get("/documents/1/tasks/0/form?task_id=2").status_code == 409  # moved
    assert 'name="next_id"' not in client.get("/documents/1/tasks/1/form?task_id=2").text  # the last task


def test_number_line_with_a_handwritten_serial_is_boxed_from_its_label():
    """The pipeline's span of an illegible serial is "Số: <ink> /CT-UBND"; the
    page's own OCR reads the ink differently ("Ø0" here, "01" there), so the box
    runs from the label "Số" to the printed notation on the same line (corpus
    126.pdf: the crop shows the inked "01")."""
    from review.boxes import locate, locate_from_label

    words = [["TỈNH", 100, 80, 150, 95], ["Số:", 100, 120, 125, 135], ["01", 140, 118, 160, 136],
             ["/CT-UBND", 180, 120, 260, 135], ["Quảng", 600, 120, 660, 135]]
    pages = [{"width": 1000, "height": 1400, "words": words}]
    query = "Số: Ø0 /CT-UBND"
    assert locate(pages, query) == []
    (box,) = locate_from_label(pages, query)
    assert box["page"] == 1 and abs(box["x"] - 0.100) < 1e-9 and abs(box["w"] - 0.160) < 1e-9
    assert locate_from_label(pages, "Số: Ø0 /QĐ-UBND") == []  # another notation: no box


@pytest.mark.slow
def test_a_handwritten_serial_is_cropped_from_the_pipelines_own_ocr_boxes(client, sessions, data_dir, tmp_path):
    """corpus/docs/132.pdf (a scan, "Số: 729/QĐ-TTg" with 729 not in the OCR text):
    the crop comes from the output's regions at once, before the worker has read
    the page's word boxes, and shows the number line (OCR of the crop finds "Số")."""
    import os
    import subprocess

    from PIL import Image

    from pipeline.folding import fold
    from review.boxes import words_cache
    from review.worker import ingest

    res = ingest([str(ROOT / "corpus/docs/132.pdf")], sessions, data_dir)
    (doc_id,) = res.documents
    logged_in(client, "clerk")
    _, doc = doc_json(sessions, doc_id)
    assert doc["number"]["serial"] is None and "number" in doc["regions"]
    assert not words_cache(data_dir, doc["source"]["sha256"]).exists()  # no page words read
    page = client.get(f"/documents/{doc_id}").text
    assert f'src="/documents/{doc_id}/crop/number.png"' in page and "handwritten-hint" in page
    r = client.get(f"/documents/{doc_id}/crop/number.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    crop = Image.open(io.BytesIO(r.content))
    full = Image.open(io.BytesIO(client.get(f"/documents/{doc_id}/pages/1.png").content))
    assert crop.width < full.width / 2 and crop.height < full.height / 8
    png = tmp_path / "crop.png"
    crop.resize((crop.width * 3, crop.height * 3)).save(png)  # the review page is 110 dpi: enlarge for tesseract
    run = subprocess.run(["tesseract", str(png), "-", "-l", "vie", "--psm", "6"], capture_output=True, check=True,
                         env=dict(os.environ, OMP_THREAD_LIMIT="1"))
    text = fold(run.stdout.decode("utf-8", "replace"))
    assert re.search(r"s[oóốô]\s*:", text) and "ttg" in text, text  # "Số:" (OCR may drop its circumflex)
