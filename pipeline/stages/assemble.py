"""Last stage: the frozen output model from the working state."""

from __future__ import annotations

from typing import Any, Literal, cast

from models import (
    Agency,
    Deadline,
    DirectiveDocument,
    Issuer,
    Number,
    Reference,
    Region,
    Signer,
    Source,
    Task,
    Warning,
)
from pipeline.errors import CODES, shown_path, status_of
from pipeline.stage import Stage
from pipeline.state import WorkingState


def _warning(code: str, message: str) -> Warning:
    level = CODES.get(code, ("warning", ""))[0]
    return Warning(code=code, message=message, level=level)  # type: ignore[arg-type]


def build_document(state: WorkingState) -> DirectiveDocument:
    f: dict[str, Any] = state.fields
    raw = state.raw
    assert raw is not None
    warnings = []
    seen: set[tuple[str, str]] = set()
    for code, msg in state.warnings:
        if (code, msg) not in seen:
            seen.add((code, msg))
            warnings.append(_warning(code, msg))
    failed = not state.text.strip() or any(w.code == "not-vietnamese" for w in warnings)
    status = cast(Literal["ok", "partial", "failed"], status_of([w.code for w in warnings], failed))
    # values read from OCR are only as sure as the words tesseract was sure of
    ocr_factor = raw.ocr_confidence if raw.ocr and raw.ocr_confidence is not None else 1.0
    confidence = {k: round(v * ocr_factor, 3) for k, v in state.confidence.items()}
    tasks = [
        Task(
            id=t["id"],
            text=t["text"],
            lead=[Agency(name=n, agency_id=state.agency_ids.get(n)) for n in t.get("lead", [])],
            support=[Agency(name=n, agency_id=state.agency_ids.get(n)) for n in t.get("support", [])],
            deadline=Deadline(**t["deadline"]) if t.get("deadline") else None,
            span=t["span"],
            confidence=round(t.get("confidence", 0.8) * (1.0 if t.get("confidences") else ocr_factor), 3),
            confidences=t.get("confidences") or {},
        )
        for t in state.tasks
    ]
    return DirectiveDocument(
        status=status,
        source=Source(
            path=shown_path(state.path) if state.path is not None else None,
            sha256=state.sha256,
            format=raw.format,  # type: ignore[arg-type]
            pages=raw.pages,
            ocr=raw.ocr,
            signed_by=raw.meta.get("signed_by"),
            signed_at=raw.meta.get("signed_at"),
        ),
        doc_type=f.get("doc_type"),
        issuer=Issuer(**f["issuer"]) if f.get("issuer") else None,
        number=Number(**f["number"]) if f.get("number") else None,
        place=f.get("place"),
        issued_date=f.get("issued_date"),
        subject=f.get("subject"),
        urgency=f.get("urgency"),
        secrecy=f.get("secrecy"),
        recipients=f.get("recipients", []),
        distribution=f.get("distribution", []),
        signer=Signer(**f["signer"]) if f.get("signer") else None,
        references=[Reference(**r) for r in f.get("references", [])],
        tasks=tasks,
        confidence=confidence,
        spans=dict(state.spans),
        regions={k: Region(**v) for k, v in (f.get("regions") or {}).items()},
        warnings=warnings,
        text=state.text,
    )


class Assemble(Stage):
    name = "assemble"
    requires = ("text", "issuer", "number", "issued_date", "doc_type", "subject", "recipients", "distribution", "signer", "references", "task_units")
    provides = ("document",)

    def __call__(self, state: WorkingState) -> WorkingState:
        state.document = build_document(state)
        return state
