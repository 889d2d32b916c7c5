#!/usr/bin/env bash
# Extract the text documents of corpus/ to /tmp/out and score them.
set -e
cd "$(dirname "$0")/.."
rm -rf /tmp/out; mkdir -p /tmp/out
python - <<'PY'
import json
from pathlib import Path
from pipeline import extract
for line in open("corpus/manifest.jsonl", encoding="utf-8"):
    e = json.loads(line)
    if e["kind"] != "text":
        continue
    d = extract(Path("corpus") / e["file"], strict=True)
    Path(f"/tmp/out/{e['id']}.json").write_text(d.model_dump_json(indent=1), encoding="utf-8")
PY
congvan eval /tmp/out --kind text --misses "${1:-0}"
