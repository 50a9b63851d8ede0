"""The evidence study (tools/benchmarks/study.py + study_lib/): equal budgets in its configs, the fairness check,
correct probe targets and statistics, README blocks rebuilt from the JSON, and ``--quick`` runs end to end."""
import copy
import functools
import json
import runpy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config

from tests.conftest import REPO, run_tool

study = SimpleNamespace(**runpy.run_path(str(REPO / 'tools' / 'benchmarks' / 'study.py'), run_name='study'))
from study_lib import probes, report, world  # noqa: E402  (importable once study.py is loaded)

VIT, PRI3D = study.VIT_SUITE, study.PRI3D_SUITE


def configs_of(suite):
    return sorted({arm.config for arm in study.all_arms(suite).values() if arm.config is not None})


@functools.cache
def load_config(name):
    """A study config, read once per test session (callers that change it take a copy)."""
    return Config.fromfile(study.STUDY_CONFIGS / name)


def plain(value):
    """A config value as plain python, without merge directives, for comparisons."""
    if hasattr(value, 'items'):
        return {k: plain(v) for k, v in value.items() if k not in ('_delete_', '_scope_')}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def test_every_vit_arm_gets_the_same_vit_input_and_budget():
    shared = load_config('_study_vit.py')
    vit_arch = plain(shared.study_vit_arch)
    for name in configs_of(VIT) + [VIT.finetune_config]:
        backbone = load_config(name).model.backbone
        assert plain(backbone.arch) == vit_arch, name
        assert (backbone.img_size, backbone.patch_size) == (shared.study_img_size, shared.study_patch_size), name
    for name in configs_of(VIT):
        cfg = load_config(name)
        views = 2 if cfg.model.type == 'Pri3D' else 1  # a Pri3D sample is a pair of frames
        assert cfg.train_dataloader.batch_size * views == shared.study_batch_size, name
        assert cfg.train_cfg.max_iters == shared.study_pretrain_iters, name
        assert plain(cfg.param_scheduler) == plain(shared.study_pretrain_schedule), name
        assert plain(cfg.optim_wrapper) == plain(shared.study_pretrain_optim_wrapper), name
        if cfg.train_dataloader.dataset.type == 'RGBDFrameDataset':  # the demo's frame_skip=2 is not inherited
            assert cfg.train_dataloader.dataset.get('frame_skip', 1) == 1, name
    mae = load_config(VIT.arms['mae'].config)
    assert (mae.model.type, mae.model.backbone.type, mae.model.head.type) == ('MAE', 'MAEViT', 'MAEPretrainHead')


def test_every_pri3d_arm_gets_the_same_unet_and_budget():
    shared = load_config('_study_r18.py')
    modes = {}
    for name in configs_of(PRI3D):
        cfg = load_config(name)
        assert {k: cfg.model.backbone[k] for k in plain(shared.study_unet)} == plain(shared.study_unet), name
        assert cfg.train_dataloader.batch_size == shared.study_pair_batch_size, name
        assert cfg.train_cfg.max_iters == shared.study_pretrain_iters, name
        assert plain(cfg.param_scheduler) == plain(shared.study_pretrain_schedule), name
        modes[name] = cfg.model.mode
    assert sorted(modes.values()) == ['geo', 'view', 'view+geo']
    finetune = load_config(PRI3D.finetune_config).model
    assert {k: finetune.backbone[k] for k in plain(shared.study_unet)} == plain(shared.study_unet)
    assert finetune.decode_head.in_channels == shared.study_unet.out_channels


def test_pri3d_suite_has_its_own_budget_and_remines_chunks_of_another_voxel_size(tmp_path, monkeypatch):
    """The Pri3D suite's sizes and chunk voxel size reach the run; chunks of another voxel size are not reused."""
    assert study.sizes_of(VIT) is world.SIZES and study.sizes_of(PRI3D) is world.PRI3D_SIZES
    pri3d, vit = world.PRI3D_SIZES['default'], world.SIZES['default']
    assert (pri3d.pretrain_scenes, pri3d.downstream_scenes, pri3d.seeds, pri3d.fractions) == \
        (vit.pretrain_scenes, vit.downstream_scenes, 3, (0.1, 1.0))  # same worlds, seeds and data shares
    calls = []
    monkeypatch.setattr(world, 'run', lambda cmd, log_file: calls.append([str(c) for c in cmd]))
    pairs = tmp_path / world.PAIRS_FILE
    pairs.parent.mkdir(parents=True)
    pairs.write_text('')
    world.mine_pairs(tmp_path, tmp_path, chunks=False)  # pairs without chunks: reused for the view loss
    assert calls == []
    world.mine_pairs(tmp_path, tmp_path, chunks=True, chunk_voxel_size=PRI3D.chunk_voxel_size)
    assert calls[-1][calls[-1].index('--chunk-voxel-size') + 1] == '0.08' and '--overwrite' in calls[-1]
    world.mine_pairs(tmp_path, tmp_path, chunks=True, chunk_voxel_size=0.08)  # done: nothing to mine
    assert len(calls) == 1
    world.mine_pairs(tmp_path, tmp_path, chunks=True, chunk_voxel_size=0.02)  # another voxel size: mined again
    assert len(calls) == 2 and calls[-1][calls[-1].index('--chunk-voxel-size') + 1] == '0.02'


def test_schedule_options_rescale_every_study_schedule():
    for name in configs_of(VIT) + configs_of(PRI3D) + [VIT.finetune_config, PRI3D.finetune_config]:
        cfg = copy.deepcopy(load_config(name))
        cfg.merge_from_dict(study.schedule_options(50))
        warmup, decay = cfg.param_scheduler
        assert (int(warmup.end), int(decay.begin), int(decay.end), int(cfg.train_cfg.max_iters)) == (5, 5, 50, 50)
        assert 'T_max' not in decay, name  # cosine: T_max = end - begin


def test_two_stage_arm_runs_its_stage_first_and_spends_maes_budget():
    size = world.SIZES['default']
    assert study.arms_to_run(VIT, ['mae-mask3d-2stage', 'mae']) == ['mae-stage1', 'mae-mask3d-2stage', 'mae']
    assert study.total_iters('mae-mask3d-2stage', VIT, size) == study.total_iters('mae', VIT, size) == 400
    assert study.total_iters('scratch', VIT, size) == 0
    assert 'mae-stage1' not in VIT.arms  # a stage is pretrained when needed, never reported


def test_unequal_pretraining_stops_the_study():
    def record(frames, iters=400):
        return dict(frames=frames, iters=iters, images_per_iter=16)
    records = {'mae': record(['a', 'b', 'c']), 'mask3d': record(['a', 'b', 'c'])}
    study.check_equal_pretraining(records)
    assert records == {m: dict(iters=400, images_per_iter=16, distinct_frames=3) for m in ('mae', 'mask3d')}
    with pytest.raises(SystemExit, match=r"different frames: \{'mae': 3, 'mask3d': 2\}"):
        study.check_equal_pretraining({'mae': record(['a', 'b', 'c']), 'mask3d': record(['a', 'c'])})
    with pytest.raises(SystemExit, match='different frames'):  # same count, other frames
        study.check_equal_pretraining({'mae': record(['a', 'b']), 'mask3d': record(['a', 'c'])})
    with pytest.raises(SystemExit, match='different iterations'):
        study.check_equal_pretraining({'mae': record(['a']), 'mask3d': record(['a'], iters=200)})


def test_best_recipe_is_chosen_per_method_on_all_the_training_data():
    size = world.SIZES['quick']
    grid = ((1e-3, 0.75), (1e-3, 1.0))

    def run(method, recipe, fraction, miou):
        return dict(method=method, recipe=list(recipe), fraction=fraction, seed=0, mIoU=miou)
    runs = [run('a', grid[0], 1.0, 30.0), run('a', grid[1], 1.0, 20.0), run('a', grid[1], 0.5, 99.0),
            run('b', grid[0], 1.0, 10.0), run('b', grid[1], 1.0, 12.0), run('a', grid[0], 0.5, 5.0)]
    chosen, kept = study.best_recipes(runs, ['a', 'b'], grid, size)
    assert (chosen['a']['layer_decay'], chosen['b']['layer_decay']) == (0.75, 1.0)
    assert chosen['a']['grid'] == {'lr0.001-ld0.75': 30.0, 'lr0.001-ld1': 20.0}
    assert sorted((r['method'], r['fraction'], r['mIoU']) for r in kept) == [
        ('a', 0.5, 5.0), ('a', 1.0, 30.0), ('b', 1.0, 12.0)]


# ---------------------------------------------------------------------------------------------- probes
def plane_depth(normal, offset, K, height, width):
    """Depth (H, W) of the plane normal . X = offset seen by a pinhole camera (exact ray intersection)."""
    v, u = np.mgrid[:height, :width].astype(np.float64)
    rays = np.stack([(u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1], np.ones_like(u)], -1)  # (H, W, 3)
    return offset / (rays @ normal)


def test_patch_targets_of_a_tilted_plane():
    side, patch = 64, 16
    K = np.array([[60.0, 0, 31.5], [0, 60.0, 31.5], [0, 0, 1]])
    normal = np.array([0.0, 0.6, -0.8])
    depth = plane_depth(normal, -2.0, K, side, side).astype(np.float32)  # 1.6 .. 3.6 m
    depth[:patch, :patch] = 0  # one patch without depth: not usable
    mean_depth, mean_normal, usable = probes.patch_targets(depth[None], K[None].astype(np.float32), patch=patch)
    assert usable.shape == (1, side // patch, side // patch) and usable.sum() == usable.size - 1
    assert not usable[0, 0, 0]
    expected = depth.reshape(side // patch, patch, side // patch, patch).mean((1, 3))[usable[0]]
    np.testing.assert_allclose(mean_depth, expected, rtol=1e-5)
    np.testing.assert_allclose(np.abs(mean_normal @ normal), 1.0, atol=1e-3)  # the plane's normal (up to sign)


def test_relative_depth_removes_each_images_mean():
    usable = np.array([[[True, True], [False, True]], [[True, False], [False, False]]])  # 3 + 1 usable patches
    log_depth = np.log(np.array([1.0, 2.0, 4.0, 3.0]))
    rel = probes.relative_log_depth(log_depth, usable)
    np.testing.assert_allclose(rel[:3], np.log([1.0, 2.0, 4.0]) - np.log(2.0))  # geometric mean of 1, 2, 4 is 2
    assert rel[3] == pytest.approx(0.0)


def test_ridge_regression_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6))
    weights, bias = rng.normal(size=(6, 2)), np.array([3.0, -1.0])
    y = x @ weights + bias
    test_x = rng.normal(size=(20, 6))
    np.testing.assert_allclose(probes.ridge_fit_predict(x, y, test_x, alpha=1e-9), test_x @ weights + bias,
                               atol=1e-6)
    shrunk = probes.ridge_fit_predict(x, y, test_x, alpha=10.0)  # strong ridge: towards the mean of y
    assert np.abs(shrunk - y.mean(0)).mean() < np.abs(test_x @ weights + bias - y.mean(0)).mean()


def test_cross_validation_picks_the_informative_block_and_a_fitting_penalty():
    rng = np.random.default_rng(0)
    images, patches = 20, 16
    target = rng.normal(size=(images * patches, 1))
    usable = np.ones((images, 4, 4), bool)
    noise_block = rng.normal(size=(images, 4, 4, 8))
    signal = np.concatenate([target + rng.normal(0, 0.01, target.shape), rng.normal(size=(len(target), 7))], 1)
    informative_block = signal.reshape(images, 4, 4, 8)
    features = [np.stack([noise_block, informative_block])] * 2  # (L=2, N, h, w, C), train = val
    groups = np.nonzero(usable)[0]
    pred, block, alpha = probes.fit_best(features, usable, target, usable, groups)
    assert block == 2 and alpha <= 1e-2  # clean linear signal: little shrinkage
    assert np.sqrt(np.mean((pred - target) ** 2)) < 0.05
    _, _, noise_alpha = probes.fit_best([features[0][:1]] * 2, usable, target, usable, groups)
    assert noise_alpha >= 1.0  # nothing to find: strong shrinkage towards the mean


def test_constant_probe_is_exact_on_a_constant_world_and_beaten_by_informative_features():
    rng = np.random.default_rng(0)
    normal = np.array([0.0, 0.0, 1.0])

    def split(depth):
        return None, dict(depth=depth, normal=np.tile(normal, (len(depth), 1)), rel_log_depth=np.zeros(len(depth)))
    flat = probes.constant_probe([split(np.full(50, 2.0)), split(np.full(20, 2.0))])
    assert flat == pytest.approx(dict(depth_rmse=0, depth_absrel=0, rel_depth_rmse=0, normal_angle_deg=0), abs=1e-4)
    train_depth, val_depth = rng.uniform(1, 5, 300), rng.uniform(1, 5, 100)
    reference = probes.constant_probe([split(train_depth), split(val_depth)])
    features = [np.log(d)[:, None] + rng.normal(0, 0.01, (len(d), 4)) for d in (train_depth, val_depth)]
    pred = probes.ridge_fit_predict(features[0], np.log(train_depth)[:, None], features[1], alpha=1e-6)[:, 0]
    probed = probes.probe_scores(pred, np.zeros(100), np.tile(normal, (100, 1)), split(val_depth)[1])
    assert probed['depth_rmse'] < 0.1 * reference['depth_rmse']


def test_random_vit_probes_every_block():
    study_cfg = load_config('_study_vit.py')
    vit = probes.study_vit(study_cfg)
    images = np.random.default_rng(0).integers(0, 255, (3, 128, 128, 3), dtype=np.uint8)
    features = probes.block_features(vit, images)
    assert features.shape == (study_cfg.study_vit_arch.num_layers, 3, 8, 8, study_cfg.study_vit_arch.embed_dims)
    assert not np.allclose(features[0], features[-1])


# --------------------------------------------------------------------------------------------- reports
def fake_results(size, seed=0, methods=tuple(VIT.arms), pretraining=True):
    rng = np.random.default_rng(seed)
    finetuned = [m for m in methods if study.all_arms(VIT)[m].finetune]
    runs = [dict(method=m, recipe=[1e-3, 0.75], fraction=f, seed=s, mIoU=float(rng.uniform(10, 60)),
                 objects_mIoU=float(rng.uniform(0, 30)), aAcc=50.0)
            for m in finetuned for f in size.fractions for s in range(size.seeds)]
    scores = {m: dict(depth_rmse=float(rng.uniform(0.3, 1)), depth_absrel=0.2, rel_depth_rmse=0.3, depth_block=3,
                      normal_angle_deg=30.0, normal_block=6) for m in methods}
    meta = dict(date='2026-01-01', machine='test', commit='abc1234', size='medium', wall_minutes=42.0,
                study_size=json.loads(json.dumps(world.asdict(size))))
    results = dict(meta=meta, runs=runs, probes=scores,
                   probe_reference=dict(depth_rmse=0.85, depth_absrel=0.2, rel_depth_rmse=0.5, normal_angle_deg=41.0))
    if pretraining:
        results['pretraining'] = {m: dict(config=f'{m}.py', iters=400, images_per_iter=16, distinct_frames=480)
                                  for m in methods if m != 'scratch'}
        results['pretraining']['mask3d'].update(loss_depth=0.12, nearest_visible_depth_loss=0.2, rgb_reliance=0.15)
        results['finetune_recipe'] = {m: dict(lr=1e-3, layer_decay=0.75, iters=600) for m in finetuned}
    return results


def cells_of(line):
    return [c.strip() for c in line.strip('|').split('|')]


def test_results_table_holds_mean_and_std_of_each_method_and_setting():
    size = world.SIZES['medium']
    results = fake_results(size)
    lines = report.results_table(results).splitlines()
    finetuned = [m for m in VIT.arms if VIT.arms[m].finetune]
    assert len(lines) == 2 + len(finetuned) + 1 + 1  # + the probe-only control + the constant reference
    assert cells_of(lines[-2])[0] == 'depth-supervised (probe only)'
    assert lines[-1].startswith('| constant prediction') and lines[-1].endswith('| 0.850 | 0.200 | 0.500 | 41.0 |')
    for method, line in zip(finetuned, lines[2:]):
        cells = cells_of(line)
        assert cells[0] == method
        columns = [(score, f) for score in ('mIoU', 'objects_mIoU') for f in size.fractions]
        assert len(cells) == 1 + len(columns) + 4
        for (score, fraction), cell in zip(columns, cells[1:]):
            values = [r[score] for r in results['runs'] if r['method'] == method and r['fraction'] == fraction]
            assert cell == f'{np.mean(values):.1f} ± {np.std(values):.1f} (n={size.seeds})'
        assert cells[-4] == f"{results['probes'][method]['depth_rmse']:.3f} (block 3)"
        assert cells[-1] == '30.0 (block 6)'


def test_ablation_table_and_fairness_line_come_from_the_pretraining_record():
    results = fake_results(world.SIZES['medium'])
    lines = report.ablation_table(results).splitlines()
    assert len(lines) == 3  # only mask3d has a masked-depth loss in the record
    cells = cells_of(lines[2])
    assert cells[:6] == ['mask3d', '`mask3d.py`', '0.120', '0.200', '0.60', '+15.0 %']
    assert 'saw 480 distinct frames for 400 iterations of 16 images' in report.fairness_line(results)
    assert 'lr 0.001 / layer decay 0.75' in report.fairness_line(results)
    old = fake_results(world.SIZES['medium'], pretraining=False)  # a JSON from before the record existed
    assert report.ablation_table(old) is None and report.fairness_line(old) == ''


def test_pri3d_table_sits_beside_the_papers_table_1():
    size = world.SIZES['medium']
    runs = [dict(method=m, fraction=f, seed=s, mIoU=10.0 + s, objects_mIoU=5.0)
            for m in PRI3D.arms for f in size.fractions for s in range(size.seeds)]
    results = dict(meta=dict(study_size=world.asdict(size)), runs=runs)
    lines = report.pri3d_table(results).splitlines()
    rows = {cells_of(line)[0]: cells_of(line) for line in lines[2:]}
    assert list(rows) == [*PRI3D.arms, 'ImageNet init (not run here)']
    assert rows['pri3d-view+geo'][-2:] == ['55.7', '61.7'] and rows['scratch'][-2:] == ['37.5', '39.1']
    assert rows['ImageNet init (not run here)'][-2:] == ['51.0', '55.7']
    assert rows['pri3d-geo'][1] == f'{np.mean([10, 11, 12]):.1f} ± {np.std([10, 11, 12]):.1f} (n=3)'


def test_readme_blocks_are_replaced_by_reruns(tmp_path):
    """``--update-readme``: the full blocks go to docs/study.md, the summary table to the README; a rerun replaces
    both and leaves the hand-written text around them alone."""
    size = world.SIZES['medium']
    out = tmp_path / 'study'
    out.mkdir()
    readme, page = tmp_path / 'README.md', tmp_path / 'docs' / 'study.md'
    readme.write_text('# project\n\n## Results\n\nPaper numbers below.\n\n## Development\n')
    for seed in (0, 1):  # second run: other numbers replace the first blocks
        (out / 'results.json').write_text(json.dumps(fake_results(size, seed)))
        study.update_readme(out, readme=readme)
    text, page_text = readme.read_text(), page.read_text()
    for name, where in (('study', page_text), ('study-ablation', page_text), ('study-summary', text)):
        begin, end = report.markers(name)
        assert where.count(begin) == 1 and where.count(end) == 1, name
    for section in report.readme_sections(fake_results(size, 1)).values():
        assert section in page_text and section not in text
    assert report.readme_sections(fake_results(size, 0))['study'] not in page_text
    summary = report.readme_summary_sections(fake_results(size, 1))['study-summary']
    assert summary in text and report.readme_summary_sections(fake_results(size, 0))['study-summary'] not in text
    assert text.startswith('# project\n\n## Results\n') and 'Paper numbers below.\n\n## Development\n' in text
    assert 'Synthetic, small-scale' in page_text and 'commit `abc1234`' in page_text
    assert json.loads((tmp_path / 'docs' / 'study' / 'results.json').read_text()) == fake_results(size, 1)
    assert (tmp_path / 'docs' / 'study' / 'miou_vs_fraction.png').read_bytes()[:4] == b'\x89PNG'


def test_summary_rows_are_the_seed_means_of_the_runs(tmp_path):
    """The README's short table: a column per fine-tuned method, a row per data share, mean ± std over the seeds."""
    results = fake_results(world.SIZES['medium'], 0)
    lines = [line for line in report.readme_summary_sections(results)['study-summary'].splitlines()
             if line.startswith('|') and '---' not in line]
    header, rows = cells_of(lines[0]), {cells_of(line)[0]: cells_of(line)[1:] for line in lines[1:]}
    methods, fractions = report.finetuned_methods(results), report.fractions_of(results)
    assert header[1:] == methods and list(rows) == [f'mIoU, {f:.0%} of the data' for f in fractions]
    full = max(fractions)
    for method, cell in zip(methods, rows[f'mIoU, {full:.0%} of the data']):
        values = [r['mIoU'] for r in results['runs'] if r['method'] == method and r['fraction'] == full]
        assert len(values) > 1 and cell == f'{np.mean(values):.1f} ± {np.std(values):.1f}'


def test_a_dirty_commit_is_said_in_words():
    assert report.commit_phrase('2ced308-dirty') == 'commit `2ced308` with uncommitted changes'
    assert report.commit_phrase('671a605') == 'commit `671a605`'


def test_a_work_folder_holds_one_study_size(tmp_path):
    world.check_size(tmp_path, 'quick', world.SIZES['quick'])
    world.check_size(tmp_path, 'quick', world.SIZES['quick'])  # resuming the same size is fine
    with pytest.raises(SystemExit, match='another size'):
        world.check_size(tmp_path, 'medium', world.SIZES['medium'])


# ------------------------------------------------------------------------------------------- end to end
def check_quick_results(results, suite, methods, size):
    keys = sorted((r['method'], r['fraction'], r['seed']) for r in results['runs'])
    finetuned = [m for m in methods if suite.arms[m].finetune]
    assert keys == sorted((m, f, s) for m in finetuned for f in size.fractions for s in range(size.seeds))
    for run in results['runs']:  # objects mIoU: the mean of the per-class IoUs without wall and floor
        assert 0 <= run['mIoU'] <= 100
        objects = [iou for name, iou in run['class_IoU'].items() if name not in ('wall', 'floor')]
        assert run['objects_mIoU'] == pytest.approx(np.mean(objects)) and 'wall' in run['class_IoU']
    pretrained = [m for m in methods if suite.arms[m].config is not None]
    assert sorted(results['pretraining']) == sorted(pretrained)
    frames = {r['distinct_frames'] for r in results['pretraining'].values()}
    assert frames == {size.pretrain_scenes * size.pretrain_frames}  # every frame of the pretraining set
    assert {r['iters'] for r in results['pretraining'].values()} == {size.pretrain_iters}
    assert sorted(results['finetune_recipe']) == sorted(finetuned)


def test_quick_vit_study_runs_end_to_end(tmp_path):
    """The CI smoke run of the study: a two-stage arm (its MAE stage, then Mask3D from it, with Mask3D's
    diagnostics), the probe-only control, probes and the fine-tuning workers (two runs at a time), at the tiniest
    size. Every arm, Pri3D's pairs included: the slow test below."""
    methods = ['scratch', 'mae-mask3d-2stage', 'depth-supervised']
    result = run_tool('tools/benchmarks/study.py', '--quick', '--jobs', '2', '--out', tmp_path, '--methods',
                      *methods, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    size = world.SIZES['quick']
    results = json.loads((tmp_path / 'results.json').read_text())
    check_quick_results(results, VIT, methods, size)
    two_stage = results['pretraining']['mae-mask3d-2stage']
    assert two_stage['init_from'] == 'mae-stage1'
    for key in ('loss_depth', 'nearest_visible_depth_loss', 'rgb_reliance'):
        assert np.isfinite(two_stage[key]), key
    assert set(results['probes']) == set(methods) and 'depth_block' in results['probes']['scratch']
    table = (tmp_path / 'results.md').read_text()
    row_names = [line.split('|')[1].strip() for line in table.splitlines()[2:]]
    assert row_names == ['scratch', 'mae-mask3d-2stage', 'depth-supervised (probe only)',
                         'constant prediction (probe reference)']
    assert (tmp_path / 'miou_vs_fraction.png').read_bytes()[:4] == b'\x89PNG'
    stage2 = torch.load(tmp_path / 'pretrain' / 'mae-mask3d-2stage' / 'backbone.pth', weights_only=True)
    stage1 = torch.load(tmp_path / 'pretrain' / 'mae-stage1' / 'backbone.pth', weights_only=True)
    assert 'backbone.pos_embed' in stage2['state_dict']
    log = (tmp_path / 'pretrain' / 'mae-mask3d-2stage' / 'train.log').read_text()
    assert 'mae-stage1/backbone.pth' in log and stage1['state_dict'].keys() == stage2['state_dict'].keys()


@pytest.mark.slow
def test_quick_vit_study_runs_every_arm(tmp_path):
    result = run_tool('tools/benchmarks/study.py', '--quick', '--jobs', '2', '--out', tmp_path, timeout=3600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads((tmp_path / 'results.json').read_text())
    check_quick_results(results, VIT, list(VIT.arms), world.SIZES['quick'])
    mask3d = results['pretraining']['mask3d']
    for key in ('loss_depth', 'nearest_visible_depth_loss', 'rgb_reliance'):
        assert np.isfinite(mask3d[key]), key
    assert '<!-- study-ablation:begin -->' in report.readme_sections(results)['study-ablation']


@pytest.mark.slow
def test_quick_pri3d_suite_runs_end_to_end(tmp_path):
    """``--suite pri3d --quick``: pairs and voxel chunks mined, each Pri3D loss pretrains the same UNet, the
    converted encoder + decoder fine-tune with the UNet protocol; pri3d.json has the ViT suite's run schema."""
    result = run_tool('tools/benchmarks/study.py', '--suite', 'pri3d', '--quick', '--jobs', '2', '--out',
                      tmp_path, timeout=3600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads((tmp_path / 'pri3d.json').read_text())
    check_quick_results(results, PRI3D, list(PRI3D.arms), world.SIZES['quick'])
    assert (tmp_path / 'pri3d.png').read_bytes()[:4] == b'\x89PNG'
    table = (tmp_path / 'pri3d.md').read_text()
    assert '| 55.7 | 61.7 |' in table
    state = torch.load(tmp_path / 'pretrain' / 'pri3d-view+geo' / 'backbone.pth', weights_only=True)['state_dict']
    assert any(k.startswith('backbone.decoder.') for k in state) and any(k.startswith('backbone.encoder.')
                                                                         for k in state)


def test_committed_readme_blocks_are_the_committed_results_json():
    """The committed tables match the JSON of the committed runs: each generated block of docs/study.md and each
    summary table of the README is exactly what ``--update-readme`` builds from docs/study/*.json."""
    readme, page = (REPO / 'README.md').read_text(), (REPO / 'docs' / 'study.md').read_text()
    results = json.loads((REPO / 'docs' / 'study' / 'results.json').read_text())
    for section in report.readme_sections(results).values():
        assert section in page
    for section in report.readme_summary_sections(results).values():
        assert section in readme
    assert (REPO / 'docs' / 'study' / 'miou_vs_fraction.png').read_bytes()[:4] == b'\x89PNG'
    size = results['meta']['study_size']
    runs = {(r['method'], r['fraction'], r['seed']) for r in results['runs']}
    assert len(runs) == len(report.finetuned_methods(results)) * len(size['fractions']) * size['seeds']
    for name, sections_of, summaries_of in (
            ('pri3d.json', report.pri3d_readme_sections, report.pri3d_readme_summary_sections),
            ('ablation.json', report.ablation_readme_sections, report.ablation_readme_summary_sections)):
        if (REPO / 'docs' / 'study' / name).exists():
            committed = json.loads((REPO / 'docs' / 'study' / name).read_text())
            for section in sections_of(committed).values():
                assert section in page
            for section in summaries_of(committed).values():
                assert section in readme


def test_study_world_places_exactly_the_named_classes():
    """A misspelt category would silently drop a class from the world (and its objects-only mIoU)."""
    assert sorted(c.category for c in world.STUDY_WORLD['classes']) == sorted(world.STUDY_CLASSES)
    assert world.world_record()['classes'] == list(world.STUDY_CLASSES)
