"""Mask3D's shortcut diagnostics: the copy-nearest-visible-depth baseline, the logged-only training keys, the RGB
reliance test, and tools/analysis/mask3d_diagnose.py."""
import glob
import json
import math
import re

import pytest
import torch
from mmengine.runner import Runner

from mask3d_mm.models.utils import nearest_visible_depth
from mask3d_mm.utils.errors import DataError
from tests.conftest import load_tool

from .conftest import SMALL_GRID_MASKING_OPTIONS, TINY_CONFIG, build_model, tiny_config


def test_nearest_visible_depth_copies_the_closest_visible_valid_pixel():
    gt = torch.tensor([[1., 2., 3., 4.],
                       [5., 0., 7., 8.],
                       [9., 10., 11., 12.]])[None, None]  # (1, 1, 3, 4); 0 = invalid
    visible = torch.zeros_like(gt, dtype=torch.bool)
    visible[..., 0, 0] = visible[..., 1, 1] = visible[..., 2, 3] = True  # (1, 1) is invalid: never a source
    filled = nearest_visible_depth(gt, visible)[0, 0]
    expected = torch.tensor([[1., 1., 1., 12.],  # (0, 2): distance 2 to (0, 0) vs sqrt(5) to (2, 3)
                             [1., 1., 12., 12.],
                             [1., 12., 12., 12.]])  # (2, 1): sqrt(5) to (0, 0) vs 2 to (2, 3)
    torch.testing.assert_close(filled, expected)
    assert torch.isnan(nearest_visible_depth(gt, torch.zeros_like(visible))).all()  # nothing visible: no baseline


@pytest.fixture(scope='module')
def data(cfg, batch):
    return build_model(cfg.model).data_preprocessor(batch)


def test_training_logs_baseline_and_metres_l1_without_optimizing_them(cfg, data):
    model = build_model(cfg.model)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_depth', 'depth_l1', 'copy_baseline_l1'}
    total, log_vars = model.parse_losses(losses)  # what mmengine's train_step optimizes and logs
    torch.testing.assert_close(total, losses['loss_depth'])  # the logged-only keys are not summed
    assert {'depth_l1', 'copy_baseline_l1'} <= set(log_vars)
    assert not losses['depth_l1'].requires_grad and not losses['copy_baseline_l1'].requires_grad
    # with an L1 head on metres, the logged metres L1 is the loss itself; the baseline is the hand-made copy
    torch.testing.assert_close(losses['depth_l1'], losses['loss_depth'].detach())
    diagnostics = model.depth_diagnostics(data['inputs'], data['data_samples'])
    assert losses['copy_baseline_l1'].item() == pytest.approx(diagnostics['nearest_visible_depth_loss'], rel=1e-6)
    model.copy_baseline_interval = 3
    logged = ['copy_baseline_l1' in model.loss(data['inputs'], data['data_samples']) for _ in range(6)]
    assert logged == [False, False, True, False, False, True]  # calls 4..9: every 3rd (call 1 was above)


def test_depth_diagnostics_use_the_same_masks_and_restore_train_mode(cfg, data):
    model = build_model(cfg.model).train()
    inputs, samples = data['inputs'], data['data_samples']
    result = model.depth_diagnostics(inputs, samples)
    assert model.training and set(result) == {'loss_depth', 'nearest_visible_depth_loss', 'loss_depth_rgb_shuffled',
                                              'rgb_reliance', 'loss_depth_no_depth'}
    assert result['rgb_reliance'] == pytest.approx(result['loss_depth_rgb_shuffled'] / result['loss_depth'] - 1)
    assert len({result['loss_depth'], result['loss_depth_rgb_shuffled'], result['loss_depth_no_depth']}) == 3
    # shuffling RGB tokens == feeding each sample the next sample's colour image with that sample's RGB mask
    model.eval()
    rgb_mask, depth_mask = model.draw_masks(samples, inputs.device)
    rolled = torch.cat([inputs[:, :3].roll(1, 0), inputs[:, 3:]], dim=1)
    with torch.no_grad():
        shuffled = model.reconstruct(inputs, samples, rgb_perm=torch.tensor([3, 0, 1, 2]))
        reference = model.reconstruct(rolled, samples, masks=(rgb_mask.roll(1, 0), depth_mask))
    torch.testing.assert_close(shuffled['depth_pred'], reference['depth_pred'])
    loss_mask = model.depth_loss_mask(rgb_mask, depth_mask)
    assert model.predicted_depth_l1(shuffled, loss_mask) == pytest.approx(result['loss_depth_rgb_shuffled'])


def test_diagnose_tool_prints_the_numbers_on_held_out_frames(cfg, synthetic_root, tmp_path, capsys):
    checkpoint = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=build_model(cfg.model).state_dict()), checkpoint)
    tool = load_tool('tools/analysis/mask3d_diagnose.py')
    options = [f'train_dataloader.dataset.data_root={synthetic_root}', 'train_dataloader.dataset.frame_skip=1',
               'model.backbone.img_size=64', *SMALL_GRID_MASKING_OPTIONS]
    tool.main([TINY_CONFIG, str(checkpoint), '--num-frames', '4', '--batch-size', '2', '--cfg-options', *options])
    out = capsys.readouterr().out
    assert re.search(r'frames: 4 evenly spaced of 4 in 1 scenes \(scene\d+_00\) from split .*splits/val.txt', out), out
    values = {k: float(v) for k, v in re.findall(r'(\w+): (-?[\d.]+|nan)\n', out)}
    assert set(values) == {'loss_depth', 'nearest_visible_depth_loss', 'loss_depth_rgb_shuffled', 'rgb_reliance',
                           'loss_depth_no_depth'}
    assert all(math.isfinite(v) for v in values.values()) and values['nearest_visible_depth_loss'] > 0
    assert values['rgb_reliance'] == pytest.approx(values['loss_depth_rgb_shuffled'] / values['loss_depth'] - 1,
                                                   abs=2e-4)
    with pytest.raises(DataError, match='missing.pth: checkpoint not found'):
        tool.main([TINY_CONFIG, str(tmp_path / 'missing.pth')])


def test_diagnose_batches_take_the_rooms_in_turn():
    """The RGB shuffle pairs batch neighbours: they must be of other rooms while any is left (not two views of one)."""
    class Frames:  # scenes listed one after another, as the frame datasets list them
        scene_of = ['a'] * 4 + ['b'] * 3 + ['c'] * 2

        def get_data_info(self, index):
            return dict(scene_id=self.scene_of[index])

    order = load_tool('tools/analysis/mask3d_diagnose.py').rooms_in_turn(Frames(), range(9))
    assert order.tolist() == [0, 4, 7, 1, 5, 8, 2, 6, 3]
    scenes = [Frames.scene_of[i] for i in order]
    assert all(x != y for x, y in zip(scenes, scenes[1:]))


@pytest.mark.parametrize('log_processor, lines_with_baseline', [
    ('FreshScalarsLogProcessor', [1, 4]),  # the configs': only the iterations that computed it (loss calls 0, 3)
    ('LogProcessor', [1, 2, 3, 4]),  # mmengine's own repeats the last value in between (what the configs avoid)
])
def test_log_lines_show_copy_baseline_only_when_computed(synthetic_root, tmp_path, log_processor,
                                                         lines_with_baseline):
    cfg = tiny_config(64, synthetic_root)
    assert cfg.log_processor.type == 'FreshScalarsLogProcessor'  # inherited from the ViT-B base config
    cfg.merge_from_dict({'model.copy_baseline_interval': 3, 'log_processor.type': log_processor})
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
    cfg.log_processor.by_epoch = False
    cfg.param_scheduler = []
    cfg.custom_hooks = []
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10, by_epoch=False)
    cfg.visualizer.name = f'vis:{tmp_path}'  # visualizers are per-name singletons
    Runner.from_cfg(cfg).train()
    (scalars_file,) = glob.glob(str(tmp_path / '*' / 'vis_data' / 'scalars.json'))
    records = [json.loads(line) for line in open(scalars_file)]
    assert [r['iter'] for r in records] == [1, 2, 3, 4] and all('depth_l1' in r for r in records)
    assert [r['iter'] for r in records if 'copy_baseline_l1' in r] == lines_with_baseline
    (log_file,) = glob.glob(str(tmp_path / '*' / '*.log'))
    lines = [line for line in open(log_file) if 'Iter(train)' in line]
    assert [i + 1 for i, line in enumerate(lines) if 'copy_baseline_l1' in line] == lines_with_baseline
