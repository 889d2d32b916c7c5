"""Exports (issue 12): each format written from real extraction outputs and read
back by a real reader — jsonlines, Python's csv, openpyxl, LibreOffice
headless, icalendar, lxml against the shipped XSD — plus the edge cases (no
tasks, no deadline, a period deadline, a blank serial, formula-looking text)
and the command line (bad inputs, exit codes, never overwriting)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonlines
import openpyxl
import pytest
from icalendar import Calendar
from lxml import etree

from models import Agency, DirectiveDocument
from pipeline import extract
from pipeline.export import (
    FORMATS,
    DocumentSource,
    ExportInvalid,
    ExportSetupError,
    export,
    export_to_path,
    write_ics,
)
from pipeline.export.edxml import NS, XSD_NAME, schema
from pipeline.export.rows import columns, due_date
from pipeline.export.table import csv_cell
from pipeline.export.todo import shorten, task_uid

ROOT = Path(__file__).resolve().parents[1]
# 002: blank serial "/UBND-HCC", issue date "2025-09", deadlines by / in a month / recurring;
# 102: one dated deadline, one task without; 109: asap, by, in; 112: no tasks; 318: partial, no tasks
CORPUS = ["002", "102", "109", "112", "318"]
FORMULAS = ['=HYPERLINK("http://x.invalid","bấm")', "+84 912 345 678", "-1+2", "@SUM(A1:A2)"]


@pytest.fixture(scope="module")
def corpus_docs() -> list[DirectiveDocument]:
    """Real outputs of the pipeline on corpus documents."""
    return [extract(ROOT / "corpus" / "docs" / f"{i}.txt") for i in CORPUS]


@pytest.fixture(scope="module")
def docs(corpus_docs) -> list[DirectiveDocument]:
    """The corpus outputs, plus one of them given a formula-looking task and an urgency."""
    base = corpus_docs[1]
    task = base.tasks[0]
    tricky = [
        task.model_copy(update={"id": f"f{i}", "text": text, "lead": [Agency(name=text)]})
        for i, text in enumerate(FORMULAS)
    ]
    edge = base.model_copy(update={"tasks": tricky, "urgency": "Hỏa tốc", "source": base.source.model_copy(update={"sha256": "e" * 64})})
    return [*corpus_docs, edge]


def all_tasks(docs):
    return [(d, t) for d in docs for t in d.tasks]


def test_fixture_covers_the_edge_cases(docs):
    tasks = all_tasks(docs)
    assert any(not d.tasks for d in docs), "a document without tasks"
    assert any(t.deadline is None for _, t in tasks), "a task without a deadline"
    assert any(t.deadline and t.deadline.date and len(t.deadline.date) == 7 for _, t in tasks), "a month deadline"
    assert any(t.deadline and t.deadline.date is None for _, t in tasks), "a deadline without a date"
    assert any(d.number and d.number.serial is None for d in docs), "a blank serial"
    assert any(d.status == "partial" for d in docs)
    assert any("ộ" in t.text for _, t in tasks), "Vietnamese diacritics"


@pytest.mark.parametrize(
    ("date", "due"),
    [("2025-09-20", dt.date(2025, 9, 20)), ("2025-02", dt.date(2025, 2, 28)), ("2024-02", dt.date(2024, 2, 29)), ("2026", dt.date(2026, 12, 31)), (None, None)],
    ids=["day", "month", "leap-month", "year", "no-date"],
)
def test_due_date_is_the_end_of_a_period(date, due):
    from models import Deadline

    assert due_date(Deadline(date=date, kind="in", text="x")) == due


# ---------------------------------------------------------------- sources


def test_source_folder_skips_batch_files_and_names_bad_inputs(tmp_path, corpus_docs):
    (tmp_path / "a").mkdir()
    for i, d in enumerate(corpus_docs):
        (tmp_path / ("a" if i % 2 else ".") / f"{CORPUS[i]}.json").write_text(d.model_dump_json(), encoding="utf-8")
    (tmp_path / ".congvan-index.jsonl").write_text('{"sha256": "x"}\n', encoding="utf-8")
    (tmp_path / "errors.jsonl").write_text('{"path": "x", "reason": "y"}\n', encoding="utf-8")
    (tmp_path / "scores.json").write_text('{"tasks": {"f1": 0.5}}', encoding="utf-8")
    (tmp_path / "a" / "truncated.json").write_text(corpus_docs[0].model_dump_json()[:200], encoding="utf-8")
    broken = corpus_docs[1].model_dump(mode="json")
    broken["tasks"][0]["deadline"] = {"date": "30/9/2025", "kind": "by", "text": "x"}
    (tmp_path / "a" / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    seen = []
    src = DocumentSource(tmp_path, on_bad=seen.append)
    got = list(src)
    assert sorted(d.source.sha256 for d in got) == sorted(d.source.sha256 for d in corpus_docs)
    reasons = {Path(e.path).name: e.reason for e in src.bad}
    assert set(reasons) == {"scores.json", "truncated.json", "broken.json"}
    assert "not a congvan document" in reasons["scores.json"]
    assert reasons["truncated.json"].startswith("not JSON")
    assert "tasks.0.deadline.date" in reasons["broken.json"] and "30/9/2025" in reasons["broken.json"]
    assert seen == src.bad


def test_source_jsonl_names_the_bad_line(tmp_path, corpus_docs):
    path = tmp_path / "all.jsonl"
    lines = [corpus_docs[0].model_dump_json(), "{not json", "", json.dumps({"schema_name": "DirectiveDocument"}), corpus_docs[1].model_dump_json()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    src = DocumentSource(path)
    assert [d.source.sha256 for d in src] == [corpus_docs[0].source.sha256, corpus_docs[1].source.sha256]
    assert [e.path for e in src.bad] == [f"{path}:2", f"{path}:4"]
    assert "status: Field required" in src.bad[1].reason


def test_missing_source_cannot_run(tmp_path):
    with pytest.raises(ExportSetupError, match="no such file"):
        DocumentSource(tmp_path / "nope")


# ---------------------------------------------------------------- jsonl


def test_jsonl_round_trips_every_document(docs):
    buf = io.BytesIO()
    counts = export(docs, "jsonl", buf)
    assert (counts.documents, counts.written) == (len(docs), len(docs))
    back = [DirectiveDocument.model_validate(o) for o in jsonlines.Reader(io.BytesIO(buf.getvalue()))]
    assert back == docs
    assert "Ủy ban nhân dân".encode() in buf.getvalue()  # UTF-8, not \\u escapes


# ---------------------------------------------------------------- csv


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(("text", "cell"), [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"), ("Sở", "Sở"), ("a=1", "a=1")])
def test_csv_cell_guards_formulas(text, cell):
    assert csv_cell(text) == cell


def test_csv_one_row_per_task_read_by_python(docs):
    buf = io.BytesIO()
    counts = export(docs, "csv", buf)
    rows = csv_rows(buf.getvalue())
    assert list(rows[0]) == columns()["csv"]
    tasks = all_tasks(docs)
    assert len(rows) == len(tasks) == counts.written
    for row, (doc, task) in zip(rows, tasks, strict=True):
        assert row["task_id"] == task.id
        assert row["document_number"] == (doc.number.raw if doc.number else "")
        assert row["issued_date"] == (doc.issued_date or "")
        assert row["deadline_date"] == (task.deadline.date or "" if task.deadline else "")
        if task.text in FORMULAS:
            assert row["text"] == "'" + task.text and row["lead"] == "'" + task.text
        else:
            assert row["text"] == task.text
            assert row["lead"] == "; ".join(a.name for a in task.lead)
            assert row["support"] == "; ".join(a.name for a in task.support)


def soffice(src: Path, to: str, outdir: Path, profile: Path, infilter: str | None = None) -> Path:
    """Convert with LibreOffice headless in its own profile (parallel runs do not clash)."""
    exe = shutil.which("soffice")
    assert exe, "LibreOffice is installed by make setup"
    args = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", to, "--outdir", str(outdir)]
    if infilter:
        args.append(f"--infilter={infilter}")
    r = subprocess.run([*args, str(src)], capture_output=True, timeout=180)
    out = outdir / (src.stem + "." + to.split(":")[0])
    assert out.exists(), r.stderr.decode(errors="replace")
    return out


@pytest.mark.slow
def test_csv_read_by_libreoffice(tmp_path, docs):
    path = tmp_path / "tasks.csv"
    export_to_path(docs, "csv", path)
    # comma, double quote, UTF-8 (76), from line 1
    xlsx = soffice(path, "xlsx", tmp_path / "lo", tmp_path / "profile", infilter="CSV:44,34,76,1")
    ws = openpyxl.load_workbook(xlsx).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    keys = columns()["csv"]
    assert rows[0] == keys
    tasks = all_tasks(docs)
    assert len(rows) - 1 == len(tasks)
    text_col, lead_col = keys.index("text"), keys.index("lead")
    for row, (_, task) in zip(rows[1:], tasks, strict=True):
        if task.text in FORMULAS:
            assert row[text_col] == "'" + task.text  # text, never run as a formula
        else:
            assert row[text_col] == task.text  # multi-line cells, quotes, diacritics intact
            assert (row[lead_col] or "") == "; ".join(a.name for a in task.lead)
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)


# ---------------------------------------------------------------- xlsx


def test_xlsx_register_read_by_openpyxl(tmp_path, docs):
    path = tmp_path / "register.xlsx"
    counts = export_to_path(docs, "xlsx", path)
    spec = columns()
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [spec["register"]["sheet"], spec["documents"]["sheet"]]
    reg, dsheet = wb[spec["register"]["sheet"]], wb[spec["documents"]["sheet"]]
    titles = [c["title"] for c in spec["register"]["columns"]]
    assert [c.value for c in reg[1]] == titles
    # the decree's seven columns first, in its order
    assert titles[:7] == [c["title"] for c in spec["register"]["columns"] if c.get("form")]
    assert reg.freeze_panes == "A2" and dsheet.freeze_panes == "A2"
    assert reg.column_dimensions["B"].width == pytest.approx(spec["register"]["columns"][1]["width"], abs=1)
    keys = [c["key"] for c in spec["register"]["columns"]]
    tasks = all_tasks(docs)
    rows = list(reg.iter_rows(min_row=2))
    assert len(rows) == len(tasks) == counts.written
    for row, (doc, task) in zip(rows, tasks, strict=True):
        cell = dict(zip(keys, row, strict=True))
        assert cell["task_id"].value == task.id
        assert cell["task_text"].value == task.text and cell["task_text"].data_type == "s"
        assert (cell["lead"].value or "") == "; ".join(a.name for a in task.lead)
        due = due_date(task.deadline)
        if due is not None:
            assert cell["due"].is_date and cell["due"].value.date() == due
            assert cell["due"].number_format == "dd/mm/yyyy"
        else:
            assert cell["due"].value == (task.deadline.text if task.deadline else None)
        if doc.issued_date and len(doc.issued_date) == 10:
            assert cell["issued_date"].value.date() == dt.date.fromisoformat(doc.issued_date)
        assert cell["arrival_number"].value is None and cell["progress"].value is None  # for the clerk to fill
    assert [r[0].value for r in dsheet.iter_rows(min_row=2)] == [d.number.raw if d.number else None for d in docs]
    assert dsheet.max_row - 1 == len(docs)


@pytest.mark.slow
def test_xlsx_converted_by_libreoffice(tmp_path, docs):
    path = tmp_path / "register.xlsx"
    export_to_path(docs, "xlsx", path)
    out = soffice(path, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "lo", tmp_path / "profile")
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    keys = [c["key"] for c in columns()["register"]["columns"]]
    assert rows[0] == [c["title"] for c in columns()["register"]["columns"]]
    tasks = all_tasks(docs)
    assert len(rows) - 1 == len(tasks)
    for row, (_, task) in zip(rows[1:], tasks, strict=True):
        cell = dict(zip(keys, row, strict=True))
        assert cell["task_text"] == task.text  # "=1+1"-looking text stays text: never computed
        due = due_date(task.deadline)
        if due is not None:
            assert cell["due"] == due.strftime("%d/%m/%Y")  # a real date, shown in the register's format


# ---------------------------------------------------------------- ics


def test_ics_one_todo_per_dated_task_parsed_by_icalendar(tmp_path, docs):
    path = tmp_path / "tasks.ics"
    counts = export_to_path(docs, "ics", path)
    cal = Calendar.from_ical(path.read_bytes())
    todos = list(cal.walk("VTODO"))
    dated = [(d, t) for d, t in all_tasks(docs) if due_date(t.deadline) is not None]
    assert dated and len(todos) == len(dated) == counts.written
    assert counts.left_out == len(all_tasks(docs)) - len(dated)
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    for todo, (doc, task) in zip(todos, dated, strict=True):
        assert todo.decoded("DUE") == due_date(task.deadline)
        assert str(todo["UID"]) == task_uid(doc, task)
        assert str(todo["SUMMARY"]) == shorten(task.text) and len(str(todo["SUMMARY"])) <= 80
        desc = str(todo["DESCRIPTION"])
        if doc.number:
            assert doc.number.raw in desc
        assert all(a.name in desc for a in task.lead)
        assert todo["DTSTAMP"]
    assert len({str(t["UID"]) for t in todos}) == len(todos)


def test_ics_uid_stable_across_exports_and_re_extraction(docs):
    again = [extract(ROOT / "corpus" / "docs" / "109.txt")]
    first, second = io.BytesIO(), io.BytesIO()
    write_ics([d for d in docs if d.source.sha256 == again[0].source.sha256], first, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    write_ics(again, second, now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    uids = [[str(t["UID"]) for t in Calendar.from_ical(b.getvalue()).walk("VTODO")] for b in (first, second)]
    assert uids[0] and uids[0] == uids[1]


@pytest.mark.parametrize(("text", "short"), [("Báo cáo  kết quả.", "Báo cáo kết quả."), ("một " * 40, ("một " * 19).strip() + "…")], ids=["short", "long"])
def test_summary_shortened_at_a_word(text, short):
    assert shorten(text) == short


# ---------------------------------------------------------------- xml


def test_xml_validates_against_the_xsd(tmp_path, docs):
    path = tmp_path / "documents.xml"
    counts = export_to_path(docs, "xml", path)
    xsd_path = ROOT / "pipeline" / "resources" / XSD_NAME
    xsd = etree.XMLSchema(etree.parse(str(xsd_path)))
    tree = etree.parse(str(path))
    xsd.assertValid(tree)
    ns = {"c": NS}
    elements = tree.findall("c:Document", ns)
    assert len(elements) == len(docs) == counts.written
    for el, doc in zip(elements, docs, strict=True):
        assert el.findtext("c:Subject", namespaces=ns) == doc.subject
        assert el.findtext("c:PromulgationInfo/c:PromulgationDate", namespaces=ns) == doc.issued_date
        assert [t.get("id") for t in el.findall("c:Tasks/c:Task", ns)] == [t.id for t in doc.tasks]
        dues = [due_date(t.deadline) for t in doc.tasks if due_date(t.deadline)]
        assert el.findtext("c:DueDate", namespaces=ns) == (min(dues).isoformat() if dues else None)
        if doc.number:
            assert el.find("c:Code", ns).get("raw") == doc.number.raw
            assert el.findtext("c:Code/c:CodeNumber", namespaces=ns) == doc.number.serial
    assert elements[-1].findtext("c:OtherInfo/c:Priority", namespaces=ns) == "3"  # Hỏa tốc


def test_xml_that_does_not_validate_is_not_written(tmp_path, docs):
    bad = docs[1].model_copy(update={"source": docs[1].source.model_copy(update={"sha256": "not-a-hash"})})
    path = tmp_path / "documents.xml"
    with pytest.raises(ExportInvalid, match="sha256"):
        export_to_path([docs[0], bad], "xml", path)
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temp file


def test_xsd_rejects_what_the_schema_forbids():
    xsd = schema()
    ok = etree.fromstring(
        f'<Document xmlns="{NS}"><OtherInfo><Priority>0</Priority><PageAmount>1</PageAmount></OtherInfo>'
        f'<Tasks/><Source sha256="{"a" * 64}" format="text" ocr="false"/><Status>ok</Status></Document>'
    )
    assert xsd.validate(ok), xsd.error_log
    for wrong in ("<Priority>0</Priority>", "<Status>ok</Status>"):
        broken = etree.tostring(ok).decode().replace(wrong, wrong.replace(">0<", ">9<").replace(">ok<", ">done<"))
        assert not xsd.validate(etree.fromstring(broken))
    two = etree.tostring(ok).decode().replace(
        "<Tasks/>", '<Tasks><Task id="1" confidence="0.5"><Text>a</Text></Task><Task id="1" confidence="0.5"><Text>b</Text></Task></Tasks>'
    )
    assert not xsd.validate(etree.fromstring(two)), "task ids are unique within a document"


# ---------------------------------------------------------------- files and the command line


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_existing_file_is_never_replaced_without_force(tmp_path, docs, fmt):
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(b"the user's own file")
    with pytest.raises(ExportSetupError, match="exists"):
        export_to_path(docs, fmt, path)
    assert path.read_bytes() == b"the user's own file"
    export_to_path(docs, fmt, path, force=True)
    assert path.read_bytes() != b"the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temp file left


def congvan(*args):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, cwd=ROOT, timeout=600)


def test_cli_export_folder_exit_codes(tmp_path, corpus_docs):
    src = tmp_path / "json"
    r = congvan("extract", str(ROOT / "corpus" / "docs" / "102.txt"), str(ROOT / "corpus" / "docs" / "112.txt"), "--out", str(src), "-q")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "tasks.csv"
    r = congvan("export", str(src), "--format", "csv", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert len(csv_rows(out.read_bytes())) == len(corpus_docs[1].tasks) + len(corpus_docs[3].tasks)
    # an existing --out: exit 2, untouched
    before = out.read_bytes()
    r = congvan("export", str(src), "--format", "csv", "--out", str(out))
    assert r.returncode == 2 and b"--force" in r.stderr and out.read_bytes() == before
    # a bad input: named with its reason, the rest exported, exit 1
    (src / "bad.json").write_text('{"schema_name": "DirectiveDocument", "status": "done"}', encoding="utf-8")
    r = congvan("export", str(src), "-f", "xml", "-o", str(tmp_path / "d.xml"))
    assert r.returncode == 1
    assert b"bad.json: not a congvan document" in r.stderr
    schema().assertValid(etree.parse(str(tmp_path / "d.xml")))
    assert len(etree.parse(str(tmp_path / "d.xml")).getroot()) == 2
    # cannot run: exit 2, nothing written
    for args in (["nope", "-f", "csv", "-o", str(tmp_path / "n.csv")], [str(src), "-f", "pdf", "-o", str(tmp_path / "n.pdf")],
                 [str(src), "-f", "csv", "-o", str(tmp_path / "no" / "n.csv")], [str(src), "-f", "csv", "-o", str(src)]):
        r = congvan("export", *args)
        assert r.returncode == 2, (args, r.stderr)
    assert not (tmp_path / "n.csv").exists() and not (tmp_path / "n.pdf").exists()


def test_cli_export_jsonl_source(tmp_path):
    jl = tmp_path / "all.jsonl"
    r = congvan("extract", str(ROOT / "corpus" / "docs" / "102.txt"), "--jsonl", str(jl), "-q")
    assert r.returncode == 0, r.stderr
    r = congvan("export", str(jl), "--format", "ics", "--out", str(tmp_path / "t.ics"))
    assert r.returncode == 0, r.stderr
    todos = list(Calendar.from_ical((tmp_path / "t.ics").read_bytes()).walk("VTODO"))
    assert [t.decoded("DUE") for t in todos] == [dt.date(2026, 10, 5)]
