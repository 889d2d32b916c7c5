"""Text readers: encodings, NFC, legacy TCVN3/VNI, markdown."""

from __future__ import annotations

import codecs
import unicodedata

import pytest

from pipeline.readers import read_bytes
from pipeline.readers.legacy import detect_legacy, legacy_to_unicode, unicode_to_legacy
from pipeline.readers.resource_files import load_resource
from pipeline.readers.text import decode_bytes, looks_markdown, read_text_bytes

SAMPLE = (
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Độc lập - Tự do - Hạnh phúc\n"
    "Ủy ban nhân dân tỉnh Lào Cai đề nghị các sở, ngành thực hiện khẩn trương "
    "quyết định này trước ngày 30 tháng 6 năm 2026. Giao Sở Nông nghiệp và Môi trường chủ trì.\n"
)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(SAMPLE.encode("utf-8"), id="utf8"),
        pytest.param(codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), id="utf8-bom"),
        pytest.param(SAMPLE.encode("utf-16"), id="utf16-bom"),
        pytest.param(SAMPLE.encode("utf-16-le"), id="utf16le-no-bom"),
        pytest.param(SAMPLE.encode("utf-16-be"), id="utf16be-no-bom"),
        pytest.param(unicodedata.normalize("NFD", SAMPLE).encode("utf-8"), id="nfd"),
        pytest.param(SAMPLE.replace("\n", "\r\n").encode("utf-8"), id="crlf"),
    ],
)
def test_text_decodes_to_nfc(data: bytes) -> None:
    raw = read_bytes(data, "cv.txt")
    assert raw.text == SAMPLE
    assert raw.format == "text"
    assert raw.warnings == []


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_legacy_round_trip(encoding: str) -> None:
    legacy = unicode_to_legacy(SAMPLE, encoding)
    assert legacy != SAMPLE
    assert legacy_to_unicode(legacy, encoding) == SAMPLE
    found, converted = detect_legacy(legacy)
    assert found == encoding
    assert converted == SAMPLE


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_legacy_file_8bit(encoding: str) -> None:
    data = unicode_to_legacy(SAMPLE, encoding).encode("latin-1")
    raw = read_bytes(data, "old.txt")
    assert raw.text == SAMPLE
    assert raw.meta["legacy_encoding"] == encoding
    assert [code for code, _ in raw.warnings] == ["legacy-encoding"]


def test_vni_typed_text_saved_as_utf8() -> None:
    """VNI text copied into a UTF-8 file still converts ("Coäng hoøa" -> "Cộng hòa")."""
    data = unicode_to_legacy(SAMPLE, "vni").encode("utf-8")
    assert read_bytes(data, "x.txt").text == SAMPLE


def test_unicode_text_is_not_taken_for_legacy() -> None:
    assert detect_legacy(SAMPLE) == (None, SAMPLE)
    french = "Le café était très agréable à côté de l'hôtel, où nous étions déjà arrivés." * 3
    assert detect_legacy(french)[0] is None


def test_latin1_fallback() -> None:
    text, encoding = decode_bytes("Café à côté, naïve façade.".encode("latin-1"))
    assert "Café" in text and encoding in ("cp1258", "latin-1")


@pytest.mark.parametrize(
    ("text", "name", "fmt"),
    [
        pytest.param("## I. MỤC ĐÍCH\n**Kính gửi:** Sở\n", "a.txt", "markdown", id="heading-bold"),
        pytest.param(
            "| ỦY BAN | CỘNG HÒA |\n|---|---|\n| Số: 1 | Hà Nội |\n", "a.txt", "markdown", id="pipe-table"
        ),
        pytest.param("Kính gửi: Sở Tài chính\n", "a.md", "markdown", id="md-suffix"),
        pytest.param(SAMPLE, "a.txt", "text", id="plain"),
    ],
)
def test_markdown_format(text: str, name: str, fmt: str) -> None:
    assert read_bytes(text.encode(), name).format == fmt


def test_looks_markdown_needs_two_marks() -> None:
    assert not looks_markdown("a ** b\n")


def test_form_feeds_count_pages() -> None:
    raw = read_text_bytes("trang một\ftrang hai\ftrang ba".encode())
    assert raw.pages == 3


@pytest.mark.parametrize(
    "name", ["legacy_tcvn3", "legacy_vni", "vi_syllables", "glyph_repair", "reader_stamps"]
)
def test_resource_files_have_source_and_nfc(name: str) -> None:
    data = load_resource(name)
    assert data["source"]
    if "chars" in data:
        keys = list(data["chars"])
        assert all(unicodedata.is_normalized("NFC", k) for k in keys)
        values = list(data["chars"].values())
        assert len(set(values)) == len(values), "two letters share a legacy code"
