"""Make reader fixtures from a Vietnamese seed text: a Decree 30 text PDF and simulated scans.

Seed format: one line per printed line. A line with " | " is a two-column row
(left | right: the header "issuer | Quốc hiệu", the closing "Nơi nhận | signer").
Other lines are paragraphs, wrapped to the text width; an ALL-CAPS line is a
centred bold title. Blank lines are vertical space.

Outputs (in --out, default tests/fixtures/generated):
  <stem>.pdf                text PDF (reportlab, Liberation Serif)
  <stem>.layout.txt         its drawn lines, columns side by side (what pdftotext -layout gives)
  <stem>.txt                reading order: a row's left block, then its right block
  <stem>-scan<dpi>.png/.pdf simulated scans (rotation, blur, noise, JPEG, red seal), image-only PDF

Usage: python scripts/make_fixtures.py [seed.txt] [--out DIR] [--dpi 200 300]
Needs reportlab (pip install reportlab) for the text PDF; scans need only Pillow and numpy.
"""

from __future__ import annotations

import argparse
import io
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONT_REGULAR = FONT_DIR / "LiberationSerif-Regular.ttf"
FONT_BOLD = FONT_DIR / "LiberationSerif-Bold.ttf"

# A4 and the Decree 30/2020 margins, millimetres
PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT, TOP, BOTTOM = 30.0, 15.0, 20.0, 20.0
BODY_PT = 13.0
LINE_MM = 6.6
MM_PER_PT = 25.4 / 72

SEED = """ỦY BAN NHÂN DÂN | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH LÀO CAI | Độc lập - Tự do - Hạnh phúc
Số: 125/UBND-KT | Lào Cai, ngày 15 tháng 9 năm 2026
V/v tăng cường quản lý chất thải rắn |
sinh hoạt trên địa bàn tỉnh |

Kính gửi: Các sở, ban, ngành; Ủy ban nhân dân các xã, phường.

Thực hiện chỉ đạo của Thủ tướng Chính phủ về tăng cường công tác bảo vệ môi trường, Ủy ban nhân dân tỉnh Lào Cai yêu cầu các cơ quan, đơn vị thực hiện tốt các nội dung sau đây.
1. Giao Sở Nông nghiệp và Môi trường chủ trì, phối hợp với Sở Xây dựng và Sở Tài chính rà soát các khu xử lý chất thải rắn sinh hoạt, báo cáo Ủy ban nhân dân tỉnh trước ngày 30 tháng 10 năm 2026.
2. Ủy ban nhân dân các xã, phường chỉ đạo việc phân loại rác tại nguồn, kiểm tra thường xuyên và xử lý nghiêm các trường hợp vi phạm.
3. Sở Thông tin và Truyền thông phối hợp với các cơ quan báo chí tuyên truyền, phổ biến rộng rãi đến người dân.
Đề nghị các cơ quan, đơn vị khẩn trương triển khai thực hiện./.

Nơi nhận: | KT. CHỦ TỊCH
- Như trên; | PHÓ CHỦ TỊCH
- Chủ tịch, các PCT UBND tỉnh; |
- Lưu: VT, KT. |
 |
 | Phan Trung Bá
"""


@dataclass(frozen=True)
class Item:
    """One drawn string: x is the left edge, or the centre when ``center``; y is the baseline."""

    page: int
    x_mm: float
    y_mm: float
    text: str
    bold: bool
    size_pt: float
    center: bool


@dataclass(frozen=True)
class Layout:
    items: list[Item]
    layout_lines: list[str]  # side by side, as pdftotext -layout would read them
    reading_lines: list[str]  # left block then right block
    seal: tuple[int, float, float] | None  # page, x_mm, y_mm of the signature


_measure_cache: dict[bool, ImageFont.FreeTypeFont] = {}


def text_width_mm(text: str, size_pt: float, bold: bool = False) -> float:
    if bold not in _measure_cache:
        _measure_cache[bold] = ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), 1000)
    return _measure_cache[bold].getlength(text) / 1000 * size_pt * MM_PER_PT


def wrap(text: str, width_mm: float, size_pt: float, bold: bool = False) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and text_width_mm(trial, size_pt, bold) > width_mm:
            lines.append(current)
            current = word
        else:
            current = trial
    return lines + ([current] if current else [])


def _is_title(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) > 3 and all(c.isupper() for c in letters)


def layout_seed(seed: str) -> Layout:
    """Place the seed's lines on A4 pages the Decree 30 way."""
    items: list[Item] = []
    layout_lines: list[str] = []
    reading: list[str] = []
    page, y = 0, TOP + 5
    text_w = PAGE_W - LEFT - RIGHT
    left_c, right_c = LEFT + 38, LEFT + 38 + 78  # column centres
    seal = None
    rows = seed.splitlines()
    i = 0
    in_body = False
    while i < len(rows):
        line = rows[i]
        if " | " in line or line.strip() == "|" or line.endswith(" |") or line.startswith(" | "):
            block = []
            while i < len(rows) and "|" in rows[i]:
                left, _, right = rows[i].partition("|")
                block.append((left.strip(), right.strip()))
                i += 1
            closing = in_body
            for left, right in block:
                if y > PAGE_H - BOTTOM:
                    page, y = page + 1, TOP + 5
                lb = _is_title(left) and not closing or left.startswith("Nơi nhận")
                rb = _is_title(right) or closing and bool(right) and right == block[-1][1]
                size = 12.0 if closing else BODY_PT
                if left:
                    items.append(Item(page, LEFT if closing else left_c, y, left, lb, size, not closing))
                if right:
                    items.append(Item(page, right_c, y, right, rb, size, True))
                layout_lines.append(f"{left}   {right}".strip())
                y += LINE_MM if not closing else LINE_MM * 0.95
                if closing and right and right == block[-1][1]:
                    seal = (page, right_c, y - LINE_MM * 3)
            reading.extend(left for left, _ in block if left)
            reading.extend(right for _, right in block if right)
            continue
        i += 1
        if not line.strip():
            y += LINE_MM * 0.6
            continue
        in_body = True
        title = _is_title(line)
        for part in wrap(line, text_w - (0 if title else 10), BODY_PT, title):
            if y > PAGE_H - BOTTOM:
                page, y = page + 1, TOP + 5
            if title:
                items.append(Item(page, LEFT + text_w / 2, y, part, True, BODY_PT, True))
            else:
                items.append(Item(page, LEFT + 10, y, part, False, BODY_PT, False))
            layout_lines.append(part)
            reading.append(part)
            y += LINE_MM
    return Layout(items, layout_lines, reading, seal)


def write_text_pdf(layout: Layout, path: Path) -> None:
    """The text PDF, with reportlab and Liberation Serif (embedded, so Vietnamese extracts exactly)."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("LiberationSerif", str(FONT_REGULAR)))
    pdfmetrics.registerFont(TTFont("LiberationSerif-Bold", str(FONT_BOLD)))
    c = canvas.Canvas(str(path), pagesize=(PAGE_W * mm, PAGE_H * mm))
    c.setTitle(path.stem)
    pages = max((it.page for it in layout.items), default=0) + 1
    for p in range(pages):
        for it in (it for it in layout.items if it.page == p):
            c.setFont("LiberationSerif-Bold" if it.bold else "LiberationSerif", it.size_pt)
            x, yb = it.x_mm * mm, (PAGE_H - it.y_mm) * mm
            if it.center:
                c.drawCentredString(x, yb, it.text)
            else:
                c.drawString(x, yb, it.text)
        c.showPage()
    c.save()


def render_page(layout: Layout, page: int, dpi: int) -> Image.Image:
    """Draw one page as a clean RGB image at ``dpi``."""
    px = dpi / 25.4
    img = Image.new("RGB", (round(PAGE_W * px), round(PAGE_H * px)), "white")
    draw = ImageDraw.Draw(img)
    fonts: dict[tuple[bool, float], ImageFont.FreeTypeFont] = {}
    for it in (it for it in layout.items if it.page == page):
        key = (it.bold, it.size_pt)
        if key not in fonts:
            fonts[key] = ImageFont.truetype(
                str(FONT_BOLD if it.bold else FONT_REGULAR), round(it.size_pt * dpi / 72)
            )
        font = fonts[key]
        x, y = it.x_mm * px, it.y_mm * px
        draw.text((x, y), it.text, font=font, fill=(20, 20, 20), anchor="ms" if it.center else "ls")
    return img


def draw_seal(img: Image.Image, x_mm: float, y_mm: float, dpi: int) -> None:
    """A red round seal (two rings, a star, lettering) centred on the signature."""
    px = dpi / 25.4
    cx, cy, r = x_mm * px, y_mm * px, 18 * px
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    red = (215, 30, 35, 200)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=max(2, round(0.7 * px)))
    r2 = r * 0.72
    d.ellipse((cx - r2, cy - r2, cx + r2, cy + r2), outline=red, width=max(1, round(0.35 * px)))
    star = []
    for k in range(10):
        rad = r2 * (0.45 if k % 2 == 0 else 0.18)
        a = -math.pi / 2 + k * math.pi / 5
        star.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    d.polygon(star, fill=red)
    font = ImageFont.truetype(str(FONT_BOLD), round(9 * dpi / 72))
    for k, ch in enumerate("ỦY BAN NHÂN DÂN TỈNH LÀO CAI"):
        a = math.pi + k * (math.pi * 1.6 / 27) - 0.1
        d.text(
            (cx + (r * 0.86) * math.cos(a), cy + (r * 0.86) * math.sin(a)),
            ch,
            font=font,
            fill=red,
            anchor="mm",
        )
    # a scribbled signature in blue ink under the seal
    sig = [(cx - r * 0.9 + t * r * 1.8 / 40, cy + math.sin(t / 3) * r * 0.25) for t in range(41)]
    d.line(sig, fill=(30, 40, 150, 230), width=max(2, round(0.5 * px)))
    img.paste(Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB"))


def degrade(img: Image.Image, dpi: int, angle: float, seed: int = 7) -> Image.Image:
    """Scanner effects: small rotation, blur, noise, JPEG compression."""
    rng = np.random.default_rng(seed)
    out = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor="white")
    out = out.filter(ImageFilter.GaussianBlur(0.5 * dpi / 300))
    arr = np.asarray(out).astype(np.int16)
    arr = arr + rng.normal(0, 8, arr.shape).astype(np.int16)
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=70)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def make_scans(
    layout: Layout, out: Path, stem: str, dpi: int, angle: float = 0.7, seal: bool = True
) -> list[Path]:
    """Simulated scan pages: PNG per page and one image-only PDF. Returns the written paths."""
    pages = max((it.page for it in layout.items), default=0) + 1
    images = []
    for p in range(pages):
        img = render_page(layout, p, dpi)
        if seal and layout.seal and layout.seal[0] == p:
            draw_seal(img, layout.seal[1], layout.seal[2], dpi)
        images.append(degrade(img, dpi, angle if p % 2 == 0 else -angle, seed=dpi + p))
    written = []
    for p, img in enumerate(images):
        name = out / (f"{stem}-scan{dpi}.png" if pages == 1 else f"{stem}-scan{dpi}-p{p + 1}.png")
        img.save(name, dpi=(dpi, dpi))
        written.append(name)
    pdf = out / f"{stem}-scan{dpi}.pdf"
    images[0].save(pdf, format="PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    written.append(pdf)
    return written


def make_all(seed: str, out: Path, stem: str = "seed", dpis: tuple[int, ...] = (200, 300)) -> dict[str, Path]:
    """Write the text PDF, the truth texts and the scans. Returns name -> path."""
    out.mkdir(parents=True, exist_ok=True)
    layout = layout_seed(seed)
    paths: dict[str, Path] = {}
    (out / f"{stem}.layout.txt").write_text("\n".join(layout.layout_lines) + "\n", encoding="utf-8")
    (out / f"{stem}.txt").write_text("\n".join(layout.reading_lines) + "\n", encoding="utf-8")
    paths["layout_truth"] = out / f"{stem}.layout.txt"
    paths["truth"] = out / f"{stem}.txt"
    try:
        write_text_pdf(layout, out / f"{stem}.pdf")
        paths["pdf"] = out / f"{stem}.pdf"
    except ImportError:
        print("reportlab is not installed: no text PDF (pip install reportlab)")
    for dpi in dpis:
        for p in make_scans(layout, out, stem, dpi):
            paths[p.name] = p
    return paths


# --- Structured Decree 30 layout (used by scripts/eval_generated.py) ---------------------------


@dataclass
class D30Doc:
    """A document split into the parts Decree 30 places on the page.

    ``body`` and ``after`` are paragraphs as (style, text): "p" a paragraph (first-line indent),
    "h" a bold heading at the left margin, "c" a centred bold line.
    """

    issuer: list[str]  # upper left, caps: parent body then issuing body
    number: str | None  # "Số: 440 /UBND-TH"
    subject: str | None  # "V/v …" under the number (a công văn), or None
    national: list[str]  # upper right: Quốc hiệu and Tiêu ngữ (or "ĐẢNG CỘNG SẢN VIỆT NAM")
    date_line: str | None  # "An Giang, ngày 31 tháng 3 năm 2025"
    title: list[str]  # the type title (caps) then the subject under it
    recipients: list[str]  # ["Kính gửi: X"] or ["Kính gửi:", "- a;", "- b."]
    body: list[tuple[str, str]]
    closing_left: list[str]  # "Nơi nhận:", "- Như trên;", …
    closing_right: list[str]  # authority and position lines (caps)
    signer_name: str | None
    after: list[tuple[str, str]]  # anything printed after the signature (an attached plan …)


@dataclass
class D30Layout:
    layout: Layout
    # region -> (lines side by side as on the page, reading-order lines); header, body, closing, after
    regions: dict[str, tuple[list[str], list[str]]]


def wrap_first(text: str, first_mm: float, rest_mm: float, size_pt: float, bold: bool = False) -> list[str]:
    """Wrap with a different width for the first line (first-line indent)."""
    lines, current, width = [], "", first_mm
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and text_width_mm(trial, size_pt, bold) > width:
            lines.append(current)
            current, width = word, rest_mm
        else:
            current = trial
    return lines + ([current] if current else [])


def layout_decree30(doc: D30Doc) -> D30Layout:
    """Place a D30Doc on A4 pages: two-column header, title, Kính gửi, body, two-column closing.

    Sizes follow Decree 30 (issuer and Quốc hiệu 12–13 pt caps, body 13 pt, Nơi nhận 11–12 pt);
    the seal goes over the left third of the signature, between the position and the name.
    """
    items: list[Item] = []
    regions: dict[str, tuple[list[str], list[str]]] = {r: ([], []) for r in ("header", "body", "closing", "after")}
    text_w = PAGE_W - LEFT - RIGHT
    lc, rc = LEFT + 35, LEFT + 70 + 47.5  # header column centres (left 70 mm, right 95 mm wide)
    state = {"page": 0, "y": TOP + 5.0}

    def room(h: float) -> None:
        if state["y"] + h > PAGE_H - BOTTOM:
            state["page"] += 1
            state["y"] = TOP + 5.0

    def put(x: float, text: str, bold: bool, size: float, center: bool) -> None:
        if text:
            items.append(Item(state["page"], x, state["y"], text, bold, size, center))

    # header: rows of (left, right) drawn in two columns
    left: list[tuple[str, bool, float]] = []
    for k, line in enumerate(doc.issuer):
        bold = k == len(doc.issuer) - 1
        left += [(part, bold, 12.5) for part in wrap(line, 70, 12.5, bold)]
    right = [(t, True, 12.5 if k == 0 else 13.0) for k, t in enumerate(doc.national)]
    rows: list[tuple[tuple[str, bool, float] | None, tuple[str, bool, float] | None]] = []
    for k in range(max(len(left), len(right))):
        rows.append((left[k] if k < len(left) else None, right[k] if k < len(right) else None))
    if doc.number or doc.date_line:
        rows.append((None, None))
        rows.append(
            ((doc.number, False, 13.0) if doc.number else None, (doc.date_line, False, 13.0) if doc.date_line else None)
        )
    for part in wrap(doc.subject or "", 70, 12.0):
        rows.append(((part, False, 12.0), None))
    lay, read = regions["header"]
    for lft, rgt in rows:
        room(LINE_MM)
        if lft:
            put(lc, lft[0], lft[1], lft[2], True)
        if rgt:
            put(rc, rgt[0], rgt[1], rgt[2], True)
        if lft or rgt:
            lay.append(f"{lft[0] if lft else ''}   {rgt[0] if rgt else ''}".strip())
            state["y"] += LINE_MM * 0.92
        else:
            state["y"] += LINE_MM * 0.4
    read += [r[0][0] for r in rows if r[0]] + [r[1][0] for r in rows if r[1]]
    if rows:
        state["y"] += LINE_MM * 0.8
    # title and the subject under it
    for k, t in enumerate(doc.title):
        for part in wrap(t, text_w - 10, 14.0, True):
            room(LINE_MM)
            put(LEFT + text_w / 2, part, True, 14.0, True)
            lay.append(part)
            read.append(part)
            state["y"] += LINE_MM
    if doc.title:
        state["y"] += LINE_MM * 0.6
    # Kính gửi
    if len(doc.recipients) == 1:
        for part in wrap(doc.recipients[0], text_w - 20, 13.0):
            room(LINE_MM)
            put(LEFT + text_w / 2, part, False, 13.0, True)
            lay.append(part)
            read.append(part)
            state["y"] += LINE_MM
    elif doc.recipients:
        x0, x1 = LEFT + 28, LEFT + 50
        head, rest = doc.recipients[0], doc.recipients[1:]
        first = True
        for rec in rest:
            for part in wrap(rec, PAGE_W - RIGHT - x1, 13.0):
                room(LINE_MM)
                if first:
                    put(x0, head, False, 13.0, False)
                put(x1, part, False, 13.0, False)
                line = f"{head} {part}" if first else part
                lay.append(line)
                read.append(line)
                first = False
                state["y"] += LINE_MM
    if doc.recipients:
        state["y"] += LINE_MM * 0.6

    def paragraphs(paras: list[tuple[str, str]], region: str) -> None:
        lay, read = regions[region]
        for style, text in paras:
            if style == "c":
                parts = [(LEFT + text_w / 2, p, True) for p in wrap(text, text_w - 10, BODY_PT, True)]
            else:
                bold = style == "h"
                parts = [
                    (LEFT + 10 if k == 0 else LEFT, p, bold)
                    for k, p in enumerate(wrap_first(text, text_w - 10, text_w, BODY_PT, bold))
                ]
            for x, part, bold in parts:
                room(LINE_MM)
                put(x, part, bold, BODY_PT, style == "c")
                lay.append(part)
                read.append(part)
                state["y"] += LINE_MM
            state["y"] += 1.2

    paragraphs(doc.body, "body")
    # closing: Nơi nhận at the left, the signature block at the right
    cl: list[tuple[str, bool, float]] = []
    for k, t in enumerate(doc.closing_left):
        head = k == 0 and t.startswith(("Nơi nhận", "Noi nhận"))
        size = 12.0 if head else 11.0
        cl += [(p, head, size) for p in wrap(t, 78, size, head)]
    cr: list[tuple[str, bool, float] | None] = []
    for t in doc.closing_right:
        cr += [(p, True, 13.0) for p in wrap(t, 80, 13.0, True)]
    seal_row = None
    if doc.signer_name:
        seal_row = len(cr) + 3
        cr += [None] * 7 + [(doc.signer_name, True, 13.0)]
    pitch = LINE_MM * 0.85
    state["y"] += LINE_MM * 0.4
    room(pitch * min(len(cr), 12))
    rcx = LEFT + 120
    lay, read = regions["closing"]
    seal = None
    for k in range(max(len(cl), len(cr))):
        room(pitch)
        a = cl[k] if k < len(cl) else None
        b = cr[k] if k < len(cr) else None
        if a:
            put(LEFT, a[0], a[1], a[2], False)
        if b:
            put(rcx, b[0], b[1], b[2], True)
        if seal_row is not None and k == seal_row:
            seal = (state["page"], rcx - 16, state["y"] - pitch * 0.5)
        line = f"{a[0] if a else ''}   {b[0] if b else ''}".strip()
        if line:
            lay.append(line)
        state["y"] += pitch
    read += [a[0] for a in cl] + [b[0] for b in cr if b]
    state["y"] += LINE_MM
    paragraphs(doc.after, "after")
    order = ("header", "body", "closing", "after")
    all_lay = [line for r in order for line in regions[r][0]]
    all_read = [line for r in order for line in regions[r][1]]
    return D30Layout(Layout(items, all_lay, all_read, seal), regions)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("seed", nargs="?", type=Path, help="seed text file (default: a built-in công văn)")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests/fixtures/generated"
    )
    parser.add_argument("--stem", default=None)
    parser.add_argument("--dpi", type=int, nargs="+", default=[200, 300])
    args = parser.parse_args()
    seed = args.seed.read_text(encoding="utf-8") if args.seed else SEED
    stem = args.stem or (args.seed.stem if args.seed else "seed")
    random.seed(0)
    for name, path in make_all(seed, args.out, stem, tuple(args.dpi)).items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
