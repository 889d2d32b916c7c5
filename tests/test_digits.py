"""The handwritten-digit reader's pieces (pipeline/digits.py): ink, glyph cutting,
the network's weights file. How well it reads the corpus's real handwritten
fields is measured by scripts/handwritten_eval.py, not asserted here."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.digits import (
    MODEL_FILE,
    REJECT,
    SIZE,
    DigitModel,
    glyph_boxes,
    glyph_input,
    ink_mask,
    load_model,
    read_field,
)


def _field(text: str, size: int = 40, spacing: int = 0) -> np.ndarray:
    im = Image.new("L", (40 + size * len(text), size + 20), 235)
    font = ImageFont.load_default(size)  # Pillow's own font: no system font needed
    x = 10
    draw = ImageDraw.Draw(im)
    for ch in text:
        draw.text((x, 5), ch, font=font, fill=20)
        x += int(draw.textlength(ch, font=font)) + spacing
    return np.asarray(im)


def test_glyphs_of_a_field_are_cut_left_to_right():
    boxes = glyph_boxes(ink_mask(_field("407", spacing=12)))
    assert len(boxes) == 3 and [b[0] for b in boxes] == sorted(b[0] for b in boxes)
    assert glyph_boxes(ink_mask(np.full((40, 80), 240, dtype=np.uint8))) == []  # blank paper: nothing


def test_digits_written_touching_are_cut_apart():
    mask = ink_mask(_field("00", spacing=-6))  # the two rings overlap: one piece of ink
    assert len(glyph_boxes(mask)) == 2


def test_a_glyph_becomes_a_centred_square_input():
    mask = ink_mask(_field("1"))
    (box,) = glyph_boxes(mask)
    x = glyph_input(mask, box).reshape(SIZE, SIZE)
    assert x.max() > 0.9 and x[:, :2].sum() == 0 and x[:, -2:].sum() == 0  # inside, not touching the sides


def test_weights_survive_their_json_file():
    g = np.random.default_rng(0)
    m = DigitModel(
        g.normal(size=(SIZE * SIZE, 8)).astype(np.float32), np.zeros(8, np.float32),
        g.normal(size=(8, REJECT + 1)).astype(np.float32), np.zeros(REJECT + 1, np.float32), {"what": "test"},
    )
    back = DigitModel.from_json(m.to_json())
    x = g.random((3, SIZE * SIZE)).astype(np.float32)
    assert back.meta == {"what": "test"}
    assert np.allclose(back.probabilities(x), m.probabilities(x), atol=1e-2)
    assert np.allclose(back.probabilities(x).sum(axis=1), 1.0, atol=1e-5)


def test_a_blank_field_reads_nothing():
    g = np.random.default_rng(1)
    m = DigitModel(
        g.normal(size=(SIZE * SIZE, 8)).astype(np.float32), np.zeros(8, np.float32),
        g.normal(size=(8, REJECT + 1)).astype(np.float32), np.zeros(REJECT + 1, np.float32), {},
    )
    r = read_field(np.full((50, 120), 238, dtype=np.uint8), m)
    assert r.digits is None and r.glyphs == 0
    assert read_field(np.zeros((0, 0), dtype=np.uint8), m).digits is None


def test_the_shipped_weights_load_and_say_how_they_were_made():
    m = load_model(MODEL_FILE)
    assert m.w1.shape[0] == SIZE * SIZE and m.w2.shape == (m.w1.shape[1], REJECT + 1)
    assert m.meta["trained_by"] == "scripts/train_digits.py" and m.meta["fonts"]
    assert MODEL_FILE.stat().st_size < 200_000  # small: it ships in the package
