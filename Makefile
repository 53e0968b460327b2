# papertrend task file. The two commands README gives: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
LOAD ?=

.PHONY: run test lint typecheck test-sqlite test-postgres chromium bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## Run the site on SQLite (var/papertrend.sqlite3) at http://127.0.0.1:8000/.
## LOAD="path ..." ingests those files first.
run: $(BIN)/.installed
	$(BIN)/papertrend serve $(foreach p,$(LOAD),--load $(p))

## Lint, type-check, then the whole suite on SQLite and on PostgreSQL.
test: $(BIN)/.installed lint typecheck chromium test-sqlite test-postgres

## Browser tests drive Debian's Chromium (Playwright never downloads a browser here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian's chromium for the browser tests"; \
			apt-get install -y -q chromium >/dev/null 2>&1 || \
			{ apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || \
			echo "could not install chromium: browser tests will be skipped"; \
		else \
			echo "no /usr/bin/chromium: browser tests will be skipped (apt-get install chromium)"; \
		fi; \
	fi

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy papertrend

test-sqlite: $(BIN)/.installed
	@echo "== test suite on SQLite"
	$(BIN)/pytest -q -p no:cacheprovider -n 2

test-postgres: $(BIN)/.installed
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== test suite on PostgreSQL ($(POSTGRES_URL))"; \
		DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest -q -p no:cacheprovider -n 2; \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is not reachable at $(POSTGRES_URL) and REQUIRE_POSTGRES is set"; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL run: no server at $(POSTGRES_URL) (set POSTGRES_URL=...)"; \
	fi

## Benchmarks (not tests): see docs/benchmarks.md.
bench: $(BIN)/.installed
	$(BIN)/python bench/ingest_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
