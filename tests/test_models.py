"""The contract: schema drift, reduced-precision dates, frozen models."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from models import DirectiveDocument, Reference, json_schema

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_matches_models():
    committed = json.loads((ROOT / "models" / "schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "models/schema.json drifted: run `make schema` and commit it"


@pytest.mark.parametrize("value", ["2025", "2025-09", "2025-09-30"])
def test_partial_dates_accepted(value):
    assert Reference(number="1/X-Y", date=value).date == value


@pytest.mark.parametrize("value", ["2025-13", "2025-9-3", "30/9/2025", "2025-09-32"])
def test_bad_dates_rejected(value):
    with pytest.raises(ValidationError):
        Reference(number="1/X-Y", date=value)


def test_extra_keys_forbidden_and_frozen():
    with pytest.raises(ValidationError):
        Reference(number="1/X-Y", colour="red")
    r = Reference(number="1/X-Y")
    with pytest.raises(ValidationError):
        r.number = "2/X-Y"


def test_gold_files_follow_the_contract():
    """Every gold file parses as a document once the pipeline-only keys are added."""
    for path in sorted((ROOT / "corpus" / "gold").glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        gold.pop("notes", None)
        for t in gold["tasks"]:
            t["span"] = [0, 0]
        gold.update(status="ok", source={"sha256": "0", "format": "text"})
        DirectiveDocument.model_validate(gold)
