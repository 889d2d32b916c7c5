"""iCalendar: one VTODO per task with a dated deadline (RFC 5545, via icalendar).

DUE is the day the task is due (a reduced-precision deadline, "trong tháng 9
năm 2025", is due on the period's last day); SUMMARY the task's text
shortened; DESCRIPTION the document's type, number, date and issuer, the lead
and supporting agencies, the deadline phrase and the full task. The UID is made
of the document's content hash and the task's outline id, so exporting the
same document again (after a re-extraction or a review) updates the same to-do
in a calendar instead of adding a second one. Tasks without a dated deadline
(none, "khẩn trương", "định kỳ") are counted as left out.

The calendar is streamed: its head, then each to-do as icalendar serialises
it, then its end.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import BinaryIO

from icalendar import Calendar, Todo

from models import DirectiveDocument, Task
from pipeline import __version__
from pipeline.export.counts import ExportCounts
from pipeline.export.rows import columns, document_line, due_date, names

PRODID = f"-//congvan//congvan {__version__}//VI"
SUMMARY_CHARS = 80
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9.\-]")


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The text on one line, cut at a word boundary with "…" when longer than ``limit``."""
    one = " ".join(text.split())
    if len(one) <= limit:
        return one
    cut = one[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def task_uid(doc: DirectiveDocument, task: Task) -> str:
    """Stable per document and task: the input's SHA-256 (first 20 hex) and the outline id."""
    return f"{doc.source.sha256[:20]}-{_UNSAFE_ID.sub('_', task.id)}@congvan"


def task_todo(doc: DirectiveDocument, task: Task, due: dt.date, stamp: dt.datetime) -> Todo:
    todo = Todo()
    todo.add("uid", task_uid(doc, task))
    todo.add("dtstamp", stamp)
    todo.add("due", due)
    todo.add("summary", shorten(task.text))
    label: dict[str, str] = columns()["labels"]
    lines = [document_line(doc)]
    if task.lead:
        lines.append(f"{label['lead']}: {names(task.lead)}")
    if task.support:
        lines.append(f"{label['support']}: {names(task.support)}")
    if task.deadline is not None:
        lines.append(f"{label['deadline']}: {task.deadline.text}")
    lines.append(f"{label['task']} {task.id}: {task.text}")
    todo.add("description", "\n".join(lines))
    todo.add("status", "NEEDS-ACTION")
    if doc.doc_type:
        todo.add("categories", [doc.doc_type])
    return todo


def write_ics(
    docs: Iterable[DirectiveDocument], out: BinaryIO, now: dt.datetime | None = None
) -> ExportCounts:
    """A VCALENDAR of VTODOs. ``now``: the DTSTAMP (default: the current UTC time)."""
    stamp = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    whole = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert whole.endswith(end)
    out.write(whole[: -len(end)])
    counts = ExportCounts()
    for doc in docs:
        counts.documents += 1
        for task in doc.tasks:
            counts.tasks += 1
            due = due_date(task.deadline)
            if due is None:
                counts.left_out += 1
                continue
            out.write(task_todo(doc, task, due, stamp).to_ical())
            counts.written += 1
    out.write(end)
    return counts
