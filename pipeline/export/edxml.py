"""XML: each document's metadata in the spirit of Decree 30/2020 Appendix VI and
the edXML header of QCVN 102:2016/BTTTT, with its tasks; the schema is
resources/document_metadata.xsd (its comment says what it borrows and assumes).

Every ``Document`` element is validated against the XSD before it is written,
so a file that does not validate is never produced: the first invalid document
raises :class:`ExportInvalid` (naming the document and lxml's reason). The file
is streamed with lxml's incremental writer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any, BinaryIO

from lxml import etree

from models import DirectiveDocument, Task
from pipeline import __version__
from pipeline.errors import CongvanError
from pipeline.export.counts import ExportCounts
from pipeline.export.rows import columns, due_date

NS = "urn:congvan:export:document-metadata:1"
XSD_NAME = "document_metadata.xsd"
# XML 1.0 cannot hold C0 controls other than tab, newline, carriage return (a PDF's form feed, say)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class ExportInvalid(CongvanError):
    """An export that does not validate against its schema (a defect: nothing is written)."""


@cache
def schema() -> etree.XMLSchema:
    """The XSD shipped in pipeline/resources."""
    with resources.files("pipeline.resources").joinpath(XSD_NAME).open("rb") as fh:
        return etree.XMLSchema(etree.parse(fh))


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _text(value: str) -> str:
    return _NOT_XML.sub(" ", value)


def _add(parent: Any, name: str, value: str | int | None) -> Any:
    """A child element with text, or nothing when the value is absent."""
    if value is None or value == "":
        return None
    el = etree.SubElement(parent, _q(name))
    el.text = _text(value) if isinstance(value, str) else str(value)
    return el


def _organs(parent: Any, name: str, organ_names: list[str]) -> None:
    organ_names = [n for n in organ_names if n]
    if organ_names:
        el = etree.SubElement(parent, _q(name))
        for n in organ_names:
            _add(el, "OrganName", n)


def _task(parent: Any, task: Task) -> None:
    el = etree.SubElement(parent, _q("Task"), id=_text(task.id), confidence=f"{task.confidence:.3f}")
    _add(el, "Text", task.text)
    _organs(el, "Lead", [a.name for a in task.lead])
    _organs(el, "Support", [a.name for a in task.support])
    d = task.deadline
    if d is not None:
        attrs: dict[str, str] = {"kind": d.kind}
        if d.date is not None:
            attrs["date"] = d.date
        due = due_date(d)
        if due is not None:
            attrs["due"] = due.isoformat()
        _add(el, "Deadline", d.text or d.date or d.kind).attrib.update(attrs)


def document_element(doc: DirectiveDocument) -> Any:
    """The ``Document`` element of one contract document (not yet validated)."""
    el = etree.Element(_q("Document"), nsmap={None: NS})
    if doc.issuer is not None:
        frm = etree.SubElement(el, _q("From"))
        _add(frm, "OrganName", doc.issuer.name)
        _add(frm, "ParentOrganName", doc.issuer.parent)
    if doc.number is not None:
        code = etree.SubElement(el, _q("Code"), raw=_text(doc.number.raw))
        _add(code, "CodeNumber", doc.number.serial)
        _add(code, "CodeNotation", doc.number.notation)
    if doc.place or doc.issued_date:
        info = etree.SubElement(el, _q("PromulgationInfo"))
        _add(info, "Place", doc.place)
        _add(info, "PromulgationDate", doc.issued_date)
    if doc.doc_type:
        _add(etree.SubElement(el, _q("DocumentType")), "TypeName", doc.doc_type)
    _add(el, "Subject", doc.subject)
    s = doc.signer
    if s is not None and (s.name or s.position or s.authority):
        signer = etree.SubElement(el, _q("SignerInfo"))
        competence = " ".join(p for p in (s.authority, s.for_position) if p)
        _add(signer, "Competence", competence)
        _add(signer, "Position", s.position)
        _add(signer, "FullName", s.name)
    _organs(el, "To", doc.recipients)
    places = [p for p in doc.distribution if p]
    if places:
        to_places = etree.SubElement(el, _q("ToPlaces"))
        for p in places:
            _add(to_places, "Place", p)
    dues = [d for d in (due_date(t.deadline) for t in doc.tasks) if d is not None]
    _add(el, "DueDate", min(dues).isoformat() if dues else None)
    other = etree.SubElement(el, _q("OtherInfo"))
    priority: dict[str, int] = columns()["xml"]["priority"]
    _add(other, "Priority", priority[doc.urgency] if doc.urgency else 0)
    _add(other, "SecrecyLevel", doc.secrecy)
    _add(other, "PageAmount", doc.source.pages)
    if doc.references:
        refs = etree.SubElement(el, _q("References"))
        for r in doc.references:
            ref = etree.SubElement(refs, _q("Reference"))
            _add(ref, "TypeName", r.doc_type)
            _add(ref, "Code", r.number)
            _add(ref, "PromulgationDate", r.date)
            _add(ref, "OrganName", r.issuer)
    tasks = etree.SubElement(el, _q("Tasks"))
    for t in doc.tasks:
        _task(tasks, t)
    src = {"sha256": doc.source.sha256, "format": doc.source.format, "ocr": "true" if doc.source.ocr else "false"}
    if doc.source.path:
        src["path"] = _text(doc.source.path)
    etree.SubElement(el, _q("Source"), src)
    _add(el, "Status", doc.status)
    return el


def where_of(doc: DirectiveDocument) -> str:
    return doc.source.path or (doc.number.raw if doc.number else doc.source.sha256[:12])


def validated(doc: DirectiveDocument) -> Any:
    """The document's element, validated against the XSD; ExportInvalid otherwise."""
    el = document_element(doc)
    xsd = schema()
    if not xsd.validate(el):
        err = xsd.error_log.last_error
        raise ExportInvalid(f"{where_of(doc)}: the XML export does not validate against {XSD_NAME}: {err.message} (line {err.line})")
    return el


def write_xml(docs: Iterable[DirectiveDocument], out: BinaryIO) -> ExportCounts:
    """A ``Documents`` root with one validated ``Document`` per document."""
    counts = ExportCounts()
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(_q("Documents"), {"generator": f"congvan {__version__}", "schemaVersion": "1.0"}, nsmap={None: NS}):
            for doc in docs:
                xf.write("\n")  # one document per line: greppable, diffable
                xf.write(validated(doc))
                counts.documents += 1
                counts.tasks += len(doc.tasks)
                counts.written += 1
            xf.write("\n")
    return counts


def validate_file(path: Any) -> None:
    """Validate a whole export file against the XSD, streaming; ExportInvalid otherwise."""
    try:
        for _event, el in etree.iterparse(str(path), events=("end",), schema=schema()):
            if el.tag == _q("Document"):
                el.clear()
    except etree.XMLSyntaxError as e:
        raise ExportInvalid(f"{path}: does not validate against {XSD_NAME}: {e}") from None
