"""The learned decisions: features, training, shipped weights, confidences."""

import json
from pathlib import Path

from pipeline import default_pipeline, extract_text
from pipeline.state import WorkingState
from pipeline.taskmodel import LinearModel, attribute_label, shipped_model, task_decision, train_logistic

ROOT = Path(__file__).resolve().parents[1]


def test_logistic_training_learns_a_separable_rule_and_round_trips():
    rows = [{"cue:assign": 1.0}] * 20 + [{"cue:past": 1.0}] * 20
    labels = [1] * 20 + [0] * 20
    m = train_logistic(rows, labels, name="t", l2=0.1, min_count=1)
    assert m.proba({"cue:assign": 1.0}) > 0.9 > 0.1 > m.proba({"cue:past": 1.0})
    again = LinearModel.from_json(m.to_json())
    assert again.proba({"cue:assign": 1.0}) == m.proba({"cue:assign": 1.0})


def test_rare_features_are_dropped():
    rows = [{"a": 1.0, "only-once": 1.0}] + [{"a": 1.0}] * 9 + [{}] * 10
    m = train_logistic(rows, [1] * 10 + [0] * 10, name="t", min_count=3)
    assert "only-once" not in m.weights and "a" in m.weights


def test_shipped_models_are_small_json_trained_on_dev_only():
    split = json.loads((ROOT / "corpus/split.json").read_text(encoding="utf-8"))
    for name in ("task", "lead", "support", "deadline", "entire"):
        path = ROOT / "pipeline/resources/models" / f"{name}.json"
        assert path.stat().st_size < 200_000
        m = shipped_model(name)
        assert m is not None and m.meta["trained_on"] == "corpus dev part"
        assert m.meta["documents"] <= len(split["dev"])


def test_decision_band_defers_to_the_rules():
    m = LinearModel("task", {"x": 0.1}, 0.0, meta={"margin": 0.2})
    assert task_decision(m, {"x": 1.0}, rule_keep=False) is False
    assert task_decision(m, {"x": 1.0}, rule_keep=True) is True
    sure = LinearModel("task", {"x": 5.0}, 0.0, meta={"margin": 0.2})
    assert task_decision(sure, {"x": 1.0}, rule_keep=False) is True


def test_the_model_drops_a_reports_narrative_that_the_rules_keep():
    report = (ROOT / "corpus/docs/240.docx")
    from pipeline import extract

    rules = default_pipeline(task_model=None, value_models=None).run(WorkingState(path=str(report))).document
    learned = extract(report)
    assert len(rules.tasks) > 5 and len(learned.tasks) < len(rules.tasks) / 2


def test_tasks_carry_confidences_between_0_and_1():
    doc = extract_text((ROOT / "corpus/docs/102.txt").read_text(encoding="utf-8"))
    assert doc.tasks
    for t in doc.tasks:
        assert set(t.confidences) >= {"task", "lead", "support", "deadline"}
        assert all(0 <= v <= 1 for v in t.confidences.values())
        assert t.confidence <= t.confidences["task"] + 1e-9


def test_attribute_labels():
    assert attribute_label("cơ quan chủ trì: sở nội vụ")[0] == "lead"
    assert attribute_label("thời gian thực hiện kế hoạch: từ khi ban hành đến hết năm 2030")[0] == "time"
    assert attribute_label("cơ quan phối hợp: các sở")[0] == "support"
    assert attribute_label("giao sở nội vụ chủ trì: tổng hợp") is None


def test_labelled_attribute_sub_items_fill_their_item():
    text = """ỦY BAN NHÂN DÂN TỈNH AN GIANG
Số: 12/KH-UBND                      An Giang, ngày 31 tháng 3 năm 2025
KẾ HOẠCH
Cải cách hành chính năm 2025
II. NHIỆM VỤ
1. Rà soát, đơn giản hóa thủ tục hành chính trong lĩnh vực đất đai.
a) Cơ quan chủ trì: Sở Nông nghiệp và Môi trường.
b) Cơ quan phối hợp: Sở Tư pháp.
c) Thời gian thực hiện: tháng 6 năm 2025.
2. Xây dựng cơ sở dữ liệu cán bộ, công chức.
a) Cơ quan chủ trì: Sở Nội vụ.
b) Thời gian thực hiện: quý III năm 2025.
"""
    doc = default_pipeline(task_model=None, value_models=None).run(WorkingState(given_text=text)).document
    by = {t.id: t for t in doc.tasks}
    assert set(by) == {"II.1", "II.2"}
    assert [a.name for a in by["II.1"].lead] == ["Sở Nông nghiệp và Môi trường"]
    assert [a.name for a in by["II.1"].support] == ["Sở Tư pháp"]
    assert by["II.1"].deadline.date == "2025-06" and by["II.2"].deadline.date == "2025-09"
    assert [a.name for a in by["II.2"].lead] == ["Sở Nội vụ"]
