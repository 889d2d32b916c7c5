"""Train the handwritten-digit reader (pipeline/digits.py) on digits rendered
from handwriting-style fonts, with augmentation; write its weights as JSON.

    .venv/bin/python scripts/train_digits.py [--out pipeline/resources/models/handwritten_digits.json]

Fonts: Debian's handwriting font packages (no download at run time; the model
file ships in the package, training needs the fonts only here):

    apt-get install fonts-dkg-handwriting fonts-breip fonts-bwht fonts-femkeklaver \
        fonts-humor-sans fonts-klee fonts-kristi fonts-sjfonts fonts-comic-neue \
        fonts-rufscript fonts-dancingscript fonts-ecolier-court fonts-kaushanscript

plus the italic faces of fonts-liberation2 / fonts-dejavu (e-office systems
print the serial and the day in an italic face that looks written). Fonts
that are missing are skipped; the run says which it used.

Augmentation per sample: size, stroke width (thicker or thinner by a min/max
filter), rotation and slant, blur, a lower resolution, paper noise and the
same Otsu binarisation the reader applies to a scan.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.digits import MODEL_FILE, REJECT, SIZE, DigitModel, glyph_input, ink_mask  # noqa: E402

FONT_GLOBS = [
    "/usr/share/fonts/truetype/fifthhorseman/*.ttf",  # fonts-dkg-handwriting
    "/usr/share/fonts/truetype/breip/*.ttf",  # fonts-breip
    "/usr/share/fonts/opentype/bwht/*.otf",  # fonts-bwht
    "/usr/share/fonts/truetype/femkeklaver/*.ttf",  # fonts-femkeklaver
    "/usr/share/fonts/truetype/humor-sans/*.ttf",  # fonts-humor-sans
    "/usr/share/fonts/truetype/klee/*.ttf",  # fonts-klee
    "/usr/share/fonts/truetype/kristi/*.ttf",  # fonts-kristi
    "/usr/share/fonts/truetype/sjfonts/*.ttf",  # fonts-sjfonts
    "/usr/share/fonts/opentype/comic-neue/*.otf",  # fonts-comic-neue
    "/usr/share/fonts/truetype/rufscript/*.ttf",  # fonts-rufscript
    "/usr/share/fonts/opentype/dancingscript/*.otf",  # fonts-dancingscript
    "/usr/share/fonts/truetype/ecolier-court/*.ttf",  # fonts-ecolier-court
    "/usr/share/fonts/opentype/kaushanscript/*.otf",  # fonts-kaushanscript
    "/usr/share/fonts/truetype/liberation2/*Italic.ttf",  # fonts-liberation2 (italic faces)
    "/usr/share/fonts/truetype/dejavu/*Oblique.ttf",  # fonts-dejavu (oblique faces)
]
# what is not a digit but may sit in a field's crop: the slash of the notation,
# the colon of "Số:", dots of a blank, a dash, and the printed letters at its
# edges, whole or cut ("ngày" ends in y, "tháng" starts with t, "Số" ends in ố)
REJECT_GLYPHS = "/:.,-_()…"
REJECT_LETTERS = "ytgốhnS"


def find_fonts() -> list[Path]:
    out: list[Path] = []
    for pattern in FONT_GLOBS:
        base, glob = pattern.rsplit("/", 1)
        out.extend(sorted(Path(base).glob(glob)))
    return out


def usable_fonts(paths: list[Path]) -> list[Path]:
    """Fonts that draw ten different digits (a font without digits draws one box for all)."""
    good = []
    for p in paths:
        try:
            font = ImageFont.truetype(str(p), 48)
        except OSError:
            continue
        shapes = set()
        for d in "0123456789":
            im = Image.new("L", (80, 80), 0)
            ImageDraw.Draw(im).text((10, 5), d, font=font, fill=255)
            shapes.add(im.tobytes())
        if len(shapes) == 10:
            good.append(p)
    return good


def render(text: str, font_path: Path, rng: random.Random) -> np.ndarray:
    """One augmented glyph as a gray uint8 scan crop (dark ink on light paper)."""
    size = rng.randint(36, 90)
    font = ImageFont.truetype(str(font_path), size)
    canvas = Image.new("L", (size * 3, size * 3), 0)
    draw = ImageDraw.Draw(canvas)
    draw.text((size, size // 2), text, font=font, fill=255)
    if text == "7" and rng.random() < 0.4:  # the crossed seven of Vietnamese handwriting
        x0, y0, x1, y1 = canvas.getbbox() or (0, 0, 1, 1)
        y = y0 + (y1 - y0) * rng.uniform(0.4, 0.6)
        draw.line((x0 + (x1 - x0) * 0.2, y, x1 - (x1 - x0) * 0.05, y), fill=255, width=max(2, size // 14))
    # stroke width: a pen thicker or thinner than the font
    k = rng.choice([0, 0, 3, 3, 5, -3])
    if k > 0:
        canvas = canvas.filter(ImageFilter.MaxFilter(k))
    elif k < 0 and size > 50:
        canvas = canvas.filter(ImageFilter.MinFilter(-k))
    # slant and rotation
    shear = rng.uniform(-0.35, 0.25)
    canvas = canvas.transform(canvas.size, Image.Transform.AFFINE, (1, shear, -shear * canvas.height / 2, 0, 1, 0), Image.Resampling.BILINEAR)
    canvas = canvas.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR)
    box = canvas.getbbox()
    if box is None:
        return np.full((10, 10), 255, dtype=np.uint8)
    x0, y0, x1, y1 = box
    if text in REJECT_LETTERS and rng.random() < 0.5:  # a letter cut by the crop's edge
        keep = int((x1 - x0) * rng.uniform(0.35, 0.8))
        x0, x1 = (x0, x0 + keep) if rng.random() < 0.5 else (x1 - keep, x1)
    pad = rng.randint(2, 8)
    canvas = canvas.crop((max(0, x0 - pad), max(0, y0 - pad), x1 + pad, y1 + pad))
    # a lower resolution (a 150-200 dpi scan or a photo), then back
    if rng.random() < 0.5:
        f = rng.uniform(0.3, 0.8)
        w, h = canvas.size
        canvas = canvas.resize((max(4, int(w * f)), max(4, int(h * f))), Image.Resampling.BILINEAR)
    if rng.random() < 0.6:
        canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.4)))
    ink = np.asarray(canvas, dtype=np.float32) / 255
    paper = rng.uniform(200, 250)
    dark = rng.uniform(10, 110)  # black or blue ballpoint, faint or firm
    gray = paper - ink * (paper - dark) + np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(2, 14), ink.shape)
    return np.clip(gray, 0, 255).astype(np.uint8)


def sample(text: str, font_path: Path, rng: random.Random) -> np.ndarray | None:
    gray = render(text, font_path, rng)
    mask = ink_mask(gray)
    ys, xs = np.nonzero(mask)
    if len(xs) < 6:
        return None
    return glyph_input(mask, (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))


def make_set(fonts: list[Path], per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    xs, ys = [], []
    for label in range(REJECT + 1):
        made = 0
        while made < per_class:
            text = str(label) if label < REJECT else rng.choice(REJECT_GLYPHS if rng.random() < 0.5 else REJECT_LETTERS)
            x = sample(text, rng.choice(fonts), rng)
            if x is None:
                continue
            xs.append(x)
            ys.append(label)
            made += 1
    return np.stack(xs).astype(np.float32), np.array(ys, dtype=np.int64)


def train(x: np.ndarray, y: np.ndarray, hidden: int, epochs: int, seed: int) -> DigitModel:
    """A one-hidden-layer network (ReLU, softmax), Adam, minibatches of 128."""
    g = np.random.default_rng(seed)
    n_in, n_out = x.shape[1], REJECT + 1
    params = {
        "w1": (g.normal(0, np.sqrt(2 / n_in), (n_in, hidden))).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": (g.normal(0, np.sqrt(2 / hidden), (hidden, n_out))).astype(np.float32),
        "b2": np.zeros(n_out, np.float32),
    }
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    lr, b1, b2, eps, step = 2e-3, 0.9, 0.999, 1e-8, 0
    for epoch in range(epochs):
        order = g.permutation(len(x))
        loss_sum = 0.0
        for i in range(0, len(x), 128):
            idx = order[i : i + 128]
            xb, yb = x[idx], y[idx]
            h_pre = xb @ params["w1"] + params["b1"]
            h = np.maximum(0, h_pre)
            z = h @ params["w2"] + params["b2"]
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            loss_sum += float(-np.log(p[np.arange(len(yb)), yb] + 1e-9).sum())
            dz = p
            dz[np.arange(len(yb)), yb] -= 1
            dz /= len(yb)
            grads = {"w2": h.T @ dz, "b2": dz.sum(axis=0)}
            dh = dz @ params["w2"].T
            dh[h_pre <= 0] = 0
            grads["w1"] = xb.T @ dh + 1e-4 * params["w1"]
            grads["b1"] = dh.sum(axis=0)
            step += 1
            for k in params:
                m[k] = b1 * m[k] + (1 - b1) * grads[k]
                v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2
                mh = m[k] / (1 - b1**step)
                vh = v[k] / (1 - b2**step)
                params[k] -= (lr * mh / (np.sqrt(vh) + eps)).astype(np.float32)
        if epoch == epochs - 3:
            lr /= 4
        print(f"epoch {epoch + 1}: loss {loss_sum / len(x):.4f}", flush=True)
    return DigitModel(params["w1"], params["b1"], params["w2"], params["b2"], {})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--per-class", type=int, default=3000)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    fonts = usable_fonts(find_fonts())
    if not fonts:
        sys.exit("no handwriting fonts found: install the Debian packages named at the top of this script")
    print(f"{len(fonts)} fonts: {', '.join(p.stem for p in fonts)}")
    t0 = time.perf_counter()
    x, y = make_set(fonts, args.per_class, args.seed)
    xv, yv = make_set(fonts, 300, args.seed + 1)
    print(f"{len(x)} training samples in {time.perf_counter() - t0:.0f} s")
    model = train(x, y, args.hidden, args.epochs, args.seed)
    acc = float((model.probabilities(xv).argmax(axis=1) == yv).mean())
    print(f"held-out rendered glyphs (other augmentations): accuracy {acc:.3f} on {len(yv)}")
    model = DigitModel(
        model.w1, model.b1, model.w2, model.b2,
        {
            "what": "handwritten digit reader (pipeline/digits.py), one hidden layer",
            "trained_by": "scripts/train_digits.py",
            "fonts": [p.name for p in fonts],
            "samples_per_class": args.per_class,
            "hidden": args.hidden,
            "epochs": args.epochs,
            "seed": args.seed,
            "rendered_heldout_accuracy": round(acc, 4),
            "input": f"{SIZE}x{SIZE}",
        },
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(model.to_json(), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
