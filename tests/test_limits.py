"""Every document bounded (issue 13): pixels per page, pages per PDF, image size."""

from pathlib import Path

import pytest

from pipeline.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def _huge_page_pdf(path: Path, side_pt: float = 5000) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("LS", "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"))
    c = canvas.Canvas(str(path), pagesize=(side_pt, side_pt))
    c.setFont("LS", 120)
    c.drawString(200, side_pt - 500, "ỦY BAN NHÂN DÂN TỈNH AN GIANG")
    c.save()


def test_a_huge_page_is_rendered_under_the_pixel_cap(tmp_path):
    from pipeline.readers.ocr import max_page_pixels
    from pipeline.readers.pdf import open_pdf, render_pages

    pdf = tmp_path / "huge.pdf"
    _huge_page_pdf(pdf)  # 5000 pt: 434 megapixels at 300 dpi
    doc = open_pdf(pdf)
    (img, dpi), = list(render_pages(doc, [0]))
    assert img.width * img.height <= max_page_pixels() * 1.01 and dpi < 300


def test_capped_scale_keeps_ordinary_pages_at_300_dpi():
    from pipeline.readers.ocr import capped_scale

    assert capped_scale(595, 842, 300 / 72) == 300 / 72  # A4
    assert capped_scale(14400, 14400, 300 / 72) < 300 / 72


def test_too_many_pages_is_a_clear_error(tmp_path, monkeypatch):
    from pipeline import extract

    monkeypatch.setenv("CONGVAN_MAX_PAGES", "5")
    with pytest.raises(InputError, match="CONGVAN_MAX_PAGES"):
        extract(ROOT / "corpus/docs/116.pdf")  # 20 pages


def test_an_image_too_large_is_refused_before_decoding(tmp_path, monkeypatch):
    from PIL import Image

    from pipeline import extract

    monkeypatch.setenv("CONGVAN_MAX_PAGE_MPIX", "0.1")
    Image.new("L", (1000, 1000), 255).save(tmp_path / "big.png")
    with pytest.raises(InputError, match="CONGVAN_MAX_PAGE_MPIX"):
        extract(tmp_path / "big.png")
