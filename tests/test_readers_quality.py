"""Text-layer quality, syllables, glyph repair, stamps, CER."""

from __future__ import annotations

import pytest

from pipeline.readers.glyphs import repair_glyphs
from pipeline.readers.quality import cer, page_quality, syllable_ok, text_validity, trust_text_layer
from pipeline.readers.stamps import (
    StampBlock,
    is_signature_text,
    remove_signature_lines,
    remove_stamp_lines,
    signature_meta,
    stamp_fields,
    strip_arrival_stamp,
)

GOOD = (
    "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc "
    "Số: 542/TB-UBND Quảng Ngãi, ngày 06 tháng 11 năm 2024. Thực hiện Công văn số 2003/UBDT-VPCTMTQG "
    "của Ủy ban Dân tộc về việc tham dự Hội nghị đánh giá Chương trình mục tiêu quốc gia phát triển "
    "kinh tế - xã hội vùng đồng bào dân tộc thiểu số và miền núi, giao Sở Tài chính chủ trì, phối hợp."
)
MISENCODED = "UBND 7ӌ1+ LÀO CAI 6Ӣ &Ð1* 7+ѬѪ1* &Ӝ1* +Ñ$ ;ӎ +Ӝ, &+Ӫ 1*+Ƭ$ 9,ӊ7 1$0 ĈӝF OұS 7ӵ GR +ҥQK SK~F"
GARBLED_OCR = (
    "BO CONG THIJoNG ceNG noa xA Her cHU Ncuia vrET NAM CVC H6A CHAT DQc l6p - Tg'do - H4nh phtc "
    "S6: /QD-XPVPHC Hd NAi, ngdy7f,ttuing 7 ndm 2026 QUYET DINH Xt'ph4t vi ph4m hinh chfnh "
    "Cdn c* Ludt X} l! vi phqm hdnh chinh 2012 (duoc sua diji, bd sung ndm Cdn c{r NShi dinh sA"
)
STAMP_ONLY = (
    "Ký bởi: Ủy ban nhân dân tỉnh Quảng Ngãi Cơ quan: Tỉnh Quảng Ngãi Thời gian ký: 18/03/2024 08:41:42"
)
A4_SQIN = 8.27 * 11.69


@pytest.mark.parametrize(
    ("word", "ok"),
    [
        ("Nghĩa", True),
        ("HÒA", True),
        ("quyết", True),
        ("khuyên", True),
        ("giữa", True),
        ("gì", True),
        ("nghiêng", True),
        ("Ủy", True),
        ("hươu", True),
        ("kiểm", True),
        ("ceNG", False),
        ("THIJoNG", False),
        ("Ncuia", False),
        ("ke̋", False),
        ("gha", False),
        ("ngê", False),
        ("cé", False),
        ("kan", False),
        ("mát", True),
        ("mat", False),
        ("xA", False),
    ],
)
def test_syllables(word: str, ok: bool) -> None:
    assert syllable_ok(word) is ok


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        pytest.param(GOOD, 0.95, 1.0, id="good"),
        pytest.param(MISENCODED, 0.0, 0.4, id="misencoded-font"),
        pytest.param(GARBLED_OCR, 0.0, 0.6, id="garbled-ocr-layer"),
    ],
)
def test_text_validity(text: str, low: float, high: float) -> None:
    validity, judged = text_validity(text)
    assert judged > 5
    assert low <= validity <= high


@pytest.mark.parametrize(
    ("text", "image_fraction", "hidden", "force_ocr", "trusted"),
    [
        pytest.param(GOOD * 6, 0.0, 0.0, False, True, id="born-digital"),
        pytest.param(GOOD * 6, 0.0, 0.0, True, True, id="born-digital-not-ocred-when-forced"),
        pytest.param(GOOD[:300], 0.0, 0.0, False, True, id="born-digital-short-last-page"),
        pytest.param(MISENCODED * 10, 0.0, 0.0, False, False, id="misencoded-font"),
        pytest.param(STAMP_ONLY, 1.0, 0.0, False, False, id="stamp-only-on-scan"),
        pytest.param(GARBLED_OCR * 5, 1.0, 1.0, False, False, id="garbled-ocr-layer"),
        pytest.param(GOOD * 10, 1.0, 1.0, False, True, id="good-ocr-layer-kept"),
        pytest.param(GOOD * 10, 1.0, 1.0, True, False, id="good-ocr-layer-forced"),
        pytest.param(GOOD * 10 + " ВСТ-ВТC", 1.0, 1.0, False, False, id="ocr-layer-with-cyrillic-reread"),
        pytest.param(GOOD * 10, 1.0, 0.0, False, True, id="visible-text-on-background-image"),
        pytest.param("", 1.0, 0.0, False, False, id="image-only"),
    ],
)
def test_trust_text_layer(text: str, image_fraction: float, hidden: float, force_ocr: bool, trusted: bool) -> None:
    q = page_quality(text, A4_SQIN, image_fraction, hidden)
    assert trust_text_layer(q, force_ocr) is trusted


def test_quality_score_orders_cases() -> None:
    good = page_quality(GOOD * 6, A4_SQIN, 0.0).score
    garbage = page_quality(MISENCODED * 10, A4_SQIN, 0.0).score
    stamp = page_quality(STAMP_ONLY, A4_SQIN, 1.0).score
    assert good > 0.9 > 0.5 > max(garbage, stamp)


@pytest.mark.parametrize(
    ("wrong", "right"),
    [
        ("Sở Công Thƣơng", "Sở Công Thương"),
        ("TRƢỜNG", "TRƯỜNG"),
        ("CỘNG HÕA XÃ HỘI", "CỘNG HÒA XÃ HỘI"),
        ("CỘNG HÒA", "CỘNG HÒA"),
    ],
)
def test_glyph_repair(wrong: str, right: str) -> None:
    assert repair_glyphs(wrong)[0] == right


def test_glyph_repair_leaves_real_o_tilde() -> None:
    assert repair_glyphs("HÕ TRỢ")[0] == "HÕ TRỢ"


@pytest.mark.parametrize(
    ("text", "signer", "when"),
    [
        (STAMP_ONLY, "Ủy ban nhân dân tỉnh Quảng Ngãi", "18/03/2024 08:41:42"),
        (
            "TRUNG TÂM CÔNG BÁO VÀ TIN HỌC ttcbth@quangngai.gov.vn 06.11.2024 09:27:05 +07:00",
            "TRUNG TÂM CÔNG BÁO VÀ TIN HỌC",
            "06.11.2024 09:27:05 +07:00",
        ),
        (
            "Người ký: CỔNG THÔNG TIN ĐIỆN TỬ CHÍNH PHỦ Email: thongtinchinhphu@chinhphu.vn "
            "Cơ quan: VĂN PHÒNG CHÍNH PHỦ Thời gian ký: 23.04.2026 15:54:16 +07:00",
            "CỔNG THÔNG TIN ĐIỆN TỬ CHÍNH PHỦ",
            "23.04.2026 15:54:16 +07:00",
        ),
    ],
)
def test_stamp_fields(text: str, signer: str, when: str) -> None:
    assert is_signature_text(text)
    assert stamp_fields(text) == (signer, when)


def test_body_sentence_is_not_a_stamp() -> None:
    """Regression (116.pdf): 'có hiệu lực từ ngày ký.' is body text."""
    assert not is_signature_text("Điều 2. Quyết định này có hiệu lực từ ngày ký.")


def test_remove_stamp_lines_interleaved_columns() -> None:
    """Regression (127.pdf): two stamps printed side by side are both cut out."""
    layout = (
        "                          Ký bởi: Ủy ban nhân dân tỉnh Quảng\n"
        "TRUNG TÂM CÔNG            Ngãi\n"
        "BÁO VÀ TIN HỌC            Thời gian ký: 18/03/2024 08:41:42\n"
        "ttcbth@quangngai.gov.vn\n"
        "\n"
        " ỦY BAN NHÂN DÂN             CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        " TỈNH QUẢNG NGÃI                   Độc lập - Tự do - Hạnh phúc\n"
    )
    a = StampBlock(
        ("TRUNG TÂM CÔNG", "BÁO VÀ TIN HỌC", "ttcbth@quangngai.gov.vn"), (10, 17, 24), 0, 10, 80, 30
    )
    b = StampBlock(
        ("Ký bởi: Ủy ban nhân dân tỉnh Quảng", "Ngãi", "Thời gian ký: 18/03/2024 08:41:42"),
        (4, 10, 17),
        0,
        0,
        1,
        1,
    )
    out = remove_stamp_lines(layout, [a, b], [4, 10, 17, 24, 60, 70])
    assert out.splitlines()[0].strip().startswith("ỦY BAN NHÂN DÂN")
    assert "Ký bởi" not in out and "TRUNG TÂM" not in out and "Ngãi\n" not in out
    assert "TỈNH QUẢNG NGÃI" in out
    meta = signature_meta([a, b])
    assert meta["signed_by"] == "Ủy ban nhân dân tỉnh Quảng Ngãi"
    assert meta["signed_at"] == "18/03/2024 08:41:42"


def test_remove_signature_lines_from_ocr() -> None:
    text = "Ký bởi: Ủy ban nhân dân\ntỉnh Quảng Ngãi\nThời gian ký: 05/01/2021\nỦY BAN NHÂN DÂN"
    assert remove_signature_lines(text, ["tỉnh Quảng Ngãi"]) == "ỦY BAN NHÂN DÂN"


def test_arrival_stamp_removed_document_number_kept() -> None:
    text = (
        "BỘ CÔNG THƯƠNG\n"
        "SỞ CÔNG THƯƠNG LÀO CAI – ĐẾN\n"
        "Số: 14708\n"
        "Ngày: 20/7/2026\n"
        "Chuyển: P. QLCN\n"
        "Số: 26/QĐ-XPVPHC   Hà Nội, ngày 08 tháng 7 năm 2026\n"
        "KẾ HOẠCH THỰC HIỆN ĐẾN NĂM 2030"
    )
    out, found = strip_arrival_stamp(text)
    assert found
    assert "14708" not in out and "Chuyển" not in out and "20/7/2026" not in out
    assert "Số: 26/QĐ-XPVPHC" in out and "ĐẾN NĂM 2030" in out


def test_no_arrival_stamp() -> None:
    text = "Số: 12\nTHỰC HIỆN ĐẾN NĂM 2030\nđến ngày 30/6"
    assert strip_arrival_stamp(text) == (text, False)


@pytest.mark.parametrize(
    ("ref", "hyp", "value"),
    [("abc", "abc", 0.0), ("abcd", "abed", 0.25), ("Hòa", "Hoa", 1 / 3), ("", "", 0.0), ("ab", "", 1.0)],
)
def test_cer(ref: str, hyp: str, value: float) -> None:
    assert cer(ref, hyp) == pytest.approx(value)


def test_web_and_mail_addresses_are_not_judged() -> None:
    """Regression (the bench's text PDF laid out from 298): a last page holding the
    signer and the tax office's website failed the check (42% valid, 8 of its 19
    judged tokens the pieces of one URL) and went to OCR; without the address it
    passes (8 of 12), as a born-digital page whose words are Vietnamese should."""
    page = "*. Sue Nguyên Nam Bình\n\nWebsite Cuc thué thanh phố Hồ Chí Minh : http://tphem.gdt.gov.vn/wps/portal\n"
    validity, judged = text_validity(page)
    assert judged == 12 and validity == pytest.approx(8 / 12)
    assert trust_text_layer(page_quality(page, 96.0, 0.0))
    assert text_validity("Liên hệ: vanthu@angiang.gov.vn, www.angiang.gov.vn") == text_validity("Liên hệ:")


def test_an_address_does_not_save_a_garbled_layer() -> None:
    validity, _ = text_validity(GARBLED_OCR + " https://example.gov.vn/a/b")
    assert validity == text_validity(GARBLED_OCR)[0]
