"""Page images of a stored source, rendered once and cached in DATA/pages.

PDF pages are rendered by poppler's ``pdftoppm`` (installed by ``make setup``);
image scans are converted to PNG by Pillow (first frame of a TIFF/GIF).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from pipeline.readers.dispatch import IMAGE_SUFFIXES

DPI = 110  # A4 at 110 dpi: 910 x 1286 pixels, readable beside the fields
MAX_IMAGE_PIXELS = 40_000_000


class PageError(RuntimeError):
    pass


def has_pages(stored_name: str) -> bool:
    suffix = Path(stored_name).suffix.lower()
    return suffix == ".pdf" or suffix in IMAGE_SUFFIXES


def page_png(data_dir: Path, stored: Path, sha256: str, page: int) -> Path:
    """The PNG of page ``page`` (1-based), rendered on first use."""
    cache = data_dir / "pages" / sha256
    target = cache / f"{page}.png"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    suffix = stored.suffix.lower()
    fd, tmp = tempfile.mkstemp(prefix=f".{page}-", suffix=".png", dir=cache)
    os.close(fd)
    try:
        if suffix == ".pdf":
            base = tmp[: -len(".png")]
            run = subprocess.run(
                ["pdftoppm", "-png", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile", str(stored), base],
                capture_output=True, timeout=120, check=False,
            )
            if run.returncode != 0:
                raise PageError(f"pdftoppm could not render page {page}: {run.stderr.decode(errors='replace').strip()[:200]}")
        elif suffix in IMAGE_SUFFIXES:
            if page != 1:
                raise PageError("an image has one page")
            from PIL import Image

            try:
                with Image.open(stored) as im:
                    if im.width * im.height > MAX_IMAGE_PIXELS:
                        im.thumbnail((6000, 6000))
                    im.convert("RGB").save(tmp, "PNG")
            except (OSError, Image.DecompressionBombError) as e:
                raise PageError(f"the image cannot be shown: {e}") from None
        else:
            raise PageError("this document has no page images")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
