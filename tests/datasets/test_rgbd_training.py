"""What converted captures feed: Pri3D pairs on a posed sequence whose overlaps are known (and a refusal for an
unposed one), a Mask3D run over converted frames, and the mixed ScanNet + other-source config's synthetic twin."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mask3d_mm.formats.pri3d_pairs import parse_pair_line
from mask3d_mm.utils.cli import run_cli
from tests.conftest import REPO, load_tool
from tests.helpers import rgbd_writers as writers
from tests.mask3d.conftest import SMALL_GRID_MASKING, tiny_config

convert = load_tool('tools/data/rgbd/convert.py')
mine_pairs = load_tool('tools/data/scannet/mine_pairs.py')
TWIN = REPO / 'configs/mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic-mixed.py'
REAL = REPO / 'configs/mask3d/mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet-tum.py'

# A fronto-parallel plane 2.01 m away seen by a 64x48 camera (fx = 32): 4.02 m of it across the image; the camera
# slides 1.2 m along x per frame, so frames i, j share 1 - 1.2 |i - j| / 4.02 of their view.
PLANE_DEPTH, FX, STEP, WIDTH, HEIGHT = 2.01, 32.0, 1.2, 64, 48
VIEW_WIDTH = PLANE_DEPTH * WIDTH / FX


def run_convert(*args):
    convert.main([*map(str, args), '--no-progress'])


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """One root: a posed TUM sequence over the plane (5 frames) and an unposed plain folder (4 frames)."""
    root = tmp_path_factory.mktemp('rgbd')
    motion = writers.Motion(start=np.zeros(3), velocity=np.array([STEP * 30.0, 0, 0]), rotvec_per_s=np.zeros(3))
    tum = writers.write_tum(root / 'src', writers.plane_frames(5, WIDTH, HEIGHT, PLANE_DEPTH), motion,
                            depth_time_offset=0.0)
    run_convert('--format', 'tum', '--src', tum, '--out', root / 'frames', '--scene-id', 'plane',
                '--intrinsics', FX, FX, (WIDTH - 1) / 2, (HEIGHT - 1) / 2)
    folder = writers.write_folder(root / 'src', writers.random_frames(4, color_hw=(48, 64), seed=7))
    run_convert('--format', 'folder', '--src', folder, '--out', root / 'frames', '--scene-id', 'unposed',
                '--depth-scale', 1000, '--intrinsics', FX, FX, 31.5, 23.5)
    return root / 'frames'


def test_mine_pairs_finds_the_known_overlaps_of_a_converted_sequence(converted, tmp_path):
    (converted / 'splits' / 'posed.txt').write_text('plane\n')
    out = tmp_path / 'pri3d' / 'pairs.txt'
    mine_pairs.main(['--frames-root', str(converted), '--split', 'posed', '--out', str(out)])
    with open(out) as f:
        mined = {(fi, fj): overlap for _, fi, fj, overlap in map(parse_pair_line, f)}
    expected = {(i, j): 1 - STEP * (j - i) / VIEW_WIDTH for i in range(5) for j in range(i + 1, 5)}
    assert set(mined) == {pair for pair, overlap in expected.items() if overlap >= 0.3}  # |i - j| <= 2
    for pair, overlap in mined.items():  # the 5 cm voxel match widens each view by ~1.5 voxels
        assert expected[pair] <= overlap <= expected[pair] + 0.06, pair


def test_mine_pairs_refuses_a_scene_without_poses(converted, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(lambda: mine_pairs.main(['--frames-root', str(converted), '--out', str(tmp_path / 'pairs.txt')]))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count('\n') == 1
    assert err.startswith(f'error: {converted / "unposed" / "pose"}: no such folder: scene unposed has no camera')
    assert writers.tree_files(tmp_path) == []


def short_run(cfg: Config, work_dir, iters=2) -> Runner:
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.custom_hooks, cfg.log_level = [], 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_mask3d_trains_on_converted_frames(converted, tmp_path):
    """Posed and unposed scenes alike: Mask3D reads colour + depth only."""
    runner = short_run(tiny_config(64, str(converted)), tmp_path)
    assert len(runner.train_dataloader.dataset) == 5 + 4
    assert runner.iter == 2 and osp.isfile(tmp_path / 'iter_2.pth')
    assert np.isfinite(runner.message_hub.get_scalar('train/loss').current())


@pytest.fixture(scope='module')
def scannet_like(tmp_path_factory):
    """The layout extract_sens.py writes (2 scenes x 4 frames), ScanNet's stand-in."""
    from tests.mask3d.conftest import write_frames
    root = tmp_path_factory.mktemp('scannet_like')
    write_frames(str(root))
    return root


def test_real_mixed_config_concatenates_scannet_and_the_converted_root(scannet_like, converted):
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(str(REAL))
    scannet_cfg, tum_cfg = cfg.train_dataloader.dataset.datasets
    assert (scannet_cfg.data_root, tum_cfg.data_root) == ('data/scannet/', 'data/tum/')
    assert {k: v for k, v in tum_cfg.items() if k != 'data_root'} == {k: v for k, v in scannet_cfg.items()
                                                                      if k != 'data_root'}
    scannet_cfg.data_root, tum_cfg.data_root = str(scannet_like), str(converted)
    init_default_scope('mmpretrain')
    mixed = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(mixed) == 8 + 9
    last = mixed[len(mixed) - 1]  # the converted root's last frame, through the ViT-B pipeline
    assert last['data_samples'].frame_id == 3 and tuple(last['inputs'].shape) == (3, 224, 224)


def test_mixed_twin_trains_on_two_roots(scannet_like, converted, tmp_path):
    cfg = Config.fromfile(str(TWIN))
    for dataset, root in zip(cfg.train_dataloader.dataset.datasets, (scannet_like, converted)):
        dataset.update(data_root=str(root), frame_skip=1)
        dataset.pipeline[1].scale = 64
    cfg.merge_from_dict({'model.backbone.img_size': 64, **SMALL_GRID_MASKING})
    runner = short_run(cfg, tmp_path / 'work')
    assert [len(d) for d in runner.train_dataloader.dataset.datasets] == [8, 9]
    assert runner.iter == 2 and np.isfinite(runner.message_hub.get_scalar('train/loss').current())
