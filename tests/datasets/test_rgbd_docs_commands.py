"""The commands of the docs' "Other RGB-D sources" section, each run as written from a scratch repository root
whose ``data/raw/`` holds captures written by tests/helpers/rgbd_writers.py at the paths the commands name.

The converters run in this process (``main`` of the tool with the command's own arguments: each fresh interpreter
costs seconds of imports); the twin's chain, which trains, runs in subprocesses as a user types it (slow).
"""
import shlex
import subprocess
import sys

import numpy as np
import pytest

from mask3d_mm.formats import frame_layout
from tests.conftest import REPO, load_tool
from tests.helpers import rgbd_writers as writers

COMMANDS = dict(
    tum='python tools/data/rgbd/convert.py --format tum --src data/raw/tum/rgbd_dataset_freiburg1_desk '
        'data/raw/tum/rgbd_dataset_freiburg3_long_office_household --out data/tum --frame-skip 25 --workers 2',
    tum_pairs='python tools/data/scannet/mine_pairs.py --frames-root data/tum --out data/tum/pri3d/pairs.txt',
    redwood='python tools/data/rgbd/convert.py --format redwood --src data/raw/redwood/livingroom1 --out data/redwood '
            '--frame-skip 25',
    arkitscenes='python tools/data/rgbd/convert.py --format arkitscenes '
                '--src data/raw/arkitscenes/raw/Training/41069021 --out data/arkitscenes --frame-skip 50',
    folder='python tools/data/rgbd/convert.py --format folder --src data/raw/my_capture --out data/my_capture '
           '--depth-scale 1000 --intrinsics 525 525 319.5 239.5',
)
TWIN_CHAIN = [
    'python tools/data/make_synthetic.py --out data/synthetic --scenes 2 --frames 20 --seed 0',
    'python tools/data/rgbd/convert.py --format folder --src data/synthetic/scene0001_00 --out data/synthetic_folder '
    '--depth-scale 1000 --intrinsics data/synthetic/scene0001_00/intrinsic/intrinsic_color.txt',
    'python tools/train.py configs/mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic-mixed.py '
    '--cfg-options train_cfg.max_epochs=1',
]
NOT_RUN = {
    'bash tools/dist_train.sh configs/mask3d/mask3d_vit-base-p16_8xb64-amp-coslr-800e_scannet-tum.py 8':
        'needs 8 GPUs, ScanNet and TUM (its synthetic twin runs in TWIN_CHAIN)',
}
MOTION = writers.Motion(start=np.zeros(3), velocity=np.array([0.3, 0.0, 0.1]), rotvec_per_s=np.array([0, 0.2, 0]))


def run_in(root, monkeypatch, command):
    argv = shlex.split(command)
    assert argv[0] == 'python'
    monkeypatch.chdir(root)
    load_tool(argv[1]).main(argv[2:] + ['--no-progress'] if 'convert.py' in argv[1] else argv[2:])


def kept(scene_dir):
    return [int(s) for s in frame_layout.frame_stems(str(scene_dir / 'color'), '.jpg')]


@pytest.fixture
def root(tmp_path):
    return tmp_path


def test_tum_command_then_pairs(root, monkeypatch):
    raw = root / 'data/raw/tum'
    for seed, name in enumerate(('rgbd_dataset_freiburg1_desk', 'rgbd_dataset_freiburg3_long_office_household')):
        writers.write_tum(raw, writers.random_frames(60, seed=seed), MOTION, name=name)
    run_in(root, monkeypatch, COMMANDS['tum'])
    scenes = frame_layout.read_scene_list(str(root / 'data/tum/splits/train.txt'))
    assert scenes == ['rgbd_dataset_freiburg1_desk', 'rgbd_dataset_freiburg3_long_office_household']
    assert all(kept(root / 'data/tum' / s) == [0, 25, 50] for s in scenes)
    run_in(root, monkeypatch, COMMANDS['tum_pairs'])
    assert (root / 'data/tum/pri3d/pairs.txt').is_file()
    assert all((root / 'data/tum/pri3d/chunks' / f'{s}.npz').is_file() for s in scenes)


def test_redwood_command(root, monkeypatch):
    frames = writers.random_frames(30)
    writers.write_redwood(root / 'data/raw/redwood', frames, writers.intrinsics(30, 30, 15.5, 11.5),
                          [MOTION.pose(f.time) for f in frames], name='livingroom1')
    run_in(root, monkeypatch, COMMANDS['redwood'])
    assert kept(root / 'data/redwood/livingroom1') == [0, 25]
    assert (root / 'data/redwood/livingroom1/pose/25.txt').is_file()


def test_arkitscenes_command(root, monkeypatch):
    frames = writers.random_frames(120, rate=60.0, jitter=0.0)
    writers.write_arkitscenes(root / 'data/raw/arkitscenes/raw/Training', frames,
                              writers.intrinsics(28, 28, 16, 12), MOTION)
    run_in(root, monkeypatch, COMMANDS['arkitscenes'])
    assert kept(root / 'data/arkitscenes/41069021') == [0, 50, 100]


def test_folder_command(root, monkeypatch):
    writers.write_folder(root / 'data/raw', writers.random_frames(3), name='my_capture')
    run_in(root, monkeypatch, COMMANDS['folder'])
    scene = root / 'data/my_capture/my_capture'
    assert kept(scene) == [0, 1, 2] and not (scene / 'pose').exists()
    K = frame_layout.read_matrix(frame_layout.intrinsic_path(str(scene)))
    assert K[0, 0] == K[1, 1] == 525 and (K[0, 2], K[1, 2]) == (319.5, 239.5)


@pytest.mark.slow
def test_twin_chain_as_typed(tmp_path):
    """make_synthetic -> convert.py (folder) -> tools/train.py on the mixed twin, 1 epoch, fresh interpreters."""
    for name in ('configs', 'tools'):
        (tmp_path / name).symlink_to(REPO / name)
    env = {'PYTHONPATH': str(REPO), 'OMP_NUM_THREADS': '1', 'PATH': '/usr/bin:/bin'}
    for command in TWIN_CHAIN:
        argv = [sys.executable] + shlex.split(command)[1:]
        proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, command + '\n' + proc.stdout[-2000:] + proc.stderr[-3000:]
    assert (tmp_path / 'work_dirs/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic-mixed/epoch_1.pth').is_file()
