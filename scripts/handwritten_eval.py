"""How well the handwritten-digit reader (pipeline/digits.py) reads the corpus's
real handwritten fields: the serial of the number and the day of the issue date
on scans where the pipeline's OCR left them blank (warning number-illegible /
a date without its day) and the gold has them.

    .venv/bin/congvan extract corpus/docs --out /tmp/hw_out   # (scans suffice)
    .venv/bin/python scripts/handwritten_eval.py /tmp/hw_out [--model FILE] [--min-prob 0.9]

Fields are cropped where the output's ``regions`` say (value_bbox), from page 1
of the original rendered at 300 dpi. Reported per part of corpus/split.json
(dev: tune; test: quote): fields, answered, right, precision (right/answered)
and accuracy (right/fields).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.digits import MODEL_FILE, DigitModel, read_field, value_crop  # noqa: E402


def page_one(path: Path) -> np.ndarray:
    """Page 1 of a PDF or an image, gray at 300 dpi, red seals made white (as OCR sees it)."""
    from PIL import Image

    from pipeline.readers.ocr import suppress_red_image

    if path.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(str(path))
        image = doc[0].render(scale=300 / 72).to_pil()
        doc.close()
    else:
        image = Image.open(path).convert("RGB")
    return np.asarray(suppress_red_image(image.convert("RGB")))


def tesseract_digits(crop: np.ndarray) -> str:
    """tesseract's reading of the crop as one word of digits (--psm 8, digits only)."""
    import os
    import subprocess
    import tempfile

    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="congvan-hw-") as tmp:
        png = Path(tmp) / "field.png"
        Image.fromarray(crop).save(png)
        run = subprocess.run(
            ["tesseract", str(png), "-", "--psm", "8", "-c", "tessedit_char_whitelist=0123456789"],
            capture_output=True, env=dict(os.environ, OMP_THREAD_LIMIT="1"), check=False,
        )
    return "".join(run.stdout.decode("utf-8", "replace").split())


def handwritten_fields(pred: dict, gold: dict) -> list[tuple[str, str]]:
    """(field, true digits) that the pipeline left blank and the gold has."""
    out = []
    codes = {w["code"] for w in pred.get("warnings") or []}
    g_serial = (gold.get("number") or {}).get("serial")
    if g_serial and "number-illegible" in codes and not (pred.get("number") or {}).get("serial"):
        out.append(("number", g_serial))
    g_date, p_date = gold.get("issued_date") or "", pred.get("issued_date") or ""
    # the day left blank by OCR (or impossible): also when it was then taken from the e-signature
    if len(g_date) == 10 and p_date and (len(p_date) < 10 or "issued-date-inferred" in codes):
        out.append(("issued_date", str(int(g_date[8:10]))))
    return out


def empty_crop(crop: np.ndarray) -> bool:
    return crop.size == 0 or min(crop.shape) < 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pred", type=Path, help="folder of congvan extract outputs (with regions)")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--model", type=Path, default=MODEL_FILE)
    ap.add_argument("--min-prob", type=float, default=0.9)
    ap.add_argument("--show", action="store_true", help="print each field")
    ap.add_argument("--agree", action="store_true", help="answer only when tesseract (digits only) reads the same")
    ap.add_argument("--part", choices=("dev", "test"), help="only this part (tune on dev)")
    ap.add_argument("--crops", type=Path, help="save each crop as PNG here")
    args = ap.parse_args()
    model = DigitModel.from_json(args.model.read_text(encoding="utf-8"))
    split = json.loads((args.corpus / "split.json").read_text(encoding="utf-8"))
    part_of = {i: p for p in ("dev", "test") for i in split[p]}
    stats = {p: {"fields": 0, "no-region": 0, "answered": 0, "right": 0} for p in ("dev", "test")}
    for line in (args.corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["kind"] != "scan":
            continue
        out = args.pred / f"{Path(entry['file']).stem}.json"
        if not out.exists():
            print(f"{entry['id']}: no output in {args.pred}", file=sys.stderr)
            continue
        pred = json.loads(out.read_text(encoding="utf-8"))
        gold = json.loads((args.corpus / "gold" / f"{entry['id']}.json").read_text(encoding="utf-8"))
        fields = handwritten_fields(pred, gold)
        if not fields:
            continue
        part = part_of.get(entry["id"], "dev")
        if args.part and part != args.part:
            continue
        page = None
        for field, truth in fields:
            s = stats[part]
            s["fields"] += 1
            region = (pred.get("regions") or {}).get(field)
            if not region or not region.get("value_bbox"):
                s["no-region"] += 1
                if args.show:
                    print(f"{part} {entry['id']} {field}: truth {truth} no region")
                continue
            if page is None:
                page = page_one(args.corpus / entry["file"])
            crop = value_crop(page, tuple(region["value_bbox"]))
            if args.crops and not empty_crop(crop):
                from PIL import Image

                args.crops.mkdir(parents=True, exist_ok=True)
                Image.fromarray(crop).save(args.crops / f"{part}-{entry['id']}-{field}-{truth}.png")
            r = read_field(crop, model, min_prob=args.min_prob)
            value = r.digits
            other = tesseract_digits(crop) if args.agree and empty_crop(crop) is False else ""
            if args.agree and value is not None and other != value:
                value = None
            if value is not None and field == "issued_date":
                value = str(int(value)) if value and len(value) <= 2 else None
            if value is not None:
                s["answered"] += 1
                s["right"] += value == truth
            if args.show:
                also = f", tesseract {other!r}" if args.agree else ""
                print(f"{part} {entry['id']} {field}: truth {truth} read {r.digits} ({r.confidence:.2f}, {r.glyphs} glyphs{also})")
    for part, s in stats.items():
        if args.part and part != args.part:
            continue
        n, a, r = s["fields"], s["answered"], s["right"]
        print(
            f"{part}: {n} handwritten fields ({s['no-region']} without a region), answered {a}, right {r}: "
            f"precision {r / a if a else 0:.3f}, accuracy {r / n if n else 0:.3f}"
        )


if __name__ == "__main__":
    main()
