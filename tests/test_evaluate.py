"""The scorer: independent of the code it scores, names compared as written."""

import ast
import json
from pathlib import Path

import pytest

from pipeline.evaluate import Count, Folder, fold_text, match_tasks, new_counts, score_document

ROOT = Path(__file__).resolve().parents[1]
F = Folder(str(ROOT / "corpus" / "abbreviations.yaml"))


def test_the_scorer_imports_nothing_of_the_pipeline():
    tree = ast.parse((ROOT / "pipeline" / "evaluate.py").read_text(encoding="utf-8"))
    mods = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    ]
    assert not [m for m in mods if m and (m.startswith("pipeline") or m.startswith("models"))]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ủy ban nhân dân tỉnh", "Uỷ ban nhân dân tỉnh"),
        ("UBND các xã, phường", "Ủy ban nhân dân các xã, phường"),
        ("Sở KH&CN", "Sở Khoa học và Công nghệ"),
        ("SỞ NỘI VỤ", "Sở Nội vụ"),
        ("hòa", "hoà"),
    ],
)
def test_folded_alike(a, b):
    assert F.name(a) == F.name(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("UBND các xã, phường", "UBND các xã, phường, đặc khu"),  # a canonical rewrite adds words
        ("Công an thành phố Hà Nội", "Công an tỉnh Hà Nội"),
        ("Các cơ quan liên quan", "Các cơ quan, đơn vị liên quan"),
    ],
)
def test_rewritten_names_do_not_score(a, b):
    assert F.name(a) != F.name(b)


def test_tone_fold_keeps_distinct_words_apart():
    assert fold_text("bán") != fold_text("bạn")


def test_tasks_match_at_similarity_0_7_not_0_5():
    gold = [{"text": "Giao Sở Nội vụ chủ trì tổng hợp báo cáo kết quả thực hiện trước ngày 30/9/2025"}]
    near = [{"text": "Giao Sở Nội vụ chủ trì tổng hợp báo cáo kết quả thực hiện trước ngày 30/9/2025 gửi Ủy ban"}]
    half = [{"text": "Giao Sở Nội vụ chủ trì tổng hợp báo cáo về công tác tuyển dụng viên chức năm sau"}]
    assert match_tasks(gold, near) == [(0, 0)]
    assert match_tasks(gold, half) == []


def test_task_entirely_right():
    t = {"text": "Giao Sở Nội vụ chủ trì tổng hợp báo cáo", "lead": [{"name": "Sở Nội vụ"}], "support": [],
         "deadline": {"date": "2025-09-30", "kind": "by", "text": "x"}}
    wrong = dict(t, deadline=None)
    counts = new_counts()
    score_document("x", {"tasks": [t, dict(t, text="Giao Sở Tài chính bố trí kinh phí thực hiện")]},
                   {"tasks": [t, dict(wrong, text="Giao Sở Tài chính bố trí kinh phí thực hiện")]}, counts, F)
    er: Count = counts["task.entirely_right"]
    assert (er.tp, er.fn) == (1, 1)


def test_every_gold_file_is_nfc_and_complete():
    import unicodedata

    for p in sorted((ROOT / "corpus" / "gold").glob("*.json")):
        s = p.read_text(encoding="utf-8")
        assert s == unicodedata.normalize("NFC", s), p.name
        d = json.loads(s)
        for t in d["tasks"]:
            assert t["text"] and isinstance(t["lead"], list) and isinstance(t["support"], list), (p.name, t.get("id"))
            if t["deadline"]:
                assert t["deadline"]["kind"] in {"by", "in", "on", "recurring", "asap"}, (p.name, t["id"])
