# congvan — see README.md. `make setup run` on a fresh machine, `make test` for the suite.
PY ?= python3
OUT ?= out
VENV ?= .venv
BIN := $(VENV)/bin
# apt-get through sudo when not root
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup run test lint bench eval schema

setup:
	@if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx vie \
	   || ! command -v pdftotext >/dev/null || ! command -v soffice >/dev/null \
	   || [ ! -d /usr/share/fonts/truetype/liberation2 ] \
	   || [ ! -e /usr/lib/libreoffice/program/libsclo.so ]; then \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    tesseract-ocr tesseract-ocr-vie poppler-utils fonts-liberation2 libreoffice-writer-nogui libreoffice-calc-nogui >/dev/null; \
	fi
	@# the review screen's browser tests drive Debian's chromium (Playwright's own browser download is not reachable)
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@# a virtual environment: Debian's system Python refuses pip installs (externally-managed-environment)
	@$(PY) -c "import ensurepip" 2>/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
	@[ -x $(BIN)/python ] || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e ".[dev]"

run:
	$(BIN)/congvan extract corpus/docs --out $(OUT)
	@echo "JSON written to $(OUT)/ (one .json per document, mirroring corpus/docs; errors in $(OUT)/errors.jsonl if any)"

test:
	$(BIN)/python -m pytest -q
	@# speed guard (issue 14): text documents against the NFC + one regex pass floor, start-up against
	@# `import pipeline`, printed in the log so a slowdown shows; a benchmark, not a timed test (never fails on speed)
	$(BIN)/congvan bench --quick --text-only --out bench-results/ci/bench.json

lint:
	$(BIN)/ruff check pipeline models review tests && $(BIN)/mypy pipeline models review

eval: run
	$(BIN)/congvan eval $(OUT)

bench:
	$(BIN)/congvan bench

schema:
	$(BIN)/congvan schema > models/schema.json
