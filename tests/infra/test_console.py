"""The console of a short training run shows what a user acts on; the rest reaches the log file only: the optimizer
constructor's per-parameter lines, the frozen sin-cos ``pos_embed`` notes, mmengine's FileClient deprecation
notices, and the ``dist_cfg`` of a single-process run. ``--resume`` into a work dir without a checkpoint says once
that training starts from scratch."""
import re

from mask3d_mm.data_prep.synthetic import generate_dataset
from tests.conftest import REPO, run_tool

from .test_bad_input import DEMO_CONFIG

FILE_ONLY = ('paramwise_options -- ', 'is skipped since its requires_grad=False', '"FileClient" will be deprecated',
             '"HardDiskBackend" is the alias')
FRESH_START = 'no checkpoint in {} yet (no last_checkpoint file): training starts from scratch'


def test_short_run_console_has_no_per_parameter_or_deprecation_lines_and_the_log_file_has_them(tmp_path):
    data_root, work_dir = tmp_path / 'world', tmp_path / 'work'
    generate_dataset(str(data_root), num_scenes=2, frames_per_scene=8, seed=0, height=60, width=80)
    result = run_tool(REPO / 'tools/train.py', DEMO_CONFIG, '--work-dir', work_dir, '--resume', '--cfg-options',
                      f'train_dataloader.dataset.data_root={data_root}', 'train_dataloader.batch_size=2',
                      'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
                      'train_cfg.max_epochs=1', timeout=300)
    console = result.stdout + result.stderr
    assert result.returncode == 0, console[-3000:]
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\]', console) and (work_dir / 'epoch_1.pth').exists()
    for line in FILE_ONLY:
        assert line not in console, line
    assert 'dist_cfg' not in console and 'seed: 0' in console  # the runtime block, without the unused backend
    assert 'Did not find last_checkpoint' not in console and 'latest checkpoint None' not in console
    assert console.count(FRESH_START.format(work_dir)) == 1
    log_file, = work_dir.glob('*/*.log')
    log = log_file.read_text()
    assert log.count('paramwise_options -- ') >= 50  # tiny ViT: weight decay 0 for norms, biases, tokens
    for line in FILE_ONLY[1:]:
        assert line in log, line
    assert FRESH_START.format(work_dir) in log and "dist_cfg=dict(backend='gloo')" in log
