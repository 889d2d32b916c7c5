"""JSON lines: one contract document per line, as ``congvan extract --jsonl`` writes them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, BinaryIO

import jsonlines
from pydantic import BaseModel

from models import DirectiveDocument
from pipeline.export.counts import ExportCounts


def _dumps(obj: Any) -> str:
    """A model serialises itself (pydantic's JSON: UTF-8, no \\u escapes); anything else as JSON."""
    if isinstance(obj, BaseModel):
        return obj.model_dump_json()
    return json.dumps(obj, ensure_ascii=False)


def write_jsonl(docs: Iterable[DirectiveDocument], out: BinaryIO) -> ExportCounts:
    """Each document on its own line (UTF-8, the contract's keys, nothing left out)."""
    counts = ExportCounts()
    writer = jsonlines.Writer(out, dumps=_dumps)
    for doc in docs:
        writer.write(doc)
        counts.documents += 1
        counts.tasks += len(doc.tasks)
        counts.written += 1
    writer.close()  # closes the writer only: the stream is the caller's
    return counts
