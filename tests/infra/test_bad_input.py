"""Bad input (data roots, a 0-byte depth file, a config path typo) ends the training tool, also under
tools/dist_train.sh, with one clear line and exit code 2, not a traceback from a worker, a rank or torchrun."""
import pytest

from mask3d_mm.data_prep.synthetic import generate_dataset
from tests.conftest import REPO, run_tool

DEMO_CONFIG = REPO / 'configs/mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py'


def train_on(data_root, work_dir):
    return run_tool(REPO / 'tools/train.py', DEMO_CONFIG, '--work-dir', work_dir, '--cfg-options',
                    f'train_dataloader.dataset.data_root={data_root}', 'train_dataloader.num_workers=2',
                    timeout=120)


def make_unknown_layout(root):
    (root / 'splits').mkdir(parents=True)
    (root / 'splits/train.txt').write_text('scene0000_00\n')
    (root / 'scene0000_00/images').mkdir(parents=True)  # not color/ + depth/
    (root / 'scene0000_00/images/0.jpg').write_bytes(b'not a frame layout')


@pytest.mark.parametrize('case', ['missing', 'empty', 'unknown_layout'])
def test_bad_data_root_is_one_clear_error(tmp_path, case):
    data_root = tmp_path / 'data'
    if case == 'empty':
        data_root.mkdir()
    elif case == 'unknown_layout':
        make_unknown_layout(data_root)
    result = train_on(data_root, tmp_path / 'work')
    assert result.returncode == 2, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith('error: ')]
    assert len(error_lines) == 1, result.stderr[-2000:]
    assert str(data_root) in error_lines[0]


def one_error_line(result):
    """The run ended as the README promises: exit code 2, one ``error:`` line, no traceback; returns the line."""
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert 'Traceback' not in result.stderr and 'ChildFailedError' not in result.stderr, result.stderr[-2000:]
    error_lines = [line for line in result.stderr.splitlines() if line.startswith('error: ')]
    assert len(error_lines) == 1, result.stderr[-2000:]
    return error_lines[0]


def dist_train(config, data_root, work_dir, *cfg_options):
    return run_tool('bash', REPO / 'tools/dist_train.sh', config, 2, '--work-dir', work_dir, '--cfg-options',
                    f'train_dataloader.dataset.data_root={data_root}', *cfg_options, env={'PORT': '29537'},
                    timeout=300)


@pytest.mark.slow  # two ranks importing the stack: ~15 s idle, ~45 s on a busy 2-core machine
@pytest.mark.parametrize('case', ['missing_data_root', 'config_path_typo'])
def test_dist_train_input_error_is_one_line_from_rank_0_before_any_model(tmp_path, case):
    config, data_root = DEMO_CONFIG, tmp_path / 'data'
    if case == 'config_path_typo':
        config, data_root = tmp_path / 'mask3d_vit-tiny_synthetc.py', REPO / 'data/synthetic'
    result = dist_train(config, data_root, tmp_path / 'work')
    assert str(config if case == 'config_path_typo' else data_root) in one_error_line(result)
    assert not (tmp_path / 'work').exists()  # no Runner, hence no model, was built on any rank


@pytest.mark.slow  # ~50 s on a busy 2-core machine: two ranks build the tiny Mask3D and start training
def test_dist_train_empty_depth_file_read_by_one_rank_is_one_line(tmp_path):
    """Only the rank whose sampler draws the 0-byte file meets it, after the process group exists: it prints the
    error; its peer, whose gradient all-reduce loses it, says so in one line (unless torchrun stops it first); the
    launcher adds nothing."""
    data_root = tmp_path / 'data'
    generate_dataset(str(data_root), num_scenes=2, frames_per_scene=8, seed=0, height=60, width=80)
    empty = data_root / 'scene0000_00/depth/4.png'  # frame_skip=2 keeps frames 0, 2, 4, 6 of the train scene
    empty.write_bytes(b'')
    result = dist_train(DEMO_CONFIG, data_root, tmp_path / 'work', 'train_dataloader.batch_size=2',
                        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
                        'train_cfg.max_epochs=1')
    assert str(empty) in one_error_line(result)
