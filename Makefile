# congvan — see README.md. `make setup run` on a fresh machine, `make test` for the suite.
PY ?= python3
OUT ?= out

.PHONY: setup run test lint bench eval schema

setup:
	@if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx vie \
	   || ! command -v pdftotext >/dev/null || ! command -v soffice >/dev/null \
	   || [ ! -d /usr/share/fonts/truetype/liberation2 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    tesseract-ocr tesseract-ocr-vie poppler-utils fonts-liberation2 libreoffice-writer-nogui >/dev/null; \
	fi
	$(PY) -m pip install -q -e ".[dev]"

run:
	congvan extract corpus/docs --out $(OUT)
	@echo "JSON written to $(OUT)/ (one <file stem>.json per document; errors in $(OUT)/errors.jsonl if any)"

test:
	$(PY) -m pytest -q

lint:
	ruff check pipeline models tests && mypy pipeline models

eval: run
	congvan eval $(OUT)

bench:
	congvan bench

schema:
	congvan schema > models/schema.json
