"""``tools/train.py CONFIG --smoke`` as a user types it, for every real config of configs/mask3d, configs/pri3d and
configs/finetune (enumerated from the folders: a new config is in the sweep the day it is added).

The runs start in a user's folder whose ``data/`` holds each dataset in its own layout (ScanNet frames with Pri3D
pairs and chunks, the fine-tuning ScanNet root with COCO json and data-efficient splits, NYUv2, Cityscapes, TUM as
frames), made from a small synthetic world, so every config reads its own relative ``data_root``. Each run must
train: finite losses, a learning rate at every smoke iteration within 100x of the config's (not the ~1e-9 of an
unscaled warm-up), its checkpoint written, and validation at the end where the config validates. One config per
model family runs by default; ``make slow`` runs them all.
"""
import json
import math
import os
import shlex
import shutil
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mask3d_mm.engine import smoke
from tests.conftest import REPO, run_tool

CONFIG_DIRS = ('configs/mask3d', 'configs/pri3d', 'configs/finetune', 'configs/finetune/data_efficient')
DEFAULT = {  # one per model family
    'configs/mask3d/vitb_scannet.py': 'Mask3D',
    'configs/pri3d/pri3d-view_resnet18-unet_8xb8_scannet.py': 'Pri3D',
    'configs/finetune/upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py': 'EncoderDecoder',
    'configs/finetune/mask-rcnn_r50-pri3d_fpn_1x_nyuv2.py': 'MaskRCNN',
}
# What docs/get_started.md prints; the Mask3D default run is its example, typed as written in the user's folder
DOCS_COMMAND = 'python tools/train.py configs/mask3d/vitb_scannet.py --smoke'
TABLE_COMMAND = 'python tools/train.py CONFIG --smoke'
CHUNK_VOXEL_SIZE = 0.08  # Pri3D chunks coarser than the tool's 2 cm: the same code paths, fewer voxels


def real_configs():
    """Every config file of ``CONFIG_DIRS`` that reads real data (the synthetic demos and twins read
    data/synthetic and have their own tests)."""
    return sorted(str(path.relative_to(REPO)) for folder in CONFIG_DIRS for path in (REPO / folder).glob('*.py')
                  if 'synthetic' not in path.name)


@pytest.fixture(scope='module')
def user_dir(tmp_path_factory):
    """A folder with ``data/{scannet,scannet_frames_25k,nyuv2,cityscapes,tum}`` in the configs' layouts, and the
    checkout's ``configs`` and ``tools`` (so the docs' relative paths work from it)."""
    from mask3d_mm.data_prep.pair_mining import merge_pair_files, process_scene
    from mask3d_mm.data_prep.synthetic import generate_dataset
    from tests.finetune.tiny_roots import LAYOUT_WRITERS
    user = tmp_path_factory.mktemp('smoke_user')
    world, data = user / 'world', user / 'data'
    scene_ids = generate_dataset(str(world), num_scenes=3, frames_per_scene=4, seed=0, height=96, width=128)
    data.mkdir()
    for layout, folder in (('scannet', 'scannet_frames_25k'), ('nyuv2', 'nyuv2'), ('cityscapes', 'cityscapes')):
        LAYOUT_WRITERS[layout](str(world), str(data / folder))
    frames = data / 'scannet'
    shutil.copytree(world, frames)
    for scene_id in scene_ids:
        process_scene(str(frames), scene_id, str(frames / 'pri3d'), min_overlap=0.3, frame_skip=1,
                      chunk_voxel_size=CHUNK_VOXEL_SIZE)
    assert merge_pair_files(str(frames / 'pri3d'), scene_ids, str(frames / 'pri3d/pairs.txt')) > 0
    os.symlink('scannet', data / 'tum')
    for folder in ('configs', 'tools'):
        os.symlink(REPO / folder, user / folder)
    return user


def scalars(work_dir: Path) -> list:
    (path,) = work_dir.glob('*/vis_data/scalars.json')
    return [json.loads(line) for line in path.read_text().splitlines()]


def documented(command):
    """The command, after checking that docs/get_started.md shows it as written."""
    page = (REPO / 'docs/get_started.md').read_text()
    assert f'`{command}`' in page or f'\n{command}\n' in page, f'docs/get_started.md does not show: {command}'
    return command


def check_smoke_run(config, user_dir, tmp_path):
    """``--smoke`` on ``config`` from ``user_dir``: the docs' example as written for it, else with a work dir."""
    name = Path(config).stem
    if config in DOCS_COMMAND:
        argv, work_dir = shlex.split(documented(DOCS_COMMAND))[1:], user_dir / smoke.WORK_ROOT / name
    else:
        work_dir = tmp_path / 'work'
        argv = ['tools/train.py', config, '--smoke', '--work-dir', work_dir]
    shutil.rmtree(work_dir, ignore_errors=True)
    result = run_tool(*argv, cwd=user_dir, env=dict(OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-3000:]
    first_line = result.stdout.splitlines()[0]
    assert f'smoke run of {name}: tiny ' in first_line and f'{smoke.ITERS} iterations' in first_line

    lines = scalars(work_dir)
    train = [line for line in lines if 'loss' in line]
    assert [line['iter'] for line in train] == list(range(1, smoke.ITERS + 1))
    assert all(math.isfinite(line['loss']) for line in train)
    config_lr = Config.fromfile(REPO / config).optim_wrapper.optimizer.lr
    lrs = [line.get('base_lr', line['lr']) for line in train]  # base_lr: the largest group's (layer decay)
    assert all(config_lr / 100 <= lr <= config_lr for lr in lrs), lrs

    checkpoint = torch.load(work_dir / f'iter_{smoke.ITERS}.pth', map_location='cpu', weights_only=False)
    assert checkpoint['meta']['iter'] == smoke.ITERS and checkpoint['state_dict']
    validated = 'validation on' in first_line
    assert validated == ('val_cfg' in Config.fromfile(REPO / config))
    assert any('loss' not in line and 'lr' not in line for line in lines) == validated  # the val metrics' line


@pytest.mark.parametrize('config', sorted(DEFAULT))
def test_smoke_run_of_one_config_per_family(config, user_dir, tmp_path):
    check_smoke_run(config, user_dir, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize('config', [c for c in real_configs() if c not in DEFAULT])
def test_smoke_run_of_every_real_config(config, user_dir, tmp_path):
    check_smoke_run(config, user_dir, tmp_path)


def test_default_runs_cover_every_family_and_smoke_rewrites_every_real_config():
    """Every real config's model type has a smoke family (a new one that has none fails here, in the default
    suite), and the default runs cover each family once."""
    documented(TABLE_COMMAND)
    configs = real_configs()
    assert len(configs) > 50 and set(DEFAULT) <= set(configs)
    assert sorted(DEFAULT.values()) == sorted(smoke.FAMILIES)
    for config in configs:
        cfg, summary = smoke.smoke_config(Config.fromfile(REPO / config))
        assert cfg.model.type in smoke.FAMILIES and cfg.train_cfg.max_iters == smoke.ITERS, config
        assert cfg.train_dataloader.batch_size == smoke.BATCH_SIZE and cfg.model.backbone.init_cfg is None
        assert summary.startswith(f'smoke run of {Path(config).stem}')


@pytest.mark.parametrize('scheduler, epoch_run, expected', [
    # Mask3D: a 40-epoch warm-up of 800 from 1e-4 x lr -> two iterations from 0.1 x lr
    (dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=40, convert_to_iter_based=True), True,
     dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2)),
    # a cosine without an end (the Runner's: the run's end) ends one past the last iteration
    (dict(type='CosineAnnealingLR', by_epoch=True, begin=0, convert_to_iter_based=True), True,
     dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=smoke.ITERS + 1)),
    # mmdet's warm-up in iterations of an epoch run, and its epoch milestones 8 and 11 of 12
    (dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500), True,
     dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2)),
    (dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[8, 11], gamma=0.1), True,
     dict(type='MultiStepLR', by_epoch=False, begin=0, end=smoke.ITERS + 1, milestones=[3, 5], gamma=0.1)),
    # Pri3D: StepLR every 1000 of 60000 iterations -> every iteration
    (dict(type='StepLR', step_size=1000, gamma=0.99, by_epoch=False), False,
     dict(type='StepLR', step_size=1, gamma=0.99, by_epoch=False, begin=0, end=smoke.ITERS + 1)),
])
def test_schedulers_are_mapped_onto_the_smoke_iterations(scheduler, epoch_run, expected):
    length = 12 if scheduler['type'] == 'MultiStepLR' else 800 if epoch_run else 60000
    assert dict(smoke.scale_scheduler(scheduler, smoke.ITERS / length, epoch_run)) == expected
