"""Shared setup of the review application tests: a data directory with users
and extracted documents, made once and copied for each test."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = Path(__file__).resolve().parent / "review_docs"
PASSWORDS = {"admin": "admin-pass-1", "clerk": "clerk-pass-1", "reviewer": "review-pass-1"}


def make_data_dir(target: Path) -> Path:
    """Users admin/clerk/reviewer and three extracted documents: 1 = review_docs/script.txt
    (a subject and a task holding <script>), 2 = corpus/docs/103.txt, 3 = corpus/docs/114.pdf
    (a 2-page text PDF)."""
    from review.auth import add_user
    from review.db import open_db
    from review.worker import ingest

    _, sessions = open_db(None, target)
    with sessions() as db:
        for name, pw in PASSWORDS.items():
            add_user(db, name, pw, name)
    res = ingest([str(DOCS / "script.txt"), str(ROOT / "corpus/docs/103.txt"), str(ROOT / "corpus/docs/114.pdf")], sessions, target)
    assert res.added == 3, res
    return target


def copy_data_dir(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1)
