"""Every document bounded (issue 13): pixels per page, pages per PDF, image size."""

from pathlib import Path

import pytest

from pipeline.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def _huge_page_pdf(path: Path, side_pt: float = 5000) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("LS", "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"))
    c = canvas.Canvas(str(path), pagesize=(side_pt, side_pt))
    c.setFont("LS", 120)
    c.drawString(200, side_pt - 500, "ỦY BAN NHÂN DÂN TỈNH AN GIANG")
    c.save()


def test_a_huge_page_is_rendered_under_the_pixel_cap(tmp_path):
    from pipeline.readers.ocr import max_page_pixels
    from pipeline.readers.pdf import open_pdf, render_pages

    pdf = tmp_path / "huge.pdf"
    _huge_page_pdf(pdf)  # 5000 pt: 434 megapixels at 300 dpi
    doc = open_pdf(pdf)
    (img, dpi), = list(render_pages(doc, [0]))
    assert img.width * img.height <= max_page_pixels() * 1.01 and dpi < 300


def test_capped_scale_keeps_ordinary_pages_at_300_dpi():
    from pipeline.readers.ocr import capped_scale

    assert capped_scale(595, 842, 300 / 72) == 300 / 72  # A4
    assert capped_scale(14400, 14400, 300 / 72) < 300 / 72


def test_too_many_pages_is_a_clear_error(tmp_path, monkeypatch):
    from pipeline import extract

    monkeypatch.setenv("CONGVAN_MAX_PAGES", "5")
    with pytest.raises(InputError, match="CONGVAN_MAX_PAGES"):
        extract(ROOT / "corpus/docs/116.pdf")  # 20 pages


def test_an_image_too_large_is_refused_before_decoding(tmp_path, monkeypatch):
    from PIL import Image

    from pipeline import extract

    monkeypatch.setenv("CONGVAN_MAX_PAGE_MPIX", "0.1")
    Image.new("L", (1000, 1000), 255).save(tmp_path / "big.png")
    with pytest.raises(InputError, match="CONGVAN_MAX_PAGE_MPIX"):
        extract(tmp_path / "big.png")


# ---------------------------------------------------------------- a batch bounded per document

import base64  # noqa: E402
import fcntl  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import zipfile  # noqa: E402

from pipeline.batch import INDEX_NAME, LOCK_NAME, run_batch  # noqa: E402

DOC = ROOT / "corpus/docs/102.txt"
SCAN = ROOT / "corpus/docs/126.pdf"  # two scanned pages: OCR takes many seconds


def congvan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, cwd=cwd or ROOT, timeout=600)


def _good_and_bad(folder: Path, bad: Path, n_good: int = 10) -> None:
    folder.mkdir()
    (folder / f"a-bad{bad.suffix}").write_bytes(bad.read_bytes())
    for i in range(n_good):
        (folder / f"g{i:02d}.txt").write_bytes(DOC.read_bytes() + f"\n{i}\n".encode())


def _reads(cmdline: Path, needle: str) -> bool:
    try:
        return needle.encode() in cmdline.read_bytes()
    except OSError:
        return False


def _index(out: Path) -> dict[str, dict]:
    return {r["output"]: r for r in map(json.loads, (out / INDEX_NAME).read_text(encoding="utf-8").splitlines())}


@pytest.mark.slow
def test_a_document_past_the_time_limit_is_stopped_and_the_others_go_on(tmp_path, monkeypatch):
    """Issue 13: 1 bad + 10 good with 1 worker: no good file was done in 150 s."""
    import tempfile

    tmp = tmp_path / "tmp"  # the workers' OCR page images go here
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    _good_and_bad(tmp_path / "in", SCAN)
    out = tmp_path / "o"
    res = run_batch([str(tmp_path / "in")], out, workers=1, timeout=3)
    # the stopped worker's tesseract children ended with it and its temporary files are gone
    assert not list(tmp.iterdir())
    running = [c for c in Path("/proc").glob("[0-9]*/cmdline") if _reads(c, str(tmp))]
    assert running == []
    assert (res.ok, res.failed) == (10, 1)
    err = json.loads((out / "errors.jsonl").read_text(encoding="utf-8"))
    assert err["code"] == "timeout" and "--timeout" in err["reason"] and err["path"].endswith("a-bad.pdf")
    entry = _index(out)["a-bad.json"]  # recorded in the index too, and retried by the next run
    assert entry["status"] == "failed" and entry["code"] == "timeout"
    assert not (out / "a-bad.json").exists()
    assert len(list(out.glob("g*.json"))) == 10


@pytest.mark.slow
def test_a_document_past_the_memory_limit_is_stopped_and_the_others_go_on(tmp_path):
    from PIL import Image

    src = tmp_path / "in"
    src.mkdir()
    lines = Image.new("L", (6000, 6000), 255)  # 36 Mpx: under the pixel limits, over 600 MB to OCR
    lines.paste(0, (0, 0, 6000, 3000))
    lines.save(src / "a-big.png")
    for i in range(3):
        (src / f"g{i}.txt").write_bytes(DOC.read_bytes())
    out = tmp_path / "o"
    res = run_batch([str(src)], out, workers=1, timeout=0, max_memory_mb=600)
    assert (res.ok, res.failed) == (3, 1)
    err = json.loads((out / "errors.jsonl").read_text(encoding="utf-8"))
    assert err["code"] == "memory-limit" and "600 MB" in err["reason"] and "--max-memory" in err["reason"]


def test_a_memory_limit_too_small_to_start_is_a_setup_error(tmp_path):
    r = congvan("extract", str(DOC), "--out", str(tmp_path / "o"), "--max-memory", "1M")
    assert r.returncode == 2, r.stderr
    assert b"--max-memory" in r.stderr and b"Traceback" not in r.stderr


def test_limit_flags_are_checked(tmp_path):
    r = congvan("extract", str(DOC), "--out", str(tmp_path / "o"), "--max-memory", "lots")
    assert r.returncode == 2 and b"not a size" in r.stderr


def test_max_pages_flag(tmp_path):
    r = congvan("extract", str(ROOT / "corpus/docs/116.pdf"), "--out", str(tmp_path / "o"), "--max-pages", "5")
    assert r.returncode == 1
    assert b"20 pages; the limit is 5 (raise it with --max-pages" in r.stderr


def test_max_chars_flag_and_variable(tmp_path, monkeypatch):
    from pipeline import extract, extract_text

    r = congvan("extract", str(DOC), "--out", str(tmp_path / "o"), "--max-chars", "1000")
    assert r.returncode == 1 and b"the text is too long" in r.stderr and b"--max-chars" in r.stderr
    monkeypatch.setenv("CONGVAN_MAX_CHARS", "1000")
    with pytest.raises(InputError, match="CONGVAN_MAX_CHARS"):
        extract(DOC)
    with pytest.raises(InputError, match="too long"):
        extract_text(DOC.read_text(encoding="utf-8"))
    (tmp_path / "big.txt").write_bytes(DOC.read_bytes() * 2)  # refused by its size, before decoding
    with pytest.raises(InputError, match="at least"):
        extract(tmp_path / "big.txt")


# ---------------------------------------------------------------- zip bombs


def _docx_with(path: Path, document_xml: bytes) -> None:
    """A copy of a real Word file whose document part is replaced."""
    with zipfile.ZipFile(ROOT / "corpus/docs/291.docx") as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = document_xml if info.filename == "word/document.xml" else src.read(info.filename)
            dst.writestr(info.filename, data)


def test_a_docx_zip_bomb_is_refused_before_unpacking(tmp_path):
    from pipeline import extract

    para = b'<w:p><w:r><w:t>Giao S\xe1\xbb\x9f N\xe1\xbb\x99i v\xe1\xbb\xa5 ch\xe1\xbb\xa7 tr\xc3\xac.</w:t></w:r></w:p>'
    body = para * 200_000  # 14 MB of paragraphs in a ~60 KB part
    xml = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document '
           b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>' + body + b"</w:body></w:document>")
    _docx_with(tmp_path / "bomb.docx", xml)
    assert (tmp_path / "bomb.docx").stat().st_size < 200_000
    with pytest.raises(InputError, match="zip bomb"):
        extract(tmp_path / "bomb.docx")


def test_a_docx_larger_than_the_unpacked_limit_is_refused(tmp_path, monkeypatch):
    from pipeline import extract

    monkeypatch.setenv("CONGVAN_MAX_UNZIPPED_MB", "0.1")
    with pytest.raises(InputError, match="CONGVAN_MAX_UNZIPPED_MB"):
        extract(ROOT / "corpus/docs/201.docx")  # unpacks to 0.56 MB


# ---------------------------------------------------------------- junk is not a document


def _pem() -> str:
    body = base64.encodebytes(random.Random(7).randbytes(900)).decode()
    return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"


@pytest.mark.parametrize(
    "data",
    [b"\x00\x01junk", _pem().encode(), b"\xb4@\x8a\xcf", b"qwrtzp xkcd vbnm ghjkl " * 30, b"12345 67890 !!! ???"],
    ids=["nul-junk", "pem", "random-4-bytes", "consonant-soup", "digits"],
)
def test_junk_is_not_a_vietnamese_document(tmp_path, data):
    from pipeline import extract

    (tmp_path / "x.txt").write_bytes(data)
    with pytest.raises(InputError, match="not a Vietnamese document"):
        extract(tmp_path / "x.txt")


@pytest.mark.parametrize(
    "text",
    [
        "Kính gửi: Sở Nội vụ tỉnh An Giang.",
        "Giao So Noi vu chu tri, phoi hop voi Cong an tinh.",
        "ỦY BAN NHÂN DÂN\nTỈNH AN GIANG\nSố: 12/UBND-VP",
    ],
    ids=["short", "unaccented", "header-only"],
)
def test_short_vietnamese_is_still_read(text):
    from pipeline import extract_text

    assert extract_text(text).status in ("ok", "partial")


def test_random_bytes_never_come_out_ok(tmp_path):
    """Issue 13: 188 of 800 random-byte files came out status ok."""
    from pipeline import extract

    rng = random.Random(13)
    outcomes = {"error": 0, "ok": 0}
    for i in range(150):
        f = tmp_path / f"r{i}.txt"
        f.write_bytes(rng.randbytes(rng.choice([4, 16, 64, 600])))
        try:
            extract(f)
            outcomes["ok"] += 1
        except InputError:
            outcomes["error"] += 1
    assert outcomes == {"error": 150, "ok": 0}


# ---------------------------------------------------------------- names and reader errors


@pytest.mark.parametrize("name", ["-layout", "-", "-v.pdf"])
def test_a_file_named_like_an_option_is_read_as_a_file(tmp_path, monkeypatch, name):
    from pipeline import extract

    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes((ROOT / "corpus/docs/115.pdf").read_bytes())
    doc = extract(name)
    assert doc.number is not None and doc.number.raw == "507/UBND-KGVX"


def test_a_file_name_that_is_not_utf8_does_not_end_the_batch(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    bad = os.fsdecode(bytes(src) + b"/c\xf4ng-v\xe3n.txt")  # Latin-1 bytes, not UTF-8
    Path(bad).write_bytes(DOC.read_bytes())
    Path(os.fsdecode(bytes(src) + b"/r\xe1c.txt")).write_bytes(b"\x00\x01junk")
    (src / "ok.txt").write_bytes(DOC.read_bytes())
    out = tmp_path / "o"
    res = run_batch([str(src)], out, jsonl=tmp_path / "all.jsonl")
    assert (res.ok, res.failed) == (2, 1)
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(errors) == 1 and "not a Vietnamese document" in errors[0]["reason"]
    assert errors[0]["path"] == os.fsdecode(bytes(src) + b"/r\xe1c.txt")  # the exact name, escaped in JSON
    lines = [json.loads(x) for x in (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2 and any("\ufffd" in x["source"]["path"] for x in lines)
    again = run_batch([str(src)], out, jsonl=tmp_path / "all.jsonl")  # resumes by the same names
    assert again.skipped == 2 and len((tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def _docx_parts(path: Path, change) -> None:
    with zipfile.ZipFile(ROOT / "corpus/docs/291.docx") as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, change(info.filename, src.read(info.filename)))


def _flip_deflate(path: Path) -> None:
    """Damage the compressed bytes of word/document.xml inside a valid archive."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(start + 10, start + min(info.compress_size, 400), 7):
        data[k] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "case",
    ["xml-syntax", "deflate", "truncated-pdf", "pdf-garbage-body", "truncated-png", "png-bad-chunk"],
)
def test_reader_library_errors_are_input_errors(tmp_path, case):
    """Issue 13: zlib.error, XMLSyntaxError, PdfiumError ... escaped the Python API."""
    from pipeline import extract

    f = tmp_path / "x"
    if case == "xml-syntax":
        f = f.with_suffix(".docx")
        _docx_parts(f, lambda name, data: data[: len(data) // 2] if name == "word/document.xml" else data)
    elif case == "deflate":
        f = f.with_suffix(".docx")
        _docx_parts(f, lambda name, data: data)
        _flip_deflate(f)
    elif case == "truncated-pdf":
        f = f.with_suffix(".pdf")
        f.write_bytes((ROOT / "corpus/docs/115.pdf").read_bytes()[:3000])
    elif case == "pdf-garbage-body":
        f = f.with_suffix(".pdf")
        data = bytearray((ROOT / "corpus/docs/115.pdf").read_bytes())
        data[400:-400] = random.Random(3).randbytes(len(data) - 800)
        f.write_bytes(bytes(data))
    else:
        from PIL import Image

        png = tmp_path / "ok.png"
        Image.new("L", (400, 300), 255).save(png)
        data = png.read_bytes()
        f = f.with_suffix(".png")
        f.write_bytes(data[: len(data) // 2] if case == "truncated-png" else data[:40] + b"\xff" * 16 + data[56:])
    with pytest.raises(InputError) as e:
        extract(f)
    assert str(f) in str(e.value) and e.value.reason


# ---------------------------------------------------------------- one run per output


def test_a_second_run_on_the_same_output_exits_2(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    with open(out / LOCK_NAME, "w") as held:  # as a running batch holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242\n")
        held.flush()
        r = congvan("extract", str(DOC), "--out", str(out))
        assert r.returncode == 2 and b"another congvan run (process 4242)" in r.stderr
        assert not (out / "102.json").exists()
    r = congvan("extract", str(DOC), "--out", str(out))  # the lock is released
    assert r.returncode == 0 and (out / "102.json").exists()


def test_a_second_run_on_the_same_jsonl_exits_2(tmp_path):
    target = tmp_path / "all.jsonl"
    with open(tmp_path / ".all.jsonl.congvan.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        r = congvan("extract", str(DOC), "--jsonl", str(target))
        assert r.returncode == 2 and b"another congvan run" in r.stderr and not target.exists()


def test_an_output_that_cannot_be_written_is_exit_2(tmp_path):
    r = congvan("extract", str(DOC), "--out", "/proc/congvan-out")
    assert r.returncode == 2, r.stderr
    assert b"--out /proc/congvan-out" in r.stderr and b"Traceback" not in r.stderr


def test_a_torn_last_line_does_not_swallow_the_next_record(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_bytes(DOC.read_bytes())
    (src / "b.txt").write_bytes(b"\x00\x01junk")
    out = tmp_path / "o"
    out.mkdir()
    (out / "errors.jsonl").write_text('{"path": "x.txt", "reason": "earlier"}\n{"path": "y.txt", "rea', encoding="utf-8")
    (out / ".congvan-a.json-abcd1234.tmp").write_text("{half", encoding="utf-8")  # killed mid-write
    run_batch([str(src)], out)
    recs = [json.loads(x) for x in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [Path(r["path"]).name for r in recs] == ["x.txt", "b.txt"]
    assert not list(out.glob("*.tmp"))
