"""A text PDF of a plan whose tasks are a ruled table (nhiệm vụ | chủ trì |
phối hợp | thời gian), laid out with reportlab and Liberation Serif, for the
test of pdfplumber's table finder. Run: python scripts/make_task_table_pdf.py OUT.pdf
"""

import sys

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

pdfmetrics.registerFont(TTFont("LS", "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"))
st = ParagraphStyle("n", fontName="LS", fontSize=12, leading=15)
cell = ParagraphStyle("c", fontName="LS", fontSize=11, leading=13)
def P(t, s=st): return Paragraph(t, s)
head = [["ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"], ["TỈNH AN GIANG", "Độc lập - Tự do - Hạnh phúc"], ["Số: 25/KH-UBND", "An Giang, ngày 10 tháng 3 năm 2026"]]
story = [Table([[P(a), P(b)] for a, b in head], colWidths=[200, 300]), Spacer(1, 12),
         P("KẾ HOẠCH"), P("Triển khai chuyển đổi số năm 2026"), Spacer(1, 8),
         P("I. NHIỆM VỤ CỤ THỂ"), P("Các nhiệm vụ được phân công tại bảng sau:"), Spacer(1, 6)]
rows = [["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"],
        ["1", "Xây dựng cơ sở dữ liệu hộ tịch điện tử toàn tỉnh", "Sở Tư pháp", "Công an tỉnh", "12/2026"],
        ["2", "Số hóa hồ sơ thủ tục hành chính tại bộ phận một cửa cấp xã", "Văn phòng UBND tỉnh", "UBND các xã, phường", "Quý III/2026"],
        ["3", "Tập huấn kỹ năng số cho cán bộ, công chức cấp xã", "Sở Nội vụ", "Sở Khoa học và Công nghệ", "30/6/2026"]]
t = Table([[P(c, cell) for c in r] for r in rows], colWidths=[30, 170, 90, 100, 80])
t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
story += [t, Spacer(1, 12), P("II. TỔ CHỨC THỰC HIỆN"), P("Các cơ quan, đơn vị báo cáo kết quả về Sở Nội vụ.")]
story += [Spacer(1, 20), Table([[P("Nơi nhận:<br/>- Như trên;<br/>- Lưu: VT."), P("TM. ỦY BAN NHÂN DÂN<br/>CHỦ TỊCH<br/><br/>Nguyễn Văn A")]], colWidths=[250, 250])]


def main(out: str) -> None:
    SimpleDocTemplate(out, pagesize=A4).build(story)


if __name__ == "__main__":
    main(sys.argv[1])
