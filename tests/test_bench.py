"""The benchmark: a tiny run through the CLI writes the JSON with every section (no timing asserted),
and the text variants it builds stay readable documents."""

import json
import random
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from pipeline.bench import (
    encode_variant,
    shuffle_items,
    swap_tone_placement,
    text_to_seed,
    vary_dates,
    vary_numbers,
)
from pipeline.readers.text import decode_bytes

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_bench_writes_every_section(tmp_path):
    out = tmp_path / "bench" / "bench.json"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "bench",
            "--quick",
            "--docs",
            "12",
            "--scan-pages",
            "1",
            "--out",
            str(out),
            "--targets",
        ],
        capture_output=True,
        cwd=ROOT,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    res = json.loads(out.read_text(encoding="utf-8"))
    assert {
        "commit",
        "pipeline_version",
        "machine",
        "config",
        "text",
        "pdf",
        "scan",
        "baselines",
        "scaling_workers",
        "scaling_size",
        "memory",
        "targets",
    } <= set(res)
    assert res["config"]["quick"] is True
    assert res["text"]["docs"] == 12 and res["text"]["status"].get("failed", 0) == 0
    assert {"docs_per_s", "stages", "warmup_excluded"} <= set(res["text"])
    assert "tasks" in res["text"]["stages"] and "share" in res["text"]["stages"]["tasks"]
    assert res["pdf"]["docs"] == 2 and res["pdf"]["pages"] >= 2 and "pages_per_s" in res["pdf"]
    assert {"pdfplumber_extract_text", "pdftotext_layout", "underthesea_word_tokenize"} <= set(
        res["baselines"]
    )
    if "skipped" not in res["scan"]:
        assert res["scan"]["pages"] >= 1
        assert {
            "ratio_pipeline_over_bare",
            "median_bare_s_per_page",
            "median_pipeline_ocr_s_per_page",
        } <= set(res["scan"])
        assert "tesseract_cli" in res["baselines"]
    assert {"wall_1", "wall_2", "speedup"} <= set(res["scaling_workers"])
    assert [row["factor"] for row in res["scaling_size"]["rows"]] == [1, 3, 10]
    assert all(row["seconds"] > 0 and row["s_per_mb"] > 0 for row in res["scaling_size"]["rows"])
    assert res["memory"]["peak_worker_mb"] > 0
    assert {t["name"] for t in res["targets"]} >= {"text docs/s per worker", "2 workers / 1 worker"}
    # the table went to stdout; the corpus is cached beside the JSON and reused
    assert b"TEXT DOCUMENTS" in r.stdout and b"DEVELOPMENT TARGETS" in r.stdout
    assert any(p.name.startswith("corpus-quick-") for p in out.parent.iterdir())


def test_variants_keep_dates_in_order_and_numbers_shaped():
    text = "Số: 125/UBND-KT\nLào Cai, ngày 15 tháng 9 năm 2026\nbáo cáo trước ngày 30/10/2026 theo văn bản số 88/SXD-QLXD"
    rng = random.Random(1)
    varied = vary_dates(vary_numbers(text, rng), rng)
    assert varied.startswith("Số: ") and "/UBND-KT" in varied and "/SXD-QLXD" in varied
    assert "ngày 15 tháng 9 năm 2026" not in varied


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hòa", "hoà"),
        ("thủy", "thuỷ"),
        ("khỏe", "khoẻ"),
        ("Ủy ban", "Uỷ ban"),
        ("quý", "quý"),
        ("hoàng", "hoàng"),
    ],
    ids=["hoa", "thuy", "khoe", "uy-ban", "qu-is-a-consonant", "closed-syllable"],
)
def test_tone_placement_swaps_both_ways(old, new):
    assert swap_tone_placement(old) == new
    assert swap_tone_placement(new) == old


def test_shuffle_keeps_every_item_with_its_wrapped_line():
    text = "Kính gửi:\n- Sở Tài chính;\n  (kèm hồ sơ)\n- Sở Xây dựng;\n- Sở Y tế.\n1. Nội dung"
    for seed in range(5):
        out = shuffle_items(text, random.Random(seed))
        assert out.count("\n") == text.count("\n")
        assert "- Sở Tài chính;\n  (kèm hồ sơ)" in out
        assert out.endswith("1. Nội dung")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-bom", "utf-16", "nfd", "crlf"])
def test_every_encoding_decodes_back(encoding):
    text = "Ủy ban nhân dân tỉnh Lào Cai\nKính gửi: Sở Nông nghiệp và Môi trường"
    decoded, _ = decode_bytes(encode_variant(text, encoding))
    assert unicodedata.normalize("NFC", decoded).replace("\r\n", "\n") == text


def test_markdown_rows_become_two_columns_for_the_pdf_layout():
    seed = text_to_seed(
        "| ỦY BAN NHÂN DÂN | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM |\n| --- | --- |\n## THÔNG BÁO\n**Nội dung**"
    )
    assert seed.splitlines() == [
        "ỦY BAN NHÂN DÂN | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "THÔNG BÁO",
        "Nội dung",
    ]
