"""Outline → tasks → roles → deadlines on small documents."""

from pipeline import default_pipeline
from pipeline.state import WorkingState

# These tables pin the rules (outline, roles, deadlines, splitting). The learned
# task filter is tested in tests/test_taskmodel.py and scored by `congvan eval`.
RULES = default_pipeline(task_model=None, value_models=None)


def rules(text):
    return RULES.run(WorkingState(given_text=text)).document

CONG_VAN = """\
ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH AN GIANG                             Độc lập - Tự do - Hạnh phúc
Số: 12/UBND-TH                      An Giang, ngày 31 tháng 3 năm 2025
V/v cải cách hành chính

Kính gửi: Các sở, ban, ngành tỉnh.

Chủ tịch Ủy ban nhân dân tỉnh yêu cầu các cơ quan, đơn vị và các địa phương thực hiện các nhiệm vụ sau:
1. Các sở, ban, ngành tỉnh
a) Khẩn trương triển khai các chủ trương của Đảng về cải cách hành chính.
b) Thường xuyên rà soát thủ tục hành chính theo Quyết định số 468/QĐ-TTg ngày 27 tháng 3 năm 2021
của Thủ tướng Chính phủ.
2. Giao Sở Nội vụ chủ trì, phối hợp với Công an tỉnh, Sở Khoa học và Công nghệ tham mưu thành lập
Ban Chỉ đạo, hoàn thành trước ngày 30/9/2025. Giao Văn phòng Ủy ban nhân dân tỉnh theo dõi, đôn đốc.
3. Thủ trưởng các sở, ban, ngành chịu trách nhiệm thi hành Công văn này.
Nơi nhận:
- Như trên;
- Lưu: VT.
"""

REPORT = """\
BÁO CÁO
Kết quả cải cách hành chính năm 2025

I. Kết quả đạt được
1. Sở Nội vụ đã chủ trì tham mưu kế hoạch cải cách hành chính.
II. Phương hướng, nhiệm vụ
- Tiếp tục rà soát, đơn giản hóa thủ tục hành chính trong 6 tháng cuối năm 2025.
III. Kiến nghị
Đề nghị Bộ Nội vụ sớm ban hành hướng dẫn.
"""


def _tasks(doc):
    return {t.id: t for t in doc.tasks}


def test_heading_passes_lead_and_children_are_tasks():
    t = _tasks(rules(CONG_VAN))
    assert {"1.a", "1.b", "2"} <= set(t)
    assert "1" not in t  # "1. Các sở, ban, ngành tỉnh" only names addressees
    assert [a.name for a in t["1.a"].lead] == ["Các sở, ban, ngành tỉnh"]
    assert t["1.a"].deadline.kind == "asap"
    assert t["1.b"].deadline.kind == "recurring"  # the cited decision's date is not a deadline


def test_lead_support_deadline_and_split_sentence():
    t = _tasks(rules(CONG_VAN))
    two = t["2"]
    assert [a.name for a in two.lead] == ["Sở Nội vụ"]
    assert [a.name for a in two.support] == ["Công an tỉnh", "Sở Khoa học và Công nghệ"]
    assert (two.deadline.kind, two.deadline.date) == ("by", "2025-09-30")
    assert "2#2" in t and [a.name for a in t["2#2"].lead] == ["Văn phòng Ủy ban nhân dân tỉnh"]


def test_boilerplate_is_no_task():
    t = _tasks(rules(CONG_VAN))
    assert not any("chịu trách nhiệm thi hành" in x.text for x in t.values())


def test_task_spans_index_the_text():
    d = rules(CONG_VAN)
    for task in d.tasks:
        a, b = task.span
        assert 0 <= a < b <= len(d.text)
        assert task.text.split()[0] in d.text[a:b]


def test_report_narrative_and_recommendations_hold_no_tasks():
    d = rules(REPORT)
    assert d.doc_type == "Báo cáo"
    assert [t.id for t in d.tasks] == ["II.-1"]
    assert (d.tasks[0].deadline.kind, d.tasks[0].deadline.date) == ("in", "2025-12")


def test_ids_are_stable_across_runs():
    assert [t.id for t in rules(CONG_VAN).tasks] == [t.id for t in rules(CONG_VAN).tasks]


def test_a_stage_moved_before_what_it_needs_is_refused():
    """Header after Deadlines used to be accepted and silently lost every task."""
    import pytest

    from pipeline.errors import PipelineOrderError
    from pipeline.stage import Pipeline

    stages = default_pipeline().stages
    names = [s.name for s in stages]
    header = stages[names.index("header")]
    moved = [s for s in stages if s is not header]
    moved.insert(names.index("deadlines"), header)
    with pytest.raises(PipelineOrderError, match="requires"):
        Pipeline(moved)
    Pipeline(stages)  # the standard order is accepted
