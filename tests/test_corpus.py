"""The text and Word documents of corpus/ scored against their gold files, for
the development and the test part of the fixed split (corpus/split.json).

Floors sit well below the current scores (see `congvan eval`): they catch
regressions, they are not the targets. The scorer imports nothing of the
pipeline (tests/test_evaluate.py checks that).
"""

import json
from pathlib import Path

import pytest

from pipeline import extract
from pipeline.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"text", "word"}
FLOORS = {
    "dev": {
        "doc_type": 0.9, "issuer": 0.75, "number": 0.7, "place": 0.8, "issued_date": 0.75, "subject": 0.65,
        "signer.name": 0.75, "recipients": 0.8, "distribution": 0.85, "references": 0.85,
        "tasks": 0.8, "task.lead": 0.6, "task.support": 0.6, "task.deadline": 0.45,
    },
    "test": {
        "doc_type": 0.9, "issuer": 0.65, "number": 0.65, "place": 0.75, "issued_date": 0.8, "subject": 0.65,
        "signer.name": 0.75, "recipients": 0.7, "distribution": 0.75, "references": 0.8,
        "tasks": 0.6, "task.lead": 0.45, "task.support": 0.75, "task.deadline": 0.3,
    },
}


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    out = tmp_path_factory.mktemp("pred")
    n = 0
    for line in (ROOT / "corpus" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        if e["kind"] in KINDS:
            doc = extract(ROOT / "corpus" / e["file"], strict=True)
            (out / f"{e['id']}.json").write_text(doc.model_dump_json(), encoding="utf-8")
            n += 1
    ev = evaluate(out, ROOT / "corpus", KINDS)
    assert not ev.missing and n >= 80
    return ev


@pytest.mark.slow
@pytest.mark.parametrize(("part", "field"), [(p, f) for p in FLOORS for f in sorted(FLOORS[p])])
def test_corpus_floor(evaluation, part, field):
    counts, _ = evaluation.total(parts=(part,))
    assert counts[field].f1 >= FLOORS[part][field], f"{part} {field}: F1 {counts[field].f1:.3f}"


def test_manifest_points_at_real_files_and_gold():
    ids = set()
    for line in (ROOT / "corpus" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        assert (ROOT / "corpus" / e["file"]).exists(), e
        assert (ROOT / "corpus" / "gold" / f"{e['id']}.json").exists(), e
        assert e["kind"] in {"text", "word", "pdf-text", "scan"} and e["provenance"]
        ids.add(e["id"])
    split = json.loads((ROOT / "corpus" / "split.json").read_text(encoding="utf-8"))
    assert set(split["dev"]) | set(split["test"]) == ids and not set(split["dev"]) & set(split["test"])
