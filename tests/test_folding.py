import unicodedata

import pytest

from pipeline.folding import ascii_fold, fold


@pytest.mark.parametrize(
    "a,b",
    [
        ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
        ("CỘNG HOÀ", "cộng hòa"),
        ("thuỷ lợi", "thủy lợi"),
        ("khoẻ", "khỏe"),
        ("ƣu tiên", "ưu tiên"),
    ],
    ids=["uy", "hoa-caps", "thuy", "khoe", "broken-glyph"],
)
def test_one_canonical_form(a, b):
    assert fold(a) == fold(b)


@pytest.mark.parametrize("s", ["Quý III", "Hoàng Văn", "ỦY BAN", "Số: 12/UBND-TH", "ẞ straße"])
def test_fold_keeps_length(s):
    assert len(fold(s)) == len(s)


def test_quy_keeps_tone_on_y():
    assert fold("quý") == "quý"


def test_ascii_fold():
    assert ascii_fold("Ủy ban Đắk Lắk") == "uy ban dak lak"


def test_nfd_input_extracts_like_nfc():
    from pipeline import extract_text

    nfc = "ỦY BAN NHÂN DÂN\nTỈNH AN GIANG\nSố: 12/UBND-TH\nAn Giang, ngày 3 tháng 4 năm 2025\n"
    a = extract_text(nfc)
    b = extract_text(unicodedata.normalize("NFD", nfc))
    assert a.number == b.number and a.issued_date == b.issued_date == "2025-04-03"


def _fold_by_word(text: str) -> str:
    """The definition of fold, word by word (the slow path fold keeps for
    letters whose lowercase is longer); the fast path must give the same."""
    from pipeline.folding import _fold_slow

    return _fold_slow(text)


def test_fast_fold_equals_word_by_word_fold_on_the_corpus():
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "corpus"
    texts = [
        (root / e["file"]).read_text(encoding="utf-8", errors="replace")
        for e in map(json.loads, (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines())
        if e["kind"] == "text"
    ]
    assert len(texts) > 20
    for t in texts:
        assert fold(t) == _fold_by_word(t)


def test_fast_fold_equals_word_by_word_fold_on_generated_text():
    import random

    rng = random.Random(7)
    alphabet = "oOuUqQyYaAeE àáảãạÀÁẢÃẠèéẻẽẹÈÉẺẼẸỳýỷỹỵỲÝỶỸỴ2_-.ƢƣİđĐ\n"
    for _ in range(3000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert fold(s) == _fold_by_word(s), repr(s)
        assert len(fold(s)) == len(s)
