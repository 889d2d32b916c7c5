"""Row recall of tables of tasks read from scans, on plans made here with known truth.

Each plan is a Decree 30 kế hoạch whose tasks are a ruled table (reportlab,
Liberation Serif), in one of several column layouts (with or without a number
column, the header printed again on each page or only on the first, rows broken
at a page end), 6-30 rows drawn at random from the pools below. It is written
as a text PDF and as a simulated scan (pdfium render, then make_fixtures.degrade:
rotation, blur, noise, JPEG) and both are read with congvan. A table row is
recalled when one task of the output matches it (the evaluator's word-overlap
match) and has its lead (the same names after the evaluator's folding).

Usage: python scripts/scan_table_eval.py [--plans 6] [--seed 1] [--dpi 200] [--out DIR] [--text-pdf]
       python scripts/scan_table_eval.py --pdf SCAN.pdf --gold corpus/gold/285.json --ids PL.
         (a scan of a corpus document: rows = the gold tasks whose id starts with --ids)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

VERBS = [
    "Xây dựng", "Rà soát", "Tổ chức", "Triển khai", "Hướng dẫn", "Kiểm tra", "Tổng hợp", "Tham mưu ban hành",
    "Đôn đốc", "Cập nhật", "Hoàn thiện", "Tuyên truyền",
]
OBJECTS = [
    "cơ sở dữ liệu hộ tịch điện tử toàn tỉnh", "hồ sơ thủ tục hành chính tại bộ phận một cửa cấp xã",
    "kế hoạch chuyển đổi số của các cơ quan, đơn vị", "quy chế phối hợp quản lý trật tự xây dựng",
    "danh mục dịch vụ công trực tuyến toàn trình", "phương án phòng, chống thiên tai mùa mưa lũ",
    "chương trình đào tạo kỹ năng số cho cán bộ, công chức cấp xã", "hệ thống thông tin báo cáo của tỉnh",
    "việc thu gom, xử lý chất thải rắn sinh hoạt", "công tác cải cách hành chính năm 2026",
    "kết quả thực hiện các chỉ tiêu phát triển kinh tế - xã hội", "việc cấp giấy chứng nhận quyền sử dụng đất",
    "đề án phát triển du lịch cộng đồng", "mạng lưới trạm quan trắc môi trường tự động",
]
TAILS = [
    "", "", " trên địa bàn tỉnh", " theo quy định của pháp luật", " bảo đảm tiến độ, chất lượng",
    "; báo cáo kết quả thực hiện về Ủy ban nhân dân tỉnh", " gắn với việc đánh giá, xếp loại cuối năm",
]
AGENCIES = [
    "Sở Tư pháp", "Sở Nội vụ", "Sở Tài chính", "Sở Xây dựng", "Sở Y tế", "Sở Công Thương", "Công an tỉnh",
    "Văn phòng UBND tỉnh", "Sở Khoa học và Công nghệ", "Sở Nông nghiệp và Môi trường", "Sở Giáo dục và Đào tạo",
    "Sở Văn hóa, Thể thao và Du lịch", "Bộ Chỉ huy Quân sự tỉnh", "UBND các xã, phường",
]
DEADLINES = ["30/6/2026", "Quý III/2026", "12/2026", "Năm 2026", "Trước ngày 15/10/2026", "Hằng năm", "Tháng 9/2026"]
LAYOUTS = [
    # (header cells, column kinds, widths in points)
    (["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"],
     ["number", "content", "lead", "support", "time"], [30, 200, 90, 100, 70]),
    (["TT", "Nhiệm vụ", "Chủ trì", "Phối hợp", "Thời hạn"],
     ["number", "content", "lead", "support", "time"], [28, 220, 85, 90, 67]),
    (["STT", "Nội dung công việc", "Thời gian thực hiện", "Đơn vị chủ trì", "Đơn vị phối hợp"],
     ["number", "content", "time", "lead", "support"], [30, 200, 75, 90, 95]),
    (["Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Tiến độ"],
     ["content", "lead", "support", "time"], [230, 95, 100, 65]),
]


def make_rows(rng: random.Random, n: int) -> list[dict[str, str]]:
    rows = []
    for _ in range(n):
        lead = rng.choice(AGENCIES)
        support = "; ".join(rng.sample([a for a in AGENCIES if a != lead], rng.choice([0, 1, 1, 2])))
        text = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(TAILS)}"
        if rng.random() < 0.25:  # a long task that wraps over several lines
            text += f", đồng thời {rng.choice(VERBS).lower()} {rng.choice(OBJECTS)}{rng.choice(TAILS)}"
        rows.append({"text": text, "lead": lead, "support": support, "time": rng.choice(DEADLINES)})
    return rows


def write_plan(path: Path, rows: list[dict[str, str]], layout: int, repeat_header: bool, intro_lines: int) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
    pdfmetrics.registerFont(TTFont("LS", font))
    st = ParagraphStyle("n", fontName="LS", fontSize=13, leading=17)
    cell = ParagraphStyle("c", fontName="LS", fontSize=12, leading=14)
    header, kinds, widths = LAYOUTS[layout]
    head = [["ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"], ["TỈNH LÀO CAI", "Độc lập - Tự do - Hạnh phúc"],
            ["Số: 41/KH-UBND", "Lào Cai, ngày 12 tháng 3 năm 2026"]]
    story = [Table([[Paragraph(a, st), Paragraph(b, st)] for a, b in head], colWidths=[200, 300]), Spacer(1, 12),
             Paragraph("KẾ HOẠCH", st), Paragraph("Thực hiện nhiệm vụ trọng tâm năm 2026", st), Spacer(1, 8)]
    for _ in range(intro_lines):
        story.append(Paragraph(
            "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh về các nhiệm vụ trọng tâm năm 2026, Ủy ban nhân dân "
            "tỉnh ban hành Kế hoạch này để các cơ quan, đơn vị tổ chức thực hiện nghiêm túc, hiệu quả.", st))
    story += [Paragraph("I. NHIỆM VỤ CỤ THỂ", st), Paragraph("Các nhiệm vụ được phân công tại bảng sau:", st), Spacer(1, 6)]
    data = [[Paragraph(h, cell) for h in header]]
    for k, r in enumerate(rows, 1):
        values = {"number": str(k), "content": r["text"], "lead": r["lead"], "support": r["support"], "time": r["time"]}
        data.append([Paragraph(values[kind], cell) for kind in kinds])
    t = Table(data, colWidths=widths, repeatRows=1 if repeat_header else 0, splitInRow=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [t, Spacer(1, 12), Paragraph("II. TỔ CHỨC THỰC HIỆN", st),
              Paragraph("Các cơ quan, đơn vị báo cáo kết quả thực hiện về Sở Nội vụ trước ngày 15/12/2026.", st)]
    story += [Spacer(1, 20), Table([[Paragraph("Nơi nhận:<br/>- Như trên;<br/>- Lưu: VT.", st),
                                     Paragraph("TM. ỦY BAN NHÂN DÂN<br/>CHỦ TỊCH<br/><br/>Nguyễn Văn A", st)]],
                                   colWidths=[250, 250])]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def scan_pdf(src: Path, dst: Path, dpi: int, seed: int) -> int:
    """Render a PDF's pages and degrade them like a scanner: an image-only PDF. Returns the page count."""
    import pypdfium2 as pdfium
    from make_fixtures import degrade

    doc = pdfium.PdfDocument(str(src))
    images = []
    for i in range(len(doc)):
        img = doc[i].render(scale=dpi / 72).to_pil().convert("RGB")
        images.append(degrade(img, dpi, 0.5 if (i + seed) % 2 == 0 else -0.4, seed=seed * 100 + i))
    images[0].save(dst, format="PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    return len(images)


def row_recall(rows: list[dict], tasks: list[dict]) -> tuple[int, int, list[str]]:
    """(rows recalled with their lead, rows found at all, misses)."""
    from pipeline.evaluate import fold_text, match_tasks

    pairs = dict(match_tasks(rows, tasks))
    right = found = 0
    misses = []
    for i, row in enumerate(rows):
        if i not in pairs:
            misses.append(f"missed: {row['text'][:70]}")
            continue
        found += 1
        pred = {fold_text(x["name"]) for x in tasks[pairs[i]].get("lead") or []}
        gold = {fold_text(x) for x in row["lead"]}
        if pred == gold:
            right += 1
        else:
            misses.append(f"lead {sorted(pred)} != {sorted(gold)}: {row['text'][:50]}")
    return right, found, misses


def read_tasks(path: Path) -> list[dict]:
    from pipeline import extract

    return [t.model_dump(mode="json") for t in extract(path).tasks]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plans", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--out", type=Path, default=Path("/tmp/congvan-scan-tables"))
    ap.add_argument("--text-pdf", action="store_true", help="also read the text PDFs")
    ap.add_argument("--pdf", type=Path, help="a scan of a corpus document instead of generated plans")
    ap.add_argument("--gold", type=Path)
    ap.add_argument("--ids", default="", help="gold task ids starting with this are the table's rows")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.pdf:
        gold = json.loads(args.gold.read_text(encoding="utf-8"))
        rows = [
            {"text": t["text"], "lead": [x["name"] for x in t["lead"]]}
            for t in gold["tasks"] if t["id"].startswith(args.ids)
        ]
        t0 = time.perf_counter()
        tasks = read_tasks(args.pdf)
        right, found, misses = row_recall(rows, tasks)
        print(f"{args.pdf.name}: {len(rows)} rows, found {found}, with lead {right}: "
              f"row recall {right / len(rows):.3f} ({time.perf_counter() - t0:.0f} s)")
        if args.verbose:
            print("\n".join("  " + m for m in misses))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    totals = {"scan": [0, 0, 0], "text": [0, 0, 0]}
    for k in range(args.plans):
        rows = make_rows(rng, rng.randint(6, 30))
        layout, repeat = k % len(LAYOUTS), rng.random() < 0.5
        pdf = args.out / f"plan{k:02d}.pdf"
        write_plan(pdf, rows, layout, repeat, rng.randint(0, 8))
        scan = args.out / f"plan{k:02d}-scan{args.dpi}.pdf"
        pages = scan_pdf(pdf, scan, args.dpi, args.seed + k)
        (args.out / f"plan{k:02d}.truth.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        gold_rows = [{"text": r["text"], "lead": [r["lead"]]} for r in rows]
        for kind, path in (("scan", scan), ("text", pdf)):
            if kind == "text" and not args.text_pdf:
                continue
            t0 = time.perf_counter()
            right, found, misses = row_recall(gold_rows, read_tasks(path))
            tot = totals[kind]
            tot[0] += right
            tot[1] += found
            tot[2] += len(rows)
            print(f"plan{k:02d} {kind}: layout {layout} header {'each page' if repeat else 'once'}, "
                  f"{pages} pages, {len(rows)} rows: found {found}, with lead {right} "
                  f"({time.perf_counter() - t0:.0f} s)")
            if args.verbose:
                print("\n".join("  " + m for m in misses))
    for kind, (right, found, n) in totals.items():
        if n:
            print(f"{kind}: {n} rows, found {found}, with lead {right}: row recall {right / n:.3f}")


if __name__ == "__main__":
    main()
