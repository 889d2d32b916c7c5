"""Every reference data file: a source, NFC text, unique ids, no colliding aliases."""

import unicodedata
from importlib import resources

import pytest
import yaml

from pipeline.folding import fold

FILES = sorted(p.name for p in resources.files("pipeline.resources").iterdir() if p.name.endswith(".yaml"))


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


@pytest.mark.parametrize("name", FILES)
def test_data_file_has_source_and_nfc(name):
    data = yaml.safe_load(resources.files("pipeline.resources").joinpath(name).read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("source"), f"{name} lacks a source"
    for s in _strings(data):
        assert unicodedata.is_normalized("NFC", s), (name, s)


def test_agency_ids_unique_and_aliases_do_not_collide():
    files = resources.files("pipeline.resources")
    ag = yaml.safe_load(files.joinpath("agencies.yaml").read_text(encoding="utf-8"))["agencies"]
    gr = yaml.safe_load(files.joinpath("agency_groups.yaml").read_text(encoding="utf-8"))["groups"]
    ids = [e["id"] for e in ag] + [g["id"] for g in gr]
    assert len(ids) == len(set(ids))
    owner: dict[str, str] = {}
    for e in ag:
        for n in [e["name"], *(e.get("aliases") or [])]:
            k = fold(n)
            assert owner.setdefault(k, e["id"]) == e["id"], f"{n!r} names {owner[k]} and {e['id']}"
    for g in gr:
        for n in [g["name"], *(g.get("variants") or [])]:
            k = fold(n)
            assert owner.setdefault(k, g["id"]) == g["id"], f"{n!r} names {owner[k]} and {g['id']}"
