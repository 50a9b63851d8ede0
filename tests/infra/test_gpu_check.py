"""tools/benchmarks/gpu_check.py: its CPU form runs as a user types it (so the GPU check cannot rot), a machine
without CUDA gets one error line, and docs/benchmarks.md's GPU table is what the committed JSON says (or says that
nothing was measured)."""
import json
import math
import re
import subprocess

import pytest
import torch

from mask3d_mm.utils.errors import ConfigError
from tests.conftest import REPO, load_tool, run_tool

TOOL = 'tools/benchmarks/gpu_check.py'
NUMBERS = ('ms_per_step', 'samples_per_s', 'peak_memory_mib', 'loss')


@pytest.fixture(scope='module')
def gpu_check():
    return load_tool(TOOL)


def test_cpu_tiny_run_writes_every_check_with_finite_numbers(gpu_check, tmp_path):
    out = tmp_path / 'results' / 'gpu_check.json'
    proc = run_tool(TOOL, '--device', 'cpu', '--tiny', '--out', out, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert [p.name for p in out.parent.iterdir()] == ['gpu_check.json']  # no temporary left beside it
    assert report['schema'] == gpu_check.SCHEMA and report['mode'] == 'tiny' and report['device']['type'] == 'cpu'
    entries = {e['name']: e for e in report['entries']}
    assert list(entries) == gpu_check.ENTRY_NAMES
    for name, entry in entries.items():
        if name == 'pri3d-r50-spconv':  # spconv has no CPU backward: skipped, and the JSON says why
            assert entry['status'] == 'skipped' and 'spconv' in entry['reason']
            continue
        assert entry['status'] == 'ok', entry
        assert name in proc.stdout  # the printed table has a row for it
        if name == 'torchrun-nccl-demo':
            assert entry['backend'] == 'gloo' and entry['iterations'] >= 2 and math.isfinite(entry['loss'])
            assert math.isfinite(entry['ms_per_step']) and entry['batch'] == 4  # from mmengine's scalars.json
            continue
        assert all(math.isfinite(entry[key]) and entry[key] > 0 for key in NUMBERS[:3]), entry
        assert math.isfinite(entry['loss'])
    assert entries['pri3d-r50-torch']['voxels'] > 0 and entries['pri3d-r50-torch']['backend'] == 'torch'
    tokens = {name: entries[name]['visible_rgb_tokens'] for name in
              ('mae-vitb', 'mask3d-vitb-equal-tokens', 'mask3d-vitb-default-masking')}
    assert tokens['mae-vitb'] == tokens['mask3d-vitb-equal-tokens'] < tokens['mask3d-vitb-default-masking']
    assert entries['mae-vitb']['step_time_vs_mae'] == 1.0


@pytest.mark.skipif(torch.cuda.is_available(), reason='this machine has a CUDA device')
def test_without_cuda_it_stops_with_one_error_line(tmp_path):
    out = tmp_path / 'gpu_check.json'
    proc = run_tool(TOOL, '--out', out)
    assert proc.returncode == 2
    assert proc.stderr.strip().count('\n') == 0 and proc.stderr.startswith('error: --device cuda: no CUDA device')
    assert not out.exists()


def test_only_a_full_cuda_run_may_update_the_docs(gpu_check):
    for argv in (['--tiny', '--update-docs'], ['--device', 'cpu', '--update-docs']):
        with pytest.raises(ConfigError, match='--update-docs'):
            gpu_check.parse_args(argv)


def fake_report(gpu_check, mode, kind):
    entry = dict(name='mask3d-vitb', status='ok', batch=64, input='224x224', ms_per_step=250.0,
                 samples_per_s=256.0, peak_memory_mib=30000.0, loss=1.5)
    return dict(schema=gpu_check.SCHEMA, date='2027-01-02T03:04:05+00:00', mode=mode, amp='AmpOptimWrapper',
                memory_measure='MiB', entries=[entry],
                device=dict(type=kind, name='NVIDIA H200', memory_mib=143771, torch='2.11.0', cuda='13.0'))


def test_docs_gpu_table_is_generated_from_a_full_cuda_run_only(gpu_check):
    assert gpu_check.docs_block(None) == gpu_check.NOT_MEASURED
    assert gpu_check.docs_block(fake_report(gpu_check, 'tiny', 'cpu')) == gpu_check.NOT_MEASURED
    assert gpu_check.docs_block(fake_report(gpu_check, 'full', 'cpu')) == gpu_check.NOT_MEASURED
    block = gpu_check.docs_block(fake_report(gpu_check, 'full', 'cuda'))
    assert block.startswith('**GPU**, NVIDIA H200') and '2027-01-02' in block
    assert '| mask3d-vitb | 64 | 224x224 | ok | 250 | 256.0 | 30000 | 1.500 |  |' in block.splitlines()


def test_docs_page_shows_the_committed_gpu_run(gpu_check):
    page = (REPO / 'docs' / 'benchmarks.md').read_text()
    shown = re.search(re.escape(gpu_check.DOCS_BEGIN) + r'\n(.*)\n' + re.escape(gpu_check.DOCS_END), page, re.S)
    assert shown, 'docs/benchmarks.md lost its gpu-check markers'
    assert shown.group(1) == gpu_check.docs_block(gpu_check.committed_report())


def test_update_docs_rewrites_only_the_marked_block(gpu_check, tmp_path):
    page = tmp_path / 'benchmarks.md'
    page.write_text(f'# B\n\nbefore\n{gpu_check.DOCS_BEGIN}\nold\n{gpu_check.DOCS_END}\nafter\n')
    gpu_check.update_docs(fake_report(gpu_check, 'full', 'cuda'), page=str(page))
    text = page.read_text()
    assert text.startswith('# B\n\nbefore\n') and text.endswith(f'{gpu_check.DOCS_END}\nafter\n')
    assert 'old' not in text and '| mask3d-vitb | 64 |' in text


def test_prepare_wheels_dry_run_lists_the_pinned_stack_without_downloading(tmp_path):
    out = tmp_path / 'wheels'
    proc = run_tool('tools/gpu/prepare_wheels.py', '--dry-run', '--out', out)
    assert proc.returncode == 0, proc.stderr
    pins = [line.strip() for line in (REPO / 'requirements' / 'mminstall.txt').read_text().splitlines()
            if line.strip() and not line.startswith('#')]
    listed = proc.stdout.splitlines()[-1].split(': ', 1)[1].split()
    assert set(pins) <= set(listed)  # the project's OpenMMLab pins, mmcv as the sdist
    wheels, sdist = proc.stdout.splitlines()[:2]
    assert '--only-binary=:all: --python-version 3.12' in wheels and 'mmcv' not in wheels
    assert sdist.endswith('--no-binary mmcv mmcv==2.1.0') and 'spconv' not in proc.stdout
    assert not out.exists()


def test_install_script_parses():
    proc = subprocess.run(['bash', '-n', str(REPO / 'tools' / 'gpu' / 'install_and_check.sh')],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
