"""Print gold vs predicted lead/support for matched tasks that differ (dev aid)."""
import json
import sys
from pathlib import Path

from pipeline.evaluate import fold_agency, match_tasks

pred_dir = Path(sys.argv[1])
ids = sys.argv[2:]
for gp in sorted(Path("corpus/gold").glob("*.json")):
    if ids and gp.stem not in ids:
        continue
    pp = pred_dir / gp.name
    if not pp.exists():
        continue
    g, p = json.loads(gp.read_text()), json.loads(pp.read_text())
    gt, pt = g["tasks"], p["tasks"]
    for i, j in match_tasks(gt, pt):
        for role in ("lead", "support"):
            a = sorted(fold_agency(x["name"]) for x in gt[i][role])
            b = sorted(fold_agency(x["name"]) for x in pt[j][role])
            if a != b:
                print(f"{gp.stem} {gt[i]['id']:<10} {role:<7} gold={[x['name'] for x in gt[i][role]]} pred={[x['name'] for x in pt[j][role]]}")
                print("      ", pt[j]["text"][:160])
