"""The OCR engines behind one interface (pipeline/readers/ocr_engines.py): tesseract
runs of several pages, trueocr's line boxes as TSV words, engine choice and errors.

The trueocr tests run the real trueocr (the dev extra installs it); without it they
skip and say so."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from pipeline.readers.ocr import parse_tsv, run_sizes, tsv_to_layout
from pipeline.readers.ocr_engines import (
    EnginePage,
    OcrUnavailable,
    TesseractEngine,
    engine_problem,
    get_engine,
    lines_to_tsv,
    selected_engine_name,
    split_tsv_pages,
    tsv_lines,
)
from pipeline.readers.quality import cer

ROOT = Path(__file__).resolve().parents[1]
HAVE_TRUEOCR = importlib.util.find_spec("trueocr") is not None
needs_trueocr = pytest.mark.skipif(not HAVE_TRUEOCR, reason='trueocr is not installed (pip install "congvan[trueocr]")')


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("pages", "workers", "sizes"),
    [
        (1, 2, [1]),
        (3, 2, [2, 1]),
        (2, 4, [1, 1]),
        (10, 1, [10]),
        (40, 2, [14, 13, 13]),  # no run over PAGES_PER_RUN (16)
        (0, 2, []),
    ],
    ids=["one-page", "three-on-two", "fewer-pages-than-cores", "one-core", "long-document", "none"],
)
def test_run_sizes(pages: int, workers: int, sizes: list[int]) -> None:
    assert run_sizes(pages, workers) == sizes


def test_split_tsv_pages_gives_each_page_its_rows() -> None:
    head = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    tsv = "\n".join(
        [head, "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t", "5\t1\t1\t1\t1\t1\t5\t5\t20\t10\t91\tMột",
         "1\t2\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t", "5\t2\t1\t1\t1\t1\t7\t5\t20\t10\t88\tHai", ""]
    )
    one, two, three = split_tsv_pages(tsv, 3)
    assert one.splitlines()[-1] == "5\t1\t1\t1\t1\t1\t5\t5\t20\t10\t91\tMột"
    assert two.splitlines()[-1] == "5\t1\t1\t1\t1\t1\t7\t5\t20\t10\t88\tHai"  # page_num 1, as a run of one page writes it
    assert three.splitlines() == [head]


def test_trueocr_lines_become_words_on_rows() -> None:
    """Two header columns side by side are one row with their gap kept; each word gets
    its share of its line's box and the line's confidence; a wide gap starts a block."""
    lines = [
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", (1000, 100, 2200, 150), 0.9),
        ("ỦY BAN NHÂN DÂN", (200, 104, 700, 152), 0.8),
        ("Số: 125/UBND-KT", (220, 170, 620, 220), 0.7),
        ("Kính gửi: Sở Tài chính", (400, 420, 1100, 470), 0.95),
    ]
    tsv = lines_to_tsv(lines)
    rows = [r.split("\t") for r in tsv.splitlines()[1:]]
    assert [r[11] for r in rows[:2]] == ["ỦY", "BAN"]  # left column first on the shared row
    assert {r[4] for r in rows if r[2] == "1"} == {"1", "2"}  # two rows in the first block
    assert rows[-1][2] == "2"  # the line after the gap opens a new block
    ban = rows[1]
    assert int(ban[6]) == 200 + round(3 * 500 / 15) and int(ban[8]) == round(3 * 500 / 15)
    conf, words = parse_tsv(tsv)
    assert words == 8 + 4 + 2 + 5
    assert conf == pytest.approx((0.8 * 4 + 0.9 * 8 + 0.7 * 2 + 0.95 * 5) / 19)
    layout = tsv_to_layout(tsv).splitlines()
    first = layout[0]
    assert first.strip().startswith("ỦY BAN NHÂN DÂN") and first.rstrip().endswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert "DÂN    " in first  # the column gap stays a gap
    assert [ln.text for ln in tsv_lines(tsv)] == ["ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 125/UBND-KT", "Kính gửi: Sở Tài chính"]


def test_engine_choice_and_unknown_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONGVAN_OCR_ENGINE", raising=False)
    assert selected_engine_name() == "tesseract"
    monkeypatch.setenv("CONGVAN_OCR_ENGINE", "TrueOCR")
    assert selected_engine_name() == "trueocr"
    assert selected_engine_name("tesseract") == "tesseract"
    with pytest.raises(ValueError, match="unknown OCR engine 'easyocr'"):
        selected_engine_name("easyocr")
    assert "unknown OCR engine" in (engine_problem("easyocr") or "")


def test_command_line_refuses_an_unknown_engine(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "extract", str(tmp_path / "a.txt"), "--out", str(tmp_path / "o"), "--ocr", "easyocr"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "--ocr easyocr: unknown OCR engine" in proc.stderr
    assert not (tmp_path / "o").exists()


_WITHOUT_TRUEOCR = "import sys; sys.modules['trueocr'] = None  # as if it were not installed\n"


def test_command_line_names_the_option_when_trueocr_is_missing(tmp_path: Path) -> None:
    """``--ocr trueocr`` without the package: exit 2 before any work, naming the option and the extra."""
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    code = _WITHOUT_TRUEOCR + "from pipeline.cli import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "extract", str(tmp_path / "a.txt"), "--out", str(tmp_path / "o"), "--ocr", "trueocr"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stderr
    assert "--ocr trueocr" in proc.stderr and 'pip install "congvan[trueocr]"' in proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_a_scan_without_trueocr_fails_naming_the_file_and_the_option(generated) -> None:
    code = _WITHOUT_TRUEOCR + (
        "from pipeline.errors import InputError\n"
        "from pipeline.readers import read_file\n"
        "try:\n    read_file(sys.argv[1])\nexcept InputError as e:\n    print(e)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(generated["seed-scan300.png"])],
        capture_output=True, text=True, cwd=ROOT, env={"CONGVAN_OCR_ENGINE": "trueocr", "PATH": "/usr/bin:/bin"},
    )
    assert "seed-scan300.png" in proc.stdout and "--ocr trueocr" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.slow
def test_one_tesseract_run_reads_pages_as_runs_of_one_do(generated, tmp_path: Path) -> None:
    """Three pages in one tesseract process (a list file) give each page the same TSV
    and text as a process per page: the model load is saved, not the output changed."""
    page = Image.open(generated["seed-scan300.png"]).convert("L")
    parts = [page.crop((0, k * page.height // 3, page.width, (k + 1) * page.height // 3)) for k in range(3)]
    paths = []
    for k, part in enumerate(parts):
        paths.append(tmp_path / f"page-{k:04d}.pgm")
        part.save(paths[-1])
    engine = TesseractEngine()
    together = engine.read_pages(paths, 3, 300)
    for path, got in zip(paths, together, strict=True):
        alone_dir = tmp_path / f"alone-{path.stem}"
        alone_dir.mkdir()
        alone_path = alone_dir / path.name
        alone_path.write_bytes(path.read_bytes())
        alone = engine.read_pages([alone_path], 3, 300)[0]
        assert got.tsv == alone.tsv
        assert got.text == alone.text
        assert path.with_suffix(".tsv").read_text(encoding="utf-8") == got.tsv  # beside the image, for scan_tables
    assert "Số: 125/UBND-KT" in together[0].text


@pytest.mark.slow
@needs_trueocr
def test_trueocr_reads_a_simulated_scan(generated, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real trueocr through the whole reader: text close to the truth, the header
    columns laid out, a confidence, and the engine named in the ocr-used warning."""
    from pipeline.readers import read_file

    monkeypatch.setenv("CONGVAN_OCR_ENGINE", "trueocr")
    raw = read_file(generated["seed-scan300.png"])
    truth = generated["layout_truth"].read_text(encoding="utf-8")
    assert raw.ocr and 0.7 < (raw.ocr_confidence or 0) <= 1
    assert cer(_flat(truth), _flat(raw.text)) < 0.06
    assert "125/UBND-KT" in raw.text
    assert ("ocr-used", "OCR with trueocr on 1 image page(s)") in raw.warnings


@pytest.mark.slow
@needs_trueocr
def test_trueocr_engine_page_has_lines_with_boxes(generated, tmp_path: Path) -> None:
    page = Image.open(generated["seed-scan300.png"]).convert("L")
    path = tmp_path / "page-0000.pgm"
    page.save(path)
    got = get_engine("trueocr").read_pages([path], 3, 300)[0]
    assert isinstance(got, EnginePage)
    assert got.confidence is not None and got.confidence > 0.7
    lines = got.lines
    assert len(lines) > 10
    for line in lines:
        left, top, right, bottom = line.box
        assert 0 <= left < right <= page.width and 0 <= top < bottom <= page.height
    assert any("UBND-KT" in line.text for line in lines)


def test_trueocr_missing_is_ocr_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.readers.ocr_engines import TrueOcrEngine

    monkeypatch.setitem(sys.modules, "trueocr", None)  # an import of trueocr fails as if it were not installed
    with pytest.raises(OcrUnavailable, match=r"--ocr trueocr.*congvan\[trueocr\]"):
        TrueOcrEngine().check()
    assert engine_problem("trueocr") is not None


@pytest.mark.slow
@needs_trueocr
def test_trueocr_scanned_task_table_gives_one_task_per_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ruled-table path (scan_tables.py) with trueocr's estimated word boxes: the
    same two-page scanned plan as tests/test_scan_tables.py, each row one task."""
    import random

    from pipeline import extract
    from tests.test_scan_tables import _eval_script

    monkeypatch.setenv("CONGVAN_OCR_ENGINE", "trueocr")
    ev = _eval_script()
    rows = ev.make_rows(random.Random(5), 10)
    pdf = tmp_path / "plan.pdf"
    ev.write_plan(pdf, rows, 0, False, 4)
    scan = tmp_path / "plan-scan.pdf"
    assert ev.scan_pdf(pdf, scan, 200, 3) == 2
    doc = extract(scan)
    assert any(w.code == "ocr-used" and "trueocr" in w.message for w in doc.warnings)
    tasks = [t.model_dump(mode="json") for t in doc.tasks]
    right, _, misses = ev.row_recall([{"text": r["text"], "lead": [r["lead"]]} for r in rows], tasks)
    assert right >= 9, misses
