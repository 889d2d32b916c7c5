"""OCR: clean a page image, deskew it, read it with an OCR engine (tesseract -l vie, or
trueocr: pipeline/readers/ocr_engines.py), runs of pages side by side.

A document's pages are cut into at most one run per core; each run is one
``tesseract`` process with OMP_THREAD_LIMIT=1 for all its pages (same output,
about twice as fast per page as its own threading, the model loaded once per
run), and no more runs at once than there are cores across all processes
(ocr_slots.py).
Red seals and stamps are suppressed by reading the red channel: red ink is
bright there, black and blue ink stay dark.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops

from pipeline.readers import PageWord
from pipeline.readers.ocr_engines import TESSERACT_TIMEOUT_S as TESSERACT_TIMEOUT_S  # re-exported
from pipeline.readers.ocr_engines import OcrUnavailable as OcrUnavailable  # re-exported
from pipeline.readers.ocr_engines import get_engine, selected_engine_name, tsv_words
from pipeline.readers.ocr_slots import ocr_slot, slot_count
from pipeline.readers.scan_tables import continued_tables, page_with_tables

OCR_DPI = 300
# Pixels of one page image handed to OCR: a 5000 pt PDF page at 300 dpi would be
# 434 megapixels (8.8 GB); pages are rendered or scaled down to this instead.
# A4 at 300 dpi is 8.7 Mpx. Raise with CONGVAN_MAX_PAGE_MPIX.
DEFAULT_MAX_PAGE_MPIX = 40.0


def max_page_pixels() -> float:
    try:
        return float(os.environ.get("CONGVAN_MAX_PAGE_MPIX") or DEFAULT_MAX_PAGE_MPIX) * 1e6
    except ValueError:
        return DEFAULT_MAX_PAGE_MPIX * 1e6


def capped_scale(width: float, height: float, scale: float) -> float:
    """``scale`` (pixels per unit), lowered so that the page stays under the pixel cap."""
    pixels = width * scale * height * scale
    cap = max_page_pixels()
    return scale * (cap / pixels) ** 0.5 if pixels > cap else scale
DEFAULT_PSM = 3
# Pages in one engine run at most: a run's model load is paid once for them, and a
# long document still starts reading before all its pages are prepared.
PAGES_PER_RUN = 16


@dataclass(frozen=True)
class OcrPage:
    text: str
    confidence: float | None  # mean word confidence 0..1; None when no word was read
    words: int
    skew: float  # degrees the page was rotated by
    seconds: float  # tesseract wall time for this page
    # the first page's words in its header region, with their boxes (header_words)
    header_words: tuple[PageWord, ...] | None = None


def suppress_red(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 -> gray uint8 where red ink (seals, stamps) is near white."""
    if rgb.ndim == 2:
        return rgb
    r = rgb[..., 0].astype(np.int16)
    g = rgb[..., 1].astype(np.int16)
    b = rgb[..., 2].astype(np.int16)
    gray = rgb[..., 0].copy()
    reddish = (r - np.maximum(g, b)) > 40
    gray[reddish] = 255
    return gray


def suppress_red_image(image: Image.Image) -> Image.Image:
    """The same as :func:`suppress_red` on a PIL RGB image, in PIL's C loops (no
    full-page numpy copies): the red channel, white where red exceeds green and blue by 40."""
    if image.mode == "L":
        return image
    r, g, b = image.convert("RGB").split()
    excess = ImageChops.subtract(r, ImageChops.lighter(g, b))  # r - max(g, b), 0 at the least
    return ImageChops.lighter(r, excess.point(lambda v: 255 if v > 40 else 0))


def otsu_threshold(gray: np.ndarray) -> int:
    """Otsu's threshold of a uint8 image: the level that best separates ink from paper."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 128
    levels = np.arange(256, dtype=np.float64)
    w0 = np.cumsum(hist)
    w1 = total - w0
    m0 = np.cumsum(hist * levels)
    mean_all = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * w0 / total - m0) ** 2 / (w0 * w1 / total)
    between[~np.isfinite(between)] = -1
    return int(np.argmax(between))


def estimate_skew(gray: np.ndarray, limit: float = 5.0) -> float:
    """Skew angle in degrees (counter-clockwise positive) by projection-profile search."""
    h, w = gray.shape
    scale = min(1.0, 900.0 / max(w, 1))
    small = np.asarray(
        Image.fromarray(gray).resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.Resampling.BOX)
    )
    ink_img = Image.fromarray(np.where(small <= otsu_threshold(small), 255, 0).astype(np.uint8))
    if np.asarray(ink_img).mean() < 0.5:  # blank page
        return 0.0

    def sharpness(angle: float) -> float:
        rotated = np.asarray(ink_img.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0))
        profile = rotated.sum(axis=1, dtype=np.float64)
        return float(np.sum(np.diff(profile) ** 2))

    coarse = max(np.arange(-limit, limit + 0.01, 0.5), key=sharpness)
    fine = max(np.arange(coarse - 0.5, coarse + 0.51, 0.1), key=sharpness)
    return float(round(fine, 2))


def deskew(gray: np.ndarray, angle: float) -> np.ndarray:
    if abs(angle) < 0.15:
        return gray
    rotated = Image.fromarray(gray).rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return np.asarray(rotated)


# A photo with no resolution whose long side is under this many pixels (a phone
# picture of a page, 576×960) is enlarged before tesseract, up to ×3 (to about
# an A4 page at 300 dpi): tesseract reads letters a few pixels high badly.
# Measured by scripts/photo_upscale_eval.py: character error 0.143 -> 0.047.
SMALL_PHOTO_PX = 2000
UPSCALED_LONG_SIDE_PX = 3300


def prepare_page(image: Image.Image, dpi: float | None = None, upscale: bool = True) -> tuple[np.ndarray, float]:
    """PIL page image -> (clean gray array at about OCR_DPI, skew angle)."""
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    long_side = max(image.width, image.height)
    if upscale and not dpi and 0 < long_side < SMALL_PHOTO_PX:
        factor = capped_scale(image.width, image.height, min(3.0, UPSCALED_LONG_SIDE_PX / long_side))
        image = image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS)
    elif image.width * image.height > max_page_pixels():
        factor = capped_scale(image.width, image.height, 1.0)
        image = image.resize((max(1, round(image.width * factor)), max(1, round(image.height * factor))), Image.Resampling.BOX)
    elif dpi and dpi < OCR_DPI * 0.9:
        factor = capped_scale(image.width, image.height, OCR_DPI / dpi)
        image = image.resize(
            (round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS
        )
    gray = np.asarray(suppress_red_image(image))
    angle = estimate_skew(gray)
    return deskew(gray, angle), angle


def parse_tsv(tsv: str) -> tuple[float | None, int]:
    """Mean word confidence (0..1) and word count from tesseract's TSV output."""
    confs = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        try:
            if row.get("level") == "5" and (row.get("text") or "").strip() and float(row["conf"]) >= 0:
                confs.append(float(row["conf"]) / 100)
        except (TypeError, ValueError):
            continue
    return (sum(confs) / len(confs) if confs else None), len(confs)


def run_tesseract(
    png: Path, psm: int = DEFAULT_PSM, dpi: int = OCR_DPI
) -> tuple[str, float | None, int, float]:
    """One page image file -> (text, mean confidence, words, seconds) by tesseract. Output
    files sit beside it. It waits for an OCR slot first (ocr_slots.py)."""
    engine = get_engine("tesseract")
    with ocr_slot():
        page = engine.read_pages([png], psm, dpi)[0]
    conf, words = parse_tsv(page.tsv)
    return page.text, conf, words, page.seconds


def tsv_to_layout(tsv: str) -> str:
    """Page text laid out like ``pdftotext -layout`` from tesseract's word boxes:
    each line's words placed at their x position, so the two header columns and
    the two closing columns ("Nơi nhận:      KT. CHỦ TỊCH") stay apart by a gap
    the layout stage can see. Empty when the TSV has no words."""
    rows = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        try:
            if row.get("level") != "5" or not (row.get("text") or "").strip():
                continue
            rows.append(
                (
                    (int(row["block_num"]), int(row["par_num"]), int(row["line_num"])),
                    int(row["left"]),
                    int(row["width"]),
                    row["text"].strip(),
                )
            )
        except (TypeError, ValueError, KeyError):
            continue
    if not rows:
        return ""
    widths = sorted(w / max(1, len(t)) for _, _, w, t in rows)
    char_w = max(1.0, widths[len(widths) // 2])
    lines: dict[tuple[int, int, int], list[tuple[int, int, str]]] = {}
    for key, left, width, word in rows:
        lines.setdefault(key, []).append((left, width, word))
    out: list[str] = []
    prev_block = None
    for key, words in lines.items():
        if prev_block is not None and key[0] != prev_block:
            out.append("")
        prev_block = key[0]
        words.sort()
        # this line's own letter width: caps and bold lines set wider than the body
        line_w = sorted(w / max(1, len(t)) for _, w, t in words)
        lw = max(char_w, line_w[len(line_w) // 2])
        line = ""
        prev_end = 0
        for left, width, word in words:
            if line:
                gap_chars = (left - prev_end) / lw
                # an ordinary word space stays one space; a column gap keeps its width
                spaces = int(round((left - prev_end) / char_w)) if gap_chars >= 4 else 1
                line += " " * max(1, spaces)
            else:
                line = " " * int(round(left / char_w))
            line += word
            prev_end = left + width
        out.append(line.rstrip())
    return "\n".join(out) + "\n"


# The header of a Decree 30 document (issuer, number, place and date) sits in the
# top of page 1; words below this share of the page height are not kept.
HEADER_SHARE = 0.45


def header_words(tsv: str, width: int, height: int, skew: float, share: float = HEADER_SHARE) -> tuple[PageWord, ...]:
    """Words of the top ``share`` of a page from tesseract's TSV, boxes as fractions
    of the page before deskewing (the page was turned by ``skew`` degrees about its
    centre: the corners are turned back)."""
    import math

    rad = math.radians(skew)
    cos, sin = math.cos(rad), math.sin(rad)
    cx, cy = width / 2, height / 2

    def back(x: float, y: float) -> tuple[float, float]:
        # PIL turns counter-clockwise by ``skew`` on screen (y down): undo it
        dx, dy = x - cx, y - cy
        return cx + dx * cos - dy * sin, cy + dx * sin + dy * cos

    out: list[PageWord] = []
    lines: dict[tuple[int, int, int], int] = {}
    for word in tsv_words(tsv):
        text, left, top, w, h, key = word.text, word.left, word.top, word.width, word.height, word.line
        if top > share * height:
            continue
        corners = [back(x, y) for x in (left, left + w) for y in (top, top + h)]
        xs = [c[0] for c in corners]
        ys = [c[1] for c in corners]
        out.append(
            PageWord(
                text,
                lines.setdefault(key, len(lines)),
                round(max(0.0, min(xs) / width), 4),
                round(max(0.0, min(ys) / height), 4),
                round(min(1.0, max(xs) / width), 4),
                round(min(1.0, max(ys) / height), 4),
            )
        )
    return tuple(out)


def tidy_ocr_text(text: str) -> str:
    """Trim trailing spaces and runs of blank lines; keep the line structure."""
    # tesseract writes the Icelandic eth (Ð) for a bold Đ, sometimes both ("QĐÐ")
    text = text.replace("ĐÐ", "Đ").replace("Ð", "Đ")
    lines = [line.rstrip() for line in text.replace("\f", "").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip("\n")


def read_run(
    images: list[Path], psm: int, engine: str, workdir: str
) -> list[tuple[str, float | None, int, float]]:
    """One engine run over page images (holding an OCR slot), then each page's tables of
    tasks rebuilt cell by cell (scan_tables.py): (text, mean confidence, words, seconds) a page."""
    eng = get_engine(engine)
    with ocr_slot():  # one engine run per core across every worker (pipeline/readers/ocr_slots.py)
        pages = eng.read_pages(images, psm, OCR_DPI)
    out = []
    for image, page in zip(images, pages, strict=True):
        conf, words = parse_tsv(page.tsv)
        out.append((page_with_tables(image, page.text, workdir, engine=engine), conf, words, page.seconds))
    return out


def run_sizes(pages: int, workers: int) -> list[int]:
    """Pages per engine run for a document of ``pages`` pages on ``workers`` cores: as even
    as possible, one run per core, none over PAGES_PER_RUN."""
    if pages <= 0:
        return []
    runs = max(min(workers, pages), -(-pages // PAGES_PER_RUN))
    return [pages // runs + (1 if k < pages % runs else 0) for k in range(runs)]


def ocr_images(
    images: Iterable[tuple[Image.Image, float | None]],
    *,
    workers: int | None = None,
    psm: int = DEFAULT_PSM,
    timings: dict[str, float] | None = None,
    count: int | None = None,
    engine: str | None = None,
) -> list[OcrPage]:
    """OCR page images (image, dpi) with an OCR engine (``engine``, else $CONGVAN_OCR_ENGINE,
    else tesseract), in page order.

    The pages are cut into runs (:func:`run_sizes`; ``count``, the number of images
    when known, lets a run start while later pages are still being prepared; else
    all pages are prepared first). Runs go side by side, each on one core.
    """
    try:
        name = selected_engine_name(engine)
    except ValueError as e:
        raise OcrUnavailable(str(e)) from e
    get_engine(name).check()
    workers = workers or slot_count()
    timings = timings if timings is not None else {}
    prepare_s = render_s = 0.0
    start = time.perf_counter()
    source = iter(images)
    with tempfile.TemporaryDirectory(prefix="congvan-ocr-") as tmp, ThreadPoolExecutor(workers) as pool:
        futures = []
        skews: list[float] = []
        paths: list[Path] = []
        sizes = run_sizes(count, workers) if count else []
        pending: list[Path] = []
        first_size = (0, 0)
        while True:
            t0 = time.perf_counter()
            item = next(source, None)
            render_s += time.perf_counter() - t0
            if item is None:
                break
            image, dpi = item
            t0 = time.perf_counter()
            gray, angle = prepare_page(image, dpi)
            # uncompressed (PGM): a PNG took 0.2 s a page to compress, the same pixels
            path = Path(tmp) / f"page-{len(paths):04d}.pgm"
            Image.fromarray(gray).save(path)
            prepare_s += time.perf_counter() - t0
            skews.append(angle)
            if not paths:
                first_size = (gray.shape[1], gray.shape[0])
            paths.append(path)
            pending.append(path)
            if sizes and len(pending) >= sizes[0]:
                futures.append(pool.submit(read_run, pending, psm, name, tmp))
                sizes.pop(0)
                pending = []
        if pending:  # no count, or fewer images than counted
            done = len(paths) - len(pending)
            for size in run_sizes(len(pending), workers):
                futures.append(pool.submit(read_run, paths[done : done + size], psm, name, tmp))
                done += size
        results = [page for f in futures for page in f.result()]
        # page 1's words (each engine writes a page's TSV beside its image): where the header fields are
        first_tsv = paths[0].with_suffix(".tsv") if paths else None
        header = (
            header_words(first_tsv.read_text(encoding="utf-8"), *first_size, skews[0])
            if first_tsv is not None and first_tsv.exists()
            else None
        )
        texts = continued_tables(paths, [r[0] for r in results], tmp, engine=name)  # a task table over pages
    total = time.perf_counter() - start
    timings["render"] = timings.get("render", 0.0) + render_s
    timings["ocr-prepare"] = timings.get("ocr-prepare", 0.0) + prepare_s
    timings["ocr"] = timings.get("ocr", 0.0) + total - render_s - prepare_s
    return [
        OcrPage(tidy_ocr_text(text), conf, words, skew, seconds, header if k == 0 else None)
        for k, (text, (_, conf, words, seconds), skew) in enumerate(zip(texts, results, skews, strict=True))
    ]
