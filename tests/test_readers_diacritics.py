"""Tone marks detached by a conversion are put back on their words."""

import pytest

from pipeline.readers.diacritics import detached_runs, reattach, with_tone
from pipeline.readers.text import text_to_rawtext


@pytest.mark.parametrize(
    "broken,fixed",
    [
        ("V/v báo cáo nhanh tinh hình bị thiêt hai \u0300 \u0323 \u0323 do lũ lụt",
         "V/v báo cáo nhanh tình hình bị thiệt hại do lũ lụt"),
        ("của nganh Giao duc và Đao tao. \u0300 \u0301 \u0323 \u0300 \u0323 Kính gửi",
         "của ngành Giáo dục và Đào tạo. Kính gửi"),
    ],
    ids=["tinh-hinh-thiet-hai", "giao-duc-dao-tao"],
)
def test_reattach(broken, fixed):
    text, placed = reattach(broken)
    assert placed == 1
    assert text == fixed


@pytest.mark.parametrize("word,mark,out", [("hoa", "\u0300", "hòa"), ("tuong", "\u0301", "tuóng"),
                                           ("thiêt", "\u0323", "thiệt"), ("quy", "\u0301", "quý")])
def test_tone_goes_on_the_right_vowel(word, mark, out):
    assert with_tone(word, mark) == out


def test_ordinary_text_is_left_alone():
    s = "Giao Sở Nội vụ chủ trì, phối hợp với Công an tỉnh."
    assert detached_runs(s) == 0
    raw = text_to_rawtext(s)
    assert raw.text == s and not raw.warnings


def test_reader_repairs_and_warns():
    broken = " ".join(["tinh hình bị thiêt hai \u0300 \u0323 \u0323"] * 3)
    raw = text_to_rawtext(broken)
    assert "tình hình bị thiệt hại" in raw.text
    assert [c for c, _ in raw.warnings] == ["diacritics-reattached"]
