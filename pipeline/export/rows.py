"""Contract documents flattened to rows of values, shared by the CSV and XLSX writers.

Values stay typed (``datetime.date`` for a complete date, ``int`` for counts,
``str`` otherwise, ``None`` when absent): each writer formats them its way.
Column lists and the Vietnamese labels are data (resources/exports.yaml).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from models import Deadline, DirectiveDocument, Task
from pipeline.resources import load

Value = str | int | float | dt.date | None

JOIN = "; "  # multi-valued cells (lead, support, recipients)


def columns() -> dict[str, Any]:
    """The column lists of resources/exports.yaml."""
    data: dict[str, Any] = load("exports.yaml")
    return data


def full_date(value: str | None) -> dt.date | None:
    """A complete ISO date as a date; None for a reduced-precision one ("2025-09") or none."""
    if value is None or len(value) != 10:
        return None
    return dt.date.fromisoformat(value)


def due_date(deadline: Deadline | None) -> dt.date | None:
    """The day a task is due: its date, or the last day of the month or year a
    reduced-precision date names ("trong tháng 9 năm 2025" is due by 30 Sept).
    None when the deadline has no date (asap, recurring without a date) or there is none."""
    if deadline is None or deadline.date is None:
        return None
    parts = [int(p) for p in deadline.date.split("-")]
    if len(parts) == 3:
        return dt.date(parts[0], parts[1], parts[2])
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return dt.date(parts[0], 12, 31)


def display_date(value: str | None) -> str | None:
    """An ISO date (at any precision) the Vietnamese way: 15/09/2026, 09/2026, 2026."""
    if not value:
        return None
    return "/".join(reversed(value.split("-")))


def document_number(doc: DirectiveDocument) -> str | None:
    return doc.number.raw if doc.number else None


def document_line(doc: DirectiveDocument) -> str:
    """'Công văn số 9387/UBND-KT ngày 15/09/2026 của Ủy ban nhân dân tỉnh Lào Cai':
    the register's second column, the parts the document has."""
    pieces: dict[str, str] = columns()["document_line"]
    values = {
        "doc_type": doc.doc_type,
        "number": document_number(doc),
        "date": display_date(doc.issued_date),
        "issuer": doc.issuer.name if doc.issuer else None,
    }
    return " ".join(pieces[k].format(v) for k, v in values.items() if v)


def names(agencies: list[Any]) -> str:
    return JOIN.join(a.name for a in agencies)


def task_values(doc: DirectiveDocument, task: Task) -> dict[str, Value]:
    """Every per-task value any export column names (register, CSV)."""
    d = task.deadline
    due = due_date(d)
    notes: dict[str, str] = columns()["notes"]
    note = []
    if doc.status != "ok":
        note.append(notes["partial"])
    if d is not None and d.date is not None and len(d.date) < 10:
        note.append(notes["period_end"])
    return {
        # the register (Decree 30/2020 Appendix IV): what the document cannot say stays blank
        "arrival_number": None,
        "document_line": document_line(doc),
        "lead": names(task.lead) or None,
        "due": due if due is not None else (d.text if d is not None else None),
        "progress": None,
        "reply_number": None,
        "note": JOIN.join(note) or None,
        # one value per column
        "document_number": document_number(doc),
        "number": document_number(doc),
        "doc_type": doc.doc_type,
        "issuer": doc.issuer.name if doc.issuer else None,
        "issued_date": full_date(doc.issued_date) or doc.issued_date,
        "subject": doc.subject,
        "task_id": task.id,
        "task_text": task.text,
        "text": task.text,
        "support": names(task.support) or None,
        "deadline_date": d.date if d is not None else None,
        "deadline_kind": d.kind if d is not None else None,
        "deadline_text": d.text if d is not None else None,
        "status": doc.status,
        "confidence": task.confidence,
        "source": doc.source.path,
    }


def document_values(doc: DirectiveDocument) -> dict[str, Value]:
    """Every per-document value the documents sheet names."""
    signer = doc.signer
    return {
        "number": document_number(doc),
        "doc_type": doc.doc_type,
        "issued_date": full_date(doc.issued_date) or doc.issued_date,
        "place": doc.place,
        "issuer": doc.issuer.name if doc.issuer else None,
        "issuer_parent": doc.issuer.parent if doc.issuer else None,
        "subject": doc.subject,
        "urgency": doc.urgency,
        "secrecy": doc.secrecy,
        "signer": signer.name if signer else None,
        "signer_position": signer.position if signer else None,
        "pages": doc.source.pages,
        "tasks": len(doc.tasks),
        "status": doc.status,
        "source": doc.source.path,
    }
