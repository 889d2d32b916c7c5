"""InputError cases: a reason a clerk understands, never a traceback."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from pipeline.errors import InputError
from pipeline.readers import read_bytes, read_file

ZERO_PAGE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n99\n%%EOF\n"
)


def _encrypted_pdf(path: Path) -> None:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    c.drawString(100, 700, "Mat khau")
    c.save()


def _expect(path: Path, words: str, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        read_file(path, **kw)
    assert words in info.value.reason
    assert info.value.path == str(path)
    return info.value


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.pdf"
    p.write_bytes(b"")
    _expect(p, "empty")


def test_blank_text_file(tmp_path: Path) -> None:
    p = tmp_path / "blank.txt"
    p.write_text("\n   \n\t\n")
    _expect(p, "no text")


def test_binary_junk(tmp_path: Path) -> None:
    p = tmp_path / "junk.bin"
    p.write_bytes(bytes(range(256)) * 40)
    _expect(p, "not a document")


def test_truncated_pdf(tmp_path: Path, generated) -> None:
    data = generated["pdf"].read_bytes()
    p = tmp_path / "cut.pdf"
    p.write_bytes(data[: len(data) // 3])
    err = _expect(p, "")
    assert "damaged" in err.reason or "no readable text" in err.reason


def test_garbage_named_pdf(tmp_path: Path) -> None:
    p = tmp_path / "fake.pdf"
    p.write_text("this is not a pdf")
    _expect(p, "not a PDF")


def test_password_protected_pdf(tmp_path: Path) -> None:
    pytest.importorskip("reportlab")
    p = tmp_path / "locked.pdf"
    _encrypted_pdf(p)
    _expect(p, "password")


def test_zero_page_pdf(tmp_path: Path) -> None:
    p = tmp_path / "zero.pdf"
    p.write_bytes(ZERO_PAGE_PDF)
    _expect(p, "no pages")


def test_too_large(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_text("Kính gửi: Sở Tài chính\n" * 100)
    _expect(p, "too large", max_bytes=1000)


def test_too_large_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "big.txt"
    p.write_bytes(b"x" * 300_000)
    monkeypatch.setenv("CONGVAN_MAX_FILE_MB", "0.1")
    _expect(p, "too large")


def test_missing_file(tmp_path: Path) -> None:
    _expect(tmp_path / "nope.pdf", "does not exist")


def test_folder(tmp_path: Path) -> None:
    _expect(tmp_path, "folder")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    p = tmp_path / "secret.txt"
    p.write_text("Kính gửi")
    p.chmod(0)
    _expect(p, "permission denied")


def test_zip_that_is_not_docx(tmp_path: Path) -> None:
    p = tmp_path / "a.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "x")
    _expect(p, "not a Word document")


def test_damaged_docx(tmp_path: Path) -> None:
    p = tmp_path / "bad.docx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("word/document.xml", "<not xml")
    _expect(p, "damaged")


def test_read_bytes_reports_the_name() -> None:
    with pytest.raises(InputError) as info:
        read_bytes(b"", "upload.pdf")
    assert info.value.path == "upload.pdf"
    with pytest.raises(InputError) as info:
        read_bytes(b"%PDF-1.4\n garbage", "upload.pdf")
    assert info.value.path == "upload.pdf" and "damaged" in info.value.reason


@pytest.mark.slow
def test_image_with_no_text(tmp_path: Path) -> None:
    p = tmp_path / "blank.png"
    Image.new("RGB", (1240, 1754), "white").save(p, dpi=(150, 150))
    _expect(p, "no text was found")
