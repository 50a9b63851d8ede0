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
# `make demo-finetune`: the demo's ViT initialises the UperNet synthetic twin, fine-tuned on the demo's world.
# The backbone options make the twin's ViT the demo's (6 blocks of 192; features of blocks 2/3/4/6, as ViT-B's
# UperNet taps 4/6/8/12 of 12). DEMO_FT_ITERS replaces the twin's 20 iterations (its lr decay follows max_iters).
DEMO_FT_CONFIG ?= configs/finetune/synthetic/upernet_vit-tiny_synthetic-scannet.py
DEMO_FT_WORK_DIR ?= work_dirs/demo-finetune
DEMO_FT_ITERS ?= 300
DEMO_FT_BACKBONE := $(DEMO_FT_WORK_DIR)/vit-tiny_mask3d.pth
DEMO_FT_BACKBONE_OPTIONS ?= model.backbone.arch.num_layers=6 'model.backbone.out_indices=(1,2,3,5)'

.PHONY: env test demo demo-data demo-finetune lint bench gpu-check study study-pri3d study-scaling slow clean-env

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
demo: demo-data
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR) \
		--cfg-options train_dataloader.dataset.data_root=$(DEMO_DATA)/
	@echo "[demo] log, checkpoint and reconstruction panels (vis_data/vis_image/*.png) are in $(DEMO_WORK_DIR)/"

demo-data: env
	$(PY) tools/data/make_synthetic.py --out $(DEMO_DATA) --scenes 8 --frames 30 --seed 0

# Next step after the demo (which runs first if it left no checkpoint): convert its last checkpoint into ViT weights,
# fine-tune the UperNet twin from them on the demo's world (train / val scenes of its splits), print the val mIoU.
demo-finetune: demo-data
	@test -f $(DEMO_WORK_DIR)/last_checkpoint || $(MAKE) demo
	$(PY) tools/model_converters/mask3d_to_backbone.py "$$(cat $(DEMO_WORK_DIR)/last_checkpoint)" $(DEMO_FT_BACKBONE)
	$(PY) tools/train.py $(DEMO_FT_CONFIG) --work-dir $(DEMO_FT_WORK_DIR) --cfg-options \
		train_dataloader.dataset.data_root=$(DEMO_DATA)/ val_dataloader.dataset.data_root=$(DEMO_DATA)/ \
		model.backbone.init_cfg._delete_=True model.backbone.init_cfg.type=Pretrained \
		model.backbone.init_cfg.checkpoint=$(DEMO_FT_BACKBONE) model.backbone.init_cfg.prefix=backbone. \
		$(DEMO_FT_BACKBONE_OPTIONS) randomness.seed=0 train_cfg.max_iters=$(DEMO_FT_ITERS) \
		train_cfg.val_interval=$(DEMO_FT_ITERS) default_hooks.checkpoint.interval=$(DEMO_FT_ITERS)
	@log=$$(ls -t $(DEMO_FT_WORK_DIR)/*/*.log | head -n 1); \
	echo "[demo-finetune] validation after $(DEMO_FT_ITERS) iterations:" \
		"$$(grep -o 'aAcc: .*' "$$log" | tail -n 1)  (log: $$log)"

# Speed / memory benchmarks: each prints a table with ratios against its reference, measured in the same run.
bench: env
	$(PY) tools/benchmarks/bench_render.py
	$(PY) tools/benchmarks/bench_sens.py
	$(PY) tools/benchmarks/bench_pairs.py
	$(PY) tools/benchmarks/bench_pretrain.py --rgb-mask-ratio 0.75
	$(PY) tools/benchmarks/bench_pri3d.py

# The first run on a GPU machine (meant for <= 5 min on one GPU): one AMP step of every real model family at its
# per-GPU batch, a 1-process NCCL torchrun of the demo config, MAE vs Mask3D img/s, peak memory; writes the JSON and
# the GPU table of docs/benchmarks.md from it. Needs CUDA (one error line without).
GPU_CHECK_OUT ?= docs/benchmarks/gpu_check.json
gpu-check: env
	$(PY) tools/benchmarks/gpu_check.py --out $(GPU_CHECK_OUT) --update-docs

# Does the 3D prior help? Pretrain every arm of the study (scratch, MAE, Mask3D and its previous setting, Mask3D+MAE,
# MAE->Mask3D, Pri3D-view, a supervised-depth probe control) on the synthetic world with equal budgets, fine-tune
# each (3 seeds, full and 10 % data), write work_dirs/study/results.{md,json} + plot (two trainings side by side;
# the committed run took 142 min on 2 cores, its first ~15 min shared with other jobs).
study: env
	$(PY) tools/benchmarks/study.py --out work_dirs/study

# The Pri3D suite of the study (its methods and budgets are defined in tools/benchmarks/study.py; 66 min on 2 cores).
study-pri3d: env
	$(PY) tools/benchmarks/study.py --suite pri3d --out work_dirs/study-pri3d

# The scaling curve: Mask3D, Mask3D RGB-only, MAE, scratch and the supervised-depth control pretrained for 400 / 1,600
# / 6,400 iterations on 240 rooms x 2 frames, each probed and fine-tuned (3 seeds); one record per finished step in
# docs/study/scaling/ (so it resumes: run it again), then docs/study/scaling.{json,png}, docs/study.md and the README
# line. One step at a time: the committed steps took 247 min (two processes can share it: docs/study.md).
study-scaling: env
	OMP_NUM_THREADS=1 $(PY) tools/benchmarks/study.py --suite scaling --out work_dirs/study-scaling --update-readme
