"""dateparser against congvan's own deadline patterns on isolated phrases.

Every dated gold deadline of the development part of corpus/ gives its phrase
(the gold `deadline.text`, e.g. "hoàn thành trước ngày 30/9/2025"); each parser
reads it alone; a reading is right when it gives the gold date at the gold
precision. Also counts the phrases dateparser gets right where ours fail (what
a fallback to it could add). Run: python scripts/dateparser_baseline.py
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import dateparser

    from pipeline.folding import fold
    from pipeline.stages.deadlines import best_deadline, phrase_to_deadlines

    split = json.loads((ROOT / "corpus/split.json").read_text(encoding="utf-8"))
    rows = []
    for i in split["dev"]:
        g = json.loads((ROOT / "corpus/gold" / f"{i}.json").read_text(encoding="utf-8"))
        for t in g["tasks"]:
            d = t.get("deadline")
            if d and d.get("date") and d.get("text"):
                rows.append((d["text"], d["date"], g.get("issued_date")))
    dp_ok = own_ok = only_dp = 0
    dp_t = own_t = 0.0
    for text, gold, issued in rows:
        t0 = time.perf_counter()
        r = dateparser.parse(text, languages=["vi"], settings={"PREFER_DAY_OF_MONTH": "last"})
        dp_t += time.perf_counter() - t0
        dp = r is not None and r.date().isoformat()[: len(gold)] == gold
        t0 = time.perf_counter()
        c = best_deadline(phrase_to_deadlines(fold(text), issued))
        own_t += time.perf_counter() - t0
        own = bool(c and c["date"] == gold)
        dp_ok += dp
        own_ok += own
        only_dp += dp and not own
    n = len(rows)
    print(f"{n} dated gold deadline phrases (development part)")
    print(f"dateparser: right {dp_ok} ({dp_ok / n:.1%}), {1000 * dp_t / n:.2f} ms each")
    print(f"congvan's patterns: right {own_ok} ({own_ok / n:.1%}), {1000 * own_t / n:.2f} ms each")
    print(f"right by dateparser only (what a fallback could add): {only_dp}")


if __name__ == "__main__":
    main()
