"""The training tools as users run them: resume under torch's safe loading, 2-process CPU DDP, bad configs."""
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from tests.conftest import REPO, run_tool

TOY_CONFIG = REPO / 'tests/fixtures/configs/toy_classifier.py'


@pytest.fixture(scope='module')
def toy_data(tmp_path_factory):
    """Eight 32x32 images in two class folders (mmpretrain CustomDataset layout)."""
    root = tmp_path_factory.mktemp('toy')
    rng = np.random.default_rng(0)
    for label in ('dark', 'bright'):
        (root / label).mkdir()
        for i in range(4):
            base = 60 if label == 'dark' else 190
            img = np.clip(base + rng.normal(0, 20, (32, 32, 3)), 0, 255).astype(np.uint8)
            cv2.imwrite(str(root / label / f'{i}.png'), img)
    return root


def train(work_dir, data_root, *cfg_options, flags=()):
    return run_tool(REPO / 'tools/train.py', TOY_CONFIG, '--work-dir', work_dir, *flags,
                    '--cfg-options', f'train_dataloader.dataset.data_root={data_root}', *cfg_options)


def test_checkpoint_loads_with_safe_loading_and_resume_continues(tmp_path, toy_data):
    result = train(tmp_path, toy_data)
    assert result.returncode == 0, result.stderr[-3000:]
    ckpt = tmp_path / 'epoch_1.pth'
    assert ckpt.exists() and (tmp_path / 'epoch_2.pth').exists()

    # Without the allow-list, torch's default weights_only=True refuses mmengine's checkpoint ...
    bare = subprocess.run([sys.executable, '-c', f'import torch; torch.load({str(ckpt)!r})'],
                          capture_output=True, text=True)
    assert bare.returncode != 0 and 'HistoryBuffer' in bare.stderr
    # ... with it (import mask3d_mm) it loads, still with weights_only=True.
    import mask3d_mm  # noqa: F401
    state = torch.load(ckpt, weights_only=True)
    assert state['meta']['epoch'] == 1
    lr_history = state['message_hub']['log_scalars']['train/lr']
    assert lr_history.current() == pytest.approx(0.01) and lr_history.min() == pytest.approx(0.01)

    result = train(tmp_path, toy_data, 'train_cfg.max_epochs=3', flags=('--resume', ckpt))
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert f'Load checkpoint from {ckpt}' in log
    assert 'resumed epoch: 1' in log
    assert re.search(r'Epoch\(train\)\s+\[2\]', log) and not re.search(r'Epoch\(train\)\s+\[1\]', log)
    assert (tmp_path / 'epoch_3.pth').exists()


def test_dist_train_runs_two_gloo_processes_on_cpu(tmp_path, toy_data):
    result = run_tool('bash', REPO / 'tools/dist_train.sh', TOY_CONFIG, 2, '--work-dir', tmp_path,
                      '--cfg-options', f'train_dataloader.dataset.data_root={toy_data}',
                      'env_cfg.dist_cfg.backend=gloo', 'train_cfg.max_epochs=1',
                      env={'PORT': '29533'})
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert "type='MMDistributedDataParallel'" in log
    # Each rank sees half of the 8 images at batch 2 -> 2 iterations per epoch.
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\]', log), log[-2000:]
    assert (tmp_path / 'epoch_1.pth').exists()


def test_config_without_custom_imports_is_one_clear_error(tmp_path, toy_data):
    config = tmp_path / 'no_imports.py'
    config.write_text(TOY_CONFIG.read_text().replace('custom_imports', '_unused_imports'))
    result = run_tool(REPO / 'tools/train.py', config, '--work-dir', tmp_path)
    assert result.returncode == 2
    assert 'Traceback' not in result.stderr
    assert result.stderr.startswith(f'error: {config}: the config does not import the plugin')
    assert "custom_imports = dict(imports=['mask3d_mm']" in result.stderr
