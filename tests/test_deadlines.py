"""The deadline grammar: phrase → (kind, date). Issue date 2025-03-31."""

import pytest

from pipeline.folding import fold
from pipeline.stages.deadlines import best_deadline, phrase_to_deadlines

ISSUED = "2025-03-31"

CASES = [
    ("hoàn thành trước ngày 30/9/2025", ("by", "2025-09-30")),
    ("báo cáo UBND tỉnh trước ngày 20 tháng 9 năm 2025", ("by", "2025-09-20")),
    ("trước 14 giờ 00 ngày 29/7/2020", ("by", "2020-07-29")),
    ("chậm nhất đến ngày 01 tháng 7 năm 2028", ("by", "2028-07-01")),
    ("hoàn thành trong tháng 9 năm 2025", ("in", "2025-09")),
    ("Thời gian hoàn thành: tháng 3 năm 2025", ("in", "2025-03")),
    ("Tháng 12/2027", ("in", "2027-12")),
    ("hoàn thành trong Quý III năm 2024", ("in", "2024-09")),
    ("Quý III, IV/2026", ("in", "2026-12")),
    ("6 tháng đầu năm 2025", ("in", "2025-06")),
    ("hoàn thành trong năm 2026", ("in", "2026")),
    ("trong vòng 10 ngày kể từ ngày ký", ("by", "2025-04-10")),
    ("gửi Sở Tài chính trước ngày 05/10", ("by", "2025-10-05")),
    ("hằng tháng báo cáo kết quả", ("recurring", None)),
    ("định kỳ báo cáo", ("recurring", None)),
    ("thường xuyên kiểm tra", ("recurring", None)),
    ("khẩn trương rà soát", ("asap", None)),
    ("vào lúc 8 giờ ngày 29/5/2026 tại hội trường", ("on", "2026-05-29")),
    # the end of the period stated (ANNOTATION.md): year lists and ranges, month ranges
    ("hoàn thành trong năm 2025-2026", ("in", "2026")),
    ("hoàn thành trong các năm 2009 và 2010", ("in", "2010")),
    ("thực hiện từ tháng 9/2025 đến tháng 12/2025", ("by", "2025-12")),
    ("Thời gian: tháng 9/2025 - tháng 12/2025", ("by", "2025-12")),
    ("gửi báo cáo về Văn phòng Chính phủ trong ngày 10 tháng 01 năm 2026", ("by", "2026-01-10")),
    ("hoàn thành ngay trước thời điểm 30/4/2026", ("by", "2026-04-30")),
    ("Đến năm 2015, hoàn thành chương trình hỗ trợ", ("by", "2015")),
    ("trong năm 2026 và tính đến hết ngày 31/12/2026", ("by", "2026-12-31")),
]


@pytest.mark.parametrize("phrase,expected", CASES, ids=[c[0][:30] for c in CASES])
def test_phrase_to_deadline(phrase, expected):
    best = best_deadline(phrase_to_deadlines(fold(phrase), ISSUED))
    assert best is not None
    assert (best["kind"], best["date"]) == expected


@pytest.mark.parametrize(
    "phrase",
    [
        "thực hiện Công văn số 426/UBND-HCC ngày 12/8/2025 của UBND tỉnh",
        "theo Quyết định số 468/QĐ-TTg ngày 27 tháng 3 năm 2021 của Thủ tướng Chính phủ",
        "Nghị quyết 57-NQ/TW ngày 22 tháng 12 năm 2024",
    ],
)
def test_cited_document_dates_are_not_deadlines(phrase):
    best = best_deadline(phrase_to_deadlines(fold(phrase), ISSUED))
    assert best is None or best["date"] is None


@pytest.mark.parametrize(
    ("cell", "kind", "date"),
    [
        ("Năm 2026", "in", "2026"),
        ("12/2027", "in", "2027-12"),
        ("6/2027", "in", "2027-06"),
        ("2024 - 2025", "in", "2025"),
        ("Quý IV/2026", "in", "2026-12"),
        ("29/6/2026 - 09/7/2026", "by", "2026-07-09"),
        ("23/3/2026", "on", "2026-03-23"),
        ("Hằng năm", "recurring", None),
    ],
)
def test_table_time_cells(cell, kind, date):
    from pipeline.folding import fold
    from pipeline.stages.deadlines import best_deadline, phrase_to_deadlines

    got = best_deadline(phrase_to_deadlines(fold(cell), "2026-03-01", cell=True))
    assert got is not None and (got["kind"], got["date"]) == (kind, date)
