"""Does the 3D prior help? A controlled, reproducible small-scale study on the synthetic world.

    python tools/benchmarks/study.py [--suite vit|pri3d|mask3d-ablation|scaling] [--size SIZE] [--quick] [--out DIR]
                                     [--methods M ...] [--jobs N] [--update-readme] [--records DIR] [--report]

``--suite vit`` (default): the same ViT-tiny pretrained by every method, fine-tuned with UperNet.
``--suite pri3d``: Pri3D's Table 1 in shape -- a ResNet-18 UNet pretrained by each Pri3D loss, fine-tuned with the
Pri3D UNet segmentation protocol.
``--suite scaling``: Mask3D, Mask3D RGB-only, MAE, scratch and the supervised-depth control pretrained for several
lengths on the many-room world (``study_lib.scaling``: one committed record per finished step, so it resumes).

1. Renders a pretraining set and a disjoint downstream set (other seeds, other scenes) of the study world
   (``study_lib.world``): furnished rooms where colour says nothing about the class, so only shape and layout do.
2. Pretrains every arm with equal budgets: the same distinct frames (checked here, the run stops otherwise), the
   same iterations, images per iteration, input size and optimizer (configs/study/_study_*.py). A two-stage arm
   splits the same iteration budget between its stages.
3. Fine-tunes each on downstream semantic segmentation with one recipe grid for every method (the size's
   ``recipes``; with several, each method reports its best), for several seeds, on all training scenes and on a
   low-data subset; scores mIoU over all classes and over the object classes alone.
4. ViT suite: linear probes on frozen features of every block (``study_lib.probes``), a supervised-depth positive
   control, and Mask3D's pretext diagnostics (``study_lib.diagnostics``).
5. Writes ``results.json`` / ``pri3d.json`` (every run, the pretraining record, the recipes), a markdown table and
   a plot; ``--update-readme`` copies them into docs/study/, docs/study.md's generated blocks and the README's
   summary tables.

Every step is cached in ``--out`` (a finished run is not redone), so an interrupted study resumes. Pretraining
runs are ``tools/train.py`` subprocesses (exactly what a user would run); the many short fine-tuning runs build the
same runner inside long-lived worker processes. ``--jobs`` runs that many trainings side by side (one torch thread
each by default): on a 2-core machine, 2 single-threaded runs finish about twice as fast as one after the other.
"""
import argparse
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Optional

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # study_lib, also when loaded by runpy or a worker

from study_lib import report  # noqa: E402
from study_lib.runs import (  # noqa: E402
    REPO,
    STUDY_CONFIGS,
    cfg_options,
    last_checkpoint,
    log,
    read_final_metrics,
    read_scalars,
    run,
    schedule_options,
    set_threads,
    tail_mean,
    train_in_process,
)
from study_lib.world import (  # noqa: E402
    CHUNK_VOXEL_SIZE,
    PRI3D_SIZES,
    ROOM_CLASSES,
    SCALING_SIZES,
    SIZES,
    ScalingSize,
    StudySize,
    check_size,
    distinct_frames,
    make_datasets,
    mine_pairs,
    percent,
    world_record,
)

from mask3d_mm.utils.atomic_io import write_bytes_atomic, write_text_atomic  # noqa: E402


@dataclass(frozen=True)
class Arm:
    """One pretraining of a study arm."""
    config: Optional[str]  # pretraining config in configs/study/ (None: no pretraining)
    share: float = 1.0  # share of the size's pretraining iterations
    init_from: Optional[str] = None  # arm whose backbone initialises this one (second stage of a two-stage arm)
    finetune: bool = True  # False: probed only (a control)


@dataclass(frozen=True)
class Suite:
    name: str
    arms: dict  # method -> Arm, run by default, in table order
    extra_arms: dict  # method -> Arm, run when named with --methods (ablations)
    stages: dict  # method -> Arm: earlier stages of two-stage arms (pretrained when needed, never reported)
    recipes: Optional[tuple]  # fine-tuning (lr, layer decay) grid; None: the study size's
    finetune_config: str
    converter: tuple  # tool + arguments turning a pretraining checkpoint into ``backbone.`` weights
    results_name: str  # docs/study/<results_name>
    plot_name: str
    probes: bool  # linear probes of a ViT backbone
    sizes: dict = None  # size name -> StudySize of this suite (None: study_lib.world.SIZES)
    chunk_voxel_size: float = CHUNK_VOXEL_SIZE  # voxel size (m) of the geo loss's chunks, mined for this suite
    pretrain_seed: Optional[int] = None  # randomness.seed of every pretraining (None: mmengine draws one)


MASK3D_ABLATIONS = {  # ``--methods`` names -> configs/study/ overrides of the Mask3D knobs
    name: Arm(f'{name}_vit-tiny-p16_study.py') for name in (
        'mask3d-depth1.0', 'mask3d-depth0.98-rgb0.5', 'mask3d-block', 'mask3d-complementary',
        'mask3d-loss-both', 'mask3d-normdepth', 'mask3d-rgb50')}
VIT_SUITE = Suite(
    name='vit',
    arms={
        'scratch': Arm(None),
        'mae': Arm('mae_vit-tiny-p16_study.py'),
        'mask3d': Arm('mask3d_vit-tiny-p16_study.py'),  # the new default setting (configs/mask3d/)
        'mask3d-prev': Arm('mask3d-prev_vit-tiny-p16_study.py'),  # the project's earlier default masking
        'mask3d+mae': Arm('mask3d-mae_vit-tiny-p16_study.py'),
        # MAE, then Mask3D from its backbone: each stage half of MAE's iterations
        'mae-mask3d-2stage': Arm('mask3d_vit-tiny-p16_study.py', share=0.5, init_from='mae-stage1'),
        'pri3d-view': Arm('pri3d-view_vit-tiny-p16_study.py'),
        # positive control of the probes: the same ViT trained to predict dense depth from the full RGB image
        'depth-supervised': Arm('depth-supervised_vit-tiny-p16_study.py', finetune=False),
    },
    extra_arms=MASK3D_ABLATIONS,
    stages={'mae-stage1': Arm('mae_vit-tiny-p16_study.py', share=0.5)},
    recipes=None,
    finetune_config='upernet_vit-tiny-p16_study.py',
    converter=('tools/model_converters/mask3d_to_backbone.py',),
    results_name='results.json', plot_name='miou_vs_fraction.png', probes=True)
PRI3D_SUITE = Suite(
    name='pri3d',
    arms={'scratch': Arm(None),
          'pri3d-view': Arm('pri3d-view_r18-unet_study.py'),
          'pri3d-geo': Arm('pri3d-geo_r18-unet_study.py'),
          'pri3d-view+geo': Arm('pri3d-view-geo_r18-unet_study.py')},
    extra_arms={},
    stages={},
    recipes=((0.01, None),),  # Pri3D's UNet protocol: SGD, no layer-wise decay for a ResNet
    finetune_config='pri3d-unet_r18_study.py',
    converter=('tools/model_converters/pri3d_to_backbone.py', '--target', 'unet'),
    results_name='pri3d.json', plot_name='pri3d.png', probes=False,
    # a CPU budget (the real configs keep 2 cm): on the study's rooms 2 cm chunks hold ~90k voxels per view and a
    # geo step of 8 pairs took ~97 s on 2 cores; 8 cm ones make the 3D network's share smaller than the ResNet's
    sizes=PRI3D_SIZES, chunk_voxel_size=0.08)
# The Mask3D ablation: each masking setting pretrained on the ViT suite's frames and budget, diagnosed, probed and
# fine-tuned once on all the data, next to scratch and MAE (``--size ablation``); it picks the default setting.
ABLATION_SUITE = Suite(
    name='mask3d-ablation',
    arms={'scratch': Arm(None), 'mae': VIT_SUITE.arms['mae'], 'mask3d-prev': VIT_SUITE.arms['mask3d-prev'],
          **{name: arm for name, arm in MASK3D_ABLATIONS.items() if name != 'mask3d-normdepth'}},
    extra_arms={'mask3d': VIT_SUITE.arms['mask3d'], 'mask3d-normdepth': MASK3D_ABLATIONS['mask3d-normdepth']},
    stages={},
    recipes=None,
    finetune_config=VIT_SUITE.finetune_config,
    converter=VIT_SUITE.converter,
    results_name='ablation.json', plot_name='ablation.png', probes=True)
# The scaling curve (``--suite scaling``): each arm pretrained for every length of the size on the many-room world,
# seeded (a pretraining redone on a fresh machine, because a later step needs its backbone, is the same run).
SCALING_SUITE = Suite(
    name='scaling',
    arms={'scratch': Arm(None), 'mask3d': VIT_SUITE.arms['mask3d'],
          'mask3d-rgb-only': Arm('mask3d-rgb-only_vit-tiny-p16_study.py'), 'mae': VIT_SUITE.arms['mae'],
          'depth-supervised': VIT_SUITE.arms['depth-supervised']},
    extra_arms={},
    stages={},
    recipes=None,
    finetune_config=VIT_SUITE.finetune_config,
    converter=VIT_SUITE.converter,
    results_name='scaling.json', plot_name='scaling.png', probes=True, sizes=SCALING_SIZES, pretrain_seed=0)
SUITES = {suite.name: suite for suite in (VIT_SUITE, PRI3D_SUITE, ABLATION_SUITE, SCALING_SUITE)}
README_TITLES = {'vit': 'Synthetic world: fine-tuned mIoU, all classes and objects only (mean ± std over seeds)',
                 'mask3d-ablation': 'Mask3D ablation: fine-tuned mIoU (one seed)',
                 'pri3d': 'Pri3D suite (ResNet-18 UNet): fine-tuned mIoU (mean ± std over seeds)',
                 'scaling': 'Scaling suite (ViT-tiny, many-room world): each metric vs pretraining iterations'}


def all_arms(suite):
    return {**suite.stages, **suite.arms, **suite.extra_arms}


def sizes_of(suite):
    return suite.sizes or SIZES


def recipes_of(suite, size):
    return suite.recipes or size.recipes


def arms_to_run(suite, methods):
    """The named methods plus every stage they need, stages first."""
    arms, ordered = all_arms(suite), []

    def add(method):
        if arms[method].init_from:
            add(arms[method].init_from)
        if method not in ordered:
            ordered.append(method)
    for method in methods:
        add(method)
    return ordered


def arm_iters(arm, size):
    return max(1, round(size.pretrain_iters * arm.share))


def total_iters(method, suite, size):
    """Pretraining iterations of an arm including its earlier stages (what the equal-budget rule compares)."""
    arm = all_arms(suite)[method]
    if arm.config is None:
        return 0
    return arm_iters(arm, size) + (total_iters(arm.init_from, suite, size) if arm.init_from else 0)


# ------------------------------------------------------------------------------------------- pretraining
def pretrain(method, suite, out: Path, pretrain_root: Path, size: StudySize, backbones: dict):
    """Pretrain ``method`` (its earlier stage's backbone in ``backbones``); returns its converted backbone."""
    arm = all_arms(suite)[method]
    if arm.config is None:
        return None
    work_dir = out / 'pretrain' / method
    backbone = work_dir / 'backbone.pth'
    if backbone.exists():
        return backbone
    work_dir.mkdir(parents=True, exist_ok=True)
    iters = arm_iters(arm, size)
    log(f'pretraining {method} for {iters} iterations')
    options = {'train_dataloader.dataset.data_root': f'{pretrain_root}/', **schedule_options(iters)}
    if suite.pretrain_seed is not None:
        options['randomness.seed'] = suite.pretrain_seed
    if arm.init_from:
        options.update({'model.backbone.init_cfg.type': 'Pretrained', 'model.backbone.init_cfg.prefix': 'backbone.',
                        'model.backbone.init_cfg.checkpoint': backbones[arm.init_from]})
    run(['tools/train.py', STUDY_CONFIGS / arm.config, '--work-dir', work_dir, *cfg_options(options)],
        work_dir / 'train.log')
    run([*suite.converter[:1], last_checkpoint(work_dir), backbone, *suite.converter[1:]],
        work_dir / 'convert.log')  # writes atomically
    return backbone


def pretraining_record(method, suite, out: Path, pretrain_root: Path, downstream_root: Path, size: StudySize):
    """What ``method`` pretrained on (distinct frames, iterations, images per iteration) and, for Mask3D
    settings, its end-of-training loss against the copy baseline and its held-out diagnostics."""
    from mmengine.config import Config
    from study_lib.diagnostics import TRAINING_LOGS, heldout_diagnostics
    arm = all_arms(suite)[method]
    config = STUDY_CONFIGS / arm.config
    cfg = Config.fromfile(config)
    views = 2 if cfg.model.type == 'Pri3D' else 1  # a Pri3D sample is a pair of frames
    record = dict(config=arm.config, iters=total_iters(method, suite, size),
                  images_per_iter=cfg.train_dataloader.batch_size * views,
                  frames=sorted(distinct_frames(config, pretrain_root)), init_from=arm.init_from)
    if cfg.model.type == 'Mask3D' and arm.finetune:  # a Mask3D setting (not the supervised-depth control)
        work_dir = out / 'pretrain' / method
        entries = read_scalars(work_dir)
        record.update({key: tail_mean(entries, logged) for key, logged in TRAINING_LOGS.items()})
        diagnostics = heldout_diagnostics(config, last_checkpoint(work_dir), downstream_root, 'splits/val.txt')
        if diagnostics is None:
            log(f'{method}: the model has no depth_diagnostics; no held-out RGB reliance recorded')
        else:
            record['heldout'] = diagnostics
            record['rgb_reliance'] = diagnostics.get('rgb_reliance')
    return record


def check_equal_pretraining(records: dict):
    """Every pretrained arm saw exactly the same frames for the same number of iterations and images per step;
    a study that breaks this stops here instead of reporting an unfair comparison."""
    frames = {method: tuple(record.pop('frames')) for method, record in records.items()}
    for method, record in records.items():
        record['distinct_frames'] = len(frames[method])
    for key, values in (('frames', frames),
                        ('iterations', {m: r['iters'] for m, r in records.items()}),
                        ('images per iteration', {m: r['images_per_iter'] for m, r in records.items()})):
        if len(set(values.values())) > 1:
            counts = {m: len(v) if key == 'frames' else v for m, v in values.items()}
            raise SystemExit(f'study: the arms pretrain on different {key}: {counts}')


# ------------------------------------------------------------------------------------------- fine-tuning
def init_options(backbone):
    """Backbone initialisation: the converted checkpoint, or none (scratch); nothing else differs."""
    if backbone is None:
        return {'model.backbone.init_cfg': None}
    return {'model.backbone.init_cfg': dict(_delete_=True, type='Pretrained', checkpoint=str(backbone),
                                            prefix='backbone.')}


def recipe_options(recipe):
    lr, layer_decay = recipe
    options = {'optim_wrapper.optimizer.lr': lr}
    if layer_decay is not None:
        options['optim_wrapper.paramwise_cfg.layer_decay_rate'] = layer_decay
    return options


def recipe_name(recipe):
    lr, layer_decay = recipe
    return f'lr{lr:g}' + ('' if layer_decay is None else f'-ld{layer_decay:g}')


def finetune(method, backbone, recipe, fraction, seed, suite_name, out: Path, downstream_root: Path,
             size: StudySize):
    suite = SUITES[suite_name]
    work_dir = out / 'finetune' / f'{method}_{recipe_name(recipe)}_{percent(fraction)}pct_seed{seed}'
    result_file = work_dir / 'result.json'
    if result_file.exists():
        return json.loads(result_file.read_text())
    work_dir.mkdir(parents=True, exist_ok=True)
    log(f'fine-tuning {method} ({recipe_name(recipe)}) on {fraction:.0%} of the training images, seed {seed}')
    options = {'train_dataloader.dataset.data_root': f'{downstream_root}/',
               'val_dataloader.dataset.data_root': f'{downstream_root}/',
               'train_dataloader.dataset.ann_file': f'splits/train_{percent(fraction)}.txt',
               'randomness.seed': seed, 'train_cfg.val_interval': size.finetune_iters,
               **init_options(backbone), **recipe_options(recipe), **schedule_options(size.finetune_iters)}
    train_in_process(STUDY_CONFIGS / suite.finetune_config, work_dir, options, work_dir / 'train.log')
    metrics = read_final_metrics(work_dir)
    class_iou = {key[len('IoU.'):]: float(value) for key, value in metrics.items() if key.startswith('IoU.')}
    result = dict(method=method, recipe=list(recipe), fraction=fraction, seed=seed, mIoU=float(metrics['mIoU']),
                  objects_mIoU=objects_miou(class_iou), aAcc=float(metrics['aAcc']), class_IoU=class_iou)
    write_text_atomic(str(result_file), json.dumps(result))
    return result


def objects_miou(class_iou: dict) -> float:
    """Mean IoU over the object classes that were labelled or predicted (mmseg's mIoU without wall and floor)."""
    values = [iou for name, iou in class_iou.items() if name not in ROOM_CLASSES]
    return float(np.mean(values)) if values else float('nan')


def run_finetunes(tasks, suite, out: Path, downstream_root: Path, size: StudySize, jobs: int, threads: int):
    """``finetune(*task, ...)`` for every task, ``jobs`` at a time in worker processes; results in task order."""
    args = (suite.name, out, downstream_root, size)
    if jobs == 1:
        return [finetune(*task, *args) for task in tasks]
    context = multiprocessing.get_context('spawn')  # fresh interpreters: no forked torch / OpenMP state
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=set_threads, initargs=(threads,)) as pool:
        futures = [pool.submit(finetune, *task, *args) for task in tasks]
        return [future.result() for future in futures]


def best_recipes(runs, methods, recipes, size):
    """Per method, the recipe with the best mean mIoU on all the training data (the only one with one recipe);
    returns ({method: recipe record}, the runs of the chosen recipes)."""
    full = max(size.fractions)
    chosen, kept = {}, []
    for method in methods:
        means = {tuple(recipe): float(np.mean([r['mIoU'] for r in runs if r['method'] == method and
                                               tuple(r['recipe']) == tuple(recipe) and r['fraction'] == full]))
                 for recipe in recipes}
        best = max(means, key=means.get)
        chosen[method] = dict(lr=best[0], layer_decay=best[1], iters=size.finetune_iters,
                              grid={recipe_name(r): m for r, m in means.items()})
        kept += [r for r in runs if r['method'] == method and tuple(r['recipe']) == best]
    return chosen, kept


# ---------------------------------------------------------------------------------------------- study
def run_probes(methods, backbones, downstream_root: Path, size: StudySize):
    from mmengine.config import Config
    from study_lib.probes import constant_probe, linear_probes, load_probe_data, study_vit
    study_cfg = Config.fromfile(STUDY_CONFIGS / '_study_vit.py')  # the one ViT every study config uses
    probe_data = load_probe_data(downstream_root, size.probe_frames, study_cfg.study_img_size,
                                 study_cfg.study_patch_size)
    probes = {method: linear_probes(study_vit(study_cfg, backbones[method]), probe_data) for method in methods}
    return probes, constant_probe(probe_data)


def run_study(suite, methods, out: Path, size_name: str, size: StudySize, jobs: int = 1, threads: int = 1):
    pretrain_root, downstream_root = make_datasets(out, size)
    arms = all_arms(suite)
    order = arms_to_run(suite, methods)
    pretrained = [m for m in order if arms[m].config is not None]
    if any('pri3d' in arms[m].config for m in pretrained):
        mine_pairs(pretrain_root, out, chunks=any('geo' in m for m in pretrained),
                   chunk_voxel_size=suite.chunk_voxel_size)
    backbones = {m: None for m in order}
    stages = [[m for m in pretrained if not arms[m].init_from], [m for m in pretrained if arms[m].init_from]]
    for stage in stages:  # Pri3D's step costs 3-5x the others': start it first
        stage = sorted(stage, key=lambda m: 'pri3d' not in m)
        with ThreadPoolExecutor(jobs) as lanes:  # each pretraining is a tools/train.py subprocess
            backbones.update(zip(stage, lanes.map(
                lambda m: pretrain(m, suite, out, pretrain_root, size, backbones), stage)))
    records = {m: pretraining_record(m, suite, out, pretrain_root, downstream_root, size) for m in pretrained
               if m in methods}  # the reported arms and controls (a stage counts within its arm)
    check_equal_pretraining(records)
    reported = [m for m in methods if arms[m].finetune]
    probes, probe_reference = run_probes(methods, backbones, downstream_root, size) if suite.probes else ({}, None)
    grid = recipes_of(suite, size)
    tasks = [(m, backbones[m], tuple(recipe), fraction, seed) for m in reported for recipe in grid
             for fraction in size.fractions for seed in range(size.seeds)]
    all_runs = run_finetunes(tasks, suite, out, downstream_root, size, jobs, threads)
    recipes, runs = best_recipes(all_runs, reported, grid, size)

    wall_minutes = (time.time() - (out / 'size.json').stat().st_mtime) / 60  # since the study started
    meta = dict(report.provenance(), suite=suite.name, size=size_name, wall_minutes=wall_minutes, jobs=jobs,
                threads=threads, study_size=asdict(size), world=world_record())
    results = dict(meta=meta, pretraining=records, finetune_recipe=recipes, runs=runs, probes=probes,
                   probe_reference=probe_reference, all_recipe_runs=all_runs if len(grid) > 1 else None)
    table = report.pri3d_table(results) if suite.name == 'pri3d' else report.results_table(results)
    write_text_atomic(str(out / suite.results_name), json.dumps(results, indent=1))
    write_text_atomic(str(out / f'{Path(suite.results_name).stem}.md'), table + '\n')
    report.plot(results, out / suite.plot_name, README_TITLES[suite.name])
    print(table)
    log(f'wrote {suite.results_name}, its table and {suite.plot_name} in {out} in {wall_minutes:.1f} min')


# ---------------------------------------------------------------------------------------------- scaling
def scaling_arms(suite=None):
    from study_lib.scaling import ScalingArm
    suite = suite or SCALING_SUITE
    return {m: ScalingArm(pretrained=arm.config is not None, finetune=arm.finetune) for m, arm in suite.arms.items()}


def scaling_steps(out: Path, pretrain_root: Path, downstream_root: Path, size: ScalingSize):
    """The scaling suite's real steps: the fair study's pretraining, record, probes and fine-tuning, one length at
    a time (work folder ``out/iters<length>``; an unpretrained arm's fine-tunings in ``out``)."""
    from study_lib.scaling import Steps
    suite = SCALING_SUITE
    probe_data = []

    def length_out(length):
        return out / f'iters{length}'

    def length_size(length):
        return replace(size.study, pretrain_iters=length)

    def pretrain_arm(method, length):
        return pretrain(method, suite, length_out(length), pretrain_root, length_size(length), {})

    def record(method, length):
        result = pretraining_record(method, suite, length_out(length), pretrain_root, downstream_root,
                                    length_size(length))
        times = [e['time'] for e in read_scalars(length_out(length) / 'pretrain' / method) if 'time' in e]
        return dict(result, seconds_per_iter=float(np.mean(times)) if times else None)

    def data():
        if not probe_data:
            from mmengine.config import Config
            from study_lib.probes import load_probe_data
            cfg = Config.fromfile(STUDY_CONFIGS / '_study_vit.py')
            probe_data.append((cfg, load_probe_data(downstream_root, size.study.probe_frames, cfg.study_img_size,
                                                    cfg.study_patch_size)))
        return probe_data[0]

    def probe(method, backbone):
        from study_lib.probes import linear_probes, study_vit
        cfg, loaded = data()
        return linear_probes(study_vit(cfg, backbone), loaded)

    def reference():
        from study_lib.probes import constant_probe
        return constant_probe(data()[1])

    def finetune_arm(method, length, backbone, seed):
        return finetune(method, backbone, tuple(size.study.recipes[0]), max(size.study.fractions), seed, suite.name,
                        out if length is None else length_out(length), downstream_root, size.study)
    return Steps(pretrain=pretrain_arm, pretraining_record=record, probe=probe, probe_reference=reference,
                 finetune=finetune_arm)


def scaling_results(records_dir: Path, size_name: str, size: ScalingSize, threads: int):
    from study_lib.scaling import Records, collect
    results = collect(Records(records_dir), scaling_arms(), size.lengths, size.study.seeds)
    steps = [r for group in (results['pretraining'], results['probes']) for by_length in group.values()
             for r in by_length.values()] + results['runs']
    finished = sorted(r['finished'] for r in steps if r.get('finished'))
    meta = dict(report.provenance(), suite=SCALING_SUITE.name, size=size_name, device=training_device(),
                threads=threads, lengths=list(size.lengths), study_size=asdict(size.study), world=world_record(),
                step_wall_minutes=sum(r.get('step_wall_s') or 0.0 for r in steps) / 60,
                first_finished=finished[0] if finished else None, last_finished=finished[-1] if finished else None,
                complete=not results['missing'],
                records=str(records_dir.relative_to(REPO)) if records_dir.is_relative_to(REPO) else str(records_dir),
                schedule='each length a separate pretraining with its own warm-up + cosine schedule')
    return dict(meta=meta, **results)


def training_device():
    import torch
    return 'GPU' if torch.cuda.is_available() else 'CPU'


def run_scaling_suite(suite, out: Path, records_dir: Path, size_name: str, size: ScalingSize, threads: int,
                      train=True, methods=None, lengths=None):
    """Runs (or resumes) every missing step of the scaling suite -- or of its ``methods`` and ``lengths`` only, the
    share of one of several processes -- then writes ``scaling.json`` (every record so far, the steps still
    missing), its table and plot in ``out``."""
    from study_lib.scaling import Records, run_scaling
    records_dir.mkdir(parents=True, exist_ok=True)
    check_size(records_dir, size_name, size)  # the records of one size only
    if train:
        pretrain_root, downstream_root = make_datasets(out, size.study)
        arms = {m: arm for m, arm in scaling_arms().items() if not methods or m in methods}
        run_scaling(Records(records_dir), arms, tuple(lengths or size.lengths), size.study.seeds,
                    scaling_steps(out, pretrain_root, downstream_root, size), log)
    results = scaling_results(records_dir, size_name, size, threads)
    write_text_atomic(str(out / suite.results_name), json.dumps(results, indent=1))
    write_text_atomic(str(out / f'{Path(suite.results_name).stem}.md'), report.scaling_table(results) + '\n')
    report.scaling_plot(results, out / suite.plot_name, README_TITLES['scaling'])
    print(report.scaling_table(results))
    missing = f'; {len(results["missing"])} steps still missing' if results['missing'] else ''
    log(f'wrote {suite.results_name}, its table and {suite.plot_name} in {out}{missing}')


SECTIONS_OF = {'vit': report.readme_sections, 'pri3d': report.pri3d_readme_sections,
               'mask3d-ablation': report.ablation_readme_sections, 'scaling': report.scaling_readme_sections}
SUMMARIES_OF = {'vit': report.readme_summary_sections, 'pri3d': report.pri3d_readme_summary_sections,
                'mask3d-ablation': report.ablation_readme_summary_sections,
                'scaling': report.scaling_readme_summary_sections}
PLOTS_OF = {'scaling': report.scaling_plot}  # the others: mIoU vs data share


def update_readme(out: Path, suite=VIT_SUITE, readme: Path = REPO / 'README.md'):
    """The finished study in ``out``: its JSON and plot (redrawn from the JSON) to docs/study/, its full tables into
    the generated blocks of docs/study.md, its short summary table into the README's."""
    results = json.loads((out / suite.results_name).read_text())
    docs = readme.parent / 'docs' / 'study'
    docs.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(str(docs / suite.results_name), (out / suite.results_name).read_bytes())
    PLOTS_OF.get(suite.name, report.plot)(results, docs / suite.plot_name, README_TITLES[suite.name])
    summaries = SUMMARIES_OF[suite.name](results) if suite.name in SUMMARIES_OF else {}  # a suite may have none
    for page, sections in ((readme.parent / 'docs' / 'study.md', SECTIONS_OF[suite.name](results)),
                           (readme, summaries)):
        text = page.read_text() if page.exists() else '# Study results\n'
        for name, section in sections.items():
            text = report.replace_block(text, name, section)
        write_text_atomic(str(page), text)
    log(f'updated {readme}, {docs}.md and {docs}/')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--suite', choices=list(SUITES), default='vit',
                        help="'vit': ViT-tiny, every method (default); 'pri3d': ResNet-18 UNet, Pri3D's Table 1")
    parser.add_argument('--size', choices=sorted({*SIZES, *PRI3D_SIZES, *SCALING_SIZES}), default='default',
                        help="'default': <= 90 min on the 2-core CPU (--jobs 2); 'large': 4x the pretraining, 1.7x "
                             "the fine-tuning, a recipe grid; 'medium': fewer iterations; 'many-rooms': the default "
                             "on 240 pretraining rooms of 2 frames; 'long-pretrain' (--suite pri3d): 4x the "
                             "pretraining, all the data only; 'gpu' (--suite scaling): its GPU records; "
                             "'quick': smoke")
    parser.add_argument('--quick', action='store_true', help="CI smoke size (= --size quick): minutes, one seed")
    parser.add_argument('--out', default=None, help='work folder (default work_dirs/study[-pri3d][-SIZE])')
    parser.add_argument('--methods', nargs='+', default=None,
                        help='arms to run (default: every arm of the suite; ablations: ' +
                             ', '.join(MASK3D_ABLATIONS) + ')')
    parser.add_argument('--threads', type=int, default=1, help='torch threads per training run')
    parser.add_argument('--jobs', type=int, default=None,
                        help='training runs side by side (default: CPU cores // --threads)')
    parser.add_argument('--update-readme', action='store_true',
                        help='copy the finished study in --out (JSON, plot) into docs/study/, its tables into '
                             'docs/study.md and its summary into README.md; runs '
                             '(or resumes) the study first if it has not finished')
    parser.add_argument('--records', default=None,
                        help='--suite scaling: folder of the finished steps\' records (default docs/study/scaling'
                             '[-gpu] for the default and gpu sizes, else --out/records)')
    parser.add_argument('--lengths', type=int, nargs='+', default=None,
                        help='--suite scaling: run only these pretraining lengths\' steps (default: every length of '
                             'the size); with --methods, lets two processes share the records folder')
    parser.add_argument('--report', action='store_true',
                        help='--suite scaling: build the JSON, table and plot from the records so far; train nothing')
    args = parser.parse_args()
    suite = SUITES[args.suite]
    methods = args.methods or list(suite.arms)
    unknown = sorted(set(methods) - set(all_arms(suite)))
    if unknown:
        parser.error(f'unknown methods for --suite {suite.name}: {unknown} (known: {sorted(all_arms(suite))})')
    set_threads(args.threads)
    size_name = 'quick' if args.quick else args.size
    sizes = sizes_of(suite)
    if size_name not in sizes:
        parser.error(f'--suite {suite.name} has no size {size_name!r} (its sizes: {", ".join(sizes)})')
    size = sizes[size_name]
    scaling = suite.name == SCALING_SUITE.name
    if scaling and (args.jobs or 1) != 1:
        parser.error('--suite scaling runs one step at a time (--jobs 1; a second process with other --methods '
                     'or --lengths may share its records folder)')
    if not scaling and (args.records or args.report or args.lengths):
        parser.error('--records, --report and --lengths belong to --suite scaling')
    if scaling and args.lengths and set(args.lengths) - set(size.lengths):
        parser.error(f'--lengths: the size {size_name!r} has the lengths {size.lengths}')
    suffix = ('' if suite.name == 'vit' else f'-{suite.name}') + ('' if size_name == 'default' else f'-{size_name}')
    out = Path(args.out or f'work_dirs/study{suffix}').resolve()
    out.mkdir(parents=True, exist_ok=True)
    check_size(out, size_name, size)
    if scaling:
        if size_name != 'default':  # another size's results sit beside the CPU one's
            suite = replace(suite, results_name=f'scaling-{size_name}.json', plot_name=f'scaling-{size_name}.png')
        records = Path(args.records or (REPO / 'docs' / 'study' / f'scaling{suffix[len("-scaling"):]}'
                                        if size_name in ('default', 'gpu') else out / 'records')).resolve()
        # the report is always rebuilt from the records (after running the missing steps unless --report)
        run_scaling_suite(suite, out, records, size_name, size, args.threads, train=not args.report,
                          methods=args.methods, lengths=args.lengths)
        if args.update_readme:
            update_readme(out, suite)
        return
    jobs = args.jobs or max(1, (os.cpu_count() or 1) // args.threads)
    if not (args.update_readme and (out / suite.results_name).exists()):
        run_study(suite, methods, out, size_name, size, jobs, args.threads)
    if args.update_readme:
        update_readme(out, suite)


if __name__ == '__main__':
    main()
