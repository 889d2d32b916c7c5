"""The HTTP API under /api (review/api.py) over a real SQLite database with
FastAPI's TestClient: tokens and their scope (401/403), upload → worker →
contract JSON, the paged document list, tasks across documents, exports read
back by real readers (csv, openpyxl, icalendar, lxml via the XSD), the
OpenAPI schema, and the list page's export link."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select
from typer.testing import CliRunner

from models import DirectiveDocument
from tests.review_helpers import PASSWORDS, ROOT, csrf_of

UPLOAD = ROOT / "corpus/docs/101.txt"  # a text document not in the template


def make_token(data_dir: Path, name: str, *extra: str) -> dict[str, str]:
    from pipeline.cli import app

    r = CliRunner().invoke(app, ["tokens", "add", name, "--data", str(data_dir), *extra])
    assert r.exit_code == 0, r.output
    return {"Authorization": f"Bearer {r.output.strip().splitlines()[-1]}"}


@pytest.fixture()
def rw(data_dir) -> dict[str, str]:
    return make_token(data_dir, "office")


@pytest.fixture()
def ro(data_dir) -> dict[str, str]:
    return make_token(data_dir, "tracker", "--read-only")


def approve(client: TestClient, *ids: int) -> None:
    page = client.get("/login")
    client.post("/login", data={"username": "reviewer", "password": PASSWORDS["reviewer"], "csrf": csrf_of(page.text), "next": "/documents"})
    for i in ids:
        r = client.post(f"/documents/{i}/approve", data={"csrf": csrf_of(client.get(f"/documents/{i}").text)})
        assert r.status_code == 303
    client.cookies.clear()


def contract(sessions, doc_id: int) -> dict:
    from review.db import Document

    with sessions() as db:
        return json.loads(db.get(Document, doc_id).current_json)


# ---------------------------------------------------------------- schema and tokens


def test_openapi_schema_documents_the_api_only(client):
    schema = client.get("/api/openapi.json").json()
    assert set(schema["paths"]) == {"/documents", "/documents/{doc_id}", "/tasks", "/export"}
    assert schema["servers"] == [{"url": "/api"}]
    assert set(schema["paths"]["/documents"]) == {"get", "post"}
    assert "multipart/form-data" in schema["paths"]["/documents"]["post"]["requestBody"]["content"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    params = {p["name"] for p in schema["paths"]["/tasks"]["get"]["parameters"]}
    assert {"lead", "due_before", "status", "limit", "offset"} <= params
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    # the clerks' pages keep their strict policy
    assert "unsafe-inline" not in client.get("/login").headers["content-security-policy"]


CALLS = [
    ("get", "/api/documents"), ("get", "/api/documents/1"), ("get", "/api/tasks"),
    ("get", "/api/export?format=csv"), ("post", "/api/documents"),
]


@pytest.mark.parametrize(("method", "url"), CALLS)
def test_no_token_or_a_wrong_one_is_401(client, rw, method, url):
    files = {"file": ("a.txt", b"x", "text/plain")} if method == "post" else None
    for headers in ({}, {"Authorization": "Bearer cv_wrong"}, {"Authorization": "Basic abc"}):
        r = client.request(method, url, headers=headers, files=files)
        assert r.status_code == 401, (url, headers, r.text)
        assert r.headers["www-authenticate"] == "Bearer" and "Bearer" in r.json()["error"]
    assert client.request(method, url, headers=rw, files=files).status_code not in (401, 403)


def test_a_read_only_token_reads_but_cannot_upload(client, data_dir, ro, sessions):
    from review.db import Document

    with sessions() as db:
        before = db.query(Document).count()
    r = client.post("/api/documents", headers=ro, files={"file": (UPLOAD.name, UPLOAD.read_bytes(), "text/plain")})
    assert r.status_code == 403 and "read-only" in r.json()["error"]
    with sessions() as db:
        assert db.query(Document).count() == before
    assert client.get("/api/documents", headers=ro).status_code == 200
    from pipeline.cli import app

    listed = CliRunner().invoke(app, ["tokens", "list", "--data", str(data_dir)]).output
    assert "tracker\tread-only" in listed


def test_tokens_made_before_scopes_stay_read_only(tmp_path):
    """Tokens of the read-only API (revision 0002) keep the rights they were given."""
    from alembic import command
    from alembic.config import Config

    from review.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "review" / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.exec_driver_sql("insert into api_tokens (name, token_sha256, created_at) values ('old', 'h', '2026-01-01')")
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select name, read_only from api_tokens").all() == [("old", 1)]


# ---------------------------------------------------------------- upload → worker → JSON


def test_upload_is_queued_extracted_by_the_worker_and_read_back(client, rw, sessions, data_dir):
    from review.worker import run_pending

    r = client.post("/api/documents", headers=rw, files={"file": (UPLOAD.name, UPLOAD.read_bytes(), "text/plain")})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "extracting" and isinstance(body["id"], int)
    doc_id = body["id"]
    pending = client.get(f"/api/documents/{doc_id}", headers=rw)
    assert pending.status_code == 202 and pending.json() == {"id": doc_id, "status": "extracting"}
    listed = client.get("/api/documents?status=extracting", headers=rw).json()
    assert [d["id"] for d in listed["items"]] == [doc_id] and listed["items"][0]["filename"] == UPLOAD.name
    # the same content again: that document, not a second one
    again = client.post("/api/documents", headers=rw, files={"file": ("copy.txt", UPLOAD.read_bytes(), "text/plain")})
    assert again.status_code == 200 and again.json()["id"] == doc_id

    assert run_pending(sessions, data_dir) == 1  # the background worker's loop, run here
    got = client.get(f"/api/documents/{doc_id}", headers=rw)
    assert got.status_code == 200
    data = got.json()
    review = data.pop("review")
    assert review["status"] == "review" and review["reviewer"] is None and review["pipeline_version"]
    parsed = DirectiveDocument.model_validate(data)
    assert parsed.source.path == UPLOAD.name and parsed.tasks and data == contract(sessions, doc_id)

    approve(client, doc_id)
    data = client.get(f"/api/documents/{doc_id}", headers=rw).json()
    assert data["review"]["status"] == "approved" and data["review"]["reviewer"] == "reviewer"


def test_bad_uploads_are_refused_with_the_file_and_the_reason(client, rw, sessions):
    from review.db import Document

    with sessions() as db:
        before = db.query(Document).count()
    cases = [
        (("run.exe", b"MZ\x90\x00", "application/octet-stream"), 400, "run.exe"),
        (("fake.pdf", b"not a pdf at all", "application/pdf"), 400, "fake.pdf"),
        (("big.txt", b"a" * ((1 << 20) + 10), "text/plain"), 413, "big.txt"),
    ]
    for file, status, name in cases:
        r = client.post("/api/documents", headers=rw, files={"file": file})
        assert r.status_code == status and name in r.json()["error"], r.text
    assert client.post("/api/documents", headers=rw, data={"x": "1"}).status_code == 422  # no 'file' field
    with sessions() as db:
        assert db.query(Document).count() == before


def test_a_failed_extraction_is_422_with_its_reason(client, rw, sessions, data_dir):
    from review.worker import run_pending

    r = client.post("/api/documents", headers=rw, files={"file": ("broken.pdf", b"%PDF-1.4\nbroken", "application/pdf")})
    assert r.status_code == 202
    run_pending(sessions, data_dir)
    got = client.get(f"/api/documents/{r.json()['id']}", headers=rw)
    assert got.status_code == 422 and got.json()["status"] == "failed" and got.json()["error"]
    assert client.get("/api/documents/999", headers=rw).status_code == 404


# ---------------------------------------------------------------- lists


def test_document_list_filters_by_status_and_since_and_pages(client, ro, sessions):
    from datetime import timedelta

    from review.db import Document

    approve(client, 3, 1)
    with sessions() as db:  # approved an hour apart (the summaries' times are to the second)
        db.get(Document, 3).approved_at -= timedelta(hours=1)
        db.commit()
    page = client.get("/api/documents?status=approved", headers=ro).json()
    assert [d["id"] for d in page["items"]] == [3, 1]  # in approval order
    assert page["total"] == 2 and page["next"] is None and page["items"][0]["status"] == "approved"
    first = client.get("/api/documents?status=approved,review&limit=2", headers=ro).json()
    assert first["total"] == 3 and len(first["items"]) == 2 and first["next"]
    second = client.get(first["next"], headers=ro).json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert {d["id"] for d in first["items"] + second["items"]} == {1, 2, 3}
    approved_at = page["items"][1]["approved_at"]
    since = client.get(f"/api/documents?status=approved&since={approved_at}", headers=ro).json()
    assert [d["id"] for d in since["items"]] == [1]
    assert client.get("/api/documents?status=approved&since=2100-01-01", headers=ro).json()["items"] == []
    assert client.get("/api/documents?since=yesterday", headers=ro).status_code == 400
    assert client.get("/api/documents?status=done", headers=ro).status_code == 400
    assert client.get("/api/documents?limit=5000", headers=ro).status_code == 422


def test_tasks_across_documents_filtered_by_lead_due_date_and_status(client, ro, sessions):
    docs = {i: contract(sessions, i) for i in (1, 2, 3)}
    every = client.get("/api/tasks?status=review&limit=1000", headers=ro).json()
    assert every["total"] == sum(len(d["tasks"]) for d in docs.values()) == len(every["items"])
    for item in every["items"]:
        d = docs[item["document"]["id"]]
        assert item["document"]["number"] == (d["number"] or {}).get("raw")
        assert item["document"]["issuer"] == (d["issuer"] or {}).get("name")
        assert {k: v for k, v in item.items() if k != "document"} in d["tasks"]
    leads = [a["name"] for d in docs.values() for t in d["tasks"] for a in t["lead"]]
    name = max(set(leads), key=leads.count)
    typed = name.upper()  # any case, Vietnamese capitals too
    by_lead = client.get("/api/tasks", params={"status": "review", "lead": typed, "limit": 1000}, headers=ro).json()
    want = [t["id"] for d in docs.values() for t in d["tasks"] if any(name.casefold() in a["name"].casefold() for a in t["lead"])]
    assert [t["id"] for t in by_lead["items"]] == want and 0 < len(want) < every["total"]
    dated = sorted({t["deadline"]["date"] for d in docs.values() for t in d["tasks"] if t["deadline"] and t["deadline"]["date"] and len(t["deadline"]["date"]) == 10})
    assert dated, "the template's documents have dated tasks"
    cut = dated[-1]
    due = client.get(f"/api/tasks?status=review&due_before={cut}&limit=1000", headers=ro).json()
    assert due["items"] and all(t["deadline"]["date"] < cut for t in due["items"])
    assert due["total"] < every["total"]
    assert client.get("/api/tasks", headers=ro).json()["total"] == 0  # approved only by default: none yet
    approve(client, 2)
    assert client.get("/api/tasks", headers=ro).json()["total"] == len(docs[2]["tasks"])
    assert client.get("/api/tasks?due_before=12/2026", headers=ro).status_code == 422


@pytest.mark.parametrize(("value", "end"), [("2026-12-03", date(2026, 12, 3)), ("2026-02", date(2026, 2, 28)),
                                              ("2026-12", date(2026, 12, 31)), ("2026", date(2026, 12, 31)), (None, None)])
def test_a_partial_deadline_ends_on_the_last_day_of_its_period(value, end):
    from review.api import period_end

    assert period_end(value) == end


# ---------------------------------------------------------------- exports


def all_tasks(sessions, ids):
    return [(contract(sessions, i), t) for i in ids for t in contract(sessions, i)["tasks"]]


def test_exports_of_approved_documents_read_back(client, ro, sessions, tmp_path):
    from pipeline.export import MEDIA_TYPES
    from pipeline.export.edxml import validate_file

    approve(client, 2, 3)
    tasks = all_tasks(sessions, (2, 3))
    got = {}
    for fmt in ("csv", "xlsx", "ics", "xml", "jsonl"):
        r = client.get(f"/api/export?format={fmt}", headers=ro)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].split(";")[0] == MEDIA_TYPES[fmt].split(";")[0]
        assert f"congvan-approved.{fmt}" in r.headers["content-disposition"]
        got[fmt] = r.content
    assert got["csv"].startswith(b"\xef\xbb\xbf")  # BOM: Excel reads Vietnamese
    rows = list(csv.DictReader(io.StringIO(got["csv"].decode("utf-8-sig"))))
    assert [r["task_id"] for r in rows] == [t["id"] for _, t in tasks]
    assert [r["text"] for r in rows] == [t["text"] for _, t in tasks]
    wb = openpyxl.load_workbook(io.BytesIO(got["xlsx"]))
    assert wb.worksheets[0].max_row - 1 == len(tasks) and wb.worksheets[1].max_row - 1 == 2
    todos = list(Calendar.from_ical(got["ics"]).walk("VTODO"))
    dated = [t for _, t in tasks if t["deadline"] and t["deadline"]["date"]]
    assert todos and len(todos) <= len(dated)
    lines = got["jsonl"].decode().splitlines()
    assert [json.loads(x)["number"]["raw"] for x in lines] == [contract(sessions, i)["number"]["raw"] for i in (2, 3)]
    assert "review" not in json.loads(lines[0])  # the contract only
    target = tmp_path / "export.xml"
    target.write_bytes(got["xml"])
    validate_file(target)
    # review documents are exported when asked; a bad format or status is 400
    assert len(client.get("/api/export?format=jsonl&status=review", headers=ro).content.splitlines()) == 1
    assert client.get("/api/export?format=pdf", headers=ro).status_code == 400
    assert client.get("/api/export?format=csv&status=nope", headers=ro).status_code == 400


def test_list_page_export_for_logged_in_users(client, sessions):
    assert client.get("/export?format=csv").status_code == 303  # to the login page
    page = client.get("/login")
    client.post("/login", data={"username": "clerk", "password": PASSWORDS["clerk"], "csrf": csrf_of(page.text), "next": "/documents"})
    html = client.get("/documents").text
    assert 'action="/export"' in html and 'value="xlsx"' in html
    r = client.get("/export?format=csv&status=review")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == len(all_tasks(sessions, (1, 2, 3)))
    assert client.get("/export?format=doc").status_code == 400


def test_cli_exports_from_the_review_database(client, data_dir, sessions, tmp_path):
    from pipeline.cli import app

    approve(client, 2)
    url = f"sqlite:///{data_dir / 'congvan.db'}"
    out = tmp_path / "tasks.csv"
    r = CliRunner().invoke(app, ["export", "--db", url, "--format", "csv", "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row["task_id"] for row in rows] == [t["id"] for t in contract(sessions, 2)["tasks"]]
    both = tmp_path / "both.jsonl"
    r = CliRunner().invoke(app, ["export", "--db", url, "--status", "approved,review", "-f", "jsonl", "-o", str(both)])
    assert r.exit_code == 0 and len(both.read_text().splitlines()) == 3
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    for args in (["--db", url, str(tmp_path)], [], ["--db", url, "--status", "nope"], ["--db", missing]):
        r = CliRunner().invoke(app, ["export", *args, "-f", "csv", "-o", str(tmp_path / "x.csv")])
        assert r.exit_code == 2 and not (tmp_path / "x.csv").exists(), r.output
    assert not (tmp_path / "none.db").exists()  # a mistyped database is not created


# ---------------------------------------------------------------- approval webhook


class Receiver:
    """A real HTTP server on this machine that answers the given statuses in turn."""

    def __init__(self, statuses: list[int]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.statuses, self.got = list(statuses), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append((dict(self.headers), body))
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_approval_webhook_is_sent_by_the_worker_with_retries_and_backoff(data_dir, sessions, monkeypatch):
    import hashlib
    import hmac
    from datetime import timedelta

    from review.app import Settings, create_app
    from review.db import WebhookDelivery, utcnow
    from review.webhook import MAX_ATTEMPTS, deliver_due

    monkeypatch.setenv("CONGVAN_WEBHOOK_SECRET", "s3cret")
    hook = Receiver([500])
    try:
        app = create_app(sessions, Settings(data_dir=data_dir, webhook_url=hook.url))
        with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
            approve(c, 2)
        assert hook.got == []  # the reviewer's request only queued it
        t0 = utcnow()
        assert deliver_due(sessions, now=t0) == 0 and len(hook.got) == 1  # answered 500
        with sessions() as db:
            d = db.scalars(select(WebhookDelivery)).one()
            assert d.attempts == 1 and "500" in d.last_error and d.next_at == t0 + timedelta(seconds=10)
        assert deliver_due(sessions, now=t0 + timedelta(seconds=5)) == 0 and len(hook.got) == 1  # not due yet
        assert deliver_due(sessions, now=t0 + timedelta(seconds=11)) == 1 and len(hook.got) == 2
        headers, body = hook.got[1]
        sent = json.loads(body)
        assert sent["review"]["status"] == "approved" and sent["number"]["raw"] == contract(sessions, 2)["number"]["raw"]
        assert headers["X-Congvan-Signature"] == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert deliver_due(sessions, now=t0 + timedelta(days=1)) == 0 and len(hook.got) == 2  # sent once
    finally:
        hook.close()
    # a receiver that is gone: tries stop after MAX_ATTEMPTS, waits doubling up to an hour
    with sessions() as db:
        db.add(WebhookDelivery(document_id=1, url=hook.url, payload="{}", attempts=0, next_at=t0, created_at=t0))
        db.commit()
    now = t0
    for _ in range(MAX_ATTEMPTS + 2):
        deliver_due(sessions, now=now, timeout=2)
        now += timedelta(hours=2)
    with sessions() as db:
        gone = db.scalars(select(WebhookDelivery).where(WebhookDelivery.document_id == 1)).one()
        assert gone.attempts == MAX_ATTEMPTS and gone.delivered_at is None and gone.last_error


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 10), (2, 20), (3, 40), (9, 2560), (10, 3600), (30, 3600)])
def test_webhook_backoff_doubles_up_to_an_hour(attempts, seconds):
    from review.webhook import backoff

    assert backoff(attempts).total_seconds() == seconds
