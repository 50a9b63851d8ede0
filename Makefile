# mask3d-mm: `make demo` and `make test` are the whole quick start; both set up .venv first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
REQS := $(wildcard requirements/*.txt) setup.py tools/setup_env.sh tools/build_mmcv.sh
STAMP := $(VENV)/.stamp-$(shell cat $(REQS) 2>/dev/null | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

DEMO_CONFIG ?= configs/mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py
DEMO_DATA ?= data/synthetic
DEMO_WORK_DIR ?= work_dirs/demo

.PHONY: env test demo lint bench study slow clean-env

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

# Render the synthetic world on first use (a no-op when complete), then pretrain a tiny Mask3D on it.
demo: env
	$(PY) tools/data/make_synthetic.py --out $(DEMO_DATA) --scenes 8 --frames 30 --seed 0
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR) \
		--cfg-options train_dataloader.dataset.data_root=$(DEMO_DATA)/
	@echo "[demo] log, checkpoint and reconstruction panels (vis_data/vis_image/*.png) are in $(DEMO_WORK_DIR)/"

# Speed / memory benchmarks: each prints a table with ratios against its reference, measured in the same run.
bench: env
	$(PY) tools/benchmarks/bench_render.py
	$(PY) tools/benchmarks/bench_sens.py
	$(PY) tools/benchmarks/bench_pairs.py
	$(PY) tools/benchmarks/bench_pretrain.py

# Does the 3D prior help? Pretrain scratch / MAE / Mask3D / Mask3D+MAE / Pri3D-view on the synthetic world with equal
# budgets, fine-tune each (3 seeds, full and 10 % data), write work_dirs/study/results.{md,json} + plot
# (~50 min on 2 cores: two trainings side by side).
study: env
	$(PY) tools/benchmarks/study.py --out work_dirs/study
