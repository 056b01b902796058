# The two commands: `make run` (app with demo data) and `make test` (everything CI checks).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= ./data
export OMP_NUM_THREADS ?= 2
export ANONYMIZED_TELEMETRY := False

.PHONY: run test lint typecheck pytest bench evaluate system-deps lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	mkdir -p $(DATA_DIR)
	RENEWAL_DESK_DATA_DIR=$(DATA_DIR) $(BIN)/renewal-desk migrate
	RENEWAL_DESK_DATA_DIR=$(DATA_DIR) $(BIN)/renewal-desk import demo --relative-to today
	RENEWAL_DESK_DATA_DIR=$(DATA_DIR) $(BIN)/renewal-desk user ensure-demo-admin
	RENEWAL_DESK_DATA_DIR=$(DATA_DIR) $(BIN)/renewal-desk serve --host 127.0.0.1 --port 8000

test: $(VENV)/.installed system-deps lint typecheck pytest

system-deps:
	@bash scripts/install_system_deps.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed
	$(BIN)/mypy

pytest: $(VENV)/.installed
	$(BIN)/pytest -q

bench: $(VENV)/.installed
	$(BIN)/python scripts/bench_retrieval.py --jsquad ../shared/bench/jsquad-v1.3-valid.json --json
	$(BIN)/python scripts/bench_retrieval.py --jsts-paraphrase ../shared/bench/jsts-v1.3-valid.jsonl --json
	$(BIN)/python scripts/bench_embeddings.py --jsts ../shared/bench/jsts-v1.3-valid.jsonl --json
	$(BIN)/python scripts/bench_ingest.py --docs 20 --json

evaluate: $(VENV)/.installed
	$(BIN)/python scripts/evaluate.py --dataset ../shared/eval/dev

lock: $(BIN)/python
	$(BIN)/pip freeze --exclude-editable | grep -v '^renewal-desk' > requirements.lock

clean:
	rm -rf $(VENV) $(DATA_DIR)
