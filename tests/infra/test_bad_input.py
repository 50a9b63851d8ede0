"""Bad data roots end the training tool with one clear line (exit code 2), not a traceback from a worker."""
import pytest

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
