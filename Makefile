# mask3d-mm: `make demo` and `make test` are the whole quick start; both set up .venv first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
REQS := $(wildcard requirements/*.txt) setup.py tools/setup_env.sh tools/build_mmcv.sh
STAMP := $(VENV)/.stamp-$(shell cat $(REQS) 2>/dev/null | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: env test demo lint bench slow clean-env

env: $(STAMP)

$(STAMP): $(REQS)
	bash tools/setup_env.sh $(VENV)
	rm -f $(VENV)/.stamp-* && touch $@

test: env
	$(PY) -m ruff check mask3d_mm tools tests configs
	$(PY) -m pytest -q -rs tests $(PYTEST_ARGS)

slow: env
	$(PY) -m pytest -q -rs -m slow tests

lint: env
	$(PY) -m ruff check mask3d_mm tools tests configs

clean-env:
	rm -rf $(VENV)
