"""Hostile inputs for congvan's batch (issue 13), from a fixed seed.

    python scripts/fuzz_inputs.py DIR [--seed 13] [--scale 1] [--run OUT]

writes the inputs into DIR (and a manifest DIR/../fuzz-manifest.json); with
--run it extracts them with 2 workers into OUT and prints the figures the issue
asks for: inputs run, results, clear errors, crashes, hangs, largest memory.

Kinds: random bytes under every document suffix (some behind a real magic
number), truncated and bit-flipped real PDFs/PNGs/Word files from corpus/docs,
zip and image bombs, huge and pathological texts, odd file names, symbolic
links out of the folder and loops, a FIFO. tests/test_fuzz.py runs scale 1
in CI and checks every input: a result or one clear error, within the limits,
nothing else written, the inputs unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import struct
import sys
import time
import zipfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "corpus/docs"
TEXT = DOCS / "102.txt"
PDF = DOCS / "115.pdf"  # a one-page text PDF
DOCX = DOCS / "291.docx"
FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"

RANDOM_SUFFIXES = [".txt", ".md", ".pdf", ".docx", ".png", ".jpg", ".tif", ".gif", ".bmp", ".webp", ".doc", ".rtf"]
MAGICS = {
    ".pdf": b"%PDF-1.7\n",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff\xe0",
    ".docx": b"PK\x03\x04",
    ".tif": b"II*\x00",
    ".gif": b"GIF89a",
}


@dataclass
class Case:
    name: str  # path relative to the folder
    kind: str
    expect: str  # "error": must fail with a clear error; "any": a result or a clear error; "skipped": not read


def _png_text(path: Path, lines: list[str], size: tuple[int, int] = (900, 420)) -> None:
    """A small page image with Vietnamese text (quick to OCR)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 28) if Path(FONT).exists() else ImageFont.load_default()
    for i, line in enumerate(lines):
        draw.text((30, 30 + 44 * i), line, fill=0, font=font)
    img.save(path, dpi=(300, 300))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(path: Path, side: int) -> None:
    """A gray PNG of side x side white pixels, written row by row (small file, huge image)."""
    comp = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * side
    parts = []
    for _ in range(side):
        parts.append(comp.compress(row))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", b"".join(parts)) + _png_chunk(b"IEND", b""))


def _docx_replacing(path: Path, part: str, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(DOCX) as src, zipfile.ZipFile(path, "w", method) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, data if info.filename == part else src.read(info.filename))


def _document_xml(body: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document '
        b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>' + body + b"</w:body></w:document>"
    )


def _flip(data: bytes, rng: random.Random, n: int, skip: int = 0) -> bytes:
    b = bytearray(data)
    for _ in range(n):
        i = rng.randrange(skip, len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def make_inputs(folder: Path, seed: int = 13, scale: int = 1) -> list[Case]:
    """Write the hostile inputs into ``folder`` (created); return what each is and what it must give."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def put(name: str, data: bytes, kind: str, expect: str = "any") -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        cases.append(Case(name, kind, expect))

    # random bytes under every suffix, some behind the format's magic number
    for suffix in RANDOM_SUFFIXES:
        for k in range(3 * scale):
            size = rng.choice([1, 7, 64, 500, 4000, 30000])
            data = rng.randbytes(size)
            if k == 0 and suffix in MAGICS:
                data = MAGICS[suffix] + data
            put(f"random/r{k}{suffix}", data, "random-bytes", "error")
    put("random/ole.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(3000), "random-bytes", "error")
    put("random/nul-junk.txt", b"\x00\x01junk", "random-bytes", "error")

    # real files, truncated and bit-flipped
    work = folder / "real"
    work.mkdir(exist_ok=True)
    png = folder.parent / f".{folder.name}-page.png"
    _png_text(png, ["ỦY BAN NHÂN DÂN TỈNH AN GIANG", "Số: 12/UBND-VP", "Kính gửi: Sở Nội vụ",
                    "Giao Sở Tài chính chủ trì thực hiện trước ngày 30/6/2025."])
    originals = {".pdf": PDF.read_bytes(), ".docx": DOCX.read_bytes(), ".png": png.read_bytes()}
    png.unlink()
    for suffix, data in originals.items():
        cuts = [0.05, 0.3, 0.6, 0.95] if suffix != ".png" else [0.3, 0.9]
        for frac in cuts:
            put(f"real/truncated-{int(frac * 100)}{suffix}", data[: max(1, int(len(data) * frac))], "truncated")
        put(f"real/truncated-last-byte{suffix}", data[:-1], "truncated")
        flips = [1, 20, 300] * scale if suffix != ".png" else [1, 20]
        for i, n in enumerate(flips):
            put(f"real/flipped-{n}-{i}{suffix}", _flip(data, rng, n, skip=16), "bit-flipped")
    put("real/page.png", originals[".png"], "real")

    # zip and image bombs, pages without end
    (folder / "bombs").mkdir(exist_ok=True)
    para = "<w:p><w:r><w:t>Giao Sở Nội vụ chủ trì thực hiện.</w:t></w:r></w:p>".encode()
    _docx_replacing(folder / "bombs/ratio.docx", "word/document.xml", _document_xml(para * 300_000))
    cases.append(Case("bombs/ratio.docx", "zip-bomb", "error"))
    # a part that claims more than it holds
    _docx_replacing(folder / "bombs/stored-garbage.docx", "word/document.xml", rng.randbytes(200_000), zipfile.ZIP_STORED)
    cases.append(Case("bombs/stored-garbage.docx", "zip-bomb", "error"))
    with zipfile.ZipFile(folder / "bombs/not-word.docx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("inner.zip", b"PK\x03\x04" + b"\x00" * 2_000_000)
    cases.append(Case("bombs/not-word.docx", "zip-bomb", "error"))
    png_bomb(folder / "bombs/13000px.png", 13000)  # 169 Mpx in 170 KB
    cases.append(Case("bombs/13000px.png", "image-bomb", "error"))
    from PIL import Image

    frames = [Image.new("L", (64, 64), 255) for _ in range(1200)]
    frames[0].save(folder / "bombs/1200-frames.gif", save_all=True, append_images=frames[1:])
    cases.append(Case("bombs/1200-frames.gif", "image-bomb", "error"))

    # huge and pathological texts
    doc = TEXT.read_text(encoding="utf-8")
    sentence = "Giao Sở Nội vụ chủ trì, phối hợp với Sở Tài chính thực hiện trước ngày 30/6/2025; "
    texts = {
        "long-line.txt": sentence * (300_000 // len(sentence)),
        "over-the-limit.txt": sentence * (9_000_000 // len(sentence)),
        "blank-lines.txt": doc + "\n" * 100_000 + doc,
        "noi-nhan-10k.txt": doc + "\nNơi nhận:\n- Như trên;\n" * 10_000,
        "dash-items-6k.txt": doc + "".join(f"\n- Sở Nội vụ thực hiện việc {i};" for i in range(6000)),
        "pipes.md": doc + "\n" + "|" * 100_000 + "\n" + "| a |\n" * 20_000,
        "form-feeds.txt": "\f" * 50_000 + doc,
        "marks.txt": doc + "\u0301" * 200_000,
        "cr-only.txt": doc.replace("\n", "\r"),
        "one-word.txt": "a" * 1_000_000,
        "spaces.txt": " \t\n" * 100_000,
        "nul-middle.txt": doc[:2000] + "\x00" + doc[2000:],
    }
    for name, text in texts.items():
        expect = "error" if name in ("over-the-limit.txt", "one-word.txt", "spaces.txt", "nul-middle.txt") else "any"
        put(f"texts/{name}", text.encode("utf-8"), "pathological-text", expect)
    put("texts/utf16.txt", doc.encode("utf-16"), "pathological-text")
    put("texts/utf16-no-bom.txt", doc.encode("utf-16-le"), "pathological-text")

    # odd names
    data = TEXT.read_bytes()
    for name in ["-layout.txt", "-.txt", "--help.txt", " spaced  name .txt", "new\nline.txt", "semi;rm -rf x.txt",
                 "$(echo hi).txt", "ư NFD.txt", "x" * 240 + ".txt", "quote'\"s.txt"]:
        put(f"names/{name}", data, "odd-name")
    (folder / "names").mkdir(exist_ok=True)
    raw = os.fsencode(folder / "names") + b"/latin1-c\xf4ng-v\xe3n.txt"
    Path(os.fsdecode(raw)).write_bytes(data)
    cases.append(Case(os.fsdecode(b"names/latin1-c\xf4ng-v\xe3n.txt"), "odd-name", "any"))
    put("names/-layout.pdf", PDF.read_bytes(), "odd-name")

    # links and special files: never read
    special = folder / "special"
    special.mkdir(exist_ok=True)
    (special / "out.txt").symlink_to("/etc/hostname")
    (special / "etc").symlink_to("/etc", target_is_directory=True)
    (special / "loop").symlink_to(special, target_is_directory=True)
    (special / "dangling.txt").symlink_to(special / "nowhere.txt")
    os.mkfifo(special / "fifo.txt")
    cases += [Case("special/out.txt", "symlink-out", "skipped"), Case("special/fifo.txt", "fifo", "skipped"),
              Case("special/dangling.txt", "dangling-symlink", "skipped")]
    return cases


def make_heavy(folder: Path) -> list[Case]:
    """The heavy inputs of the issue (not run in CI: minutes and gigabytes before the limits)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    folder.mkdir(parents=True, exist_ok=True)
    pdfmetrics.registerFont(TTFont("LS", FONT))
    cases = []
    for side in (5000, 14400):  # one huge page: 434 / 3,600 megapixels at 300 dpi
        c = canvas.Canvas(str(folder / f"page-{side}pt.pdf"), pagesize=(side, side))
        c.setFont("LS", 120)
        c.drawString(200, side - 500, "ỦY BAN NHÂN DÂN TỈNH AN GIANG")
        c.save()
        cases.append(Case(f"page-{side}pt.pdf", "huge-page", "any"))
    c = canvas.Canvas(str(folder / "3000-pages.pdf"))
    for i in range(3000):
        c.setFont("LS", 12)
        c.drawString(72, 760, f"Trang {i + 1}: Giao Sở Nội vụ chủ trì thực hiện.")
        c.showPage()
    c.save()
    cases.append(Case("3000-pages.pdf", "many-pages", "error"))
    para = "<w:p><w:r><w:t>Giao Sở Nội vụ chủ trì.</w:t></w:r></w:p>".encode()
    _docx_replacing(folder / "2M-paragraphs.docx", "word/document.xml", _document_xml(para * 2_000_000))
    cases.append(Case("2M-paragraphs.docx", "zip-bomb", "error"))
    doc = TEXT.read_text(encoding="utf-8")
    (folder / "50MB.txt").write_text((doc + "\n") * (50_000_000 // len(doc.encode())), encoding="utf-8")
    (folder / "5MB-one-line.txt").write_text("Giao Sở Nội vụ chủ trì thực hiện. " * 130_000, encoding="utf-8")
    (folder / "1.9M-chars.txt").write_text((doc + "\n") * (1_900_000 // len(doc)), encoding="utf-8")
    cases += [Case("50MB.txt", "huge-text", "error"), Case("5MB-one-line.txt", "huge-text", "error"),
              Case("1.9M-chars.txt", "huge-text", "any")]
    png_bomb(folder / "12000px.png", 12000)  # 144 Mpx in 150 KB: under the refusal, scaled to 40 Mpx for OCR
    cases.append(Case("12000px.png", "image-bomb", "any"))
    return cases


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (not following links) with its content hash or kind."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = os.fsencode(p.relative_to(folder)).hex()
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() + f":{st.st_mtime_ns}"
            else:
                out[rel] = f"mode:{st.st_mode:o}"
    return out


def run(folder: Path, out: Path, timeout: float = 60, memory_mb: int = 2048, heavy: bool = False) -> dict[str, object]:
    """Extract the inputs with 2 workers; the figures of the run."""
    sys.path.insert(0, str(ROOT))
    from pipeline.batch import run_batch

    t0 = time.perf_counter()
    res = run_batch([str(folder)], out, workers=2, timeout=timeout, max_memory_mb=memory_mb)
    codes: dict[str, int] = {}
    for r in res.records:
        if r["status"] == "failed":
            codes[r.get("code") or "?"] = codes.get(r.get("code") or "?", 0) + 1
    slowest = max(res.records, key=lambda r: r.get("seconds") or 0.0)
    return {
        "documents": len(res.records),
        "results": res.ok + res.partial,
        "errors": res.failed,
        "not_read": res.not_read,
        "codes": codes,
        "crashes": codes.get("internal-error", 0) + codes.get("worker-died", 0),
        "hangs": codes.get("timeout", 0),
        "largest_worker_mb": round(max((r.get("peak_mb") or 0.0) for r in res.records), 1),
        "largest_subprocess_mb": round(max((r.get("children_peak_mb") or 0.0) for r in res.records), 1),
        "slowest": [slowest["path"], round(slowest.get("seconds") or 0.0, 1)],
        "per_document": {
            Path(r["path"]).name: [r["status"], r.get("code"), round(r.get("seconds") or 0.0, 1), round(r.get("peak_mb") or 0.0)]
            for r in res.records
        } if heavy else {},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--run", type=Path, metavar="OUT", help="extract them into OUT and print the figures")
    ap.add_argument("--heavy", action="store_true", help="the issue's heavy inputs instead (default limits: 300 s, 4 GB)")
    args = ap.parse_args()
    cases = make_heavy(args.folder) if args.heavy else make_inputs(args.folder, args.seed, args.scale)
    (args.folder.parent / "fuzz-manifest.json").write_text(json.dumps([asdict(c) for c in cases], indent=1))
    print(f"{len(cases)} inputs in {args.folder}")
    if args.run:
        before = snapshot(args.folder)
        figures = run(args.folder, args.run, 300, 4096, heavy=True) if args.heavy else run(args.folder, args.run)
        figures["inputs_unchanged"] = snapshot(args.folder) == before
        print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
