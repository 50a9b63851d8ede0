"""The evidence study (tools/benchmarks/study.py): equal budgets in its configs, correct probe targets and
statistics, a README block that reruns replace, and (slow) an end-to-end ``--quick`` run."""
import json
import runpy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config

from tests.conftest import REPO, run_tool

study = SimpleNamespace(**runpy.run_path(str(REPO / 'tools' / 'benchmarks' / 'study.py'), run_name='study'))
PRETRAIN_CONFIGS = [c for c in {**study.METHODS, **study.ABLATIONS}.values() if c is not None]


def load_config(name):
    return Config.fromfile(study.STUDY_CONFIGS / name)


def plain(value):
    """A config value as plain python, without merge directives, for comparisons."""
    if hasattr(value, 'items'):
        return {k: plain(v) for k, v in value.items() if k not in ('_delete_', '_scope_')}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def test_every_method_gets_the_same_vit_input_and_budget():
    shared = load_config('_study_vit.py')
    vit_arch = plain(shared.study_vit_arch)
    for name in PRETRAIN_CONFIGS + [study.FINETUNE_CONFIG]:
        backbone = load_config(name).model.backbone
        assert plain(backbone.arch) == vit_arch, name
        assert (backbone.img_size, backbone.patch_size) == (shared.study_img_size, shared.study_patch_size), name
    pretrain = [load_config(name) for name in PRETRAIN_CONFIGS]
    for name, cfg in zip(PRETRAIN_CONFIGS, pretrain):
        views = 2 if cfg.model.type == 'Pri3D' else 1  # a Pri3D sample is a pair of frames
        assert cfg.train_dataloader.batch_size * views == shared.study_batch_size, name
        assert cfg.train_cfg.max_iters == shared.study_pretrain_iters, name
        assert plain(cfg.param_scheduler) == plain(shared.study_pretrain_schedule), name
        assert plain(cfg.optim_wrapper) == plain(shared.study_pretrain_optim_wrapper), name
    mae = pretrain[PRETRAIN_CONFIGS.index(study.METHODS['mae'])]
    assert (mae.model.type, mae.model.backbone.type, mae.model.head.type) == ('MAE', 'MAEViT', 'MAEPretrainHead')


def test_schedule_options_rescale_every_study_schedule():
    for name in PRETRAIN_CONFIGS + [study.FINETUNE_CONFIG]:
        cfg = load_config(name)
        cfg.merge_from_dict(study.schedule_options(50))
        warmup, decay = cfg.param_scheduler
        assert (int(warmup.end), int(decay.begin), int(decay.end), int(cfg.train_cfg.max_iters)) == (5, 5, 50, 50)
        assert 'T_max' not in decay, name  # cosine: T_max = end - begin


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
    mean_depth, mean_normal, usable = study.patch_targets(depth[None], K[None].astype(np.float32), patch=patch)
    assert usable.shape == (1, side // patch, side // patch) and usable.sum() == usable.size - 1
    assert not usable[0, 0, 0]
    expected = depth.reshape(side // patch, patch, side // patch, patch).mean((1, 3))[usable[0]]
    np.testing.assert_allclose(mean_depth, expected, rtol=1e-5)
    np.testing.assert_allclose(np.abs(mean_normal @ normal), 1.0, atol=1e-3)  # the plane's normal (up to sign)


def test_ridge_regression_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6))
    weights, bias = rng.normal(size=(6, 2)), np.array([3.0, -1.0])
    y = x @ weights + bias
    test_x = rng.normal(size=(20, 6))
    np.testing.assert_allclose(study.ridge_fit_predict(x, y, test_x, alpha=1e-9), test_x @ weights + bias,
                               atol=1e-6)
    shrunk = study.ridge_fit_predict(x, y, test_x, alpha=10.0)  # strong ridge: towards the mean of y
    assert np.abs(shrunk - y.mean(0)).mean() < np.abs(test_x @ weights + bias - y.mean(0)).mean()


def test_constant_probe_is_exact_on_a_constant_world_and_beaten_by_informative_features():
    rng = np.random.default_rng(0)
    normal = np.array([0.0, 0.0, 1.0])

    def split(depth):
        return None, (depth, np.tile(normal, (len(depth), 1)), None)
    flat = study.constant_probe([split(np.full(50, 2.0)), split(np.full(20, 2.0))])
    assert flat == pytest.approx(dict(depth_rmse=0, depth_absrel=0, normal_angle_deg=0), abs=1e-4)
    train_depth, val_depth = rng.uniform(1, 5, 300), rng.uniform(1, 5, 100)
    reference = study.constant_probe([split(train_depth), split(val_depth)])
    features = [np.log(d)[:, None] + rng.normal(0, 0.01, (len(d), 4)) for d in (train_depth, val_depth)]
    probed = study.probe_scores(study.ridge_fit_predict(features[0], np.log(train_depth)[:, None], features[1],
                                                        alpha=1e-6)[:, 0],
                                np.tile(normal, (100, 1)), val_depth, np.tile(normal, (100, 1)))
    assert probed['depth_rmse'] < 0.1 * reference['depth_rmse']


def fake_results(size, seed=0):
    rng = np.random.default_rng(seed)
    methods = list(study.METHODS)
    runs = [dict(method=m, fraction=f, seed=s, mIoU=float(rng.uniform(10, 60)),
                 objects_mIoU=float(rng.uniform(0, 30)), aAcc=50.0)
            for m in methods for f in size.fractions for s in range(size.seeds)]
    probes = {m: dict(depth_rmse=float(rng.uniform(0.3, 1)), depth_absrel=0.2, normal_angle_deg=30.0)
              for m in methods}
    meta = dict(date='2026-01-01', machine='test', commit='abc1234', size='medium', wall_minutes=42.0,
                study_size=json.loads(json.dumps(study.asdict(size))))
    return dict(meta=meta, runs=runs, probes=probes)


def test_table_holds_mean_and_std_of_each_method_and_setting():
    size = study.SIZES['medium']
    results = fake_results(size)
    reference = dict(depth_rmse=0.85, depth_absrel=0.2, normal_angle_deg=41.0)
    table = study.markdown_table(study.summarize(results['runs'], results['probes'], size), size, reference)
    lines = table.splitlines()
    assert len(lines) == 2 + len(study.METHODS) + 1
    assert lines[-1].startswith('| constant prediction') and lines[-1].endswith('| 0.850 | 0.200 | 41.0 |')
    for method, line in zip(study.METHODS, lines[2:-1]):
        cells = [c.strip() for c in line.strip('|').split('|')]
        assert cells[0] == method
        columns = [(score, f) for score in ('mIoU', 'objects_mIoU') for f in size.fractions]
        assert len(cells) == 1 + len(columns) + 3
        for (score, fraction), cell in zip(columns, cells[1:]):
            values = [r[score] for r in results['runs'] if r['method'] == method and r['fraction'] == fraction]
            assert cell == f'{np.mean(values):.1f} ± {np.std(values):.1f} (n={size.seeds})'
        assert cells[-3] == f"{results['probes'][method]['depth_rmse']:.3f}"


def test_readme_block_is_replaced_by_reruns(tmp_path):
    size = study.SIZES['medium']
    out = tmp_path / 'study'
    out.mkdir()
    readme = tmp_path / 'README.md'
    readme.write_text('# project\n\n## Results\n\nPaper numbers below.\n\n## Development\n')
    for seed in (0, 1):  # second run: other numbers replace the first block
        (out / 'results.json').write_text(json.dumps(fake_results(size, seed)))
        study.update_readme(out, readme=readme)
    text = readme.read_text()
    assert text.count(study.README_BEGIN) == 1 and text.count(study.README_END) == 1
    assert study.readme_section(fake_results(size, 1)) in text
    assert study.readme_section(fake_results(size, 0)) not in text
    assert text.startswith('# project\n\n## Results\n') and 'Paper numbers below.\n\n## Development\n' in text
    assert 'Synthetic, small-scale' in text and 'commit `abc1234`' in text
    assert json.loads((tmp_path / 'docs' / 'study' / 'results.json').read_text()) == fake_results(size, 1)
    assert (tmp_path / 'docs' / 'study' / 'miou_vs_fraction.png').read_bytes()[:4] == b'\x89PNG'


def test_a_work_folder_holds_one_study_size(tmp_path):
    study.check_size(tmp_path, 'quick', study.SIZES['quick'])
    study.check_size(tmp_path, 'quick', study.SIZES['quick'])  # resuming the same size is fine
    with pytest.raises(SystemExit, match='another size'):
        study.check_size(tmp_path, 'medium', study.SIZES['medium'])


def test_quick_study_runs_end_to_end(tmp_path):
    """The CI smoke run of the study (issue: ``--quick`` runs in CI): ~80 s on 2 cores, every method pretrained and
    fine-tuned at the tiniest size, two runs at a time (the worker-process path of the real study)."""
    result = run_tool('tools/benchmarks/study.py', '--quick', '--jobs', '2', '--out', tmp_path, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    size = study.SIZES['quick']
    results = json.loads((tmp_path / 'results.json').read_text())
    keys = sorted((r['method'], r['fraction'], r['seed']) for r in results['runs'])
    assert keys == sorted((m, f, s) for m in study.METHODS for f in size.fractions for s in range(size.seeds))
    for run in results['runs']:  # objects mIoU: the mean of the per-class IoUs without wall and floor
        assert 0 <= run['mIoU'] <= 100
        objects = [iou for name, iou in run['class_IoU'].items() if name not in ('wall', 'floor')]
        assert run['objects_mIoU'] == pytest.approx(np.mean(objects)) and 'wall' in run['class_IoU']
    assert set(results['probes']) == set(study.METHODS)
    table = (tmp_path / 'results.md').read_text()
    row_names = [line.split('|')[1].strip() for line in table.splitlines()[2:]]
    assert row_names == list(study.METHODS) + ['constant prediction (probe reference)']
    assert set(results['probe_reference']) == set(results['probes']['mae'])
    assert (tmp_path / 'miou_vs_fraction.png').read_bytes()[:4] == b'\x89PNG'
    for method in list(study.METHODS)[1:]:  # every pretrained backbone loads into the fine-tuning ViT
        state = torch.load(tmp_path / 'pretrain' / method / 'backbone.pth', weights_only=True)['state_dict']
        assert 'backbone.pos_embed' in state


def test_committed_readme_block_is_the_committed_results_json():
    """The issue's "README table matches the JSON of the committed run": the block is exactly what
    ``--update-readme`` builds from docs/study/results.json (and the plot next to it exists)."""
    results = json.loads((REPO / 'docs' / 'study' / 'results.json').read_text())
    readme = (REPO / 'README.md').read_text()
    assert study.readme_section(results) in readme
    assert (REPO / 'docs' / 'study' / 'miou_vs_fraction.png').read_bytes()[:4] == b'\x89PNG'
    size = results['meta']['study_size']
    runs = {(r['method'], r['fraction'], r['seed']) for r in results['runs']}
    assert len(runs) == len(results['probes']) * len(size['fractions']) * size['seeds']
