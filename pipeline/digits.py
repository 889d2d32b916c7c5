"""Digits written by hand in a small field of a scanned page (the serial of
"Số: 07/CT-UBND", the day of "ngày 04 tháng …"): ink found, cut into digits,
each digit read by a small neural network (one hidden layer, numpy) trained on
digits rendered from handwriting-style fonts (scripts/train_digits.py; the
weights ship in resources/models/handwritten_digits.json).

The preprocessing here is the one the training used: the same functions turn
a rendered glyph and a real crop into the network's input.

NOT ADOPTED: no stage calls this. On the corpus's real handwritten fields
(serials and days that OCR left blank, cropped where the output's ``regions``
say) it is right far below the 95% a number a clerk registers needs
(scripts/handwritten_eval.py; figures in the README's "Handwritten number
and day on scans"), so the pipeline leaves those values blank and the
review screen shows the crop. It stays here, with its weights, so that the
measurement can be repeated and improved.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

MODEL_FILE = Path(__file__).resolve().parent / "resources" / "models" / "handwritten_digits.json"
SIZE = 20  # the network reads a SIZE x SIZE image of one glyph
INNER = 16  # the glyph's longer side inside it (MNIST's 20-in-28 habit)
REJECT = 10  # the class of what is not a digit (a slash, a colon, a speck)


@dataclass(frozen=True)
class DigitModel:
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    meta: dict[str, object]

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(n, SIZE*SIZE) inputs in 0..1 -> (n, 11) class probabilities (0-9, reject)."""
        h = np.maximum(0.0, x @ self.w1 + self.b1)
        z = h @ self.w2 + self.b2
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        out: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return out

    def to_json(self) -> str:
        def enc(a: np.ndarray) -> dict[str, object]:
            return {"shape": list(a.shape), "float16": base64.b64encode(a.astype("<f2").tobytes()).decode("ascii")}

        return json.dumps(
            {"meta": self.meta, "w1": enc(self.w1), "b1": enc(self.b1), "w2": enc(self.w2), "b2": enc(self.b2)},
            indent=0,
        )

    @classmethod
    def from_json(cls, s: str) -> DigitModel:
        data = json.loads(s)

        def dec(d: dict[str, object]) -> np.ndarray:
            raw = base64.b64decode(str(d["float16"]))
            shape = tuple(int(v) for v in d["shape"])  # type: ignore[attr-defined]
            return np.frombuffer(raw, dtype="<f2").astype(np.float32).reshape(shape)

        return cls(dec(data["w1"]), dec(data["b1"]), dec(data["w2"]), dec(data["b2"]), dict(data.get("meta") or {}))


@cache
def load_model(path: Path = MODEL_FILE) -> DigitModel:
    return DigitModel.from_json(path.read_text(encoding="utf-8"))


def otsu(gray: np.ndarray) -> int:
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    levels = np.arange(256, dtype=np.float64)
    w0 = np.cumsum(hist)
    w1 = total - w0
    m0 = np.cumsum(hist * levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (m0[-1] * w0 / total - m0) ** 2 / (w0 * w1 / total)
    between[~np.isfinite(between)] = -1
    return int(np.argmax(between))


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark pixels of a gray uint8 crop (True = ink). A crop with no real contrast
    (blank paper) has no ink."""
    if gray.size == 0 or int(gray.max()) - int(gray.min()) < 60:
        return np.zeros(gray.shape, dtype=bool)
    t = otsu(gray)
    mask = np.asarray(gray <= min(t, 200)).copy()
    # a rule or the edge of a table line across the crop is no digit: rows mostly ink go
    if mask.shape[1] >= 10:
        mask[mask.mean(axis=1) > 0.6] = False
    return mask


def components(mask: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """8-connected pieces of ink: (x0, y0, x1, y1, pixels), x1/y1 exclusive."""
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    out = []
    ys, xs = np.nonzero(mask)
    for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
        if seen[y, x]:
            continue
        seen[y, x] = True
        stack = [(y, x)]
        x0, y0, x1, y1, n = x, y, x, y, 0
        while stack:
            cy, cx = stack.pop()
            n += 1
            x0, x1, y0, y1 = min(x0, cx), max(x1, cx), min(y0, cy), max(y1, cy)
            for ny in (cy - 1, cy, cy + 1):
                if ny < 0 or ny >= h:
                    continue
                for nx in (cx - 1, cx, cx + 1):
                    if 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
        out.append((x0, y0, x1 + 1, y1 + 1, n))
    return out


def glyph_boxes(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes of the glyphs of a field, left to right. A small piece of ink above
    or below a glyph (a detached bar, a dot) joins it; two tall pieces stay two
    glyphs even when a slant makes them overlap; a piece much wider than tall
    (two digits written touching) is cut at its thinnest columns; specks are dropped."""
    comps = [c for c in components(mask) if c[4] >= 6]
    if not comps:
        return []
    tallest = max(c[3] - c[1] for c in comps)
    biggest = max(c[4] for c in comps)
    comps = [c for c in comps if (c[3] - c[1]) >= 0.3 * tallest or c[4] >= 0.2 * biggest]
    tall = [c for c in comps if c[3] - c[1] >= 0.55 * tallest]
    small = [c for c in comps if c[3] - c[1] < 0.55 * tallest]
    boxes = [[c[0], c[1], c[2], c[3]] for c in sorted(tall, key=lambda c: c[0])]
    for x0, y0, x1, y1, _ in small:
        best, share = None, 0.0
        for b in boxes:
            overlap = (min(b[2], x1) - max(b[0], x0)) / max(1, x1 - x0)
            if overlap > share:
                best, share = b, overlap
        if best is not None and share >= 0.3:
            best[0], best[1], best[2], best[3] = min(best[0], x0), min(best[1], y0), max(best[2], x1), max(best[3], y1)
        else:
            boxes.append([x0, y0, x1, y1])
    out: list[tuple[int, int, int, int]] = []
    for b in sorted(boxes, key=lambda b: b[0]):
        out.extend(_split_wide(mask, (b[0], b[1], b[2], b[3])))
    return out


def _split_wide(mask: np.ndarray, box: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """A glyph box wider than a digit is (width over 1.1 heights) cut into
    digits at the columns with the least ink near where the cuts should fall."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if w <= 1.1 * h or h < 4:
        return [box]
    parts = max(2, round(w / (0.7 * h)))
    profile = mask[y0:y1, x0:x1].sum(axis=0)
    cuts = []
    for k in range(1, parts):
        centre = round(w * k / parts)
        lo, hi = max(1, centre - w // (3 * parts)), min(w - 1, centre + w // (3 * parts) + 1)
        cuts.append(lo + int(np.argmin(profile[lo:hi])) if hi > lo else centre)
    edges = [0, *cuts, w]
    out = []
    for a, b in zip(edges, edges[1:], strict=False):
        ys = np.nonzero(mask[y0:y1, x0 + a : x0 + b].any(axis=1))[0]
        if b > a and len(ys):
            out.append((x0 + a, y0 + int(ys[0]), x0 + b, y0 + int(ys[-1]) + 1))
    return out


def glyph_input(mask: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """One glyph's ink as the network's input: its box scaled so the longer side
    is INNER pixels, centred by its centre of mass in a SIZE x SIZE square, 0..1."""
    x0, y0, x1, y1 = box
    piece = mask[y0:y1, x0:x1].astype(np.uint8) * 255
    h, w = piece.shape
    scale = INNER / max(h, w, 1)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(Image.fromarray(piece).resize((nw, nh), Image.Resampling.BILINEAR), dtype=np.float32) / 255
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    total = small.sum()
    if total <= 0:
        return out.ravel()
    cy = float((small.sum(axis=1) * np.arange(nh)).sum() / total)
    cx = float((small.sum(axis=0) * np.arange(nw)).sum() / total)
    oy = int(round(SIZE / 2 - cy))
    ox = int(round(SIZE / 2 - cx))
    oy = min(max(oy, 0), SIZE - nh)
    ox = min(max(ox, 0), SIZE - nw)
    out[oy : oy + nh, ox : ox + nw] = small
    return out.ravel()


@dataclass(frozen=True)
class Reading:
    digits: str | None  # None: no digits read, or not sure enough
    confidence: float  # the least sure digit's probability (0 when nothing was read)
    glyphs: int  # glyphs found in the field


def read_field(gray: np.ndarray, model: DigitModel, max_digits: int = 5, min_prob: float = 0.9) -> Reading:
    """The digits written in a field crop (gray uint8): each glyph read; what is
    read as not-a-digit (a slash or a colon at the edge) is dropped; the value
    is given only when every digit left is read with at least ``min_prob``."""
    if gray.size == 0:
        return Reading(None, 0.0, 0)
    mask = ink_mask(gray)
    boxes = glyph_boxes(mask)
    if not boxes:
        return Reading(None, 0.0, 0)
    x = np.stack([glyph_input(mask, b) for b in boxes])
    p = model.probabilities(x)
    labels = p.argmax(axis=1)
    digits = [(int(k), float(p[i, k])) for i, k in enumerate(labels) if k != REJECT]
    if not digits or len(digits) > max_digits:
        return Reading(None, 0.0, len(boxes))
    conf = min(c for _, c in digits)
    if conf < min_prob:
        return Reading(None, conf, len(boxes))
    return Reading("".join(str(d) for d, _ in digits), conf, len(boxes))


def value_crop(page: np.ndarray, value_bbox: tuple[float, float, float, float]) -> np.ndarray:
    """The part of a page image (gray uint8) where a field's value sits, from its
    box as fractions of the page; a little taller than the printed line, since
    handwriting rises above and hangs below it."""
    h, w = page.shape
    x0, y0, x1, y1 = value_bbox
    dy = (y1 - y0) * 0.35
    return page[max(0, int((y0 - dy) * h)) : min(h, int((y1 + dy) * h) + 1), max(0, int(x0 * w)) : min(w, int(x1 * w) + 1)]
