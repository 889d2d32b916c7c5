"""Word files: .docx with python-docx (paragraphs and tables in document order); .doc via LibreOffice.

Two-column layout tables (the Decree 30 header: issuer left, Quốc hiệu right; the
closing "Nơi nhận | signer" table) are written side by side the way
``pdftotext -layout`` writes a PDF page, so the pipeline's column splitter reads
Word and PDF alike. Wider tables become "a | b | c" rows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import unicodedata
import zipfile
import zlib
from pathlib import Path

from pipeline.errors import InputError
from pipeline.limits import MAX_UNZIPPED_ENV, MAX_ZIP_RATIO, ZIP_RATIO_MIN_BYTES, max_unzipped_bytes
from pipeline.readers import RawText

COLUMN_GAP = 6
SOFFICE_TIMEOUT_S = 180

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _paragraph_text(p) -> str:
    """Text of a w:p element, with tabs and line breaks, page breaks as form
    feeds. A text box's paragraphs (inside a drawing) each end a line; the
    legacy copy Word keeps of a drawing (mc:Fallback) is skipped — it holds
    the same text box again."""
    parts: list[str] = []

    def walk(el, nested: bool) -> None:
        for ch in el:
            tag = ch.tag
            if tag == _MC_FALLBACK:
                continue
            if tag == _W + "t":
                parts.append(ch.text or "")
            elif tag == _W + "tab":
                parts.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                parts.append("\f" if ch.get(_W + "type") == "page" else "\n")
            elif tag == _W + "p":
                if parts and not parts[-1].endswith("\n"):
                    parts.append("\n")
                walk(ch, True)
                parts.append("\n")
            else:
                walk(ch, nested)

    walk(p, False)
    return "".join(parts)


def _outer_paragraphs(el):
    """The w:p elements under ``el`` that are not inside another paragraph (a
    text box's paragraphs are read with the paragraph that holds the box) nor
    inside Word's legacy copy of a drawing."""
    for p in el.iter(_W + "p"):
        node = p.getparent()
        while node is not None and node is not el:
            if node.tag in (_W + "p", _MC_FALLBACK):
                break
            node = node.getparent()
        else:
            yield p


def _cell_lines(cell) -> list[str]:
    lines: list[str] = []
    for p in _outer_paragraphs(cell._tc):
        lines.extend(_paragraph_text(p).replace("\f", "\n").split("\n"))
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.strip() for line in lines]


def side_by_side(left: list[str], right: list[str], gap: int = COLUMN_GAP) -> list[str]:
    """Two blocks of lines as one block: left padded to its widest line, then the right."""
    width = max((len(line) for line in left), default=0) + gap
    rows = max(len(left), len(right))
    out = []
    for i in range(rows):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        out.append((a.ljust(width) + b).rstrip() if b else a)
    return out


def table_lines(table) -> list[str]:
    """A Word table as text lines: layout tables side by side, data tables as 'a | b' rows."""
    rows = table.rows
    ncols = max((len(r.cells) for r in rows), default=0)
    out: list[str] = []
    spacers = _spacer_columns(table)
    if ncols - len(spacers) <= 2:
        for row in rows:
            cells = [tc for j, tc in enumerate(dict.fromkeys(c._tc for c in row.cells)) if j not in spacers]  # merged cells repeat
            blocks = [_cell_lines_tc(tc, table) for tc in cells]
            if len(blocks) == 1:
                out.extend(blocks[0])
            elif blocks:
                out.extend(side_by_side(blocks[0], blocks[1]))
        return out
    for row in rows:
        cells = []
        seen = set()
        for c in row.cells:
            if c._tc in seen:
                continue
            seen.add(c._tc)
            cells.append(" ".join(line for line in _cell_lines(c) if line))
        out.append(" | ".join(cells))
    return out


def _spacer_columns(table) -> set[int]:
    """Columns empty in every row: the spacer between the two blocks of a
    layout table ("Nơi nhận: … | | KT. GIÁM ĐỐC …"). None when rows differ in
    their number of cells (merged cells: the columns do not line up)."""
    rows = [list(dict.fromkeys(c._tc for c in row.cells)) for row in table.rows]
    if not rows or len({len(r) for r in rows}) != 1 or len(rows[0]) < 3:
        return set()
    return {j for j in range(len(rows[0])) if all(not any(_cell_lines_tc(r[j], table)) for r in rows)}


def _cell_lines_tc(tc, table) -> list[str]:
    from docx.table import _Cell

    return _cell_lines(_Cell(tc, table))


def docx_to_text(path: Path) -> tuple[str, int]:
    """Document text (paragraphs and tables in body order) and the page count (page breaks + 1)."""
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == _W + "p":
            lines.append(_paragraph_text(child))
        elif child.tag == _W + "tbl":
            lines.extend(table_lines(Table(child, document)))
    text = "\n".join(lines)
    text = text.replace("\n\f", "\f").replace("\f\n", "\f")
    return unicodedata.normalize("NFC", text), text.count("\f") + 1


def check_unpacked_size(path: Path) -> None:
    """Refuse a zip bomb before unpacking: the archive's declared sizes (which
    bound what zipfile will unpack) against CONGVAN_MAX_UNZIPPED_MB, and each
    large part's packing ratio (real Word parts: at most 34:1 in corpus/docs)."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        raise InputError(path, "the Word file is damaged or not a real .docx file") from e
    total = sum(i.file_size for i in infos)
    limit = max_unzipped_bytes()
    if total > limit:
        raise InputError(
            path,
            f"the Word file unpacks to {total / 1e6:,.0f} MB; the limit is {limit / 1e6:,.0f} MB "
            f"(a zip bomb? set {MAX_UNZIPPED_ENV} to raise it)",
        )
    for i in infos:
        if i.file_size > ZIP_RATIO_MIN_BYTES and i.file_size > MAX_ZIP_RATIO * max(1, i.compress_size):
            raise InputError(
                path,
                f"the Word file's part {i.filename} is packed {i.file_size / max(1, i.compress_size):,.0f}:1 "
                f"({i.file_size / 1e6:,.0f} MB from {i.compress_size / 1e3:,.0f} KB): a zip bomb, not read",
            )


def read_docx(path: Path) -> RawText:
    """A .docx file -> RawText (format 'docx')."""
    start = time.perf_counter()
    check_unpacked_size(path)
    try:
        text, pages = docx_to_text(path)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, zlib.error) as e:
        raise InputError(path, "the Word file is damaged or not a real .docx file") from e
    if not text.strip():
        raise InputError(path, "the Word document contains no text")
    return RawText(text=text, format="docx", pages=pages, timings={"docx": time.perf_counter() - start})


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_doc(path: Path) -> RawText:
    """An old .doc file: converted to .docx by LibreOffice in a temp dir, then read."""
    soffice = soffice_binary()
    if not soffice:
        raise InputError(
            path, "old Word (.doc) files need LibreOffice to be installed; or save the file as .docx"
        )
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="congvan-doc-") as tmp:
        src = Path(tmp) / "input.doc"
        shutil.copyfile(path, src)  # never hand the original to another program
        profile = Path(tmp) / "profile"
        proc = subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "docx",
                "--outdir",
                os.path.abspath(tmp),
                os.path.abspath(src),
            ],
            capture_output=True,
            timeout=SOFFICE_TIMEOUT_S,
            env=dict(os.environ, HOME=tmp),
        )
        out = Path(tmp) / "input.docx"
        if proc.returncode != 0 or not out.exists():
            raise InputError(path, "LibreOffice could not convert this .doc file: it may be damaged")
        raw = read_docx(out)
    raw.timings = {"doc-convert": time.perf_counter() - start}
    raw.meta["converted_from"] = "doc"
    return raw
