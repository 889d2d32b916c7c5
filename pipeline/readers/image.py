"""Image files (PNG, JPEG, multi-page TIFF, ...) -> OCR."""

from __future__ import annotations

import warnings as pywarnings
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from pipeline.errors import InputError
from pipeline.readers import RawText
from pipeline.readers.ocr import OcrUnavailable, max_page_pixels, ocr_images
from pipeline.readers.ocr_engines import engine_note
from pipeline.readers.pdf import max_pages
from pipeline.readers.stamps import remove_signature_lines, strip_arrival_stamp
from pipeline.readers.task_tables import join_continued_tables

LOW_CONFIDENCE = 0.6


def _dpi(image: Image.Image) -> float | None:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None
    return value if value and value > 20 else None  # 1 or 0 means "unknown"


def image_frames(image: Image.Image) -> Iterator[tuple[Image.Image, float | None]]:
    """Every frame (page) of an image as RGB, with its resolution when the file says it."""
    dpi = _dpi(image)
    for frame in ImageSequence.Iterator(image):
        yield frame.convert("RGB"), _dpi(frame) or dpi


def read_image(path: Path, *, workers: int | None = None) -> RawText:
    """An image file -> RawText by OCR; one page per frame."""
    try:
        with pywarnings.catch_warnings():  # the size is checked here; Pillow's warnings would reach the terminal
            pywarnings.simplefilter("ignore")
            image = Image.open(path)
        w, h = image.size
        if w * h > 4 * max_page_pixels():
            raise InputError(
                path,
                f"the image is too large ({w * h / 1e6:.0f} megapixels; the limit is "
                f"{4 * max_page_pixels() / 1e6:.0f}: set CONGVAN_MAX_PAGE_MPIX to raise it)",
            )
        frames = getattr(image, "n_frames", 1)
        if frames > max_pages():
            raise InputError(
                path, f"the image has {frames} pages (frames); the limit is {max_pages()} (raise it with --max-pages or CONGVAN_MAX_PAGES)"
            )
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")
            image.load()
    except Image.DecompressionBombError as e:
        raise InputError(path, f"the image is too large to open safely ({e})") from e
    except (UnidentifiedImageError, OSError) as e:
        raise InputError(path, "the image file is damaged or not an image this program can open") from e
    timings: dict[str, float] = {}
    try:
        with image:
            results = ocr_images(image_frames(image), workers=workers, timings=timings, count=frames)
    except OcrUnavailable as e:
        raise InputError(path, f"images need OCR, but {e}") from e
    except OSError as e:
        raise InputError(path, "the image file is damaged or truncated") from e
    warnings: list[tuple[str, str]] = [("ocr-used", f"OCR{engine_note()} on {len(results)} image page(s)")]
    meta: dict[str, str | None] = {}
    texts = []
    for res in results:
        text = remove_signature_lines(res.text)
        text, arrival = strip_arrival_stamp(text)
        if arrival:
            meta["arrival_stamp"] = "removed"
        texts.append(text)
    texts = join_continued_tables(texts, flatten=set(range(len(texts))))
    if not any(t.strip() for t in texts):
        raise InputError(path, "no text was found in the image (blank page, photo, or unreadable scan)")
    judged = [(r.confidence, r.words) for r in results if r.confidence is not None]
    total = sum(w for _, w in judged)
    confidence = sum(c * w for c, w in judged) / total if total else None
    if confidence is not None and confidence < LOW_CONFIDENCE:
        warnings.append(("ocr-low-confidence", f"mean OCR confidence {confidence:.0%}"))
    if "arrival_stamp" in meta:
        warnings.append(("arrival-stamp-removed", "an arrival stamp was removed from the OCR text"))
    return RawText(
        text="\f".join(texts),
        format="image",
        pages=len(results),
        ocr=True,
        meta=meta,
        ocr_confidence=confidence,
        warnings=warnings,
        timings=timings,
        header_words=results[0].header_words if results else None,
    )
