"""A document's JSON under review: the list's summary, the clerk's edits, the
reviewed JSON (contract shape plus a ``review`` block) and the gold form.

Every edit is checked against the contract's pydantic models before it is
stored, so the reviewed JSON always validates as a ``DirectiveDocument``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from models import DirectiveDocument
from models.document import Agency, Deadline, Task

DEADLINE_KINDS = ("by", "in", "on", "recurring", "asap")
# a value whose confidence is below this is marked on the page (calibrated
# probabilities: below one in two the value is more likely wrong than right)
LOW_CONFIDENCE = 0.5
# keys of a gold file (docs/ANNOTATION.md): the contract without these
GOLD_DROPPED = ("status", "source", "text", "spans", "confidence", "warnings")


class EditError(ValueError):
    """An edit that cannot be applied, in words for the clerk."""


@dataclass(frozen=True)
class Summary:
    number: str | None
    issuer: str | None
    issued_date: str | None
    subject: str | None
    task_count: int
    min_confidence: float | None
    leads: str  # lead names, casefolded, one per line: what the list's lead filter searches
    next_deadline: date | None


def summarize(doc: dict[str, Any]) -> Summary:
    tasks = doc.get("tasks") or []
    confs = [float(t.get("confidence", 1.0)) for t in tasks]
    confs += [float(v) for v in (doc.get("confidence") or {}).values()]
    # casefolded in Python: SQLite's LIKE folds ASCII letters only, not Ộ/ộ
    leads = sorted({a["name"].casefold() for t in tasks for a in t.get("lead") or []})
    dates = [d for t in tasks if (d := full_date((t.get("deadline") or {}).get("date")))]
    return Summary(
        number=(doc.get("number") or {}).get("raw"),
        issuer=(doc.get("issuer") or {}).get("name"),
        issued_date=doc.get("issued_date"),
        subject=doc.get("subject"),
        task_count=len(tasks),
        min_confidence=min(confs) if confs else None,
        leads="\n".join(leads),
        next_deadline=min(dates) if dates else None,
    )


def full_date(value: str | None) -> date | None:
    if not value or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


_DMY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\s*$")
_MY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{4})\s*$")
_ISO = re.compile(r"^\s*\d{4}(-\d{2}(-\d{2})?)?\s*$")


def parse_date(value: str) -> str | None:
    """A date typed by a clerk (dd/mm/yyyy, mm/yyyy, yyyy or ISO) as a contract date; '' is None."""
    value = value.strip()
    if not value:
        return None
    if m := _DMY.match(value):
        d, mo, y = (int(g) for g in m.groups())
        iso = f"{y:04d}-{mo:02d}-{d:02d}"
    elif m := _MY.match(value):
        mo, y = int(m.group(1)), int(m.group(2))
        iso = f"{y:04d}-{mo:02d}"
    elif _ISO.match(value):
        iso = value.strip()
    else:
        raise EditError(f"ngày không hợp lệ: '{value}' (viết dd/mm/yyyy)")
    try:
        if len(iso) == 10:
            date.fromisoformat(iso)
        elif len(iso) == 7 and not 1 <= int(iso[5:]) <= 12:
            raise ValueError
    except ValueError:
        raise EditError(f"ngày không có thật: '{value}'") from None
    return iso


def show_date(value: str | date | datetime | None) -> str:
    """ISO (possibly partial) to dd/mm/yyyy, mm/yyyy or yyyy; datetimes with the time."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):  # stored naive in UTC: shown in the server's time zone
        local = value.replace(tzinfo=UTC).astimezone() if value.tzinfo is None else value.astimezone()
        return local.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    parts = value.split("-")
    return "/".join(reversed(parts))


def names_of(field: str) -> list[str]:
    """Agency names typed one per line (or separated by ';')."""
    out: list[str] = []
    for line in re.split(r"[\n;]", field):
        name = " ".join(line.split())
        if name and name not in out:
            out.append(name)
    return out


def _agencies(names: list[str], before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Agencies for the typed names; a name kept from before keeps its agency_id."""
    ids = {a["name"]: a.get("agency_id") for a in before}
    return [Agency(name=n, agency_id=ids.get(n)).model_dump(mode="json") for n in names]


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


def find_task(doc: dict[str, Any], index: int, task_id: str) -> dict[str, Any]:
    tasks = doc.get("tasks") or []
    if not 0 <= index < len(tasks) or tasks[index]["id"] != task_id:
        raise EditError("nhiệm vụ này đã thay đổi (người khác vừa sửa?): tải lại trang")
    task: dict[str, Any] = tasks[index]
    return task


def edit_task(doc: dict[str, Any], index: int, task_id: str, form: dict[str, str]) -> list[Change]:
    """Apply the task form (text, lead, support, deadline_date/kind/text) in place;
    the changes made, one per field that differs."""
    task = find_task(doc, index, task_id)
    new = dict(task)
    if "text" in form:
        text = " ".join(form["text"].split())
        if not text:
            raise EditError("nội dung nhiệm vụ không được để trống")
        new["text"] = text
    for role in ("lead", "support"):
        if role in form:
            new[role] = _agencies(names_of(form[role]), task.get(role) or [])
    if "deadline_date" in form or "deadline_text" in form or "deadline_kind" in form:
        new["deadline"] = _deadline(form)
    checked = Task.model_validate(new).model_dump(mode="json")
    changes = [Change(f"tasks[{task_id}].{k}", task.get(k), checked.get(k)) for k in ("text", "lead", "support", "deadline")]
    changes = [c for c in changes if c.old != c.new]
    if changes:
        confidences = dict(checked.get("confidences") or {})
        for c in changes:  # a person checked these values
            confidences[c.field.rsplit(".", 1)[1]] = 1.0
        checked["confidences"] = confidences
        task.clear()
        task.update(checked)
    return changes


def _deadline(form: dict[str, str]) -> dict[str, Any] | None:
    iso = parse_date(form.get("deadline_date", ""))
    text = " ".join(form.get("deadline_text", "").split())
    kind = form.get("deadline_kind", "") or ("by" if iso else "")
    if not iso and not text and not kind:
        return None
    if kind not in DEADLINE_KINDS:
        raise EditError(f"loại thời hạn không hợp lệ: '{kind}'")
    return Deadline(date=iso, kind=kind, text=text or show_date(iso)).model_dump(mode="json")  # type: ignore[arg-type]


def add_task(doc: dict[str, Any], form: dict[str, str]) -> Change:
    """A task typed by the clerk; its span is the text selected on the page, if any."""
    tasks = doc.setdefault("tasks", [])
    used = {t["id"] for t in tasks}
    n = 1
    while f"new-{n}" in used:
        n += 1
    text = " ".join(form.get("text", "").split())
    if not text:
        raise EditError("nội dung nhiệm vụ không được để trống")
    span = _span(form, len(doc.get("text") or ""))
    task = {
        "id": f"new-{n}",
        "text": text,
        "lead": _agencies(names_of(form.get("lead", "")), []),
        "support": _agencies(names_of(form.get("support", "")), []),
        "deadline": _deadline(form),
        "span": span,
        "confidence": 1.0,
        "confidences": {"task": 1.0, "lead": 1.0, "support": 1.0, "deadline": 1.0},
    }
    checked = Task.model_validate(task).model_dump(mode="json")
    tasks.append(checked)
    return Change(f"tasks[{checked['id']}]", None, checked)


def _span(form: dict[str, str], text_len: int) -> list[int]:
    try:
        start, end = int(form.get("span_start") or 0), int(form.get("span_end") or 0)
    except ValueError:
        raise EditError("vị trí đoạn chọn không hợp lệ") from None
    if not 0 <= start <= end <= text_len:
        raise EditError("vị trí đoạn chọn nằm ngoài văn bản")
    return [start, end]


def delete_task(doc: dict[str, Any], index: int, task_id: str) -> Change:
    task = find_task(doc, index, task_id)
    doc["tasks"].pop(index)
    return Change(f"tasks[{task_id}]", task, None)


def validate(doc: dict[str, Any]) -> dict[str, Any]:
    """The document checked against the contract (raises pydantic's ValidationError)."""
    return DirectiveDocument.model_validate(doc).model_dump(mode="json")


def reviewed(doc: dict[str, Any], review: dict[str, Any]) -> dict[str, Any]:
    """The contract's shape plus a ``review`` block."""
    return {**doc, "review": review}


def gold(doc: dict[str, Any]) -> dict[str, Any]:
    """The gold-file form of a reviewed document (docs/ANNOTATION.md): the
    contract without text, spans, confidences, warnings and task spans."""
    out = {k: v for k, v in doc.items() if k not in GOLD_DROPPED and k != "review"}
    out["tasks"] = [
        {k: v for k, v in t.items() if k not in ("span", "confidence", "confidences")} for t in doc.get("tasks") or []
    ]
    return out


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


@dataclass(frozen=True)
class HeaderRow:
    key: str
    label: str
    value: str
    span: tuple[int, int] | None
    confidence: float | None


HEADER_FIELDS = (
    ("number", "Số, ký hiệu"),
    ("issuer", "Cơ quan ban hành"),
    ("doc_type", "Loại văn bản"),
    ("place", "Địa danh"),
    ("issued_date", "Ngày ban hành"),
    ("subject", "Trích yếu"),
    ("urgency", "Độ khẩn"),
    ("secrecy", "Độ mật"),
    ("recipients", "Kính gửi"),
    ("distribution", "Nơi nhận"),
    ("signer", "Người ký"),
)


def header_rows(doc: dict[str, Any]) -> list[HeaderRow]:
    """The header fields as shown: label, value as text, span and confidence."""
    rows = []
    spans = doc.get("spans") or {}
    confs = doc.get("confidence") or {}
    for key, label in HEADER_FIELDS:
        v = doc.get(key)
        if key == "number" and v:
            text = v.get("raw") or ""
        elif key == "issuer" and v:
            text = v["name"] + (f" (thuộc {v['parent']})" if v.get("parent") else "")
        elif key == "signer" and v:
            text = " ".join(x for x in (v.get("authority"), v.get("for_position"), v.get("position"), v.get("name")) if x)
        elif key == "issued_date":
            text = show_date(v)
        elif isinstance(v, list):
            text = "; ".join(v)
        else:
            text = v or ""
        if not text and key in ("urgency", "secrecy"):
            continue
        span = spans.get(key)
        rows.append(HeaderRow(key, label, text, (int(span[0]), int(span[1])) if span else None, confs.get(key)))
    return rows


_NUMBER = re.compile(r"^(\d+)?[/-](.+)$")
# header fields a clerk edits, and how the typed text becomes the contract's value
HEADER_EDITABLE = ("number", "issuer", "doc_type", "place", "issued_date", "subject", "recipients", "distribution", "signer")


def _number(raw: str) -> dict[str, Any] | None:
    raw = "".join(raw.split())
    if not raw:
        return None
    m = _NUMBER.match(raw)
    return {"raw": raw, "serial": m.group(1) if m else None, "notation": m.group(2) if m else None}


def edit_header(doc: dict[str, Any], form: dict[str, str]) -> list[Change]:
    """Apply the header form (fields named as the contract's keys; issuer_parent,
    signer_name, signer_position for the nested ones) in place."""
    new: dict[str, Any] = {}
    one_line = lambda k: " ".join(form.get(k, "").split()) or None
    if "number" in form:
        new["number"] = _number(form["number"])
    if "issuer" in form:
        name = one_line("issuer")
        parent = one_line("issuer_parent") if "issuer_parent" in form else (doc.get("issuer") or {}).get("parent")
        new["issuer"] = {"name": name, "parent": parent} if name else None
    for k in ("doc_type", "place", "subject"):
        if k in form:
            new[k] = one_line(k)
    if "issued_date" in form:
        new["issued_date"] = parse_date(form["issued_date"])
    for k in ("recipients", "distribution"):
        if k in form:
            new[k] = names_of(form[k].replace(";", "\n"))
    if "signer_name" in form or "signer_position" in form:
        before = doc.get("signer") or {}
        signer = {**{"name": None, "position": None, "authority": None, "for_position": None}, **before}
        signer["name"] = one_line("signer_name")
        signer["position"] = one_line("signer_position")
        new["signer"] = signer if any(signer.values()) else None
    candidate = {**doc, **new}
    checked = DirectiveDocument.model_validate(candidate).model_dump(mode="json")
    changes = [Change(k, doc.get(k), checked.get(k)) for k in new if doc.get(k) != checked.get(k)]
    if changes:
        confidence = dict(doc.get("confidence") or {})
        for c in changes:
            doc[c.field] = checked[c.field]
            if c.field in confidence:
                confidence[c.field] = 1.0  # a person checked it
        doc["confidence"] = confidence
    return changes


def split_task(doc: dict[str, Any], index: int, task_id: str, at: str) -> list[Change]:
    """Cut a task in two where the phrase ``at`` starts in its text; both keep
    its lead, support and deadline (ANNOTATION.md: a split sentence adds '#2')."""
    task = find_task(doc, index, task_id)
    phrase = " ".join(at.split())
    text = task["text"]
    pos = text.find(phrase) if phrase else -1
    if pos <= 0:
        raise EditError("không tìm thấy chỗ tách trong nội dung nhiệm vụ (chép nguyên đoạn mở đầu phần sau)")
    first, second = text[:pos].strip(), text[pos:].strip()
    used = {t["id"] for t in doc["tasks"]}
    n = 2
    while f"{task_id}#{n}" in used:
        n += 1
    s, e = task["span"]
    full = doc.get("text") or ""
    words = phrase.split()
    m = re.search(r"\s+".join(re.escape(w) for w in words), full[s:e])
    cut = s + m.start() if m else e
    a = {**task, "text": first, "span": [s, cut]}
    b = {**task, "id": f"{task_id}#{n}", "text": second, "span": [cut, e]}
    Task.model_validate(a)
    Task.model_validate(b)
    doc["tasks"][index : index + 1] = [a, b]
    return [Change(f"tasks[{task_id}]", task, a), Change(f"tasks[{b['id']}]", None, b)]


def merge_tasks(doc: dict[str, Any], index: int, task_id: str, next_id: str) -> list[Change]:
    """Join a task with the one after it: texts joined, agencies united, the
    first deadline kept, the span covering both."""
    task = find_task(doc, index, task_id)
    nxt = find_task(doc, index + 1, next_id)
    def union(role: str) -> list[dict[str, Any]]:
        seen, out = set(), []
        for a in (task.get(role) or []) + (nxt.get(role) or []):
            if a["name"] not in seen:
                seen.add(a["name"])
                out.append(a)
        return out

    merged = {
        **task,
        "text": f"{task['text']} {nxt['text']}",
        "lead": union("lead"),
        "support": union("support"),
        "deadline": task.get("deadline") or nxt.get("deadline"),
        "span": [min(task["span"][0], nxt["span"][0]), max(task["span"][1], nxt["span"][1])],
        "confidence": min(task.get("confidence", 1.0), nxt.get("confidence", 1.0)),
    }
    Task.model_validate(merged)
    doc["tasks"][index : index + 2] = [merged]
    return [Change(f"tasks[{task_id}]", task, merged), Change(f"tasks[{next_id}]", nxt, None)]
