"""OCR path: image cleaning (fast) and tesseract on simulated scans (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.readers import read_file
from pipeline.readers.ocr import estimate_skew, suppress_red
from pipeline.readers.quality import cer


def _flat(text: str) -> str:
    return " ".join(text.split())


def _before_closing(text: str) -> str:
    return text[: text.find("Nơi nhận")] if "Nơi nhận" in text else text


def test_suppress_red_keeps_black_and_blue() -> None:
    rgb = np.array([[[215, 30, 35], [20, 20, 20], [30, 40, 150], [255, 255, 255]]], dtype=np.uint8)
    gray = suppress_red(rgb)
    assert gray[0, 0] == 255  # seal red -> white
    assert gray[0, 1] < 60 and gray[0, 2] < 60  # black text, blue ink stay dark


@pytest.mark.parametrize("angle", [-1.5, 0.0, 0.8, 2.5])
def test_estimate_skew(make_fixtures, angle: float) -> None:
    layout = make_fixtures.layout_seed(make_fixtures.SEED)
    page = make_fixtures.render_page(layout, 0, 100).rotate(angle, fillcolor="white")
    found = estimate_skew(np.asarray(page.convert("L")))
    assert found == pytest.approx(-angle, abs=0.3)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "max_cer"),
    [("seed-scan300.png", 0.03), ("seed-scan200.pdf", 0.04)],
)
def test_ocr_simulated_scan_cer(generated, name: str, max_cer: float) -> None:
    raw = read_file(generated[name])
    truth = generated["layout_truth"].read_text(encoding="utf-8")
    assert raw.ocr
    assert raw.format == ("image" if name.endswith(".png") else "pdf")
    assert 0.7 < (raw.ocr_confidence or 0) <= 1
    assert cer(_flat(truth), _flat(raw.text)) < max_cer
    # the typed part, away from the seal and the signature, is near perfect
    assert cer(_flat(_before_closing(truth)), _flat(_before_closing(raw.text))) < 0.01
    assert "ocr" in raw.timings and "render" in raw.timings
    assert "Số: 125/UBND-KT" in raw.text


@pytest.mark.slow
def test_multipage_tiff(generated, tmp_path: Path) -> None:
    page = Image.open(generated["seed-scan200.png"])
    top = page.crop((0, 0, page.width, page.height // 3))
    tiff = tmp_path / "two.tiff"
    top.save(tiff, save_all=True, append_images=[top], dpi=(200, 200))
    raw = read_file(tiff)
    assert raw.format == "image" and raw.pages == 2
    first, second = raw.text.split("\f")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in second


@pytest.mark.slow
def test_ocr_word_confidence_lowers_field_confidence(generated) -> None:
    """A field read through OCR carries the OCR word confidence in its own."""
    from pipeline import extract

    text_doc = extract(generated["pdf"])
    scan_doc = extract(generated["seed-scan300.png"])
    assert scan_doc.source.ocr
    assert 0 < scan_doc.confidence["number"] < text_doc.confidence["number"]


def test_small_photo_without_resolution_is_enlarged_before_tesseract():
    """A phone photo (576×960, no DPI) is read at up to ×3 (scripts/photo_upscale_eval.py:
    character error 0.143 -> 0.047 on six rendered pages); a page with a known
    resolution, or a large photo, keeps its size."""
    from PIL import Image

    from pipeline.readers.ocr import prepare_page

    photo = Image.new("RGB", (576, 960), "white")
    gray, _ = prepare_page(photo, None)
    assert gray.shape == (960 * 3, 576 * 3)
    assert prepare_page(photo, None, upscale=False)[0].shape == (960, 576)
    assert prepare_page(Image.new("RGB", (2480, 3508), "white"), None)[0].shape == (3508, 2480)
    assert prepare_page(Image.new("RGB", (1240, 1754), "white"), 300.0)[0].shape == (1754, 1240)


def test_suppress_red_image_is_suppress_red() -> None:
    """The PIL version the OCR path uses gives the same pixels as the numpy one."""
    from pipeline.readers.ocr import suppress_red_image

    rgb = np.random.default_rng(7).integers(0, 256, (64, 80, 3), dtype=np.uint8)
    assert np.array_equal(np.asarray(suppress_red_image(Image.fromarray(rgb))), suppress_red(rgb))


def test_ocr_slots_bound_processes_and_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With one slot, two processes and two threads each never hold it at once."""
    import multiprocessing as mp

    monkeypatch.setenv("CONGVAN_OCR_SLOTS_DIR", str(tmp_path / "slots"))
    log = tmp_path / "log"
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_hold_slot_twice, args=(str(log),)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    spans = sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())
    assert len(spans) == 4
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end  # the next holder starts after the last one let go


def test_a_nested_ocr_slot_is_the_one_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan table's cells are OCRed under a slot too; inside one (same thread) the
    slot held is reused, not waited for (with one slot that wait would never end)."""
    import threading

    from pipeline.readers.ocr_slots import ocr_slot

    monkeypatch.setenv("CONGVAN_OCR_SLOTS_DIR", str(tmp_path / "slots"))
    got: list[object] = []

    def nested() -> None:
        with ocr_slot(1) as outer, ocr_slot(1) as inner:
            got.append((outer, inner))

    t = threading.Thread(target=nested)
    t.start()
    t.join(5)
    assert not t.is_alive() and got == [(0, 0)]
    with ocr_slot(1) as again:  # released when the outer block ended
        assert again == 0


def _hold_slot_twice(log: str) -> None:
    import time
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.readers.ocr_slots import ocr_slot

    def hold() -> None:
        with ocr_slot(1):
            start = time.time()
            time.sleep(0.2)
            end = time.time()
        with open(log, "a") as fh:
            fh.write(f"{start} {end}\n")

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: hold(), range(2)))


@pytest.mark.slow
def test_batch_of_two_workers_runs_no_more_tesseracts_than_cores(tmp_path: Path) -> None:
    """`congvan extract --workers 2` on scans: the tesseract processes under the
    batch, counted while it runs, never outnumber the cores (each worker used to
    start one per core)."""
    import os
    import shutil
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[1]
    src = tmp_path / "src"
    src.mkdir()
    for name in ("128.pdf", "130.pdf", "131.pdf", "249.pdf"):  # two-page scans: each worker would OCR both at once
        shutil.copy(root / "corpus/docs" / name, src / name)
    env = dict(os.environ, CONGVAN_OCR_SLOTS_DIR=str(tmp_path / "slots"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "extract", str(src), "--out", str(tmp_path / "out"), "--workers", "2", "-q"],
        env=env,
    )
    most = seen = last = 0
    while proc.poll() is None:
        # a count is taken as two snapshots in a row agree on it at the least: one
        # reading of /proc is not atomic (a tesseract ending, the next one starting)
        n = _descendants_named(proc.pid, "tesseract")
        most, seen, last = max(most, min(n, last)), seen + (n > 0), n
        time.sleep(0.05)
    assert proc.returncode == 0
    assert seen > 0  # the count was taken while OCR ran
    assert most <= len(os.sched_getaffinity(0))


def _descendants_named(pid: int, name: str) -> int:
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        names[int(d.name)] = comm
        children.setdefault(ppid, []).append(int(d.name))
    count, stack = 0, list(children.get(pid, []))
    while stack:
        p = stack.pop()
        count += names.get(p) == name
        stack.extend(children.get(p, []))
    return count


def _scan_with_text_layer(path: Path, layer: str) -> None:
    """A one-page scan (make_fixtures' letter rendered as an image) with ``layer``
    drawn over it as invisible text, the way another program's OCR leaves it."""
    import runpy

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    fx = runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts/make_fixtures.py"), run_name="fixtures")
    image = fx["render_page"](fx["layout_seed"](fx["SEED"]), 0, 200)
    pdfmetrics.registerFont(TTFont("LiberationSerif", str(fx["FONT_REGULAR"])))
    c = canvas.Canvas(str(path), pagesize=A4)
    c.drawImage(ImageReader(image), 0, 0, *A4)
    text = c.beginText(60, A4[1] - 60)
    text.setTextRenderMode(3)  # invisible
    text.setFont("LiberationSerif", 10)
    for line in layer.splitlines():
        text.textLine(line)
    c.drawText(text)
    c.showPage()
    c.save()


@pytest.mark.slow
def test_ocr_layer_kept_unless_forced(tmp_path: Path) -> None:
    """A scan whose invisible text layer reads as Vietnamese keeps it (no OCR);
    force_ocr OCRs it anyway; a layer with a word in another alphabet (134.pdf's
    "ВСТ" in Cyrillic) is read again."""
    layer = _seed_text().replace(" | ", "    ")
    good, mixed = tmp_path / "good.pdf", tmp_path / "mixed.pdf"
    _scan_with_text_layer(good, layer)
    _scan_with_text_layer(mixed, layer.replace("UBND-KT", "УБНД-KT"))

    kept = read_file(good)
    assert not kept.ocr and kept.ocr_confidence is None
    assert not any(code in ("ocr-used", "text-layer-rejected") for code, _ in kept.warnings)
    assert "Số: 125/UBND-KT" in kept.text

    forced = read_file(good, force_ocr=True)
    assert forced.ocr and forced.ocr_confidence is not None
    assert any(code == "text-layer-rejected" and "--force-ocr" in message for code, message in forced.warnings)
    assert "125/UBND-KT" in forced.text.replace(" ", "")

    reread = read_file(mixed)
    assert reread.ocr
    assert any(code == "text-layer-rejected" and "another alphabet" in message for code, message in reread.warnings)


def _seed_text() -> str:
    import runpy

    script = Path(__file__).resolve().parents[1] / "scripts/make_fixtures.py"
    return str(runpy.run_path(str(script), run_name="fixtures")["SEED"])
