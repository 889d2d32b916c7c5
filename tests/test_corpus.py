"""The text documents of corpus/ scored against their gold files.

Floors sit well below the current scores (see `congvan eval`): they catch
regressions, they are not the targets.
"""

import json
from pathlib import Path

import pytest

from pipeline import extract
from pipeline.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {
    "doc_type": 0.9, "issuer": 0.9, "number": 0.9, "place": 0.9, "issued_date": 0.9,
    "subject": 0.85, "signer.name": 0.9, "signer.position": 0.9, "recipients": 0.9, "distribution": 0.9,
    "references": 0.9, "tasks": 0.9, "task.lead": 0.8, "task.support": 0.8, "task.deadline": 0.85,
}


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    out = tmp_path_factory.mktemp("pred")
    for line in (ROOT / "corpus" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        if e["kind"] == "text":
            doc = extract(ROOT / "corpus" / e["file"], strict=True)
            (out / f"{e['id']}.json").write_text(doc.model_dump_json(), encoding="utf-8")
    counts, n = evaluate(out, ROOT / "corpus", {"text"})
    assert n == 17
    return counts


@pytest.mark.parametrize("field", sorted(FLOORS))
def test_text_corpus_floor(scores, field):
    assert scores[field].f1 >= FLOORS[field], f"{field}: F1 {scores[field].f1:.3f}"


def test_manifest_points_at_real_files_and_gold():
    for line in (ROOT / "corpus" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        assert (ROOT / "corpus" / e["file"]).exists(), e
        assert (ROOT / "corpus" / "gold" / f"{e['id']}.json").exists(), e
        assert e["kind"] in {"text", "pdf-text", "scan"} and e["provenance"]
