"""Approved documents as gold files: the clerks' corrections as training data.

For each approved document: ``DIR/gold/<id>.json`` in the form of
docs/ANNOTATION.md (the contract without text, spans, confidences, warnings),
``DIR/docs/<id>.txt`` with the document's text (what the spans index), and a
line of ``DIR/manifest.jsonl`` like corpus/'s. Copy them into corpus/ and
give them a part in split.json to train on them.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from pipeline.batch import atomic_write
from review.db import APPROVED, Document
from review.records import gold


def export_gold(sessions: sessionmaker, out: Path) -> int:
    n = 0
    lines = []
    with sessions() as db:
        for doc in db.scalars(select(Document).where(Document.status == APPROVED).order_by(Document.id)):
            data = json.loads(doc.current_json or "{}")
            ident = f"review-{doc.id:05d}"
            atomic_write(out / "gold" / f"{ident}.json", json.dumps(gold(data), ensure_ascii=False, indent=2) + "\n")
            atomic_write(out / "docs" / f"{ident}.txt", data.get("text", ""))
            lines.append({
                "id": ident, "file": f"docs/{ident}.txt", "format": "text", "kind": "text",
                "provenance": f"review database: {doc.filename} (sha256 {doc.sha256[:16]}), approved by {doc.approved_by}",
            })
            n += 1
    atomic_write(out / "manifest.jsonl", "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    return n
