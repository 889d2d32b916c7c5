"""Where the number and the date are on a scan's page (pipeline/regions.py), and
the day of a blank date from the e-signature (header.day_from_signature)."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from pipeline.folding import fold
from pipeline.readers import PageWord
from pipeline.regions import INSIDE_MARGIN, date_region, field_regions, number_region
from pipeline.stages.header import day_from_signature, signing_date

ROOT = Path(__file__).resolve().parent.parent


def W(text: str, x0: float, x1: float, y0: float = 0.110, y1: float = 0.125, line: int = 3) -> PageWord:
    return PageWord(text, line, x0, y0, x1, y1)


# a header like corpus 126.pdf's: "Số: 01 /CT-UBND" left, the place and date right on the same line
HEADER = [
    W("ỦY", 0.10, 0.13, 0.05, 0.065, 0), W("BAN", 0.14, 0.18, 0.05, 0.065, 0),
    W("Số:", 0.207, 0.233, line=3), W("01", 0.24, 0.29, 0.105, 0.128, line=3), W("/CT-UBND", 0.31, 0.41, line=3),
    W("Quảng", 0.51, 0.56, line=4), W("Ngãi,", 0.565, 0.61, line=4), W("ngày", 0.615, 0.66, line=4),
    W("04", 0.672, 0.70, 0.104, 0.128, line=4), W("tháng", 0.715, 0.76, line=4), W("01", 0.765, 0.79, line=4),
    W("năm", 0.80, 0.835, line=4), W("2021", 0.84, 0.88, line=4),
]


def test_number_region_spans_label_to_notation_and_the_serial_between():
    r = number_region(HEADER, "CT-UBND")
    assert r is not None and r["page"] == 1 and r["unit"] == "fraction"
    assert r["bbox"] == (0.207, 0.105, 0.41, 0.128)
    x0, _, x1, _ = r["value_bbox"]
    assert x0 == pytest.approx(0.233) and x1 == pytest.approx(0.31)  # after "Số:", before the slash


def test_number_region_of_a_serial_run_into_the_notation():
    words = [W("Số:", 0.20, 0.23), W("07/CT-UBND", 0.24, 0.40)]
    r = number_region(words, "CT-UBND")
    assert r is not None
    x0, _, x1, _ = r["value_bbox"]
    # up to the "/" (3rd of 10 letters), a letter's width more: the guess inside a word is rough
    assert x0 == pytest.approx(0.23) and x1 == pytest.approx(0.24 + 0.16 * 2 / 10 + INSIDE_MARGIN)


def test_the_arrival_stamps_number_is_not_the_documents():
    stamp = [W("Số:", 0.05, 0.08, 0.02, 0.035, 9), W("125", 0.09, 0.13, 0.02, 0.035, 9), W("/ĐẾN", 0.14, 0.2, 0.02, 0.035, 9)]
    r = number_region(stamp + HEADER, "CT-UBND")
    assert r is not None and r["bbox"][0] == 0.207
    assert number_region(stamp, "CT-UBND") is None  # its notation is not on the stamp's line


def test_date_region_is_the_right_column_only():
    r = date_region(HEADER)
    assert r is not None
    assert r["bbox"] == (0.51, 0.104, 0.88, 0.128)  # "Quảng Ngãi, ngày 04 tháng 01 năm 2021", not "/CT-UBND"
    x0, _, x1, _ = r["value_bbox"]
    assert (x0, x1) == (0.66, 0.715)  # between "ngày" and "tháng"


def test_no_region_without_the_words():
    assert field_regions([W("CỘNG", 0.5, 0.6), W("HÒA", 0.6, 0.7)], "CT-UBND") == {}
    assert date_region([W("ngày", 0.6, 0.65), W("04", 0.66, 0.7)]) is None  # no "tháng … năm"


@pytest.mark.parametrize(
    ("read", "signed_at", "expected"),
    [
        pytest.param("2026-04", "23.04.2026 15:54:16 +07:00", "2026-04-23", id="blank-day-same-month"),
        pytest.param("2025-10", "2025-10-09T16:52:54+07:00", "2025-10-09", id="iso-stamp"),
        pytest.param("2021", "05/01/2021 08:15:24", "2021-01-05", id="blank-day-and-month-same-year"),
        pytest.param("2024-02", "01/03/2024 08:41:42", None, id="signed-next-month"),
        pytest.param("2020", "16.04.2021 07:37:07", None, id="another-year"),
        pytest.param("2025-01-04", "26/01/2025 11:12:09", None, id="a-read-day-is-never-replaced"),
        pytest.param("2025-01", None, None, id="no-signature"),
        pytest.param("2025-01", "signed on the 5th", None, id="no-date-in-the-stamp"),
    ],
)
def test_day_from_signature(read, signed_at, expected):
    assert day_from_signature(read, signing_date(signed_at)) == expected


def test_signing_date_formats():
    assert signing_date("05/01/2021 08:15:24") == date(2021, 1, 5)
    assert signing_date("16.04.2020 07:37:07 +07:00") == date(2020, 4, 16)
    assert signing_date("2025-10-09T16:52:54+07:00") == date(2025, 10, 9)
    assert signing_date("31/02/2025 10:00:00") is None


# ---------------------------------------------------------------- a real scan


@pytest.fixture(scope="module")
def scan_132():
    """corpus/docs/132.pdf: a one-page scan whose serial ("729" of 729/QĐ-TTg) is
    not in the OCR text and whose e-signature is dated the day of the document."""
    from pipeline import extract

    return extract(ROOT / "corpus" / "docs" / "132.pdf")


def _ocr(image: Image.Image, tmp: Path) -> str:
    png = tmp / "crop.png"
    image.save(png)
    run = subprocess.run(
        ["tesseract", str(png), "-", "-l", "vie", "--psm", "7"],
        capture_output=True, check=True, env=dict(os.environ, OMP_THREAD_LIMIT="1"),
    )
    return fold(run.stdout.decode("utf-8", "replace"))


def _crop(pdf: Path, bbox: tuple[float, float, float, float]) -> Image.Image:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    page = doc[0].render(scale=300 / 72).to_pil()
    doc.close()
    w, h = page.size
    x0, y0, x1, y1 = bbox
    return page.crop((int(x0 * w) - 8, int(y0 * h) - 8, int(x1 * w) + 8, int(y1 * h) + 8))


@pytest.mark.slow
def test_the_regions_of_a_real_scan_crop_the_number_and_the_date(scan_132, tmp_path):
    doc = scan_132
    assert doc.source.ocr and {"number", "issued_date"} <= doc.regions.keys()
    number, issued = doc.regions["number"], doc.regions["issued_date"]
    assert number.page == 1 and number.unit == "fraction"
    text = _ocr(_crop(ROOT / "corpus/docs/132.pdf", number.bbox), tmp_path)
    assert re.search(r"s[oóốô]\s*:", text) and "qđ-ttg" in text.replace(" ", ""), text
    text = _ocr(_crop(ROOT / "corpus/docs/132.pdf", issued.bbox), tmp_path)
    assert "ngày" in text and "tháng" in text and "2026" in text, text
    # the serial's place lies inside the number's box, left of the notation
    assert number.value_bbox is not None
    assert number.bbox[0] <= number.value_bbox[0] < number.value_bbox[2] <= number.bbox[2]


@pytest.mark.slow
def test_a_blank_day_is_offered_from_the_e_signature_not_filled_in(scan_132):
    """The signing day is the issue day in only 7 of the 17 corpus scans where it
    could fill one: it is offered to the clerk in a warning, never written as the date."""
    doc = scan_132
    assert doc.source.signed_at and doc.source.signed_at.startswith("23.04.2026")
    assert doc.issued_date == "2026-04"  # the day is written by hand on the page
    by_code = {w.code: w.message for w in doc.warnings}
    assert "23/04/2026" in by_code["issued-day-suggested"]
    assert {"date-partial", "date-invalid"} & set(by_code)
