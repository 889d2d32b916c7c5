"""Contract documents read back from congvan's outputs, for the exports.

A SOURCE is a folder of JSON outputs (``congvan extract … --out DIR``, walked
recursively for ``*.json``) or a JSON-lines file (``congvan extract … --jsonl
FILE``). Every document is validated with the contract models; one that is not
JSON or not a contract document is reported (path and reason) and skipped, the
rest go on. Documents are read one at a time, so an export streams.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import jsonlines
from pydantic import ValidationError

from models import DirectiveDocument
from pipeline.errors import CongvanError, InputError

# files of the batch itself, never documents (pipeline/batch.py)
BATCH_FILES = frozenset({".congvan-index.jsonl", "errors.jsonl"})


class ExportSetupError(CongvanError):
    """The export cannot run at all (missing source, --out exists, unknown format …)."""


def reason_of(error: ValidationError) -> str:
    """The first problem of a validation error in a clerk's words, with where it is."""
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "the document"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"not a congvan document: {where}: {first['msg']}{more}"


def parse_document(data: str | bytes, where: str) -> DirectiveDocument:
    """One contract document from JSON text; InputError naming ``where`` otherwise."""
    try:
        obj = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(where, f"not JSON: {e}", stage="export") from None
    return validate_document(obj, where)


def validate_document(obj: object, where: str) -> DirectiveDocument:
    """One contract document from parsed JSON; InputError naming ``where`` otherwise."""
    if not isinstance(obj, dict) or obj.get("schema_name") != "DirectiveDocument":
        raise InputError(where, "not a congvan document (no schema_name DirectiveDocument)", stage="export")
    try:
        return DirectiveDocument.model_validate(obj)
    except ValidationError as e:
        raise InputError(where, reason_of(e), stage="export") from None


class DocumentSource:
    """The documents of a folder or JSON-lines file, one at a time.

    Bad inputs are handed to ``on_bad`` as they are met and kept in ``bad``.
    ``exclude``: a path never read (the export's own output)."""

    def __init__(
        self, source: Path, exclude: Path | None = None, on_bad: Callable[[InputError], None] | None = None
    ) -> None:
        if not source.exists():
            raise ExportSetupError(f"{source}: no such file or folder")
        if not source.is_dir() and not source.is_file():
            raise ExportSetupError(f"{source}: not a folder or a regular file")
        self.source = source
        self.exclude = exclude.resolve() if exclude is not None else None
        self.on_bad = on_bad
        self.bad: list[InputError] = []
        self.read = 0

    def _bad(self, error: InputError) -> None:
        self.bad.append(error)
        if self.on_bad is not None:
            self.on_bad(error)

    def files(self) -> list[Path]:
        """The JSON files of a folder, sorted; symbolic links are not followed."""
        found = []
        for p in self.source.rglob("*.json"):
            if p.name in BATCH_FILES or p.name.startswith(".") or p.is_symlink() or not p.is_file():
                continue
            if self.exclude is not None and p.resolve() == self.exclude:
                continue
            found.append(p)
        return sorted(found)

    def __iter__(self) -> Iterator[DirectiveDocument]:
        if self.source.is_dir():
            for path in self.files():
                try:
                    doc = parse_document(path.read_bytes(), str(path))
                except InputError as e:
                    self._bad(e)
                    continue
                except OSError as e:
                    self._bad(InputError(path, f"cannot be read: {e.strerror or e}", stage="export"))
                    continue
                self.read += 1
                yield doc
        else:
            yield from self._lines()

    def _lines(self) -> Iterator[DirectiveDocument]:
        with self.source.open("rb") as fh:
            lines = _Numbered(fh)
            reader = jsonlines.Reader(lines)
            while True:
                try:
                    obj = reader.read(skip_empty=True)
                except EOFError:
                    return
                except jsonlines.InvalidLineError as e:
                    self._bad(InputError(f"{self.source}:{e.lineno}", f"not JSON: {e}", stage="export"))
                    continue
                try:
                    doc = validate_document(obj, f"{self.source}:{lines.n}")
                except InputError as e:
                    self._bad(e)
                    continue
                self.read += 1
                yield doc


class _Numbered:
    """The lines of a file, counted: ``n`` is the number of the last line handed out."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.n = 0

    def __iter__(self) -> Iterator[bytes]:
        for n, line in enumerate(self.fh, 1):
            self.n = n
            yield line
