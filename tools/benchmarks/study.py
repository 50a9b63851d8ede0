"""Does the 3D prior help? A controlled, reproducible small-scale study on the synthetic world.

    python tools/benchmarks/study.py [--size default|large|medium|quick] [--quick] [--out DIR] [--jobs N]
                                     [--update-readme]

1. Renders a pretraining set and a disjoint downstream set (other seeds, other scenes) of the study world
   (``STUDY_WORLD``): furnished rooms where colour says nothing about the class, so only shape and layout do.
2. Pretrains the same ViT (tiny) with equal budgets (iterations, batch, data, input size):
   scratch (none) / MAE (mmpretrain's, RGB only) / Mask3D / Mask3D+MAE / Pri3D-view (ViT).
3. Fine-tunes each on downstream semantic segmentation with one identical recipe (UperNet), for several seeds,
   on all training scenes and on a low-data subset (scenes holding 10 % of the training images); scores mIoU over
   all classes and over the object classes alone (wall and floor are most pixels and easy).
4. Linear probes on frozen features: per-patch depth (RMSE, AbsRel) and surface normals (mean angle error).
5. Writes ``results.json`` (every run), ``results.md`` (mean ± std table) and ``miou_vs_fraction.png``.
   ``--update-readme`` copies them into the README's Results block (``<!-- study:begin/end -->``, with date,
   machine and commit; a rerun replaces it) and docs/study/.

Every step is cached in ``--out`` (a finished run is not redone), so an interrupted study resumes.
Pretraining runs are ``tools/train.py`` subprocesses (exactly what a user would run); the many short fine-tuning
runs do what ``tools/train.py`` does inside long-lived worker processes, which saves a fresh interpreter's
imports per run. ``--jobs`` runs that many trainings side by side (one torch thread each by default): on a
2-core machine, 2 single-threaded runs finish about twice as fast as one after the other.
"""
import argparse
import contextlib
import json
import multiprocessing
import os
import os.path as osp
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mask3d_mm.data_prep.converters.scannet_2d import write_data_efficient_splits
from mask3d_mm.data_prep.synthetic import generate_dataset
from mask3d_mm.data_prep.synthetic.appearance import Appearance
from mask3d_mm.utils.atomic_io import write_bytes_atomic, write_text_atomic

REPO = Path(__file__).resolve().parents[2]
STUDY_CONFIGS = REPO / 'configs' / 'study'


@dataclass(frozen=True)
class StudySize:
    pretrain_scenes: int
    pretrain_frames: int
    downstream_scenes: int
    downstream_frames: int
    pretrain_iters: int
    finetune_iters: int
    seeds: int
    fractions: tuple  # shares of the downstream training images (nested scene subsets)
    probe_frames: int  # downstream frames per split used by the linear probes


SIZES = {
    # < 1 h on the 2-core CPU with --jobs 2 (the default there)
    'default': StudySize(pretrain_scenes=16, pretrain_frames=30, downstream_scenes=48, downstream_frames=10,
                         pretrain_iters=400, finetune_iters=600, seeds=3, fractions=(0.1, 1.0), probe_frames=96),
    # 4x the pretraining, 1.7x the fine-tuning: ~1.5 h on the 2-core CPU (scratch / MAE / Mask3D alone: 46 min)
    'large': StudySize(pretrain_scenes=16, pretrain_frames=30, downstream_scenes=48, downstream_frames=10,
                       pretrain_iters=1600, finetune_iters=1000, seeds=3, fractions=(0.1, 1.0), probe_frames=96),
    # fewer iterations, for a machine busier than 'default' assumes
    'medium': StudySize(pretrain_scenes=16, pretrain_frames=30, downstream_scenes=48, downstream_frames=10,
                        pretrain_iters=200, finetune_iters=300, seeds=3, fractions=(0.1, 1.0), probe_frames=96),
    'quick': StudySize(pretrain_scenes=2, pretrain_frames=6, downstream_scenes=5, downstream_frames=4,
                       pretrain_iters=2, finetune_iters=2, seeds=1, fractions=(0.5, 1.0), probe_frames=8),
}
# The study world, for pretraining and downstream alike (other seeds): densely furnished rooms (20-32 objects
# tried per room; about 45 % of the pixels are furniture instead of 20 % with the generator's defaults) in which
# any object may take any palette and texture, so colour never gives the class away and a model has to tell a
# cabinet from a refrigerator or a desk from a table by shape, size and placement -- where a 3D prior can help.
STUDY_WORLD = dict(appearance=Appearance(palette_mode='shared'), num_objects=(20, 32))
ROOM_CLASSES = ('wall', 'floor')  # left out of the objects-only mIoU

# method -> pretraining config (None: no pretraining). Every study backbone is an mmpretrain ViT stored under
# ``backbone.`` (MAEViT / Mask3DViT subclass it, Pri3D-view wraps a plain one), so one converter extracts them all.
METHODS = {
    'scratch': None,
    'mae': 'mae_vit-tiny-p16_study.py',
    'mask3d': 'mask3d_vit-tiny-p16_study.py',
    'mask3d+mae': 'mask3d-mae_vit-tiny-p16_study.py',
    'pri3d-view': 'pri3d-view_vit-tiny-p16_study.py',
}
# not run by default: variants for investigating a method (``--methods mask3d-normdepth``)
ABLATIONS = {'mask3d-normdepth': 'mask3d-normdepth_vit-tiny-p16_study.py',  # per-patch normalized depth target
             'mask3d-rgb50': 'mask3d-rgb50_vit-tiny-p16_study.py'}  # 50 % instead of 80 % of the colour masked
CONVERTER = 'tools/model_converters/mask3d_to_backbone.py'
PAIRS_FILE = 'pri3d/pairs.txt'  # Pri3D view pairs, mined from the pretraining scenes
FINETUNE_CONFIG = 'upernet_vit-tiny-p16_study.py'
PRETRAIN_SEED, DOWNSTREAM_SEED = 1000, 2000
PROBE_SIDE = 128  # probe input size = the study ViT's img_size


def log(message):
    print(f'[study {time.strftime("%H:%M:%S")}] {message}', flush=True)


def fail(what, log_file):
    tail = Path(log_file).read_text()[-3000:]
    raise SystemExit(f'study: {what} failed\n--- {log_file} ---\n{tail}')


def run(cmd, log_file):
    """Run a repo tool; its output goes to ``log_file``; a failure stops the study with the log's tail."""
    env = dict(os.environ, PYTHONPATH=f'{REPO}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
               OMP_NUM_THREADS=str(torch_threads()))
    with open(log_file, 'w') as f:
        code = subprocess.call([sys.executable, *map(str, cmd)], cwd=REPO, env=env, stdout=f,
                               stderr=subprocess.STDOUT)
    if code != 0:
        fail(f'command ({code}) {" ".join(map(str, cmd))}', log_file)


def torch_threads():
    import torch
    return torch.get_num_threads()


def cfg_options(options: dict):
    """``--cfg-options`` arguments of tools/train.py for ``{key: value}``."""
    return ['--cfg-options', *(f'{key}={value}' for key, value in options.items())]


def train_in_process(config: Path, work_dir: Path, options: dict, log_file: Path):
    """``tools/train.py CONFIG --work-dir W --cfg-options ...`` in this process, console output to ``log_file``."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mask3d_mm.utils.launch import apply_cpu_fallbacks, check_custom_imports
    cfg = Config.fromfile(config)
    check_custom_imports(cfg, str(config))
    cfg.work_dir, cfg.launcher = str(work_dir), 'none'
    # visualizers are per-name singletons (mmseg names its 'visualizer'): a fresh name gives this run its own
    cfg.merge_from_dict({**options, 'visualizer.name': f'study:{work_dir}'})
    with open(log_file, 'w') as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
        runner = None
        try:
            runner = Runner.from_cfg(apply_cpu_fallbacks(cfg))
            runner.train()
        except Exception:  # noqa: BLE001  (any failure: stop the study with the log's tail)
            import traceback
            traceback.print_exc()
            failed = True
        else:
            failed = False
        finally:
            for handler in (runner.logger.handlers[:] if runner else []):  # they write to ``f``
                handler.close()
                runner.logger.removeHandler(handler)
    if failed:
        fail(f'training {config} in {work_dir}', log_file)


# ----------------------------------------------------------------------------------------------- data
def make_datasets(out: Path, size: StudySize):
    pretrain_root, downstream_root = out / 'data' / 'pretrain', out / 'data' / 'downstream'
    log(f'rendering {size.pretrain_scenes} pretraining scenes and {size.downstream_scenes} downstream scenes')
    generate_dataset(pretrain_root, num_scenes=size.pretrain_scenes, frames_per_scene=size.pretrain_frames,
                     seed=PRETRAIN_SEED, **STUDY_WORLD)
    generate_dataset(downstream_root, num_scenes=size.downstream_scenes,
                     frames_per_scene=size.downstream_frames, seed=DOWNSTREAM_SEED, **STUDY_WORLD)
    # Pretraining uses every scene (labels unused); the downstream set keeps its own train / val split, and the
    # low-data settings train on nested random scene subsets holding >= that share of its training images
    # (splits/train_<pct>.txt, as for ScanNet's data-efficient benchmark).
    scene_ids = sorted(p.name for p in pretrain_root.iterdir() if (p / 'color').is_dir())
    write_text_atomic(pretrain_root / 'splits' / 'all.txt', ''.join(f'{s}\n' for s in scene_ids))
    write_data_efficient_splits(str(downstream_root), percents=[percent(f) for f in size.fractions],
                                seed=DOWNSTREAM_SEED)
    return pretrain_root, downstream_root


def percent(fraction):
    return round(fraction * 100)


def mine_pairs(pretrain_root: Path, out: Path):
    """Overlapping frame pairs of the pretraining scenes for Pri3D (view loss only: no voxel chunks)."""
    pairs = pretrain_root / PAIRS_FILE
    if not pairs.exists():
        log('mining Pri3D view pairs')
        run(['tools/data/scannet/mine_pairs.py', '--frames-root', pretrain_root, '--out', pairs,
             '--min-overlap', '0.3', '--frame-skip', '1', '--no-chunks'], out / 'mine_pairs.log')


def check_size(out: Path, size_name: str, size: StudySize):
    """Finished steps are reused, so one work folder must only ever hold one study size."""
    record, expected = out / 'size.json', json.dumps(dict(name=size_name, **asdict(size)), sort_keys=True)
    if record.exists() and record.read_text() != expected:
        raise SystemExit(f'study: {out} holds a study of another size ({record.read_text()}); use another --out')
    if not record.exists():  # its mtime is the study's start, also when resumed
        write_text_atomic(str(record), expected)


# ------------------------------------------------------------------------------------------- training
def last_checkpoint(work_dir: Path) -> Path:
    pointer = work_dir / 'last_checkpoint'
    if not pointer.exists():
        raise SystemExit(f'study: no checkpoint written in {work_dir}')
    return Path(pointer.read_text().strip())


def schedule_options(iters):
    """Every study config schedules [linear warm-up, decay to the end]; this rescales both to ``iters``."""
    warmup = max(1, iters // 10)
    return {'train_cfg.max_iters': iters, 'param_scheduler.0.end': warmup, 'param_scheduler.1.begin': warmup,
            'param_scheduler.1.end': iters, 'default_hooks.checkpoint.interval': iters}


def pretrain(method, out: Path, pretrain_root: Path, size: StudySize):
    """Pretrain ``method`` and return its converted backbone checkpoint (None for scratch)."""
    config = {**METHODS, **ABLATIONS}[method]
    if config is None:
        return None
    work_dir = out / 'pretrain' / method
    backbone = work_dir / 'backbone.pth'
    if backbone.exists():
        return backbone
    work_dir.mkdir(parents=True, exist_ok=True)
    if method.startswith('pri3d'):
        mine_pairs(pretrain_root, out)
    log(f'pretraining {method} for {size.pretrain_iters} iterations')
    options = {'train_dataloader.dataset.data_root': f'{pretrain_root}/', **schedule_options(size.pretrain_iters)}
    run(['tools/train.py', STUDY_CONFIGS / config, '--work-dir', work_dir, *cfg_options(options)],
        work_dir / 'train.log')
    run([CONVERTER, last_checkpoint(work_dir), backbone], work_dir / 'convert.log')  # writes atomically
    return backbone


def read_final_metrics(work_dir: Path) -> dict:
    """The last validation metrics mmengine logged (``vis_data/scalars.json`` of the newest run)."""
    scalars = sorted(work_dir.glob('*/vis_data/scalars.json'))
    if not scalars:
        raise SystemExit(f'study: no scalars.json under {work_dir}')
    entries = [json.loads(line) for line in scalars[-1].read_text().splitlines() if line.strip()]
    metrics = [e for e in entries if 'mIoU' in e]
    if not metrics:
        raise SystemExit(f'study: no validation metrics in {scalars[-1]}')
    return metrics[-1]


def init_options(backbone):
    """Backbone initialisation: the converted checkpoint; from scratch, also no layer-wise lr decay (there is no
    pretrained depth to protect), exactly as the real scratch configs (configs/finetune/*scratch*)."""
    if backbone is None:
        return {'model.backbone.init_cfg': None, 'optim_wrapper.paramwise_cfg.layer_decay_rate': 1.0}
    return {'model.backbone.init_cfg': dict(_delete_=True, type='Pretrained', checkpoint=str(backbone),
                                            prefix='backbone.')}


def finetune(method, backbone, fraction, seed, out: Path, downstream_root: Path, size: StudySize):
    work_dir = out / 'finetune' / f'{method}_{percent(fraction)}pct_seed{seed}'
    result_file = work_dir / 'result.json'
    if result_file.exists():
        return json.loads(result_file.read_text())
    work_dir.mkdir(parents=True, exist_ok=True)
    log(f'fine-tuning {method} on {fraction:.0%} of the training images, seed {seed}')
    options = {'train_dataloader.dataset.data_root': f'{downstream_root}/',
               'val_dataloader.dataset.data_root': f'{downstream_root}/',
               'train_dataloader.dataset.ann_file': f'splits/train_{percent(fraction)}.txt',
               'randomness.seed': seed, 'train_cfg.val_interval': size.finetune_iters,
               **init_options(backbone), **schedule_options(size.finetune_iters)}
    train_in_process(STUDY_CONFIGS / FINETUNE_CONFIG, work_dir, options, work_dir / 'train.log')
    metrics = read_final_metrics(work_dir)
    class_iou = {key[len('IoU.'):]: float(value) for key, value in metrics.items() if key.startswith('IoU.')}
    result = dict(method=method, fraction=fraction, seed=seed, mIoU=float(metrics['mIoU']),
                  objects_mIoU=objects_miou(class_iou), aAcc=float(metrics['aAcc']), class_IoU=class_iou)
    write_text_atomic(str(result_file), json.dumps(result))
    return result


def objects_miou(class_iou: dict) -> float:
    """Mean IoU over the object classes that were labelled or predicted (mmseg's mIoU without wall and floor)."""
    values = [iou for name, iou in class_iou.items() if name not in ROOM_CLASSES]
    return float(np.mean(values)) if values else float('nan')


# ---------------------------------------------------------------------------------------------- probes
def probe_frames(root: Path, split: str, count: int):
    """(images (N, 3, S, S) float, depths (N, S, S) metres, intrinsics scaled to S) of the first frames."""
    import cv2

    from mask3d_mm.geometry import load_matrix_txt, scale_intrinsics
    side = PROBE_SIDE
    images, depths, intrinsics = [], [], []
    for scene in (root / 'splits' / split).read_text().split():
        scene_dir = root / scene
        K = load_matrix_txt(scene_dir / 'intrinsic' / 'intrinsic_depth.txt')[:3, :3]
        for color_path in sorted(scene_dir.glob('color/*.jpg'), key=lambda p: int(p.stem)):
            rgb = cv2.cvtColor(cv2.imread(str(color_path)), cv2.COLOR_BGR2RGB)
            depth = cv2.imread(str(scene_dir / 'depth' / f'{color_path.stem}.png'), cv2.IMREAD_UNCHANGED)
            h, w = depth.shape
            images.append(cv2.resize(rgb, (side, side), interpolation=cv2.INTER_AREA))
            depths.append(cv2.resize(depth, (side, side), interpolation=cv2.INTER_NEAREST) / 1000.0)
            intrinsics.append(scale_intrinsics(K, side / w, side / h))
            if len(images) == count:
                break
        if len(images) == count:
            break
    return np.stack(images), np.stack(depths).astype(np.float32), np.stack(intrinsics)


def patch_targets(depths, intrinsics, patch=16):
    """Per 16x16 patch: mean depth of valid pixels, mean unit normal, and whether the patch is usable."""
    import torch

    from mask3d_mm.geometry import backproject_depth
    points = backproject_depth(torch.from_numpy(depths), torch.from_numpy(intrinsics).float())  # (N, H, W, 3)
    du, dv = points[:, :-1, 1:] - points[:, :-1, :-1], points[:, 1:, :-1] - points[:, :-1, :-1]
    normals = torch.nn.functional.normalize(torch.cross(du, dv, dim=-1), dim=-1)  # (N, H-1, W-1, 3)
    normals = torch.nn.functional.pad(normals.permute(0, 3, 1, 2), (0, 1, 0, 1), mode='replicate')
    valid = torch.from_numpy(depths > 0).float()[:, None]  # (N, 1, H, W)
    pool = torch.nn.functional.avg_pool2d
    valid_share = pool(valid, patch)  # (N, 1, h, w)
    mean_depth = pool(torch.from_numpy(depths)[:, None] * valid, patch) / valid_share.clamp(min=1e-6)
    mean_normal = torch.nn.functional.normalize(pool(normals * valid, patch), dim=1)
    usable = (valid_share[:, 0] > 0.9)
    return (mean_depth[:, 0][usable].numpy(), mean_normal.permute(0, 2, 3, 1)[usable].numpy(),
            usable.numpy())


def backbone_features(backbone_ckpt, images):
    """Frozen last-layer patch tokens of the study ViT: (N, h, w, C)."""
    import torch
    from mmengine.config import Config
    from mmpretrain.models import VisionTransformer

    study = Config.fromfile(STUDY_CONFIGS / '_study_vit.py')  # the one ViT every study config uses
    arch = {k: v for k, v in study.study_vit_arch.items() if k != '_delete_'}
    vit = VisionTransformer(arch=arch, img_size=study.study_img_size, patch_size=study.study_patch_size,
                            out_type='featmap')
    if backbone_ckpt is not None:
        state = torch.load(backbone_ckpt, map_location='cpu', weights_only=True)['state_dict']
        state = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
        missing, _ = vit.load_state_dict(state, strict=False)
        if missing:
            raise SystemExit(f'study: {backbone_ckpt} lacks ViT weights {missing[:5]}...')
    vit.eval()
    mean = torch.tensor([123.675, 116.28, 103.53])[:, None, None]
    std = torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    inputs = (torch.from_numpy(images).permute(0, 3, 1, 2).float() - mean) / std
    with torch.no_grad():
        feats = torch.cat([vit(batch)[-1] for batch in inputs.split(16)])  # (N, C, h, w)
    return feats.permute(0, 2, 3, 1).numpy()


def ridge_fit_predict(train_x, train_y, test_x, alpha=1.0):
    """Closed-form ridge regression with a bias (deterministic: no optimizer, no seed)."""
    mean_x, mean_y = train_x.mean(0), train_y.mean(0)
    x, y = train_x - mean_x, train_y - mean_y
    weights = np.linalg.solve(x.T @ x + alpha * len(x) * np.eye(x.shape[1]), x.T @ y)
    return (test_x - mean_x) @ weights + mean_y


def probe_scores(pred_log_depth, pred_normal, val_depth, val_normal):
    """Depth RMSE (m) / AbsRel and mean normal angle error (degrees) of per-patch predictions."""
    pred_depth = np.exp(pred_log_depth)
    pred_normal = pred_normal / np.linalg.norm(pred_normal, axis=1, keepdims=True).clip(min=1e-6)
    cos = np.clip((pred_normal * val_normal).sum(1), -1, 1)
    return dict(depth_rmse=float(np.sqrt(np.mean((pred_depth - val_depth) ** 2))),
                depth_absrel=float(np.mean(np.abs(pred_depth - val_depth) / val_depth)),
                normal_angle_deg=float(np.degrees(np.arccos(cos)).mean()))


def linear_probes(backbone_ckpt, probe_data):
    (train_img, train_targets), (val_img, val_targets) = probe_data
    feats = [backbone_features(backbone_ckpt, img) for img in (train_img, val_img)]
    (train_depth, train_normal, train_ok), (val_depth, val_normal, val_ok) = train_targets, val_targets
    train_x, val_x = feats[0][train_ok], feats[1][val_ok]
    pred_log_depth = ridge_fit_predict(train_x, np.log(train_depth)[:, None], val_x)[:, 0]
    return probe_scores(pred_log_depth, ridge_fit_predict(train_x, train_normal, val_x), val_depth, val_normal)


def constant_probe(probe_data):
    """The probes' reference: every validation patch gets the training patches' mean (log) depth and mean normal.
    A probe no better than this found no depth / normal information in the features."""
    (_, (train_depth, train_normal, _)), (_, (val_depth, val_normal, _)) = probe_data
    count = len(val_depth)
    return probe_scores(np.full(count, np.log(train_depth).mean()), np.tile(train_normal.mean(0), (count, 1)),
                        val_depth, val_normal)


def load_probe_data(downstream_root, size):
    data = []
    for split in ('train.txt', 'val.txt'):
        images, depths, intrinsics = probe_frames(downstream_root, split, size.probe_frames)
        data.append((images, patch_targets(depths, intrinsics)))
    return data


# --------------------------------------------------------------------------------------------- reports
SCORES = (('mIoU', 'mIoU'), ('objects_mIoU', 'objects mIoU'))  # (run key, table name)


def summarize(runs, probes, size):
    """Per method: (mean, std, n) of every score per data share (``'<score>@<fraction>'``), and its probes."""
    rows = []
    for method in probes:
        row = dict(method=method)
        for score, _ in SCORES:
            for fraction in size.fractions:
                values = [r[score] for r in runs if r['method'] == method and r['fraction'] == fraction]
                row[f'{score}@{fraction:g}'] = (float(np.mean(values)), float(np.std(values)), len(values))
        row.update(probes[method])
        rows.append(row)
    return rows


def probe_cells(scores):
    return [f"{scores['depth_rmse']:.3f}", f"{scores['depth_absrel']:.3f}", f"{scores['normal_angle_deg']:.1f}"]


def markdown_table(rows, size, probe_reference=None):
    """mean ± std mIoU and objects-only mIoU (percent, as mmseg reports it) per method and data share, and the
    probe errors; with ``probe_reference`` a last row holds the constant-prediction probe errors."""
    header = ['method'] + [f'{name}, {f:.0%} of train data' for _, name in SCORES for f in size.fractions] + [
        'depth probe RMSE (m)', 'depth AbsRel', 'normal probe error (°)']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in rows:
        cells = [row['method']]
        for score, _ in SCORES:
            for fraction in size.fractions:
                mean, std, n = row[f'{score}@{fraction:g}']
                cells.append(f'{mean:.1f} ± {std:.1f} (n={n})')
        lines.append('| ' + ' | '.join(cells + probe_cells(row)) + ' |')
    if probe_reference is not None:
        cells = ['constant prediction (probe reference)'] + ['–'] * (len(SCORES) * len(size.fractions)) + \
            probe_cells(probe_reference)
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot(rows, size, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(SCORES), figsize=(9, 3.8), dpi=120)
    for ax, (score, name) in zip(axes, SCORES):
        for row in rows:
            means = [row[f'{score}@{f:g}'][0] for f in size.fractions]
            stds = [row[f'{score}@{f:g}'][1] for f in size.fractions]
            ax.errorbar([100 * f for f in size.fractions], means, yerr=stds, marker='o', capsize=3,
                        label=row['method'])
        ax.set_xscale('log')
        ax.set_xlabel('share of the downstream training images (%)')
        ax.set_ylabel(f'{name} (%)')
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle('Synthetic world: fine-tuned mIoU, all classes and objects only (mean ± std over seeds)',
                 fontsize=10)
    fig.tight_layout()
    tmp_path = f'{path}.tmp{os.getpid()}.png'
    fig.savefig(tmp_path)
    plt.close(fig)
    os.replace(tmp_path, path)


def provenance():
    commit = subprocess.run(['git', 'describe', '--always', '--dirty'], cwd=REPO, capture_output=True,
                            text=True).stdout.strip() or 'unknown'
    return dict(date=time.strftime('%Y-%m-%d'), machine=f'{platform.machine()}, {os.cpu_count()} CPU cores, '
                f'{platform.python_implementation()} {platform.python_version()}', commit=commit)


README_BEGIN, README_END = '<!-- study:begin -->', '<!-- study:end -->'


def rows_from_results(results: dict):
    """(table rows, study size) of a ``results.json``."""
    size_fields = results['meta']['study_size']
    size = StudySize(**dict(size_fields, fractions=tuple(size_fields['fractions'])))
    return summarize(results['runs'], results['probes'], size), size


def readme_section(results: dict) -> str:
    """The README's study block, rebuilt from ``results.json`` so the README always matches the JSON."""
    meta = results['meta']
    rows, size = rows_from_results(results)
    table = markdown_table(rows, size, results.get('probe_reference'))
    return (f'{README_BEGIN}\n**Synthetic, small-scale** (procedural rooms, densely furnished, colour unrelated to '
            f'class; ViT-tiny 6x192, 128x128 input, '
            f'`{meta["size"]}` study size: {size.pretrain_iters} pretraining and {size.finetune_iters} fine-tuning '
            f'iterations, {size.seeds} seeds). Generated {meta["date"]} on {meta["machine"]}, commit '
            f'`{meta["commit"]}`, in {meta["wall_minutes"]:.0f} min by `python tools/benchmarks/study.py '
            f'--size {meta["size"]} --update-readme`; every run is in `docs/study/results.json`. mIoU: ScanNet-20 '
            f'classes on held-out synthetic scenes (objects mIoU: without wall and floor); probes: ridge '
            f'regression on frozen last-block patch tokens (lower is better; the last row predicts the training '
            f'mean). Not comparable to ScanNet numbers.'
            f'\n\n{table}\n\n'
            f'![mIoU vs data fraction](docs/study/miou_vs_fraction.png)\n{README_END}')


def replace_block(text: str, section: str) -> str:
    """Swap the delimited block for ``section``; without one, add it under ``## Results`` (made if missing)."""
    if README_BEGIN in text and README_END in text:
        head, rest = text.split(README_BEGIN, 1)
        return head + section + rest.split(README_END, 1)[1]
    heading = '## Results\n'
    if heading in text:
        head, rest = text.split(heading, 1)
        return f'{head}{heading}\n{section}\n{rest}'
    return f'{text.rstrip()}\n\n{heading}\n{section}\n'


def update_readme(out: Path, readme: Path = REPO / 'README.md'):
    """The finished study in ``out``: its JSON and plot (redrawn from the JSON) to docs/study/, its table into
    the README block."""
    results = json.loads((out / 'results.json').read_text())
    docs = readme.parent / 'docs' / 'study'
    docs.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(str(docs / 'results.json'), (out / 'results.json').read_bytes())
    plot(*rows_from_results(results), docs / 'miou_vs_fraction.png')
    write_text_atomic(str(readme), replace_block(readme.read_text(), readme_section(results)))
    log(f'updated {readme} and {docs}/')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', choices=list(SIZES), default='default',
                        help="'default': 46 min on the 2-core CPU (--jobs 2); 'large': 4x the pretraining, 1.7x the "
                             "fine-tuning; 'medium': fewer iterations; 'quick': smoke")
    parser.add_argument('--quick', action='store_true', help="CI smoke size (= --size quick): minutes, one seed")
    parser.add_argument('--out', default=None, help='work folder (default work_dirs/study[-quick])')
    parser.add_argument('--methods', nargs='+', default=list(METHODS), choices=[*METHODS, *ABLATIONS])
    parser.add_argument('--threads', type=int, default=1, help='torch threads per training run')
    parser.add_argument('--jobs', type=int, default=None,
                        help='training runs side by side (default: CPU cores // --threads)')
    parser.add_argument('--update-readme', action='store_true',
                        help='copy the finished study in --out (results.json, plot) into README.md and docs/study/; '
                             'runs (or resumes) the study first if it has not finished')
    args = parser.parse_args()
    set_threads(args.threads)
    size_name = 'quick' if args.quick else args.size
    size = SIZES[size_name]
    out = Path(args.out or f'work_dirs/study{"" if size_name == "default" else "-" + size_name}').resolve()
    out.mkdir(parents=True, exist_ok=True)
    check_size(out, size_name, size)
    jobs = args.jobs or max(1, (os.cpu_count() or 1) // args.threads)
    if not (args.update_readme and (out / 'results.json').exists()):
        run_study(args.methods, out, size_name, size, jobs, args.threads)
    if args.update_readme:
        update_readme(out)


def set_threads(threads):
    import torch
    torch.set_num_threads(threads)


def run_finetunes(tasks, out: Path, downstream_root: Path, size: StudySize, jobs: int, threads: int):
    """``finetune(*task, ...)`` for every task, ``jobs`` at a time in worker processes; results in task order."""
    if jobs == 1:
        return [finetune(*task, out, downstream_root, size) for task in tasks]
    context = multiprocessing.get_context('spawn')  # fresh interpreters: no forked torch / OpenMP state
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=set_threads, initargs=(threads,)) as pool:
        futures = [pool.submit(finetune, *task, out, downstream_root, size) for task in tasks]
        return [future.result() for future in futures]


def run_study(methods, out: Path, size_name: str, size: StudySize, jobs: int = 1, threads: int = 1):
    pretrain_root, downstream_root = make_datasets(out, size)
    slowest_first = sorted(methods, key=lambda m: not m.startswith('pri3d'))  # Pri3D's step costs 3-5x the others'
    with ThreadPoolExecutor(jobs) as lanes:  # each pretraining is a tools/train.py subprocess
        backbones = dict(zip(slowest_first, lanes.map(lambda m: pretrain(m, out, pretrain_root, size),
                                                      slowest_first)))
    probe_data = load_probe_data(downstream_root, size)
    probes = {method: linear_probes(backbones[method], probe_data) for method in methods}
    tasks = [(method, backbones[method], fraction, seed)
             for method in methods for fraction in size.fractions for seed in range(size.seeds)]
    runs = run_finetunes(tasks, out, downstream_root, size, jobs, threads)

    rows = summarize(runs, probes, size)
    probe_reference = constant_probe(probe_data)
    wall_minutes = (time.time() - (out / 'size.json').stat().st_mtime) / 60  # since the study started
    meta = dict(provenance(), size=size_name, wall_minutes=wall_minutes, jobs=jobs, threads=threads,
                study_size=asdict(size), world=dict(appearance=asdict(STUDY_WORLD['appearance']),
                                                 num_objects=STUDY_WORLD['num_objects']))
    table = markdown_table(rows, size, probe_reference)
    write_text_atomic(str(out / 'results.json'), json.dumps(
        dict(meta=meta, runs=runs, probes=probes, probe_reference=probe_reference), indent=1))
    write_text_atomic(str(out / 'results.md'), table + '\n')
    plot(rows, size, out / 'miou_vs_fraction.png')
    print(table)
    log(f'wrote {osp.relpath(out / "results.md")}, results.json, miou_vs_fraction.png '
        f'in {meta["wall_minutes"]:.1f} min')


if __name__ == '__main__':
    main()
