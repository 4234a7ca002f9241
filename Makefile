# Two commands do everything on a fresh machine with only Python, make and git:
#   make demo   set up, build the synthetic world and serve it on http://127.0.0.1:$(PORT)/
#   make test   set up and run the whole test suite (PostgreSQL too when configured)
SHELL := /bin/bash
PORT ?= 8000
DEMO_SCALE ?= small
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen
export PORT DEMO_SCALE

.PHONY: setup demo test test-sqlite test-postgres bench lint format

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet 'uv==0.13.9'

# The installed packages are compiled to bytecode by uv; the project's own modules (an
# editable install, which uv leaves alone) are compiled here, so that no process compiles
# them again as it starts, even where PYTHONDONTWRITEBYTECODE keeps Python from saving them.
setup: $(UV)
	$(UV) sync --frozen --compile-bytecode
	$(RUN) python -m compileall -q src
	$(RUN) mutuals collectstatic --noinput --verbosity 0

demo: setup
	DEBUG=true $(RUN) mutuals demo --scale $(DEMO_SCALE) --port $(PORT)

test: setup
	$(RUN) bash scripts/run-tests

bench: setup
	$(RUN) bash scripts/run-benchmarks

lint: setup
	$(RUN) ruff check src tests benchmarks
	$(RUN) ruff format --check src tests benchmarks

format: setup
	$(RUN) ruff format src tests benchmarks
	$(RUN) ruff check --fix src tests benchmarks
