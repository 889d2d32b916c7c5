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


PROSE_LETTER = """\
BỘ TÀI CHÍNH                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỔNG CỤC HẢI QUAN                     Độc lập - Tự do - Hạnh phúc
Số: 9885/TCHQ-TXNK                     Hà Nội, ngày 17 tháng 10 năm 2016
V/v trao đổi thông tin thu NSNN

Kính gửi: Cục Hải quan thành phố Hồ Chí Minh.

Tổng cục Hải quan nhận được công văn số 2566/HQHCM-TXNK ngày 21/9/2016 của Cục Hải quan
thành phố Hồ Chí Minh về việc đề nghị hướng dẫn xử lý thông tin thu ngân sách nhà nước.

Việc xử lý thông tin khi hệ thống gặp sự cố thực hiện theo quy định tại Điều 24 Thông tư số
184/2015/TT-BTC ngày 17/11/2015 của Bộ Tài chính. Đề nghị Cục Hải quan TP Hồ Chí Minh liên hệ
với đầu mối các ngân hàng để phối hợp xử lý nộp tiền thuế (danh sách ban hành kèm theo công văn
2107/TCHQ-TXNK ngày 13/3/2015), báo cáo kết quả trước ngày 30/11/2016.

Tổng cục Hải quan thông báo để Cục Hải quan thành phố Hồ Chí Minh được biết và thực hiện./.

Nơi nhận:
- Như trên;
- Lưu: VT.
"""


def test_prose_sentence_that_assigns_is_a_task_from_its_own_sentence():
    """A công văn without numbered items: the task starts at the sentence that
    hands the work over (mid-paragraph), not at the paragraph; a cited request
    ("về việc đề nghị") and a remark in brackets that reads like boilerplate
    ("ban hành kèm theo") change nothing; the name goes on over its place."""
    doc = rules(PROSE_LETTER)
    assert [t.text[:40] for t in doc.tasks] == ["Đề nghị Cục Hải quan TP Hồ Chí Minh liên"]
    t = doc.tasks[0]
    assert [a.name for a in t.lead] == ["Cục Hải quan TP Hồ Chí Minh"]
    assert t.deadline is not None and t.deadline.date == "2016-11-30"


def test_assigning_cue_and_closing_only():
    from pipeline.stages.tasks import assigning_cue

    assert assigning_cue("do thời gian gấp, đề nghị các cơ quan gửi danh sách về công an tỉnh")
    assert not assigning_cue("theo đề nghị của sở tư pháp tại tờ trình số 12")
    assert not assigning_cue("công an tỉnh đã gửi công văn về việc đề nghị các cơ quan cử nhân sự")
    assert not assigning_cue("công ty có hồ sơ đề nghị cấp giấy phép vận chuyển")
    closing = PROSE_LETTER.replace(
        "Tổng cục Hải quan thông báo để Cục Hải quan thành phố Hồ Chí Minh được biết và thực hiện./.",
        "Đề nghị Cục Hải quan thành phố Hồ Chí Minh nghiêm túc triển khai thực hiện./.",
    )
    assert len(rules(closing).tasks) == 1  # a closing request to carry the letter out is no task


def test_converter_page_break_line_is_not_an_item():
    text = CONG_VAN.replace(
        "b) Thường xuyên rà soát", "--- PAGE BREAK ---\n\nb) Thường xuyên rà soát"
    ).replace("a) Khẩn trương triển khai các chủ trương của Đảng về cải cách hành chính.",
              "a) Khẩn trương triển khai các chủ trương của Đảng về cải cách hành chính.\n--- PAGE BREAK ---")
    doc = rules(text)
    assert not any("PAGE BREAK" in t.text for t in doc.tasks)
    assert [t.id for t in doc.tasks][:2] == ["1.a", "1.b"]


def test_name_goes_on_over_place_and_number_on_its_line():
    from pipeline.folding import fold
    from pipeline.mentions import default_gazetteer

    g = default_gazetteer()
    for s, name in [
        ("Giao Ban Quản lý các khu công nghiệp Bình Thuận chủ trì.", "Ban Quản lý các khu công nghiệp Bình Thuận"),
        ("Giao Phòng Nông nghiệp và Môi trường huyện chủ trì.", "Phòng Nông nghiệp và Môi trường huyện"),
        ("Đề nghị UBND các tỉnh, thành phố trực thuộc Trung ương báo cáo.", "UBND các tỉnh, thành phố trực thuộc Trung ương"),
        ("Yêu cầu Cục Thuế các tỉnh, thành phố trực thuộc Trung ương báo cáo.", "Cục Thuế các tỉnh, thành phố trực thuộc Trung ương"),
        ("Giao Ngân hàng Nhà nước Việt Nam - Chi nhánh tỉnh Quảng Ngãi chủ trì.", "Ngân hàng Nhà nước Việt Nam - Chi nhánh tỉnh Quảng Ngãi"),
        ("Ngân hàng Chính sách xã hội - Chi nhánh Lào Cai phối hợp.", "Ngân hàng Chính sách xã hội - Chi nhánh Lào Cai"),
        ("Đề nghị Đài truyền thanh xã thông báo liên tục.", "Đài truyền thanh xã"),
        ("Sở Nông nghiệp phối hợp với các Công ty Thủy lợi thực hiện.", "Các Công ty Thủy lợi"),
    ]:
        assert name in [m.name for m in g.find(s, fold(s))], s
    for s in ["Trường hợp có khó khăn, báo cáo.", "Phòng ngừa dịch bệnh."]:
        assert g.find(s, fold(s)) == [], s
    caps = "SỞ TÀI CHÍNH HƯỚNG DẪN"
    assert all(m.name.upper() != caps for m in g.find(caps, fold(caps)))


def test_a_comma_inside_a_committee_name_does_not_cut_it():
    from pipeline.folding import fold
    from pipeline.mentions import default_gazetteer

    g = default_gazetteer()
    for s, name in [
        ("Giao Ban Chỉ đạo phòng, chống dịch bệnh tỉnh chủ trì.", "Ban Chỉ đạo phòng, chống dịch bệnh tỉnh"),
        ("Đề nghị Hội đồng Thi đua, Khen thưởng tỉnh hướng dẫn.", "Hội đồng Thi đua, Khen thưởng tỉnh"),
    ]:
        assert name in [m.name for m in g.find(s, fold(s))], s
    s = "Giao Ban Quản lý dự án, Sở Tài chính thực hiện."  # an ordinary comma still ends a name
    assert "Sở Tài chính" in [m.name for m in g.find(s, fold(s))]

def test_a_private_enterprise_is_named_by_its_capitalised_words():
    from pipeline.folding import fold
    from pipeline.mentions import default_gazetteer

    g = default_gazetteer()
    for s, name in [
        ("Đề nghị DNTN Thành Hương Nghĩa Lộ rà soát hồ sơ.", "DNTN Thành Hương Nghĩa Lộ"),
        ("Hộ kinh doanh Võ Tấn Hùng phải nộp tiền phạt.", "Hộ kinh doanh Võ Tấn Hùng"),
    ]:
        assert [m.name for m in g.find(s, fold(s))] == [name], s

def test_company_and_project_board_names_stop_before_the_verb():
    from pipeline.folding import fold
    from pipeline.mentions import default_gazetteer

    g = default_gazetteer()
    for s, name in [
        ("Đề nghị Công ty Cổ phần Xi măng Hà Tiên báo cáo kết quả.", "Công ty Cổ phần Xi măng Hà Tiên"),
        ("Công ty TNHH Thương mại Hải Đăng phải nộp tiền phạt.", "Công ty TNHH Thương mại Hải Đăng"),
        ("Giao Ban Quản lý dự án đầu tư xây dựng tỉnh chủ trì.", "Ban Quản lý dự án đầu tư xây dựng tỉnh"),
        ("Giao Doanh nghiệp tư nhân Xăng dầu Hòa Bình thực hiện.", "Doanh nghiệp tư nhân Xăng dầu Hòa Bình"),
        ("Hộ kinh doanh Võ Tấn Hùng bị xử phạt có tên tại Điều 1.", "Hộ kinh doanh Võ Tấn Hùng"),
        # words of the name itself stay: "và" + a capitalised or lowercase word of the name
        ("Giao Công ty TNHH Xây dựng và Thương mại An Phát thực hiện.", "Công ty TNHH Xây dựng và Thương mại An Phát"),
        ("Giao Công ty cổ phần Môi trường và công trình Đô thị Sơn Tây thực hiện.",
         "Công ty cổ phần Môi trường và công trình Đô thị Sơn Tây"),
    ]:
        assert name in [m.name for m in g.find(s, fold(s))], s

def test_gazetteer_takes_the_longest_listed_name_across_line_breaks():
    """The token trie: the longest listed name wins over the shorter one inside
    it ('Sở Tài chính' vs 'Tài chính'), overlapping names are not both taken,
    and a name broken over a line or padded with spaces still matches."""
    from pipeline.folding import fold
    from pipeline.mentions import Gazetteer

    g = Gazetteer(
        [
            {"id": "stc", "name": "Sở Tài chính"},
            {"id": "tc", "name": "Tài chính"},
            {"id": "ct", "name": "Cục Thuế"},
            {"id": "x", "name": "chính và Cục Thuế"},
        ],
        [],
        [],
    )
    s = "Giao Sở Tài\n   chính phối hợp với Cục Thuế."
    assert [(m.name, m.key) for m in g.find(s, fold(s))] == [("Sở Tài chính", "stc"), ("Cục Thuế", "ct")]
    # overlapping names: the longer one ("chính và Cục Thuế") only
    s = "Giao Sở Tài chính và Cục Thuế."
    assert [m.key for m in g.find(s, fold(s))] == ["x"]

NESTED = """\
CHỈ THỊ
Về phát triển các khu công nghiệp

Để khắc phục hạn chế, Thủ tướng Chính phủ yêu cầu các Bộ thực hiện các nhiệm vụ sau:
1. Bộ Kế hoạch và Đầu tư:
a) Chủ trì rà soát quy hoạch các khu công nghiệp.
b) Phối hợp với các Bộ, ngành liên quan chỉ đạo, hướng dẫn triển khai:
- Xây dựng kết cấu hạ tầng khu công nghiệp đúng tiến độ.
- Đa dạng hóa các nguồn vốn đầu tư.
2. Bộ Tài chính: Chủ trì hướng dẫn cơ chế tài chính.
"""


def test_deep_item_inherits_its_ancestor_heading_before_the_outer_intro():
    doc = rules(NESTED)
    leads = {t.id: [a.name for a in t.lead] for t in doc.tasks}
    assert leads["1.b.-1"] == ["Bộ Kế hoạch và Đầu tư"]
    assert leads["1.a"] == ["Bộ Kế hoạch và Đầu tư"]


COMPANY_LETTER = """\
SỞ CÔNG THƯƠNG                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH LÀO CAI                          Độc lập - Tự do - Hạnh phúc
Số: 15/SCT-KTAT                     Lào Cai, ngày 2 tháng 3 năm 2026
V/v kho vật liệu nổ công nghiệp

Kính gửi: Công ty Cổ phần Năng lượng Bảo Long
Căn cứ kết quả kiểm tra ngày 20/2/2026, Sở Công Thương có ý kiến như sau:
1. Đề nghị Công ty lưu trữ hồ sơ công trình theo quy định, hoàn thành trước ngày 31/3/2026.
2. Đề nghị Công ty quản lý, vận hành kho theo đúng thiết kế được duyệt.

Nơi nhận:
- Như trên;
- Lưu: VT.
"""


def test_generic_head_stands_for_the_company_named_in_full():
    """"Công ty" alone is the one company the letter names ("Kính gửi: Công ty
    Cổ phần …"), and that name stops at the line break before "Căn cứ"."""
    doc = rules(COMPANY_LETTER)
    assert doc.recipients == ["Công ty Cổ phần Năng lượng Bảo Long"]
    assert [[a.name for a in t.lead] for t in doc.tasks] == [["Công ty Cổ phần Năng lượng Bảo Long"]] * 2


def test_garbled_noi_nhan_under_a_seal_still_closes_the_body():
    """OCR under a seal reads "Nơi nhận:" as "ANơi nhậm:": its lines are the
    distribution, not tasks."""
    text = CONG_VAN.replace("Nơi nhận:\n- Như trên;\n- Lưu: VT.", "ANơi nhậm:\n- Sở Tài chính;\n- Sở Xây dựng;\n- Lưu: VT.")
    doc = rules(text)
    assert not any("Sở Xây dựng" == t.text.strip(" ;.") for t in doc.tasks)
    assert "Sở Xây dựng" in " ".join(doc.distribution)


PLAN_WITH_LEAD_SECTION = """\
ỦY BAN NHÂN DÂN
THÀNH PHỐ HÀ NỘI
Số: 12/KH-UBND
KẾ HOẠCH
Bảo đảm thoát nước mùa mưa năm 2026
I. MỤC ĐÍCH, YÊU CẦU
Bảo đảm thoát nước, chống úng ngập.
II. NỘI DUNG KẾ HOẠCH
1. Tổ chức nạo vét hệ thống cống theo lưu vực trước mùa mưa.
2. Kiểm tra lòng cống tại các khu vực trọng điểm có nguy cơ úng ngập.
3. Giao Công an Thành phố bảo đảm trật tự tại các điểm úng ngập.
III. TỔ CHỨC THỰC HIỆN
1. Sở Xây dựng là cơ quan chủ trì, đầu mối đôn đốc các cơ quan đơn vị liên quan tổ chức triển khai thực hiện.
2. Ủy ban nhân dân các phường, xã xây dựng phương án ứng phó tại địa phương.
"""


def test_plan_lead_from_its_organisation_section():
    """ANNOTATION.md: a plan's own section naming the body that leads the plan
    gives it to the tasks that name no one; a task that names its body keeps it."""
    doc = rules(PLAN_WITH_LEAD_SECTION)
    leads = {t.id: [a.name for a in t.lead] for t in doc.tasks}
    assert leads["II.1"] == ["Sở Xây dựng"]
    assert leads["II.2"] == ["Sở Xây dựng"]
    assert leads["II.3"] == ["Công an Thành phố"]


def test_a_table_of_tasks_with_automatic_row_numbers_and_people():
    """A Word table whose row numbers were automatic (empty in the text) and
    whose column names people: every row is a task; a person is no lead."""
    text = (
        "ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\nSố: 5/KH-UBND\nKẾ HOẠCH\nKiểm tra kỹ thuật an toàn\n"
        "I. NỘI DUNG\n1. Thời gian kiểm tra: ngày 29/4/2026.\n"
        "PHÂN CÔNG NHIỆM VỤ CỦA TỔ CÔNG TÁC\n\n"
        "TT | Nhiệm vụ thực hiện | Người thực hiện | Ghi chú\n"
        " | Rà soát việc đáp ứng các điều kiện của học viên | Đỗ Mạnh Cường | \n"
        " | Xây dựng bài kiểm tra, đáp án | Vũ Việt Linh | \n"
        " | In ấn chứng chỉ | Vũ Việt Linh | \n"
    )
    doc = rules(text)
    rows = [t for t in doc.tasks if t.text in {
        "Rà soát việc đáp ứng các điều kiện của học viên", "Xây dựng bài kiểm tra, đáp án", "In ấn chứng chỉ"}]
    assert len(rows) == 3
    assert all(not any("Cường" in a.name or "Linh" in a.name for a in t.lead) for t in rows)


QUYET_DINH = """\
ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH LÀO CAI                              Độc lập - Tự do - Hạnh phúc
Số: 45/QĐ-UBND                      Lào Cai, ngày 10 tháng 3 năm 2025

QUYẾT ĐỊNH
Về việc xử phạt vi phạm hành chính

Điều 1. Xử phạt vi phạm hành chính đối với:
1. Tên Công ty: Công ty TNHH Thương mại Hải Đăng.
2. Chức vụ: Giám đốc.
3. Các tình tiết giảm nhẹ: Không áp dụng.
4. Sở Công Thương: Kiểm tra việc chấp hành Quyết định này.
5. Về công tác tuyên truyền: Tuyên truyền sâu rộng các quy định về hóa chất.
Điều 2. Chánh Văn phòng Ủy ban nhân dân tỉnh; Giám đốc Sở Công Thương; Chủ tịch Ủy ban nhân dân
các xã, phường chịu trách nhiệm thi hành Quyết định này.
Nơi nhận:
- Như Điều 2;
- Lưu: VT.
"""


def test_labelled_facts_and_the_execution_clause_are_no_tasks():
    texts = [t.text for t in rules(QUYET_DINH).tasks]
    # "Label: value" with no task cue and no action verb states a fact
    assert not any(t.startswith(("Tên Công ty", "Chức vụ", "Các tình tiết")) for t in texts)
    # a body as the label, or a topic label before an action, is a task
    assert any(t.startswith("Sở Công Thương: Kiểm tra") for t in texts)
    assert any(t.startswith("Về công tác tuyên truyền") for t in texts)
    # the execution clause is boilerplate though ";" cut its names apart
    assert not any("chịu trách nhiệm thi hành" in t for t in texts)


PLAN_TIME_ON_ITS_OWN_LINE = """\
ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH LÂM ĐỒNG                             Độc lập - Tự do - Hạnh phúc
Số: 10/KH-UBND                      Lâm Đồng, ngày 10 tháng 1 năm 2026

KẾ HOẠCH
Phát động phong trào thi đua năm 2026

I. THỜI GIAN THI ĐUA
1. Thời gian thi đua
Phong trào thi đua trong năm 2026 và tính đến hết ngày 31/12/2026.
II. TỔ CHỨC THỰC HIỆN
1. Sở Văn hóa, Thể thao và Du lịch chủ trì tăng cường tuyên truyền về phong trào thi đua.
2. Sở Nội vụ tổng hợp, báo cáo kết quả trước ngày 15/02/2027.
"""


def test_plan_time_labelled_on_its_own_line_gives_the_tasks_their_deadline():
    """ANNOTATION.md: a plan's own time section gives its value to the tasks
    that state none, here written "1. Thời gian thi đua" with no colon; "đến
    hết ngày 31/12/2026" is the end of the period (by)."""
    tasks = {t.text[:10]: t for t in rules(PLAN_TIME_ON_ITS_OWN_LINE).tasks}
    assert (tasks["Sở Văn hóa"].deadline.kind, tasks["Sở Văn hóa"].deadline.date) == ("by", "2026-12-31")
    assert tasks["Sở Nội vụ "].deadline.date == "2027-02-15"
    assert not any(t.startswith("Phong trào") for t in tasks)


def test_a_closing_paragraph_after_a_numbered_list_does_not_continue_its_last_item():
    text = """\
ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
XÃ ĐỨC HỢP                                 Độc lập - Tự do - Hạnh phúc
Số: 12/TB-UBND                      Đức Hợp, ngày 23 tháng 12 năm 2021

THÔNG BÁO
Về việc tạm dừng tiếp công dân

1. Tạm dừng hoạt động tiếp công dân tại Trụ sở UBND xã cho đến khi có thông báo mới.
2. Công chức Văn phòng - Thống kê xã tiếp nhận đơn thư gửi qua bưu điện.

Vậy UBND xã thông báo tới toàn thể cán bộ và nhân dân trong xã biết và thực hiện.

Đề nghị Ban Công an xã thông báo liên tục trên hệ thống truyền thanh xã, thôn.
"""
    tasks = rules(text).tasks
    assert not any("Vậy UBND xã" in t.text or "Ban Công an xã" in t.text for t in tasks if t.id == "2")
    closing = [t for t in tasks if t.text.startswith("Đề nghị Ban Công an xã")]
    assert closing and [x.name for x in closing[0].lead] == ["Ban Công an xã"]


def test_a_lowercase_marked_word_is_no_capital():
    """'đ', 'á', 'ệ' lie inside the range À-Ỹ: a place name does not run on over 'để'."""
    import re

    from pipeline.folding import CAP, fold
    from pipeline.mentions import default_gazetteer

    assert not re.match(CAP, "đ") and not re.match(CAP, "ệ") and re.match(CAP, "Đ") and re.match(CAP, "Ệ")
    g = default_gazetteer()
    s = "Gửi cho Ủy ban nhân dân huyện Tư Nghĩa để biết và phối hợp thực hiện."
    assert [m.name for m in g.find(s, fold(s))] == ["Ủy ban nhân dân huyện Tư Nghĩa"]
    doc = rules("QUYẾT ĐỊNH\nĐiều 3. Quyết định này được:\n1. Gửi cho Kho bạc Nhà nước Quảng Ngãi để thu tiền phạt.\n")
    assert [x.name for t in doc.tasks for x in t.lead] == ["Kho bạc Nhà nước Quảng Ngãi"]
