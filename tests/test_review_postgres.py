"""The review application on PostgreSQL: migrations, ingest, the list's
filters, an audited edit (compare and swap), approval, the API.

Runs when CONGVAN_TEST_POSTGRES_URL names an empty database (CI has no
PostgreSQL server, so it is skipped there; SQLite runs everything else):

    CONGVAN_TEST_POSTGRES_URL=postgresql+psycopg://postgres@/congvan_test?host=/tmp&port=55432 pytest tests/test_review_postgres.py
"""

from __future__ import annotations

import os
import re

import pytest

from tests.review_helpers import DOCS, PASSWORDS, ROOT, csrf_of

URL = os.environ.get("CONGVAN_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="CONGVAN_TEST_POSTGRES_URL is not set (no PostgreSQL server)")


def test_the_review_flow_on_postgresql(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from review.app import Settings, create_app
    from review.auth import add_token, add_user
    from review.db import Base, make_engine, open_db
    from review.worker import ingest

    engine = make_engine(URL)  # type: ignore[arg-type]
    with engine.begin() as conn:  # an empty database each run
        conn.execute(text("drop schema public cascade"))
        conn.execute(text("create schema public"))
    engine, sessions = open_db(URL, tmp_path)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    with sessions() as db:
        for name, pw in PASSWORDS.items():
            add_user(db, name, pw, name)
        token = add_token(db, "tracker")
    res = ingest([str(DOCS / "script.txt"), str(ROOT / "corpus/docs/103.txt")], sessions, tmp_path)
    assert res.added == 2
    client = TestClient(create_app(sessions, Settings(data_dir=tmp_path)), base_url="http://127.0.0.1", follow_redirects=False)
    page = client.get("/login")
    client.post("/login", data={"username": "reviewer", "password": PASSWORDS["reviewer"], "csrf": csrf_of(page.text)})
    ids = lambda q: re.findall(r'<td><a href="/documents/(\d+)">\d+</a>', client.get("/documents" + q).text)  # noqa: E731
    assert sorted(ids("")) == ["1", "2"] and ids("?lead=SỞ NỘI VỤ") == ["1"] and ids("?lead=%25") == []
    html = client.get("/documents/1").text
    csrf = csrf_of(html)
    r = client.post("/documents/1/tasks/0", data={"csrf": csrf, "task_id": "1", "lead": "Sở Tư pháp"})
    assert "Đã lưu" in client.get(r.headers["location"]).text
    assert "tasks[1].lead" in client.get("/documents/1").text
    assert client.post("/documents/1/approve", data={"csrf": csrf}).status_code == 303
    body = client.get("/api/documents/1", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["review"]["status"] == "approved" and body["tasks"][0]["lead"][0]["name"] == "Sở Tư pháp"
