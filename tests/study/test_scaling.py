"""The scaling suite (``study.py --suite scaling``, ``study_lib.scaling``): every step once, a second sitting reuses
the records and trains nothing, unequal frames stop it, and the report is rebuilt from the records alone."""
import copy
import json
import runpy
import shutil
from types import SimpleNamespace

import numpy as np
import pytest

from tests.conftest import REPO, load_tool, run_tool

study = SimpleNamespace(**runpy.run_path(str(REPO / 'tools' / 'benchmarks' / 'study.py'), run_name='study'))
from study_lib import report, scaling, world  # noqa: E402  (importable once study.py is loaded)

ARMS = study.scaling_arms()
PRETRAINED = [m for m, arm in ARMS.items() if arm.pretrained]
FINETUNED = [m for m, arm in ARMS.items() if arm.finetune]


def test_the_suite_has_the_issue_arms_on_the_many_room_world():
    assert list(ARMS) == ['scratch', 'mask3d', 'mask3d-rgb-only', 'mae', 'depth-supervised']
    assert PRETRAINED == ['mask3d', 'mask3d-rgb-only', 'mae', 'depth-supervised']
    assert 'depth-supervised' not in FINETUNED and 'scratch' in FINETUNED
    size = world.SCALING_SIZES['default']
    assert size.lengths == (400, 1600, 6400) and size.study.seeds == 3 and size.study.fractions == (1.0,)
    default = world.SIZES['default']  # at least as many distinct frames as the fair study, over 15x the rooms
    assert size.study.pretrain_scenes * size.study.pretrain_frames >= default.pretrain_scenes * default.pretrain_frames
    assert size.study.pretrain_scenes >= 15 * default.pretrain_scenes
    # held-out numbers are on unseen rooms: no downstream room is a pretraining room
    from mask3d_mm.data_prep.synthetic.writer import scene_seed
    pretrain = {scene_seed(world.PRETRAIN_SEED, i) for i in range(size.study.pretrain_scenes)}
    downstream = {scene_seed(world.DOWNSTREAM_SEED, i) for i in range(size.study.downstream_scenes)}
    assert len(pretrain) == size.study.pretrain_scenes and not pretrain & downstream


def test_render_benchmark_times_building_the_study_rooms(capsys):
    bench = load_tool('tools/benchmarks/bench_render.py')
    counts = {}
    for flags in ([], ['--study-world']):
        bench.main(['--sizes', '32x24', '--scenes', '1', '--frames', '1', *flags])
        out = capsys.readouterr().out
        assert 'building a scene:' in out and ' 32x24 ' in out
        counts[bool(flags)] = int(out.split(', ')[1].split()[0])
    assert counts[True] > counts[False]  # the study's densely furnished room, not the default one


def test_a_world_stopped_before_a_scene_was_described_resumes(tmp_path):
    """A run killed while a room was being built leaves only its empty frame folders; the next run rewrites that
    room (an unknown folder with files in it is still refused)."""
    from mask3d_mm.data_prep.synthetic import generate_dataset
    from mask3d_mm.data_prep.synthetic.writer import FRAME_FOLDERS
    from mask3d_mm.utils.errors import DataError
    options = dict(num_scenes=1, frames_per_scene=1, height=24, width=32)
    generate_dataset(tmp_path / 'whole', **options)
    for folder in (*FRAME_FOLDERS, 'intrinsic'):
        (tmp_path / 'stopped' / 'scene0000_00' / folder).mkdir(parents=True)
    generate_dataset(tmp_path / 'stopped', **options)
    for path in (tmp_path / 'whole').rglob('*'):
        if path.is_file():
            assert path.read_bytes() == (tmp_path / 'stopped' / path.relative_to(tmp_path / 'whole')).read_bytes()
    (tmp_path / 'foreign' / 'scene0000_00' / 'color').mkdir(parents=True)
    (tmp_path / 'foreign' / 'scene0000_00' / 'color' / 'mine.jpg').write_text('not ours')
    with pytest.raises(DataError, match='not a synthetic scene'):
        generate_dataset(tmp_path / 'foreign', **options)


def test_rgb_only_config_hides_every_depth_patch_of_the_default_setting():
    from mmengine.config import Config
    rgb_only = Config.fromfile(study.STUDY_CONFIGS / 'mask3d-rgb-only_vit-tiny-p16_study.py').model
    default = Config.fromfile(study.STUDY_CONFIGS / 'mask3d_vit-tiny-p16_study.py').model
    assert (rgb_only.depth_mask_ratio, rgb_only.loss_patches, rgb_only.rgb_mask_ratio) == (1.0, 'all', 0.5)
    assert default.depth_mask_ratio < 1.0
    assert {k: v for k, v in rgb_only.items() if k not in ('depth_mask_ratio', 'loss_patches', 'rgb_mask_ratio')} \
        == {k: v for k, v in default.items() if k not in ('depth_mask_ratio', 'loss_patches', 'rgb_mask_ratio')}


class FakeSteps:
    """Fake trainings that count their calls; ``frames`` per arm (default: one shared set)."""

    def __init__(self, tmp_path, frames=None):
        self.calls, self.tmp_path, self.frames = [], tmp_path, frames or {}

    def pretrain(self, method, length):
        self.calls.append(('pretrain', method, length))
        path = self.tmp_path / f'{method}_{length}.pth'
        path.write_text('weights')
        return path

    def pretraining_record(self, method, length):
        self.calls.append(('record', method, length))
        record = dict(iters=length, images_per_iter=16, frames=self.frames.get(method, ['a', 'b', 'c']))
        if method.startswith('mask3d'):
            loss = 0.5 - 0.1 * np.log2(length)
            record['heldout'] = dict(loss_depth=loss, nearest_visible_depth_loss=0.6, rgb_reliance=length / 1000)
        return record

    def probe(self, method, backbone):
        self.calls.append(('probe', method, None if backbone is None else backbone.name))
        return dict(depth_rmse=0.9 if backbone is None else 0.8, rel_depth_rmse=0.2, normal_angle_deg=30.0)

    def probe_reference(self):
        self.calls.append(('reference',))
        return dict(depth_rmse=0.95, rel_depth_rmse=0.3, normal_angle_deg=40.0)

    def finetune(self, method, length, backbone, seed):
        self.calls.append(('finetune', method, length, seed))
        return dict(method=method, seed=seed, mIoU=30.0 + seed + (length or 0) / 100, objects_mIoU=20.0 + seed)

    def steps(self):
        return scaling.Steps(pretrain=self.pretrain, pretraining_record=self.pretraining_record, probe=self.probe,
                             probe_reference=self.probe_reference, finetune=self.finetune)


def run_fake(tmp_path, fake, lengths=(2, 4), seeds=2):
    records = scaling.Records(tmp_path / 'records')
    scaling.run_scaling(records, ARMS, lengths, seeds, fake.steps(), log=lambda message: None)
    return records


def test_every_step_runs_once_and_a_second_sitting_trains_nothing(tmp_path):
    fake = FakeSteps(tmp_path)
    records = run_fake(tmp_path, fake)
    pretrainings = [c for c in fake.calls if c[0] == 'pretrain']
    assert sorted(pretrainings) == sorted(('pretrain', m, n) for m in PRETRAINED for n in (2, 4))  # once each
    finetunes = sorted(c[1:] for c in fake.calls if c[0] == 'finetune')
    assert finetunes == sorted([('scratch', None, s) for s in range(2)] +
                               [(m, n, s) for m in FINETUNED if m != 'scratch' for n in (2, 4) for s in range(2)])
    assert ('probe', 'scratch', None) in fake.calls and ('probe', 'mae', 'mae_4.pth') in fake.calls
    order = [c[2] for c in fake.calls if c[0] in ('pretrain', 'finetune') and c[2] is not None]
    assert order == sorted(order)  # every step of the shorter length first
    files = sorted(p.relative_to(records.root).as_posix() for p in records.root.rglob('*.json'))
    assert 'pretrain/mask3d_2.json' in files and 'finetune/mae_4_seed1.json' in files and \
        'finetune/scratch_seed0.json' in files and 'probe/constant.json' in files
    record = records.get('pretrain/mae_4')
    assert record['distinct_frames'] == 3 and 'frames' not in record and len(record['frames_sha256']) == 16
    mtimes = {p: p.stat().st_mtime_ns for p in records.root.rglob('*.json')}

    again = FakeSteps(tmp_path)
    run_fake(tmp_path, again)
    assert again.calls == []  # nothing retrained, nothing re-probed
    assert {p: p.stat().st_mtime_ns for p in records.root.rglob('*.json')} == mtimes


def test_a_missing_step_pretrains_only_its_arm_and_length(tmp_path):
    records = run_fake(tmp_path, FakeSteps(tmp_path))
    records.path('finetune/mae_4_seed1').unlink()
    records.path('probe/mask3d_2').unlink()
    fake = FakeSteps(tmp_path)
    run_fake(tmp_path, fake)
    assert fake.calls == [('pretrain', 'mask3d', 2), ('probe', 'mask3d', 'mask3d_2.pth'),
                          ('pretrain', 'mae', 4), ('finetune', 'mae', 4, 1)]


def test_two_processes_sharing_the_records_run_each_step_once(tmp_path):
    """``--methods`` / ``--lengths`` shares: two processes on disjoint arms and lengths leave exactly the records of
    one whole run, and a share's equal-budget check also compares the other process's pretrainings."""
    whole = run_fake(tmp_path / 'whole', FakeSteps(tmp_path))
    shared = scaling.Records(tmp_path / 'shared')
    shares = [FakeSteps(tmp_path) for _ in range(4)]
    for fake, (arms, lengths) in zip(shares, [(['scratch', 'mask3d', 'mae'], (4,)), (['mask3d-rgb-only'], (2, 4)),
                                              (['mask3d', 'mae', 'depth-supervised'], (2,)),
                                              (['depth-supervised'], (4,))]):
        scaling.run_scaling(shared, {m: ARMS[m] for m in arms}, lengths, 2, fake.steps(), log=lambda message: None)
    assert sum(c[0] == 'pretrain' for fake in shares for c in fake.calls) == len(PRETRAINED) * 2  # once each
    names = sorted(p.relative_to(whole.root).as_posix() for p in whole.root.rglob('*.json'))
    assert sorted(p.relative_to(shared.root).as_posix() for p in shared.root.rglob('*.json')) == names
    odd = tmp_path / 'odd' / 'pretrain'  # another process recorded every arm but mae at 2 iterations
    shutil.copytree(whole.root / 'pretrain', odd)
    (odd / 'mae_2.json').unlink()
    fake = FakeSteps(tmp_path, frames={'mae': ['a', 'b', 'd']})
    with pytest.raises(SystemExit, match='different frames'):
        scaling.run_scaling(scaling.Records(odd.parent), {'mae': ARMS['mae']}, (2,), 2, fake.steps(),
                            log=lambda message: None)
    assert not [c for c in fake.calls if c[0] == 'probe' and c[1] == 'mae']


def test_unequal_frames_stop_the_suite_before_any_probe(tmp_path):
    fake = FakeSteps(tmp_path, frames={'mae': ['a', 'b', 'd']})  # same count, another frame
    with pytest.raises(SystemExit, match='different frames'):
        run_fake(tmp_path, fake)
    assert not [c for c in fake.calls if c[0] == 'probe' and c[1] != 'scratch']
    shown = r"\{'depth-supervised': 3, 'mae': 2, 'mask3d-rgb-only': 3, 'mask3d': 3\}"  # every recorded arm
    with pytest.raises(SystemExit, match=f'different frames: {shown}'):
        run_fake(tmp_path / 'other', FakeSteps(tmp_path, frames={'mae': ['a', 'b']}))
    with pytest.raises(SystemExit, match='different iterations'):
        scaling.check_equal_budgets({m: dict(distinct_frames=1, frames_sha256='x', iters=i, images_per_iter=16)
                                     for m, i in (('mae', 4), ('mask3d', 2))})


def fake_results(tmp_path, lengths=(2, 4), seeds=2, drop=()):
    records = run_fake(tmp_path, FakeSteps(tmp_path), lengths, seeds)
    for name in drop:
        records.path(name).unlink()
    results = scaling.collect(records, ARMS, lengths, seeds)
    meta = dict(date='2026-12-03', machine='test', commit='abc1234', size='default', device='CPU',
                lengths=list(lengths), study_size=dict(world.SCALING_SIZES['default'].study.__dict__, seeds=seeds),
                step_wall_minutes=1.0, complete=not results['missing'], records='docs/study/scaling',
                first_finished='2026-12-03 18:00 UTC', last_finished='2026-12-03 19:00 UTC')
    return dict(meta=meta, **results)


def test_report_is_built_from_the_records(tmp_path):
    results = fake_results(tmp_path)
    assert results['missing'] == [] and results['meta']['complete']
    table = report.scaling_table(results)
    rows = [line.split(' | ') for line in table.splitlines()[2:]]
    assert [(r[0].lstrip('| '), r[1]) for r in rows] == \
        [(m, str(n)) for m in PRETRAINED for n in (2, 4)] + [('scratch', '0'),
                                                              ('constant prediction (probe reference)', '–')]
    mask3d_4 = rows[1]
    header = [h.strip('| ') for h in table.splitlines()[0].split(' | ')]
    cell = dict(zip(header, mask3d_4))
    assert cell['RGB reliance (held-out)'] == '0.004'
    assert cell['masked-depth L1 / copy'] == f'{0.3 / 0.6:.2f}'
    assert cell['mIoU'] == '30.5 ± 0.5 (n=2)'  # 30.04 and 31.04
    assert dict(zip(header, rows[-2]))['mIoU'] == '30.5 ± 0.5 (n=2)'  # scratch: 30 and 31
    reading = report.scaling_reading(results)
    assert 'Mask3D 0.002 / 0.004; Mask3D RGB-only 0.002 / 0.004' in reading and 'constant prediction 0.950' in reading
    assert 'scratch (no pretraining) 30.5 ± 0.5 (n=2)' in reading
    moved = copy.deepcopy(results)  # the fakes' Mask3D 2 mIoU above its own, MAE a better depth probe at 4
    for run in moved['runs']:
        run['mIoU'] += 2.0 if run['method'] == 'mask3d' else 0.0
    moved['probes']['mae']['4']['depth_rmse'] = 0.85
    gaps = report.scaling_reading(moved).splitlines()[-1]
    assert 'depth-probe RMSE Mask3D − MAE +0.000 / -0.050 m' in gaps
    assert 'mIoU Mask3D − scratch +2.0 / +2.0, Mask3D − MAE +2.0 / +2.0' in gaps
    sections = report.scaling_readme_sections(results)
    assert list(sections) == ['study-scaling'] and table in sections['study-scaling']
    assert 'every step recorded' in sections['study-scaling']
    summary = report.scaling_readme_summary_sections(results)['study-scaling-summary']
    assert '\n' not in summary and 'after 4 pretraining iterations Mask3D fine-tunes to 30.5 ± 0.5' in summary
    report.scaling_plot(results, tmp_path / 'scaling.png', 'title')
    assert (tmp_path / 'scaling.png').read_bytes()[:4] == b'\x89PNG'


def test_report_of_an_unfinished_suite_says_what_is_missing(tmp_path):
    results = fake_results(tmp_path, drop=('finetune/mask3d_4_seed0', 'finetune/mask3d_4_seed1', 'probe/mae_4'))
    assert sorted(results['missing']) == ['finetune/mask3d_4_seed0', 'finetune/mask3d_4_seed1', 'probe/mae_4']
    assert 'unfinished: 3 steps not run yet' in report.scaling_readme_sections(results)['study-scaling']
    reading = report.scaling_reading(results)
    assert 'MAE 0.800 / not run yet' in reading
    summary = report.scaling_readme_summary_sections(results)['study-scaling-summary']
    assert 'after 2 pretraining iterations' in summary and 'unfinished: 3 steps to run' in summary
    report.scaling_plot(results, tmp_path / 'partial.png', 'title')  # missing points are left out


def test_scaling_options_are_refused_elsewhere_and_records_hold_one_size(tmp_path):
    result = run_tool('tools/benchmarks/study.py', '--suite', 'scaling', '--size', 'quick', '--jobs', '2',
                      '--out', tmp_path)
    assert result.returncode == 2 and '(--jobs 1; a second process' in result.stderr
    result = run_tool('tools/benchmarks/study.py', '--report', '--out', tmp_path)
    assert result.returncode == 2 and '--records, --report and --lengths belong to --suite scaling' in result.stderr
    result = run_tool('tools/benchmarks/study.py', '--suite', 'scaling', '--size', 'quick', '--lengths', '3',
                      '--out', tmp_path)
    assert result.returncode == 2 and "--lengths: the size 'quick' has the lengths (2, 4)" in result.stderr
    result = run_tool('tools/benchmarks/study.py', '--suite', 'scaling', '--size', 'large', '--out', tmp_path)
    assert result.returncode == 2 and "has no size 'large'" in result.stderr
    assert list(tmp_path.iterdir()) == []  # refused before anything was written
    records = tmp_path / 'records'
    records.mkdir()
    world.check_size(records, 'quick', world.SCALING_SIZES['quick'])
    with pytest.raises(SystemExit, match='holds a study of another size'):
        world.check_size(records, 'default', world.SCALING_SIZES['default'])


def test_gpu_size_reports_beside_the_cpu_one(tmp_path):
    """``--size gpu`` is defined and runnable: its results are named apart from the CPU suite's (here ``--report`` on
    no records: an empty, unfinished report, nothing trained) and carry the device they ran on."""
    size = world.SCALING_SIZES['gpu']
    assert size.lengths == world.SCALING_SIZES['default'].lengths and size.study == world.SCALING_SIZES['default'].study
    result = run_tool('tools/benchmarks/study.py', '--suite', 'scaling', '--size', 'gpu', '--report', '--out',
                      tmp_path / 'work', '--records', tmp_path / 'records')
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads((tmp_path / 'work' / 'scaling-gpu.json').read_text())
    assert results['meta']['size'] == 'gpu' and results['meta']['device'] in ('CPU', 'GPU')
    assert not results['meta']['complete'] and len(results['missing']) == 2 + 3 + 4 * 3 * 2 + 3 * 3 * 3
    assert (tmp_path / 'work' / 'scaling-gpu.png').exists() and not (tmp_path / 'work' / 'scaling.json').exists()
    assert list(report.scaling_readme_sections(results)) == ['study-scaling-gpu']
    assert report.scaling_readme_summary_sections(results) == {}  # the README's line is the CPU suite's


def test_committed_scaling_blocks_are_the_committed_json():
    path = REPO / 'docs' / 'study' / 'scaling.json'
    if not path.exists():
        pytest.skip('no scaling suite committed yet')
    results = json.loads(path.read_text())
    page, readme = (REPO / 'docs' / 'study.md').read_text(), (REPO / 'README.md').read_text()
    for section in report.scaling_readme_sections(results).values():
        assert section in page
    for section in report.scaling_readme_summary_sections(results).values():
        assert section in readme
    records = scaling.collect(scaling.Records(REPO / results['meta']['records']), ARMS,
                              tuple(results['meta']['lengths']), results['meta']['study_size']['seeds'])
    assert records['runs'] == results['runs'] and records['probes'] == results['probes']


@pytest.mark.slow
def test_quick_scaling_suite_runs_end_to_end_and_resumes(tmp_path):
    """The toy size through the CLI: real pretrainings, diagnostics, probes and fine-tunings at two lengths; then a
    second invocation reuses every record (their mtimes unchanged) and only rebuilds the report."""
    out, records = tmp_path / 'work', tmp_path / 'records'
    args = ('tools/benchmarks/study.py', '--suite', 'scaling', '--size', 'quick', '--out', out, '--records', records)
    result = run_tool(*args, timeout=3600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads((out / 'scaling-quick.json').read_text())  # named apart from the CPU suite's
    size = world.SCALING_SIZES['quick']
    assert results['meta']['complete'] and results['missing'] == []
    assert sorted(results['pretraining']) == sorted(PRETRAINED)
    for method in PRETRAINED:
        assert sorted(results['pretraining'][method]) == sorted(map(str, size.lengths))
        assert {r['distinct_frames'] for r in results['pretraining'][method].values()} == \
            {size.study.pretrain_scenes * size.study.pretrain_frames}
    assert np.isfinite(results['pretraining']['mask3d']['4']['heldout']['rgb_reliance'])
    assert sorted((r['method'], r['length']) for r in results['runs']) == sorted(
        [('scratch', 0)] + [(m, n) for m in FINETUNED if m != 'scratch' for n in size.lengths])
    assert (out / 'scaling-quick.png').read_bytes()[:4] == b'\x89PNG'
    mtimes = {p: p.stat().st_mtime_ns for p in records.rglob('*.json')}
    for backbone in out.glob('iters*/pretrain/*/backbone.pth'):
        backbone.unlink()  # a fresh machine: the records alone must do
    again = run_tool(*args, timeout=1200)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert '] pretraining ' not in again.stdout and '] fine-tuning ' not in again.stdout  # the study's log
    assert {p: p.stat().st_mtime_ns for p in records.rglob('*.json')} == mtimes
