"""Header and closing on the three ways text arrives: layout columns side by
side, columns one after the other, and markdown table cells."""

import pytest

from pipeline import extract_text

LAYOUT = """\
     ỦY BAN NHÂN DÂN                CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
       TỈNH LÀO CAI                       Độc lập - Tự do - Hạnh phúc

      Số: 134 /KH-UBND                   Lào Cai, ngày 26 tháng 3 năm 2026


                                KẾ HOẠCH
  Thực hiện Nghị quyết số 34-NQ/TU của Tỉnh uỷ Lào Cai ngày 27/12/2025
 về phát triển các khu, cụm công nghiệp

      1. Giao Sở Công Thương chủ trì, phối hợp với Sở Xây dựng rà soát quy hoạch,
hoàn thành trước ngày 30/9/2026.
Nơi nhận:                                          KT. CHỦ TỊCH
- Như trên;                                        PHÓ CHỦ TỊCH
- Lưu: VT, KT.


                                                  Nguyễn Thế Phước
"""

SEQUENTIAL = """
ỦY BAN NHÂN DÂN
 TỈNH AN GIANG

Số:  440 /UBND-TH
V/v thực hiện Thông báo số 25/TB-
VPCP ngày 24 tháng 01 năm 2025

của Văn phòng Chính phủ

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

An Giang, ngày  31  tháng  3  năm 2025

Kính gửi:
- Các sở, ban, ngành tỉnh;
- UBND các huyện, thị xã, thành phố.

Chủ tịch Ủy ban nhân dân tỉnh yêu cầu các cơ quan, đơn vị thực hiện các nhiệm vụ sau:

1. Sở Nội vụ chủ trì tham mưu kế hoạch cải cách hành chính năm 2025.

Nơi nhận:
- Như trên;
- Lưu: VT.

CHỦ TỊCH

Hồ Văn Mừng
"""

BLANK_NUMBER = """\
 Số:           /UBND-HCC
V/v khẩn trương giải quyết thủ tục hành chính

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

An Giang, ngày        tháng 9 năm 2025
"""

MARKDOWN = """\
| VĂN PHÒNG CHÍNH PHỦ ------- | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc  --------------- |
| --- | --- |
| Số: 3479/VPCP-NN *V/v xây dựng Đề án thí điểm* | *Hà Nội, ngày 26 tháng 5 năm 2021* |
| Kính gửi: | - Bộ Tài chính; - Ủy ban nhân dân tỉnh Quảng Nam. |
| --- | --- |
1. Giao Bộ Tài chính chủ trì hướng dẫn Ủy ban nhân dân tỉnh Quảng Nam.
| *Nơi nhận:* - Như trên; - Lưu: VT, NN (2). | KT. BỘ TRƯỞNG, CHỦ NHIỆM PHÓ CHỦ NHIỆM     Nguyễn Cao Lục |
| --- | --- |
"""


def test_layout_columns_pulled_apart():
    d = extract_text(LAYOUT)
    assert d.issuer is not None and d.issuer.name == "Ủy ban nhân dân tỉnh Lào Cai"
    assert d.number is not None and d.number.raw == "134/KH-UBND"
    assert (d.place, d.issued_date, d.doc_type) == ("Lào Cai", "2026-03-26", "Kế hoạch")
    assert d.subject and d.subject.startswith("Thực hiện Nghị quyết số 34-NQ/TU")
    assert d.distribution == ["Như trên", "Lưu: VT, KT"]
    assert d.signer is not None
    assert (d.signer.authority, d.signer.for_position, d.signer.position, d.signer.name) == (
        "KT.", "Chủ tịch", "Phó Chủ tịch", "Nguyễn Thế Phước",
    )


def test_sequential_columns_and_wrapped_subject():
    d = extract_text(SEQUENTIAL)
    assert d.issuer.name == "Ủy ban nhân dân tỉnh An Giang"
    assert d.number.raw == "440/UBND-TH" and d.number.serial == "440" and d.number.notation == "UBND-TH"
    assert d.issued_date == "2025-03-31" and d.place == "An Giang"
    assert d.doc_type == "Công văn"
    assert d.subject == "thực hiện Thông báo số 25/TB-VPCP ngày 24 tháng 01 năm 2025 của Văn phòng Chính phủ"
    assert d.recipients == ["Các sở, ban, ngành tỉnh", "UBND các huyện, thị xã, thành phố"]
    assert d.signer.name == "Hồ Văn Mừng" and d.signer.position == "Chủ tịch"


def test_blank_number_and_day_give_null_and_warnings():
    d = extract_text(BLANK_NUMBER)
    assert d.number.raw == "/UBND-HCC" and d.number.serial is None
    assert d.issued_date == "2025-09"
    codes = {w.code for w in d.warnings}
    assert {"number-blank", "date-partial", "issuer-missing"} <= codes
    assert d.issuer is None


def test_markdown_table_header_and_closing():
    d = extract_text(MARKDOWN)
    assert d.issuer.name == "Văn phòng Chính phủ"
    assert d.number.raw == "3479/VPCP-NN"
    assert d.issued_date == "2021-05-26" and d.place == "Hà Nội"
    assert d.recipients == ["Bộ Tài chính", "Ủy ban nhân dân tỉnh Quảng Nam"]
    assert d.signer.name == "Nguyễn Cao Lục" and d.signer.authority == "KT."
    assert d.signer.position == "Phó Chủ nhiệm"


@pytest.mark.parametrize(
    "marker,field,value",
    [("HỎA TỐC", "urgency", "Hỏa tốc"), ("KHẨN", "urgency", "Khẩn"), ("MẬT", "secrecy", "Mật")],
)
def test_urgency_and_secrecy_markers(marker, field, value):
    d = extract_text(LAYOUT.replace("      Số: 134", f"   {marker}\n      Số: 134"))
    assert getattr(d, field) == value


def test_spans_point_at_the_values():
    d = extract_text(LAYOUT)
    a, b = d.spans["number"]
    assert d.text[a:b].replace(" ", "") == "134/KH-UBND"
    a, b = d.spans["issued_date"]
    assert "26 tháng 3 năm 2026" in d.text[a:b]


def test_illegible_handwritten_serial_keeps_the_notation_and_spans_the_ink():
    """OCR of an inked serial ("Số: 0ʹ7 /CT-UBND" read as "Số: ~~ /CT-UBND"): the
    serial is not guessed, the notation is kept, and the span runs from "Số" over
    the ink, so the review screen can show that part of the page beside the field."""
    from pipeline import extract_text

    text = (
        "ỦY BAN NHÂN DÂN                CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "TỈNH LÀO CAI                        Độc lập - Tự do - Hạnh phúc\n"
        "Số: ~ʹ; /CT-UBND                  Lào Cai, ngày 12 tháng 3 năm 2018\n\n"
        "CHỈ THỊ\nVề tăng cường phòng cháy\n\n"
        "1. Giao Công an tỉnh chủ trì kiểm tra phòng cháy, hoàn thành trước ngày 30/6/2018.\n"
    )
    doc = extract_text(text)
    assert doc.number is not None and doc.number.serial is None and doc.number.notation == "CT-UBND"
    a, b = doc.spans["number"]
    assert doc.text[a:b].startswith("Số:") and doc.text[a:b].endswith("CT-UBND")
    assert "number-illegible" in [w.code for w in doc.warnings]


@pytest.mark.parametrize(
    "line,number,place",
    [
        ("Số: 476/UBND Châu Thành, ngày 14 tháng 6 năm 2017", "476/UBND", "Châu Thành"),
        ("Số:470/TCT-TTKT Hà Nội, ngày 05 tháng 5 năm 2020", "470/TCT-TTKT", "Hà Nội"),
    ],
)
def test_number_and_place_on_one_line_without_a_column_gap(line, number, place):
    """Web text puts the number and the place-and-date on one line with single
    spaces: the place is the words before ', ngày', never the tail of the number."""
    text = (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "HUYỆN CHÂU THÀNH Độc lập - Tự do - Hạnh phúc\n\n"
        f"{line}\n\n"
        "V/v hưởng ứng ngày vệ sinh yêu nước\n\n"
        "Kính gửi: Các cơ quan, đơn vị trên địa bàn huyện.\n\n"
        "Ủy ban nhân dân huyện đề nghị các cơ quan tổ chức thực hiện trước ngày 30/6/2017.\n"
    )
    doc = extract_text(text)
    assert doc.number is not None and doc.number.raw == number
    assert doc.place == place


def test_recipients_when_ocr_lost_the_word_kinh():
    """OCR under a stamp may drop "Kính": a line opening with "gửi:" still names the recipients,
    and a qualifier broken over the line ("… trực / thuộc Trung ương") stays in the name."""
    text = (
        "BỘ TÀI CHÍNH CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "TỔNG CỤC THUẾ Độc lập - Tự do - Hạnh phúc\n"
        "Số: 4302/TCT-TTr Hà Nội, ngày 05 tháng 11 năm 2018\n\n"
        "V/v tăng cường công tác thanh tra\n\n"
        "gửi: Cục Thuế các tỉnh, thành phố trực\nthuộc Trung ương.\n\n"
        "Tổng cục Thuế đề nghị:\n1. Tăng cường công tác thanh tra, kiểm tra thuế trong quý IV năm 2018.\n"
    )
    doc = extract_text(text)
    assert doc.recipients == ["Cục Thuế các tỉnh, thành phố trực thuộc Trung ương"]
    assert [a.name for a in doc.tasks[0].lead] == ["Cục Thuế các tỉnh, thành phố trực thuộc Trung ương"]


def test_signer_name_centred_under_the_title_and_printed_with_a_rank():
    """The name is centred under the title (it starts left of it) and may carry a
    rank that is no part of the name ('Thiếu tướng', 'Đại: tá' as OCR reads it)."""
    body = (
        "CÔNG AN TỈNH LÂM ĐỒNG                 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "                                      Độc lập - Tự do - Hạnh phúc\n"
        "Số: 298/CAT-PC04                      Lâm Đồng, ngày 14 tháng 6 năm 2025\n"
        "V/v cai nghiện ma túy\n\n"
        "Kính gửi: Ủy ban nhân dân tỉnh Lâm Đồng.\n\n"
        "Công an tỉnh đề nghị Ủy ban nhân dân tỉnh xem xét, quyết định./.\n\n"
        "Nơi nhận:                                           GIÁM ĐỐC\n"
        "- Như trên;\n"
        "- Lưu: VT, PC04.\n\n"
        "                                            {name}\n"
    )
    for printed, name in [
        ("Nguyễn Hoàng Giang", "Nguyễn Hoàng Giang"),
        ("Thiếu tướng Trương Minh Đương", "Trương Minh Đương"),
        ("Đại: tá Huỳnh Ngọc Liêm", "Huỳnh Ngọc Liêm"),
    ]:
        doc = extract_text(body.format(name=printed))
        assert doc.signer is not None and doc.signer.name == name, printed
        assert doc.distribution == ["Như trên", "Lưu: VT, PC04."] or len(doc.distribution) == 2


def test_garbled_ocr_title_lines_snap_to_the_known_title_inside():
    from pipeline.vocabulary import snap_title

    assert snap_title("T. chủ tịch phó chủ tịch sh am", ocr=True) == "Phó Chủ tịch"  # "KT." read "T."
    assert snap_title("Kt.giám đốc phó giám đốc vvv lll", ocr=True) == "Phó Giám đốc"
    assert snap_title("Phó Chủ tịc", ocr=True) == "Phó Chủ tịch"  # last letter lost
    # typed text keeps a title with its body as written
    assert snap_title("Vụ trưởng Vụ Tổ chức phi Chính phủ") == "Vụ trưởng Vụ Tổ chức phi Chính phủ"


@pytest.mark.parametrize(
    "title,doc_type", [("TỜÒ TRÌNH", "Tờ trình"), ("BÁO CÁO ĐỀ XUẤT", "Báo cáo"), ("THÔNG BÁO KẾT LUẬN", "Thông báo")]
)
def test_type_title_with_ocr_doubling_or_a_qualifier(title, doc_type):
    text = (
        "CÔNG AN TỈNH LÂM ĐỒNG                 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "                                      Độc lập - Tự do - Hạnh phúc\n"
        "Số: 298/TTr-CAT                       Lâm Đồng, ngày 14 tháng 6 năm 2025\n"
        f"                         {title}\n\n"
        "            V/v xin chủ trương triển khai công tác cai nghiện\n\n"
        "Kính gửi: Ủy ban nhân dân tỉnh Lâm Đồng.\n\n"
        "Công an tỉnh kính đề nghị Ủy ban nhân dân tỉnh xem xét./.\n"
    )
    doc = extract_text(text)
    assert doc.doc_type == doc_type
    assert doc.subject == "xin chủ trương triển khai công tác cai nghiện"


def test_a_scrape_with_literal_line_ends():
    """A web scrape that kept its line ends as the letters '\\r\\n'."""
    text = (
        "\\r\\n ỦY BAN NHÂN DÂN \\r\\n TỈNH LẠNG SƠN \\r\\n\\r\\n Số: 54/KH-UBND \\r\\n Lạng Sơn, ngày 27 tháng 3 năm 2020 \\r\\n"
        "KẾ HOẠCH\\r\\nHành động về dinh dưỡng\\r\\n\\r\\n1. Giao Sở Y tế chủ trì thực hiện trước ngày 30/6/2020.\\r\\n"
    )
    doc = extract_text(text)
    assert doc.number is not None and doc.number.raw == "54/KH-UBND"
    assert doc.doc_type == "Kế hoạch"
    assert doc.subject == "Hành động về dinh dưỡng"


CAPS_TITLE = """\
ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH LAI CHÂU                             Độc lập - Tự do - Hạnh phúc
Số: 05/CT-UBND                      Lai Châu, ngày 10 tháng 4 năm 2019

CHỈ THỊ
VỀ VIỆC TĂNG CƯỜNG THỰC HIỆN CÁC GIẢI PHÁP BẢO ĐẢM TRẬT TỰ
AN TOÀN GIAO THÔNG TRÊN ĐỊA BÀN TỈNH LAI CHÂU
Sau 02 năm triển khai thực hiện, tình hình trật tự an toàn giao thông có chuyển biến.
"""


@pytest.mark.parametrize("line", ["Về viêc tạm dừng tiếp công dân", "VỀ VIỆC TẠM DỪNG TIẾP CÔNG DÂN", "V/v tạm dừng tiếp công dân"])
def test_ve_viec_is_no_part_of_the_subject_in_any_case(line):
    lines = CAPS_TITLE.split("\n")
    doc = extract_text("\n".join(lines[:5] + [line, ""] + lines[7:]))
    assert doc.subject.lower() == "tạm dừng tiếp công dân"


def test_a_subject_in_capitals_ends_where_the_body_begins():
    doc = extract_text(CAPS_TITLE)
    assert doc.subject == "TĂNG CƯỜNG THỰC HIỆN CÁC GIẢI PHÁP BẢO ĐẢM TRẬT TỰ AN TOÀN GIAO THÔNG TRÊN ĐỊA BÀN TỈNH LAI CHÂU"


@pytest.mark.parametrize(
    "top,name,parent",
    [
        ("UBND TỈNH BÌNH THUẬN", "Văn phòng Ủy ban nhân dân tỉnh", "Ủy ban nhân dân tỉnh Bình Thuận"),
        ("BỘ TÀI CHÍNH", "Văn phòng Bộ", "Bộ Tài chính"),
    ],
)
def test_a_bare_van_phong_is_named_as_the_office_of_its_parent(top, name, parent):
    doc = extract_text(
        f"{top}              CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "VĂN PHÒNG                 Độc lập - Tự do - Hạnh phúc\n"
        "Số: 12/VP-TH              Hà Nội, ngày 10 tháng 12 năm 2024\n"
        "V/v công bố thủ tục hành chính\n\nKính gửi: Các sở, ban, ngành.\n\nĐề nghị các sở rà soát.\n"
    )
    assert (doc.issuer.name, doc.issuer.parent) == (name, parent)


@pytest.mark.parametrize("line", ["Hà Nội, ngảy 23 thóng 3 nãm 2021", "Hà Nội, ngay 23 thang 3 nam 2021"])
def test_the_date_line_with_the_marks_ocr_puts_wrong(line):
    doc = extract_text(
        "ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        f"TỈNH LAI CHÂU                      {line}\n"
        "Số: 05/UBND-TH\nV/v cải cách hành chính\n\nKính gửi: Các sở, ban, ngành.\n\nĐề nghị các sở rà soát.\n"
    )
    assert (doc.place, doc.issued_date) == ("Hà Nội", "2021-03-23")
