"""mask3d_mm.utils.launch / cli and tools/dist_run.py, in-process where possible: the one runner builder, input
errors as one line (also per rank), the short console, the TensorBoard switch."""
import logging
import os
import pickle
import re
import subprocess
import sys

import pytest
from mmengine.config import Config

from mask3d_mm.utils import launch
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.errors import ConfigError, DataError
from tests.conftest import REPO, load_tool

from .conftest import TOY_CONFIG


def toy_cfg(data_root, work_dir):
    return launch.load_config(TOY_CONFIG, {'train_dataloader.dataset.data_root': str(data_root),
                                           'work_dir': str(work_dir), 'launcher': 'none',
                                           'train_cfg.max_epochs': 1})


def run_tool_main(tool, argv, monkeypatch):
    """``python tools/<tool> argv`` in this process: its exit code."""
    monkeypatch.setattr(sys, 'argv', [tool, *map(str, argv)])
    try:
        run_cli(load_tool(f'tools/{tool}').main)
    except SystemExit as exit_info:
        return exit_info.code
    return 0


@pytest.mark.parametrize('tool, extra', [('train.py', []), ('test.py', ['model.pth'])])
def test_config_path_typo_is_one_error_line(tool, extra, tmp_path, monkeypatch, capsys):
    typo = tmp_path / 'configs/mask3d/vitb_scanet.py'
    assert run_tool_main(tool, [typo, *extra], monkeypatch) == 2
    assert capsys.readouterr().err == f'error: {typo}: config file not found\n'


def test_config_syntax_error_names_file_and_line(tmp_path):
    config = tmp_path / 'broken.py'
    config.write_text("custom_imports = dict(imports=['mask3d_mm'])\nmodel = dict(type='A'\n")
    with pytest.raises(ConfigError, match=rf"^{config}: syntax error at line 2: '\(' was never closed$"):
        launch.load_config(config)
    child = tmp_path / 'child.py'
    child.write_text(f"_base_ = '{config}'\n")
    with pytest.raises(ConfigError, match=f'^{child}: one of its _base_ configs: syntax error at line 2'):
        launch.load_config(child)


def test_build_runner_checks_the_data_before_building_anything(tmp_path):
    cfg = toy_cfg(tmp_path / 'no-such-root', tmp_path / 'work')
    with pytest.raises(DataError, match=f'train_dataloader.dataset: .*{tmp_path}/no-such-root'):
        launch.build_runner(cfg)
    assert not (tmp_path / 'work').exists()  # the Runner (which makes work_dir, then the model) was never built


def test_build_runner_trains_with_a_short_console(toy_data, tmp_path, capsys):
    runner = launch.build_runner(toy_cfg(toy_data, tmp_path))
    runner.train()
    console = capsys.readouterr().out
    log_file, = tmp_path.glob('*/*.log')
    log = log_file.read_text()
    for file_only in ('System environment:', 'Config:', 'Hooks will be executed in the following order'):
        assert file_only in log and file_only not in console
    assert 'Distributed training: False' in console and f'config and hooks: {log_file}' in console
    assert 'Epoch(train) [1][4/4]' in console
    assert len(console.splitlines()) < 40, console
    assert (tmp_path / 'epoch_1.pth').is_file()


def test_test_config_checks_only_the_test_data(toy_data, tmp_path):
    cfg = toy_cfg(toy_data, tmp_path)
    cfg.test_dataloader = dict(cfg.train_dataloader, dataset=dict(cfg.train_dataloader.dataset,
                                                                  data_root=str(tmp_path / 'no-test-data')))
    launch.check_datasets(cfg, ('train_dataloader', ))
    with pytest.raises(DataError, match='test_dataloader.dataset: .*no-test-data'):
        launch.check_datasets(cfg, ('test_dataloader', ))


def test_later_ranks_stay_quiet_until_they_joined_the_group(monkeypatch, capsys):
    def bad_config():
        raise ConfigError('a.py: bad')
    for rank, expected in (('0', 'error: a.py: bad\n'), ('1', '')):
        monkeypatch.setenv('RANK', rank)
        with pytest.raises(SystemExit) as exit_info:
            run_cli(bad_config)
        assert exit_info.value.code == 2 and capsys.readouterr().err == expected


def test_a_rank_whose_collective_lost_its_peer_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    import torch.distributed as dist

    def raise_(error):
        raise error
    gloo_error = RuntimeError('[gloo/transport/tcp/pair.cc:561] Connection closed by peer [127.0.0.1]:4. GLHF!')
    with pytest.raises(RuntimeError, match='Connection closed'):  # no process group: not a lost peer
        run_cli(lambda: raise_(gloo_error))
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    try:
        monkeypatch.setenv('RANK', '0')
        with pytest.raises(SystemExit) as exit_info:
            run_cli(lambda: raise_(gloo_error))
        assert exit_info.value.code == 1
        expected = 'rank 0 stopped: another rank left the run (gloo: Connection closed by peer)\n'
        assert capsys.readouterr().err == expected
        with pytest.raises(RuntimeError, match='out of memory'):  # any other failure keeps its traceback
            run_cli(lambda: raise_(RuntimeError('out of memory')))
    finally:
        dist.destroy_process_group()


def run_dist(child_code, tmp_path):
    """tools/dist_run.py (torchrun) on 2 processes of a tiny child script."""
    child = tmp_path / 'child.py'
    child.write_text(child_code)
    return subprocess.run([sys.executable, REPO / 'tools/dist_run.py', '2', child], capture_output=True, text=True,
                          env={**os.environ, 'PORT': '0'}, timeout=120)


def test_dist_run_turns_an_input_error_on_the_ranks_into_one_exit_code_2(tmp_path):
    result = run_dist('import os, sys\n'
                      "if os.environ['RANK'] == '0':\n    print('error: data/x: missing', file=sys.stderr)\n"
                      'sys.exit(2)\n', tmp_path)
    assert result.returncode == 2
    assert result.stderr == 'error: data/x: missing\n'


def test_dist_run_reports_other_failures_as_torchrun_does(tmp_path):
    result = run_dist('import sys\nsys.exit(3)\n', tmp_path)
    assert result.returncode == 1
    assert 'ChildFailedError' in result.stderr and 'exitcode  : 3' in result.stderr
    assert 'failed (exitcode: 3)' in result.stderr  # torchrun's own log line, held back, then released


def test_tensorboard_switch_adds_the_backend_next_to_the_local_one(monkeypatch):
    monkeypatch.setattr(launch.importlib.util, 'find_spec', lambda name: object())
    cfg = Config(dict(visualizer=dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])))
    launch.add_tensorboard(launch.add_tensorboard(cfg))  # twice: still one TensorBoard backend
    assert [b['type'] for b in cfg.visualizer.vis_backends] == ['LocalVisBackend', 'TensorboardVisBackend']
    bare = launch.add_tensorboard(Config(dict()))
    assert [b['type'] for b in bare.visualizer.vis_backends] == ['LocalVisBackend', 'TensorboardVisBackend']


def test_tensorboard_flag_without_the_package_is_one_error_line(tmp_path, monkeypatch, capsys):
    real_find_spec = launch.importlib.util.find_spec
    monkeypatch.setattr(launch.importlib.util, 'find_spec',  # an environment without tensorboard
                        lambda name, *args: None if name == 'tensorboard' else real_find_spec(name, *args))
    assert run_tool_main('train.py', [TOY_CONFIG, '--work-dir', tmp_path, '--tensorboard'], monkeypatch) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: --tensorboard needs the `tensorboard` package') and err.count('\n') == 1


def test_tensorboard_flag_writes_event_files_next_to_scalars_json(toy_data, tmp_path, monkeypatch):
    code = run_tool_main('train.py', [TOY_CONFIG, '--work-dir', tmp_path, '--tensorboard', '--cfg-options',
                                      f'train_dataloader.dataset.data_root={toy_data}', 'train_cfg.max_epochs=1'],
                         monkeypatch)
    assert code == 0
    vis_data, = tmp_path.glob('*/vis_data')
    assert (vis_data / 'scalars.json').is_file()
    events, = vis_data.glob('events.out.tfevents.*')
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    assert len(accumulator.Scalars('loss')) == 4  # 8 images / batch 2, logged every iteration


def test_file_only_records_keep_other_records():
    keep = logging.LogRecord('x', logging.INFO, __file__, 1, 'Epoch(train) [1][1/4]', None, None)
    drop = logging.LogRecord('x', logging.INFO, __file__, 1, 'Config:\nmodel = ...', None, None)
    assert launch.FileOnlyRecords().filter(keep) and not launch.FileOnlyRecords().filter(drop)


def test_test_tool_evaluates_a_trained_checkpoint(toy_data, tmp_path, monkeypatch, capsys):
    launch.build_runner(toy_cfg(toy_data, tmp_path / 'train')).train()
    config = tmp_path / 'toy_test.py'
    config.write_text(f"_base_ = '{TOY_CONFIG}'\n"
                      "test_dataloader = dict(batch_size=2, num_workers=0, sampler=dict(type='DefaultSampler'),\n"
                      f"    dataset=dict(type='CustomDataset', data_root='{toy_data}',\n"
                      "                 pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))\n"
                      "test_cfg = dict()\ntest_evaluator = dict(type='Accuracy')\n")
    capsys.readouterr()
    code = run_tool_main('test.py', [config, tmp_path / 'train/epoch_1.pth', '--work-dir', tmp_path / 'test',
                                     '--out', tmp_path / 'preds.pkl'], monkeypatch)
    assert code == 0
    out = capsys.readouterr().out
    assert f"Load checkpoint from {tmp_path / 'train/epoch_1.pth'}" in out
    assert re.search(r"\{'accuracy/top1': [0-9.]+\}", out)
    assert len(pickle.loads((tmp_path / 'preds.pkl').read_bytes())) == 8  # one prediction per image
