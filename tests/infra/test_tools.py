"""The training tools as users run them: resume under torch's safe loading, 2-process CPU DDP, bad configs."""
import os
import re
import shutil
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO, run_tool

from .conftest import TOY_CONFIG


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
    assert 'System environment:' not in log and 'Config:' not in log  # the long start-up records: log file only
    log_file, = tmp_path.glob('*/*.log')
    assert "type='MMDistributedDataParallel'" in log_file.read_text()
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


def stub_python(path, name):
    """An executable that prints its name and arguments instead of running Python."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho {name} "$@"\n')
    path.chmod(0o755)
    return path


@pytest.mark.parametrize('script, args, launched', [
    ('dist_train.sh', ['a.py', '2', '--amp'], '2 {root}/tools/train.py a.py --launcher pytorch --amp'),
    ('dist_test.sh', ['a.py', 'b.pth', '2'], '2 {root}/tools/test.py a.py b.pth --launcher pytorch')],
    ids=['dist_train', 'dist_test'])
def test_dist_scripts_use_the_project_venv_unless_python_is_set(tmp_path, script, args, launched):
    (tmp_path / 'tools').mkdir()
    shutil.copy(REPO / 'tools' / script, tmp_path / 'tools')
    stub_python(tmp_path / '.venv/bin/python', 'venv')
    env = {key: value for key, value in os.environ.items() if key != 'PYTHON'}
    env['PATH'] = '/usr/bin:/bin'  # no python of ours on PATH: without .venv it would fail to import torch
    launch = f'{{python}} {tmp_path}/tools/dist_run.py ' + launched.format(root=tmp_path) + '\n'

    def run(**extra_env):
        return subprocess.run(['bash', tmp_path / 'tools' / script, *args], env={**env, **extra_env},
                              capture_output=True, text=True, check=True).stdout
    assert run() == launch.format(python='venv')
    assert run(PYTHON=str(stub_python(tmp_path / 'mine/python', 'mine'))) == launch.format(python='mine')
