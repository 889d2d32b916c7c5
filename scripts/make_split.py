"""Draw the development/test split of corpus/ once (seeded, stratified by kind).

Run once when documents are added; the result, corpus/split.json, is committed
and never redrawn for documents already in it: rules and models are tuned on
`dev` only and figures are quoted for `test`. Documents that share a template
(shared/corpus-raw-2/SOURCES.md) are drawn as one unit so a template never sits
on both sides. Within each kind, units are shuffled with the seed and the first
TEST_SHARE of them (by document count) go to test.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261203
TEST_SHARE = 0.4
SIBLINGS = [("251", "303"), ("235", "288", "290"), ("236", "289"), ("228", "313")]


def main() -> None:
    out = ROOT / "corpus" / "split.json"
    entries = [json.loads(line) for line in (ROOT / "corpus" / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    kind = {e["id"]: e["kind"] for e in entries}
    if out.exists():
        fixed = json.loads(out.read_text(encoding="utf-8"))
        new = [i for i in kind if i not in set(fixed["dev"]) | set(fixed["test"])]
        if not new:
            print("split.json already covers every document; not redrawn")
            return
        raise SystemExit(f"split.json exists; new documents {new} need an appended draw, not a redraw")
    group_of = {i: g for g in SIBLINGS for i in g}
    units_by_kind: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    seen: set[str] = set()
    for i in sorted(kind):
        if i in seen:
            continue
        unit = group_of.get(i, (i,))
        seen.update(unit)
        units_by_kind[kind[unit[0]]].append(tuple(unit))
    rng = random.Random(SEED)
    dev: list[str] = []
    test: list[str] = []
    for k in sorted(units_by_kind):
        units = units_by_kind[k]
        rng.shuffle(units)
        total = sum(len(u) for u in units)
        taken = 0
        for u in units:
            if taken < round(TEST_SHARE * total):
                test.extend(u)
                taken += len(u)
            else:
                dev.extend(u)
    out.write_text(json.dumps({"seed": SEED, "test_share": TEST_SHARE, "stratified_by": "kind",
                               "dev": sorted(dev), "test": sorted(test)}, indent=1) + "\n", encoding="utf-8")
    print(f"dev {len(dev)}, test {len(test)}")


if __name__ == "__main__":
    main()
