"""Frozen pydantic models for one extracted document."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

SCHEMA_NAME: Literal["DirectiveDocument"] = "DirectiveDocument"
SCHEMA_VERSION: Literal["1.0"] = "1.0"

_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def _check_partial_date(value: str) -> str:
    if not _PARTIAL_DATE.match(value):
        raise ValueError(f"not an ISO 8601 date at reduced precision: {value!r}")
    return value


PartialDate = Annotated[
    str,
    AfterValidator(_check_partial_date),
    Field(
        description="ISO 8601 date, at reduced precision when the document leaves part blank: "
        "YYYY-MM-DD, YYYY-MM or YYYY",
        json_schema_extra={"pattern": _PARTIAL_DATE.pattern},
    ),
]
Span = Annotated[
    tuple[int, int],
    Field(description="[start, end) character offsets into the document's `text`"),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    path: str | None = Field(None, description="the input path as given, null for standard input")
    sha256: str = Field(description="hex SHA-256 of the input bytes")
    format: Literal["text", "markdown", "pdf", "image", "docx"]
    pages: int = Field(1, ge=0)
    ocr: bool = Field(False, description="true when any page text came from OCR")
    signed_by: str | None = Field(None, description="e-signature stamp: who signed")
    signed_at: str | None = Field(None, description="e-signature stamp: when, as printed")


class Issuer(_Frozen):
    name: str = Field(description="issuing body in proper case with its locality")
    parent: str | None = Field(None, description="the body above the issuer in the header, if printed")


class Number(_Frozen):
    raw: str = Field(description="number and notation as printed, spaces removed")
    serial: str | None = Field(None, description="the serial number; null when left blank")
    notation: str | None = Field(None, description="the ký hiệu after the slash")


class Signer(_Frozen):
    name: str | None = None
    position: str | None = Field(None, description="title line right above the name, proper case")
    authority: Literal["TM.", "KT.", "TL.", "TUQ.", "Q."] | None = None
    for_position: str | None = Field(None, description="title after the authority prefix")


class Reference(_Frozen):
    doc_type: str | None = None
    number: str
    date: PartialDate | None = None
    issuer: str | None = None


class Agency(_Frozen):
    name: str = Field(description="the organisation as the document writes it (its own words, never a canonical rewrite)")
    agency_id: str | None = Field(
        None, description="id of the matching entry of congvan's agency list (resources/agencies.yaml), for trackers; null when not on it"
    )


class Deadline(_Frozen):
    date: PartialDate | None = None
    kind: Literal["by", "in", "on", "recurring", "asap"]
    text: str = Field(description="the phrase of the document that sets the deadline")


class Task(_Frozen):
    id: str = Field(description="outline path of the item, stable across runs")
    text: str
    lead: list[Agency] = Field(default_factory=list)
    support: list[Agency] = Field(default_factory=list)
    deadline: Deadline | None = None
    span: Span
    confidence: float = Field(1.0, ge=0, le=1)
    confidences: dict[str, float] = Field(
        default_factory=dict,
        description="how sure each value is (0..1): task (that this is a task), lead, support, deadline; "
        "'confidence' is the chance the whole task is right",
    )


Fraction = Annotated[float, Field(ge=0, le=1)]
FractionBox = Annotated[
    tuple[Fraction, Fraction, Fraction, Fraction],
    Field(description="[x0, y0, x1, y1] as fractions of the page's width and height, from its top left"),
]


class Region(_Frozen):
    """Where a header value is printed (or written by hand) on the original's page."""

    page: int = Field(ge=1, description="1-based page number")
    bbox: FractionBox
    unit: Literal["fraction"] = "fraction"
    value_bbox: FractionBox | None = Field(
        None,
        description="the part of bbox where the value itself sits: the serial before the '/' of "
        "the number, the day between 'ngày' and 'tháng' (written by hand on many scans)",
    )


class Warning(_Frozen):
    code: str
    message: str
    level: Literal["info", "warning", "error"] = "warning"


class DirectiveDocument(_Frozen):
    schema_name: Literal["DirectiveDocument"] = SCHEMA_NAME
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    status: Literal["ok", "partial", "failed"]
    source: Source
    doc_type: str | None = None
    issuer: Issuer | None = None
    number: Number | None = None
    place: str | None = None
    issued_date: PartialDate | None = None
    subject: str | None = None
    urgency: Literal["Khẩn", "Thượng khẩn", "Hỏa tốc"] | None = None
    secrecy: Literal["Mật", "Tối mật", "Tuyệt mật"] | None = None
    recipients: list[str] = Field(default_factory=list)
    distribution: list[str] = Field(default_factory=list)
    signer: Signer | None = None
    references: list[Reference] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    confidence: dict[str, float] = Field(default_factory=dict)
    spans: dict[str, Span] = Field(default_factory=dict)
    regions: dict[str, Region] = Field(
        default_factory=dict,
        description="number and issued_date: their box on the page of a scan (from its OCR), "
        "so a reviewer can be shown the crop",
    )
    warnings: list[Warning] = Field(default_factory=list)
    text: str = ""


def json_schema() -> dict[str, object]:
    """The published JSON Schema of the output (what `congvan schema` prints)."""
    schema = DirectiveDocument.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"congvan/{SCHEMA_NAME}/{SCHEMA_VERSION}"
    return schema
