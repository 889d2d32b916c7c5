"""OCR path: image cleaning (fast) and tesseract on simulated scans (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.readers import read_file
from pipeline.readers.ocr import estimate_skew, suppress_red
from pipeline.readers.quality import cer


def _flat(text: str) -> str:
    return " ".join(text.split())


def _before_closing(text: str) -> str:
    return text[: text.find("Nơi nhận")] if "Nơi nhận" in text else text


def test_suppress_red_keeps_black_and_blue() -> None:
    rgb = np.array([[[215, 30, 35], [20, 20, 20], [30, 40, 150], [255, 255, 255]]], dtype=np.uint8)
    gray = suppress_red(rgb)
    assert gray[0, 0] == 255  # seal red -> white
    assert gray[0, 1] < 60 and gray[0, 2] < 60  # black text, blue ink stay dark


@pytest.mark.parametrize("angle", [-1.5, 0.0, 0.8, 2.5])
def test_estimate_skew(make_fixtures, angle: float) -> None:
    layout = make_fixtures.layout_seed(make_fixtures.SEED)
    page = make_fixtures.render_page(layout, 0, 100).rotate(angle, fillcolor="white")
    found = estimate_skew(np.asarray(page.convert("L")))
    assert found == pytest.approx(-angle, abs=0.3)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "max_cer"),
    [("seed-scan300.png", 0.03), ("seed-scan200.pdf", 0.04)],
)
def test_ocr_simulated_scan_cer(generated, name: str, max_cer: float) -> None:
    raw = read_file(generated[name])
    truth = generated["layout_truth"].read_text(encoding="utf-8")
    assert raw.ocr
    assert raw.format == ("image" if name.endswith(".png") else "pdf")
    assert 0.7 < (raw.ocr_confidence or 0) <= 1
    assert cer(_flat(truth), _flat(raw.text)) < max_cer
    # the typed part, away from the seal and the signature, is near perfect
    assert cer(_flat(_before_closing(truth)), _flat(_before_closing(raw.text))) < 0.01
    assert "ocr" in raw.timings and "render" in raw.timings
    assert "Số: 125/UBND-KT" in raw.text


@pytest.mark.slow
def test_multipage_tiff(generated, tmp_path: Path) -> None:
    page = Image.open(generated["seed-scan200.png"])
    top = page.crop((0, 0, page.width, page.height // 3))
    tiff = tmp_path / "two.tiff"
    top.save(tiff, save_all=True, append_images=[top], dpi=(200, 200))
    raw = read_file(tiff)
    assert raw.format == "image" and raw.pages == 2
    first, second = raw.text.split("\f")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in second


@pytest.mark.slow
def test_ocr_word_confidence_lowers_field_confidence(generated) -> None:
    """A field read through OCR carries the OCR word confidence in its own."""
    from pipeline import extract

    text_doc = extract(generated["pdf"])
    scan_doc = extract(generated["seed-scan300.png"])
    assert scan_doc.source.ocr
    assert 0 < scan_doc.confidence["number"] < text_doc.confidence["number"]


def test_small_photo_without_resolution_is_enlarged_before_tesseract():
    """A phone photo (576×960, no DPI) is read at up to ×3 (scripts/photo_upscale_eval.py:
    character error 0.143 -> 0.047 on six rendered pages); a page with a known
    resolution, or a large photo, keeps its size."""
    from PIL import Image

    from pipeline.readers.ocr import prepare_page

    photo = Image.new("RGB", (576, 960), "white")
    gray, _ = prepare_page(photo, None)
    assert gray.shape == (960 * 3, 576 * 3)
    assert prepare_page(photo, None, upscale=False)[0].shape == (960, 576)
    assert prepare_page(Image.new("RGB", (2480, 3508), "white"), None)[0].shape == (3508, 2480)
    assert prepare_page(Image.new("RGB", (1240, 1754), "white"), 300.0)[0].shape == (1754, 1240)
