"""OCR post-correction of the tone marks tesseract drops over â/ê/ô."""

from pipeline import extract_text
from pipeline.ocr_correct import correct_ocr_tones


def test_dropped_tones_over_a_circumflex_are_put_back_from_the_word_list():
    text = "V/v đăng ký bô sung nội dung; sản xuât, vận chuyên; sự cô mạng tỉnh Lâm Đông. Têt nguyên đán"
    fixed, n = correct_ocr_tones(text)
    assert fixed == "V/v đăng ký bổ sung nội dung; sản xuất, vận chuyển; sự cố mạng tỉnh Lâm Đồng. Tết nguyên đán"
    assert n == 6
    assert len(fixed) == len(text)  # offsets and word boxes stay valid


def test_letter_case_is_kept():
    assert correct_ocr_tones("CÔNG AN TỈNH LÂM ĐÔNG")[0] == "CÔNG AN TỈNH LÂM ĐỒNG"


def test_words_that_already_form_a_word_or_have_no_evidence_stay():
    for text in [
        "phía Đông Nam của tỉnh",  # "đông nam" is a word: nothing to correct
        "Ông Lê Thanh Liêm",  # a person's name (a run of capitalised words)
        "bô",  # no neighbour: no evidence
        "kho vật liệu nô công nghiệp",  # no toned form makes a word with a neighbour
        "điểm đấu nối liên\nquan đến",  # "liên quan" across a wrapped line is a word
        "dẫn nước vào sông Tô Lịch",  # "vào sống" is no evidence: 'vào' is a function word
        "khu vực Long Biên và Gia Lâm",  # a proper name: only agency/province names count there
    ]:
        assert correct_ocr_tones(text) == (text, 0), text


def test_typed_text_is_never_corrected():
    """Only OCR text is corrected: a typed 'bô sung' is what the author wrote."""
    text = (
        "ỦY BAN NHÂN DÂN\nTỈNH AN GIANG\nSố: 1/UBND-VP\nV/v bô sung nhiệm vụ\n"
        "Kính gửi: Sở Nội vụ.\nGiao Sở Tài chính chủ trì thực hiện trước ngày 30/6/2025.\n"
    )
    assert extract_text(text).subject == "bô sung nhiệm vụ"


def test_confused_marks_above_the_letter_are_put_right():
    # sắc, hỏi and ngã read for one another (corpus scans: "tố chức", "bỗ nhiệm", "thuốc nỗ")
    text = "thời gian tố chức Hội nghị; về việc bỗ nhiệm; chất thuốc nỗ; diện tích tối thiếu 3 ha"
    fixed, n = correct_ocr_tones(text)
    assert fixed == "thời gian tổ chức Hội nghị; về việc bổ nhiệm; chất thuốc nổ; diện tích tối thiểu 3 ha"
    assert n == 4 and len(fixed) == len(text)


def test_a_marked_word_that_already_forms_a_word_or_is_a_function_word_stays():
    for text in [
        "để có thể giao dịch",  # "có thể" is a word (with a function word: still a word)
        "Việt Nam đã cập nhật",  # "đã" is a function word: never changed
        "tổ chức thẩm định hồ sơ",  # right already
        "kỷ luật, kỷ cương",  # right already
    ]:
        assert correct_ocr_tones(text) == (text, 0), text


def test_folding_all_entries_at_once_is_folding_each() -> None:
    """The word list is folded in one pass (ocr_correct._fold_all): the same set as
    one fold per entry, on Viet74K itself and on entries where fold looks at the
    word's end or onset (tone placement oà/uý, 'quý') or a lowercase that grows (İ)."""
    from pipeline.folding import fold
    from pipeline.ocr_correct import _fold_all
    from pipeline.readers.diacritics import _lexicon as viet74k

    syllables, pairs = viet74k()
    tricky = frozenset({"hoà bình", "thuý", "quý", "khoẻ", "İstanbul", "HOÀ", "oà", ""})
    for items in (syllables, pairs, tricky, frozenset({"hoà\nbình", "quý"}), frozenset()):
        assert _fold_all(items) == frozenset(fold(x) for x in items)
