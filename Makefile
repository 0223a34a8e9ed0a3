# Baobab: the two commands a fresh clone needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8000
export DEBUG ?= true

.PHONY: install run test test-postgres lint bench messages clean-data

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Baobab needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/baobab migrate --noinput
	$(BIN)/baobab demo --if-empty
	$(BIN)/baobab runserver 127.0.0.1:$(PORT)

test: install
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "NOTE: /usr/bin/chromium is not installed: the browser tests will be SKIPPED (apt-get install chromium)."; fi
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "NOTE: the browser tests were SKIPPED because /usr/bin/chromium is not installed."; fi

# The same suite against a real PostgreSQL server (DATABASE_URL must point at it).
test-postgres: install
	@test -n "$$DATABASE_URL" || { echo "Set DATABASE_URL=postgres://…"; exit 2; }
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check baobab bench
	$(BIN)/mypy baobab bench
	$(BIN)/baobab makemigrations --check --dry-run

# Every benchmark script (bench/generate_*.py write sample files: not benchmarks).
bench: install
	@for script in bench/*.py; do \
	  case $$script in bench/generate_*) continue ;; esac; \
	  $(BIN)/python $$script || exit 1; \
	done

# Refresh the translation catalogues from the code, then compile them (needs GNU gettext).
messages: install
	cd baobab && ../$(BIN)/baobab makemessages -l fr -l ar -l pt --no-location --no-obsolete -i "*/tests/*"
	cd baobab && ../$(BIN)/baobab compilemessages

clean-data:
	rm -rf data
