"""Robustness: no Unicode text makes a stage raise; every span lies in `text`."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import default_pipeline, extract_text
from pipeline.errors import InputError
from pipeline.state import WorkingState

# every stage on any text: the language gate (a text that is not Vietnamese
# stops at normalize with an InputError) is off here
ALL_STAGES = default_pipeline(strict=True)
next(s for s in ALL_STAGES.stages if s.name == "normalize").reject_foreign = False

VI = "ỦỦyaăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
PIECES = st.sampled_from(
    [
        "Số: 12/UBND-TH", "ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Kính gửi:",
        "Nơi nhận:", "- Lưu: VT.", "KT. CHỦ TỊCH", "1.", "a)", "- ", "+ ", "Giao Sở Nội vụ chủ trì",
        "phối hợp với", "trước ngày 30/9/2025", "ngày    tháng 9 năm 2025", "|", "**", "\f", "\n", "\n\n",
        "    ", "II.", "Điều 1.", "hằng tháng", "Công văn số 496/UBND-HCC1 ngày 15/08/2025",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(alphabet=VI + " .,;:-/()\n", max_size=30), st.text(max_size=20)), max_size=40).map("".join)


def _run(text):
    """The document of ``text`` through every stage; extract_text either gives
    the same or refuses it as not Vietnamese (its one expected error)."""
    try:
        extract_text(text, strict=True)
    except InputError as e:
        assert e.code == "not-vietnamese", e
    state = WorkingState()
    state.given_text = text
    return ALL_STAGES.run(state).document


def _check(doc):
    n = len(doc.text)
    for a, b in doc.spans.values():
        assert 0 <= a <= b <= n
    for t in doc.tasks:
        assert 0 <= t.span[0] <= t.span[1] <= n


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_no_text_makes_a_stage_raise(text):
    _check(_run(text))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_unicode(text):
    _check(_run(text))
