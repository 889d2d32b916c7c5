"""Exports of contract documents for trackers and registers: jsonl, csv, xlsx, ics, xml.

Each writer takes an iterable of :class:`models.DirectiveDocument` (read one at
a time, so an export streams) and a binary stream, and returns
:class:`ExportCounts`. :func:`export_to_path` writes a file atomically (a temp
file beside it, renamed when complete) and never replaces an existing file
unless asked. The review server calls the same functions with its database's
documents.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from models import DirectiveDocument
from pipeline.export.counts import ExportCounts
from pipeline.export.edxml import ExportInvalid, validate_file, write_xml
from pipeline.export.records import write_jsonl
from pipeline.export.register import write_xlsx
from pipeline.export.source import DocumentSource, ExportSetupError
from pipeline.export.table import write_csv
from pipeline.export.todo import write_ics

__all__ = [
    "FORMATS",
    "DocumentSource",
    "ExportCounts",
    "ExportInvalid",
    "ExportSetupError",
    "export",
    "export_to_path",
    "write_csv",
    "write_ics",
    "write_jsonl",
    "write_xlsx",
    "write_xml",
]

Writer = Callable[[Iterable[DirectiveDocument], BinaryIO], ExportCounts]

FORMATS: dict[str, Writer] = {
    "jsonl": write_jsonl,
    "csv": write_csv,
    "xlsx": write_xlsx,
    "ics": write_ics,
    "xml": write_xml,
}

# what a server sends with each format
MEDIA_TYPES = {
    "jsonl": "application/jsonl",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ics": "text/calendar; charset=utf-8",
    "xml": "application/xml",
}


def export(docs: Iterable[DirectiveDocument], fmt: str, out: BinaryIO) -> ExportCounts:
    """Write ``docs`` to the binary stream ``out`` in format ``fmt`` (a key of FORMATS)."""
    if fmt not in FORMATS:
        raise ExportSetupError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    return FORMATS[fmt](docs, out)


def check_target(path: Path, force: bool) -> None:
    """Refuse, before any work, an --out that exists (without ``force``), is a folder, or whose folder is missing."""
    if path.is_dir():
        raise ExportSetupError(f"{path}: is a folder; give a file name")
    if path.exists() and not force:
        raise ExportSetupError(f"{path}: exists; give another name or --force to replace it")
    if not path.parent.is_dir():
        raise ExportSetupError(f"{path.parent}: no such folder")
    if not os.access(path.parent, os.W_OK):
        raise ExportSetupError(f"{path.parent}: not writable")


@contextlib.contextmanager
def atomic_binary(path: Path, force: bool) -> Iterator[tuple[BinaryIO, Path]]:
    """A temp file beside ``path``, moved onto it when the block ends without an error.

    Without ``force`` the move is a hard link, which fails when ``path`` has
    appeared meanwhile: an existing file is never replaced."""
    fd, tmp_name = tempfile.mkstemp(prefix="." + path.name, suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.fchmod(fd, 0o666 & ~mask)
        with os.fdopen(fd, "wb") as fh:
            yield fh, tmp
            fh.flush()
            os.fsync(fh.fileno())
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise ExportSetupError(f"{path}: appeared while exporting; not replaced (--force to replace)") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def export_to_path(docs: Iterable[DirectiveDocument], fmt: str, path: Path, force: bool = False) -> ExportCounts:
    """Export to a file, atomically; an XML export is validated again as a whole before it is kept."""
    if fmt not in FORMATS:
        raise ExportSetupError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    check_target(path, force)
    with atomic_binary(path, force) as (fh, tmp):
        counts = FORMATS[fmt](docs, fh)
        if fmt == "xml":
            fh.flush()
            validate_file(tmp)
    return counts
