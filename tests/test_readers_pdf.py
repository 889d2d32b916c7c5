"""PDF and Word readers on generated files and on the corpus (text layers; no OCR here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.readers import read_file
from pipeline.readers.pdf import open_pdf, read_text_layer
from pipeline.readers.quality import trust_text_layer

DOCS = Path(__file__).resolve().parent.parent / "corpus" / "docs"


def _lines(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]


def test_generated_text_pdf_reads_back_exactly(generated) -> None:
    raw = read_file(generated["pdf"])
    assert raw.format == "pdf" and raw.pages == 1 and not raw.ocr
    assert _lines(raw.text) == _lines(generated["layout_truth"].read_text(encoding="utf-8"))
    header = raw.text.splitlines()[0]
    assert re.search(r"ỦY BAN NHÂN DÂN\s{2,}CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", header)
    assert "pdf-text" in raw.timings


@pytest.mark.parametrize("n", range(114, 126))
def test_corpus_text_pdfs_keep_their_text_layer(n: int) -> None:
    path = DOCS / f"{n}.pdf"
    doc = open_pdf(path)
    try:
        assert all(trust_text_layer(p.quality) for p in read_text_layer(path, doc))
    finally:
        doc.close()


@pytest.mark.parametrize("n", range(126, 138))
def test_corpus_scans_are_sent_to_ocr(n: int) -> None:
    path = DOCS / f"{n}.pdf"
    doc = open_pdf(path)
    try:
        assert not any(trust_text_layer(p.quality) for p in read_text_layer(path, doc))
    finally:
        doc.close()


@pytest.mark.parametrize(
    ("n", "number", "date"),
    [
        (116, r"Số: 2280\s+/QĐ-UBND", "Hà Nội, ngày 29 tháng 4 năm 2026"),
        (117, r"Số: 453\s+/TB-UBND", "Hà Nội, ngày 29 tháng 4 năm 2026"),
    ],
)
def test_e_office_number_and_day_come_through(n: int, number: str, date: str) -> None:
    """Regression (116, 117): number and day stamped outside the page text (pdfplumber misses them)."""
    raw = read_file(DOCS / f"{n}.pdf")
    assert re.search(number, raw.text)
    assert date in raw.text


def test_123_glyph_repair() -> None:
    raw = read_file(DOCS / "123.pdf")
    assert "ƣ" not in raw.text and "HÕA" not in raw.text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in raw.text and "Sở Công Thương" in raw.text
    assert "glyph-repair" in [code for code, _ in raw.warnings]


def test_114_signature_stamp_to_meta() -> None:
    raw = read_file(DOCS / "114.pdf")
    assert raw.meta["signed_by"] == "TRUNG TÂM CÔNG BÁO VÀ TIN HỌC"
    assert raw.meta["signed_at"] == "06.11.2024 09:27:05 +07:00"
    assert "ttcbth@" not in raw.text and "09:27:05" not in raw.text
    assert raw.text.lstrip().startswith("ỦY BAN NHÂN DÂN")
    assert raw.pages == 2 and raw.text.count("\f") == 1


def test_pdf_is_never_modified(generated) -> None:
    path = generated["pdf"]
    before = path.read_bytes()
    read_file(path)
    assert path.read_bytes() == before


def _write_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\nSố: 125/UBND-KT"
    t.cell(
        0, 1
    ).text = (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nLào Cai, ngày 15 tháng 9 năm 2026"
    )
    d.add_paragraph("Kính gửi: Sở Tài chính")
    d.add_paragraph("1. Giao Sở Tài chính chủ trì, báo cáo trước ngày 30/10/2026.")
    t2 = d.add_table(rows=2, cols=3)
    for i, row in enumerate([["STT", "Đơn vị", "Thời hạn"], ["1", "Sở Xây dựng", "30/10/2026"]]):
        for j, value in enumerate(row):
            t2.cell(i, j).text = value
    d.add_paragraph("Đề nghị thực hiện./.")
    d.save(str(path))


def test_docx_header_side_by_side_and_order(tmp_path: Path) -> None:
    path = tmp_path / "cv.docx"
    _write_docx(path)
    raw = read_file(path)
    assert raw.format == "docx"
    lines = raw.text.splitlines()
    assert re.fullmatch(r"ỦY BAN NHÂN DÂN\s{2,}CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", lines[0])
    assert re.fullmatch(r"Số: 125/UBND-KT\s{2,}Lào Cai, ngày 15 tháng 9 năm 2026", lines[2])
    assert lines[3:] == [
        "Kính gửi: Sở Tài chính",
        "1. Giao Sở Tài chính chủ trì, báo cáo trước ngày 30/10/2026.",
        "STT | Đơn vị | Thời hạn",
        "1 | Sở Xây dựng | 30/10/2026",
        "Đề nghị thực hiện./.",
    ]


def test_docx_layout_table_with_a_spacer_column_is_side_by_side(tmp_path: Path) -> None:
    """A closing table "Nơi nhận | (empty) | KT. GIÁM ĐỐC …" is a layout table: its
    empty spacer column dropped, the blocks side by side, the signer read; a
    three-column table with a header in every column stays a data table."""
    import docx

    from pipeline import extract

    d = docx.Document()
    t = d.add_table(rows=1, cols=3)
    t.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\nSố: 125/UBND-KT"
    t.cell(0, 2).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nLào Cai, ngày 15 tháng 9 năm 2026"
    d.add_paragraph("Kính gửi: Sở Tài chính")
    d.add_paragraph("1. Giao Sở Tài chính chủ trì, báo cáo trước ngày 30/10/2026.")
    t2 = d.add_table(rows=2, cols=3)
    for i, row in enumerate([["STT", "Đơn vị", "Ghi chú"], ["1", "Sở Xây dựng", ""]]):
        for j, value in enumerate(row):
            t2.cell(i, j).text = value
    t3 = d.add_table(rows=1, cols=3)
    t3.cell(0, 0).text = "Nơi nhận:\n- Như trên;\n- Lưu: VT."
    t3.cell(0, 2).text = "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\n\nHoàng Văn Thuân"
    path = tmp_path / "cv.docx"
    d.save(str(path))
    lines = read_file(path).text.splitlines()
    assert re.fullmatch(r"Số: 125/UBND-KT\s{2,}Lào Cai, ngày 15 tháng 9 năm 2026", lines[2])
    assert "1 | Sở Xây dựng | " in lines
    assert re.fullmatch(r"Nơi nhận:\s{2,}KT\. CHỦ TỊCH", lines[lines.index("STT | Đơn vị | Ghi chú") + 2])
    doc = extract(path)
    assert (doc.signer.name, doc.signer.position, doc.signer.authority) == ("Hoàng Văn Thuân", "Phó Chủ tịch", "KT.")
    assert doc.number.raw == "125/UBND-KT"


def test_docx_text_box_is_read_once() -> None:
    """corpus 211.docx holds its V/v in a text box, with Word's legacy (VML)
    copy of the drawing beside it: the subject is read once, not three times."""
    from pipeline import extract

    raw = read_file(DOCS / "211.docx")
    assert raw.text.count("V/v tập trung triển khai thực hiện") == 1
    doc = extract(DOCS / "211.docx")
    assert doc.subject == "tập trung triển khai thực hiện công tác cai nghiện ma túy tự nguyện tại gia đình, cộng đồng"


@pytest.mark.slow
def test_doc_via_libreoffice(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice not installed")
    src = tmp_path / "cv.docx"
    _write_docx(src)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/p",
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(tmp_path),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    raw = read_file(tmp_path / "cv.doc")
    assert raw.format == "docx" and raw.meta["converted_from"] == "doc"
    assert "Giao Sở Tài chính chủ trì" in raw.text
    assert re.search(r"ỦY BAN NHÂN DÂN\s{2,}CỘNG HÒA", raw.text)


def test_ruled_task_table_in_a_text_pdf_gives_one_task_per_row(tmp_path: Path) -> None:
    """pdftotext -layout flattens a ruled table into columns of words; pdfplumber's
    table finder reads its rows, and each row's columns give lead, support, deadline."""
    import runpy

    from pipeline import extract

    out = tmp_path / "kh.pdf"
    runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts/make_task_table_pdf.py"), run_name="gen")["main"](str(out))
    doc = extract(out)
    rows = {t.id: t for t in doc.tasks}
    assert {"1", "2", "3"} <= set(rows)
    assert [a.name for a in rows["1"].lead] == ["Sở Tư pháp"] and [a.name for a in rows["1"].support] == ["Công an tỉnh"]
    assert (rows["1"].deadline.kind, rows["1"].deadline.date) == ("in", "2026-12")
    assert (rows["2"].deadline.kind, rows["2"].deadline.date) == ("in", "2026-09")
    assert [a.name for a in rows["2"].support] == ["UBND các xã, phường"]
    assert rows["3"].text == "Tập huấn kỹ năng số cho cán bộ, công chức cấp xã"


@pytest.mark.parametrize(("name", "page", "bare"), [("295.pdf", 3, True), ("282.pdf", 2, False), ("295.pdf", 2, False), ("114.pdf", 1, False)])
def test_page_number_only_pages(name: str, page: int, bare: bool) -> None:
    """295.pdf's last page draws only its page number "3"; 282.pdf page 2 has no text
    layer but draws its text otherwise, so OCR has something to read there."""
    path = DOCS / name
    doc = open_pdf(path)
    try:
        pages = read_text_layer(path, doc)
    finally:
        doc.close()
    assert pages[page - 1].page_number_only is bare


def test_295_page_number_page_is_not_ocred() -> None:
    """Regression: 295.pdf page 3 (only "3") was OCRed, 1.2 CPU-s for no text."""
    raw = read_file(DOCS / "295.pdf", ocr=False)
    assert not raw.ocr
    assert not any(code.startswith("ocr") for code, _ in raw.warnings)
    assert raw.text.split("\f")[2].strip() == "3"
