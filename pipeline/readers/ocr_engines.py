"""OCR engines behind one interface: tesseract (the default) and trueocr (an extra).

An engine reads prepared page images (gray, deskewed, red ink whitened: ocr.py
prepares them) and gives, per page, tesseract's TSV form (one row per word with
its box and confidence, ``page_num`` 1) and a plain-text fallback. Everything
downstream works from that TSV: ocr.tsv_to_layout lays the words out in
columns, ocr.parse_tsv takes the mean confidence, scan_tables.py splits the
words around a ruled table and reads its cells again with the same engine.
:class:`EnginePage` also gives the page's lines with their boxes.

- **tesseract** (``-l vie``): one process per run of pages (``tesseract
  list.txt out … txt tsv`` with a list of image files): the model is loaded once
  per process (~0.17 CPU-s), not once per page. Its TSV holds every page
  (``page_num``); it is cut into one TSV per page, the same rows a process per
  page writes (checked: tests/test_ocr_engines.py).
- **trueocr** (PyPI ``trueocr`` 0.1.1, Apache-2.0, ONNX models inside the wheel,
  ``pip install "congvan[trueocr]"``): runs in this process, the model loaded
  once per process. It gives LINE boxes, not word boxes: each word's box is
  estimated from its line's box by its share of the line's characters, and the
  lines that share a row (the two header columns) are one TSV line, so the
  layout keeps their gap. Confidence is the line's, given to each of its words.

Which engine: the ``engine`` argument, else ``$CONGVAN_OCR_ENGINE`` (``congvan
extract --ocr`` sets it for its workers), else tesseract.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import shutil
import subprocess
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

ENGINE_ENV = "CONGVAN_OCR_ENGINE"
ENGINES = ("tesseract", "trueocr")
DEFAULT_ENGINE = "tesseract"
TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
TESSERACT_TIMEOUT_S = 180  # per page of a tesseract run
TRUEOCR_MISSING = 'the OCR engine trueocr (--ocr trueocr) is not installed: pip install "congvan[trueocr]"'


class OcrUnavailable(RuntimeError):
    """The OCR engine asked for is not installed (or its Vietnamese model is missing)."""


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: tuple[int, int, int, int]  # left, top, right, bottom in the page image's pixels
    confidence: float | None  # 0..1


@dataclass(frozen=True)
class EnginePage:
    """One page as an engine read it: tesseract-form TSV, plain text, seconds of engine time."""

    tsv: str
    plain: str
    seconds: float

    @property
    def text(self) -> str:
        """The page text laid out in columns from the word boxes (plain text when there are none)."""
        from pipeline.readers.ocr import tsv_to_layout

        return tsv_to_layout(self.tsv) or self.plain

    @property
    def confidence(self) -> float | None:
        """Mean word confidence 0..1; None when no word was read."""
        from pipeline.readers.ocr import parse_tsv

        return parse_tsv(self.tsv)[0]

    @property
    def lines(self) -> list[OcrLine]:
        return tsv_lines(self.tsv)


class TsvWord(NamedTuple):
    text: str
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, int, int]  # (block, paragraph, line)
    conf: float


def tsv_words(tsv: str) -> Iterator[TsvWord]:
    """The words (level 5, not blank) of a TSV page, rows that do not parse skipped."""
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        try:
            text = (row.get("text") or "").strip()
            if row.get("level") != "5" or not text:
                continue
            left, top, width, height = (int(row[k]) for k in ("left", "top", "width", "height"))
            line = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
            conf = float(row["conf"])
        except (TypeError, ValueError, KeyError):
            continue
        yield TsvWord(text, left, top, width, height, line, conf)


def tsv_lines(tsv: str) -> list[OcrLine]:
    """The lines of a TSV page: the words of one (block, paragraph, line), their union box, mean confidence."""
    groups: dict[tuple[int, int, int], list[tuple[int, int, int, int, float, str]]] = {}
    for w in tsv_words(tsv):
        groups.setdefault(w.line, []).append((w.left, w.top, w.left + w.width, w.top + w.height, w.conf, w.text))
    lines = []
    for words in groups.values():
        words.sort()
        confs = [w[4] / 100 for w in words if w[4] >= 0]
        box = (min(w[0] for w in words), min(w[1] for w in words), max(w[2] for w in words), max(w[3] for w in words))
        lines.append(OcrLine(" ".join(w[5] for w in words), box, sum(confs) / len(confs) if confs else None))
    return lines


class OcrEngine(Protocol):
    name: str

    def check(self) -> None:
        """Raise OcrUnavailable (naming what to install) when the engine cannot run here."""

    def read_pages(self, images: Sequence[Path], psm: int, dpi: int) -> list[EnginePage]:
        """Prepared page images -> one EnginePage each, in order. The caller holds an OCR slot."""


def selected_engine_name(name: str | None = None) -> str:
    """``name``, else $CONGVAN_OCR_ENGINE, else tesseract; ValueError for an unknown name."""
    chosen = (name or os.environ.get(ENGINE_ENV) or DEFAULT_ENGINE).strip().lower()
    if chosen not in ENGINES:
        raise ValueError(f"unknown OCR engine {chosen!r} (choose {' or '.join(ENGINES)})")
    return chosen


def engine_problem(name: str) -> str | None:
    """Why the engine ``name`` cannot be used here (unknown, not installed), or None;
    checked without loading it (the command line asks before any work)."""
    try:
        chosen = selected_engine_name(name)
    except ValueError as e:
        return str(e)
    if chosen == "trueocr" and importlib.util.find_spec("trueocr") is None:
        return TRUEOCR_MISSING
    if chosen == "tesseract":
        try:
            TesseractEngine().check()
        except OcrUnavailable as e:
            return str(e)
    return None


def engine_note(name: str | None = None) -> str:
    """' with trueocr' for the ocr-used warning when the engine is not the default one, else ""."""
    try:
        chosen = selected_engine_name(name)
    except ValueError:
        return ""
    return "" if chosen == DEFAULT_ENGINE else f" with {chosen}"


def get_engine(name: str | None = None) -> OcrEngine:
    """The engine named (see :func:`selected_engine_name`); one object per engine per process."""
    chosen = selected_engine_name(name)
    with _ENGINES_LOCK:
        if chosen not in _ENGINE_OBJECTS:
            _ENGINE_OBJECTS[chosen] = TesseractEngine() if chosen == "tesseract" else TrueOcrEngine()
        return _ENGINE_OBJECTS[chosen]


_ENGINES_LOCK = threading.Lock()
_ENGINE_OBJECTS: dict[str, OcrEngine] = {}


# ---------------------------------------------------------------------------
# tesseract


def split_tsv_pages(tsv: str, pages: int) -> list[str]:
    """A multi-page tesseract TSV -> one TSV per page (its rows, ``page_num`` set to 1)."""
    lines = tsv.split("\n")
    header = lines[0] if lines and lines[0].startswith("level") else TSV_HEADER
    out: list[list[str]] = [[header] for _ in range(pages)]
    for line in lines[1:]:
        if not line.strip():
            continue
        fields = line.split("\t")
        try:
            k = int(fields[1]) - 1
        except (IndexError, ValueError):
            continue
        if 0 <= k < pages:
            fields[1] = "1"
            out[k].append("\t".join(fields))
    return ["\n".join(rows) + "\n" for rows in out]


class TesseractEngine:
    name = "tesseract"

    def __init__(self) -> None:
        self._checked = False

    def check(self) -> None:
        if self._checked:
            return
        if not shutil.which("tesseract"):
            raise OcrUnavailable("tesseract with the Vietnamese model (tesseract-ocr-vie) is not installed")
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout
        if "vie" not in out.split():
            raise OcrUnavailable("tesseract with the Vietnamese model (tesseract-ocr-vie) is not installed")
        self._checked = True

    def read_pages(self, images: Sequence[Path], psm: int, dpi: int) -> list[EnginePage]:
        """One tesseract process for all ``images`` (a list file); the TSV cut per page and
        written beside each image (``page-0001.tsv``: scan_tables.py reads it)."""
        if not images:
            return []
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        first = Path(images[0])
        base = first.parent / f"{first.stem}-run"
        listing = first.parent / f"{first.stem}-run.list"
        listing.write_text("".join(f"{os.path.abspath(p)}\n" for p in images), encoding="utf-8")
        start = time.perf_counter()
        proc = subprocess.run(
            ["tesseract", str(listing), str(base), "-l", "vie", "--psm", str(psm), "--dpi", str(dpi), "txt", "tsv"],
            capture_output=True,
            env=env,
            timeout=TESSERACT_TIMEOUT_S * len(images),
        )
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.decode("utf-8", "replace").strip()[:300])
        tsvs = split_tsv_pages(Path(f"{base}.tsv").read_text(encoding="utf-8"), len(images))
        plains = Path(f"{base}.txt").read_text(encoding="utf-8").split("\f")
        plains += [""] * (len(images) - len(plains))
        pages = []
        for image, tsv, plain in zip(images, tsvs, plains, strict=False):
            Path(image).with_suffix(".tsv").write_text(tsv, encoding="utf-8")
            pages.append(EnginePage(tsv, plain, seconds / len(images)))
        return pages


# ---------------------------------------------------------------------------
# trueocr

# Two line boxes are on one row when their vertical centres are this share of
# the lower box's height apart or less; a gap between rows of more than this
# share of the median line height starts a new block (a blank line in the layout).
ROW_CENTRE_SHARE = 0.5
BLOCK_GAP_SHARE = 0.8


def lines_to_tsv(lines: Sequence[tuple[str, tuple[int, int, int, int], float]]) -> str:
    """trueocr's lines (text, (x0, y0, x1, y1), confidence 0..1) -> tesseract-form TSV.

    Lines whose centres share a row become one TSV line (left to right); each
    word's box is the line box cut by character share (trueocr has no word boxes)."""
    items = sorted(
        ((unicodedata.normalize("NFC", t).strip(), box, conf) for t, box, conf in lines if t.strip()),
        key=lambda it: ((it[1][1] + it[1][3]) / 2, it[1][0]),
    )
    if not items:
        return TSV_HEADER + "\n"
    heights = sorted(max(1, b[3] - b[1]) for _, b, _ in items)
    median_h = heights[len(heights) // 2]
    rows: list[list[tuple[str, tuple[int, int, int, int], float]]] = []
    for item in items:
        box = item[1]
        cy, h = (box[1] + box[3]) / 2, max(1, box[3] - box[1])
        if rows:
            last = rows[-1][0][1]
            last_cy = (last[1] + last[3]) / 2
            if abs(cy - last_cy) <= ROW_CENTRE_SHARE * min(h, max(1, last[3] - last[1])):
                rows[-1].append(item)
                continue
        rows.append([item])
    out = [TSV_HEADER]
    block = 1
    line_num = 0
    prev_bottom: int | None = None
    for row in rows:
        top = min(b[1] for _, b, _ in row)
        if prev_bottom is not None and top - prev_bottom > BLOCK_GAP_SHARE * median_h:
            block += 1
            line_num = 0
        prev_bottom = max(b[3] for _, b, _ in row)
        line_num += 1
        word_num = 0
        for text, (x0, y0, x1, y1), conf in sorted(row, key=lambda it: it[1][0]):
            per_char = (x1 - x0) / max(1, len(text))
            pos = 0
            for word in text.split():
                at = text.index(word, pos)
                pos = at + len(word)
                word_num += 1
                left = x0 + round(at * per_char)
                width = max(1, round(len(word) * per_char))
                out.append(
                    f"5\t1\t{block}\t1\t{line_num}\t{word_num}\t{left}\t{y0}\t{width}\t{y1 - y0}\t{conf * 100:.2f}\t{word}"
                )
    return "\n".join(out) + "\n"


class TrueOcrEngine:
    name = "trueocr"

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def check(self) -> None:
        self._load()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from trueocr import load_model
                except ImportError as e:
                    raise OcrUnavailable(TRUEOCR_MISSING) from e
                # one thread: the OCR slots (ocr_slots.py) give each page one core
                self._model = load_model(threads=1, auto_rotate=False)
            return self._model

    def read_pages(self, images: Sequence[Path], psm: int, dpi: int) -> list[EnginePage]:
        from PIL import Image

        model = self._load()
        pages = []
        for image in images:
            start = time.perf_counter()
            with Image.open(image) as im:
                result = model.predict(im.convert("L"))
            seconds = time.perf_counter() - start
            lines = [(ln["text"], tuple(ln["bbox"]), float(ln["confidence"])) for ln in result.lines]
            tsv = lines_to_tsv(lines)
            Path(image).with_suffix(".tsv").write_text(tsv, encoding="utf-8")
            pages.append(EnginePage(tsv, result.text, seconds))
        return pages
