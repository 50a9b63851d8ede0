"""Mask3D reconstruction panels (mask3d_mm.visualization), the hook's panels and diagnostics, and the
visualize_reconstruction tool run as the README writes it."""
import glob
import json
import os
import os.path as osp
import shlex
from unittest import mock

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mask3d_mm import visualization
from mask3d_mm.engine.hooks.mask3d_vis_hook import Mask3DReconstructionHook
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.visualization import mask3d_panels as panels
from tests.conftest import REPO, load_tool

from .conftest import TINY_CONFIG, build_model, load_batch, tiny_config

# The README's command, verbatim but for CONFIG / CKPT (the demo's config and checkpoint), run from a checkout.
README_COMMAND = ('python tools/analysis/visualize_reconstruction.py '
                  'configs/mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py work_dirs/demo/epoch_20.pth '
                  '--out panels/ --frames scene0000_00/color/0.jpg')


def panel_parts(panel: np.ndarray, tile_hw) -> tuple:
    """A panel -> (its 6 tiles without titles, the colour-bar strip under them)."""
    height, width = tile_hw
    assert panel.shape == (panels.TITLE_HEIGHT + height + panels.BAR_HEIGHT + panels.LABEL_HEIGHT, 6 * width, 3)
    tiles = [panel[panels.TITLE_HEIGHT:panels.TITLE_HEIGHT + height, i * width:(i + 1) * width] for i in range(6)]
    return tiles, panel[panels.TITLE_HEIGHT + height:]


def read_rgb(path) -> np.ndarray:
    return cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1]


def test_region_outline_is_the_inner_border_hand_counted():
    region = np.zeros((8, 8), bool)
    region[2:5, 2:5] = True  # 3x3 block: all but its centre
    assert panels.region_outline(region).sum() == 8 and not panels.region_outline(region)[3, 3]
    corner = np.zeros((8, 8), bool)
    corner[:4, :4] = True  # the image border is no edge: right column + bottom row of the block
    outline = panels.region_outline(corner)
    assert outline.sum() == 4 + 4 - 1 and outline[:4, 3].all() and outline[3, :4].all()
    assert not panels.region_outline(np.ones((8, 8), bool)).any()


def test_format_metres():
    assert [panels.format_metres(v) for v in (0, 3.0, 1.5, 0.2537, 0.75)] == ['0 m', '3 m', '1.5 m', '0.25 m', '0.75 m']


def test_colour_bar_runs_the_depth_colours_from_zero_to_max_with_labels():
    bar, rows = panels.colour_bar(192, 4.0), panels.BAR_HEIGHT
    assert bar.shape == (rows + panels.LABEL_HEIGHT, 192, 3)
    values = (np.arange(192) + 0.5) / 192 * 4.0
    gradient = panels.colorize_depth(np.tile(values, (rows, 1)), 4.0)
    np.testing.assert_array_equal(bar[:rows], gradient)
    labels = bar[rows:].max(-1) > 128  # white text: first label at the left end, last at the right end
    assert labels[:, :10].any() and labels[:, -10:].any() and labels[:, 90:100].any()  # 3 ticks at this width
    other = panels.colour_bar(192, 2.5)
    np.testing.assert_array_equal(other[:rows], gradient)  # same colours, other metres: '0 m' stays, the rest not
    assert (other[rows:, :10] == bar[rows:, :10]).all() and (other[rows:] != bar[rows:]).any()


@pytest.fixture
def hand_made_sample():
    """32x32, 8-px patches (4x4 grid): a depth ramp 1..3 m with an invalid row, a prediction of 10 m everywhere
    (what an untrained output on visible patches may look like), depth hidden on patches 5 and 6, RGB on 0."""
    rows, cols = np.mgrid[0:32, 0:32]
    gt = (1 + 2 * cols / 31).astype(np.float32)
    gt[20] = 0
    pred = np.full((32, 32), 10.0, np.float32)
    rgb = np.stack([rows * 8, cols * 8, np.full_like(rows, 100)], -1).astype(np.uint8)
    patch_mask = np.zeros(16, bool)
    depth_hidden = patch_mask.copy()
    depth_hidden[[5, 6]] = True  # row 1, columns 1-2: pixels [8:16, 8:24]
    rgb_hidden = patch_mask.copy()
    rgb_hidden[0] = True
    return dict(rgb=rgb, gt_depth=gt, pred_depth=pred, rgb_hidden=panels.upsample_patch_mask(rgb_hidden, (32, 32), 8),
                depth_hidden=panels.upsample_patch_mask(depth_hidden, (32, 32), 8))


def test_panel_pastes_visible_ground_truth_and_marks_the_predicted_region(hand_made_sample):
    sample = hand_made_sample
    tiles, bars = panel_parts(panels.draw_reconstruction_panel(**sample, min_tile=32), (32, 32))  # native size
    rgb, visible_rgb, visible_depth, pred_tile, gt_tile, error_tile = tiles
    hidden = sample['depth_hidden']
    assert hidden.sum() == 2 * 64
    np.testing.assert_array_equal(rgb, sample['rgb'])
    assert (visible_rgb[:8, :8] < rgb[:8, :8]).any() and (visible_rgb[8:] == rgb[8:]).all()
    np.testing.assert_array_equal(gt_tile, panels.colorize_depth(sample['gt_depth'], 3.0))
    assert (visible_depth[hidden] == 0).all() and (visible_depth[~hidden] == gt_tile[~hidden]).all()
    # visible patches: the ground truth, not the (never trained) 10 m output
    np.testing.assert_array_equal(pred_tile[~hidden], gt_tile[~hidden])
    # hidden region: a white line just inside its border (2x1 patches: 16x8 px -> 2 * 16 + 2 * 8 - 4 pixels) ...
    outline = (pred_tile == panels.OUTLINE).all(-1)
    assert outline.sum() == 2 * 16 + 2 * 8 - 4 and not outline[~hidden].any()
    assert (error_tile[outline] == panels.OUTLINE).all()
    # ... and inside it the prediction, on the depth scale (10 m > the 3 m maximum: the top colour)
    inside = hidden & ~outline
    assert (pred_tile[inside] == panels.colorize_depth(np.array([[3.0]]), 3.0)[0, 0]).all()
    # error tile: grey where nothing was predicted; |pred - gt| on the error scale inside
    assert (error_tile[~hidden] == panels.NOT_PREDICTED).all()
    expected_error = panels.colorize_depth(np.abs(sample['pred_depth'] - sample['gt_depth']), 3.0 * panels.ERROR_SCALE)
    np.testing.assert_array_equal(error_tile[inside], expected_error[inside])
    # colour bars: depth under tiles 2..4 (0..3 m), error under tile 5 (0..0.75 m)
    margin = panels.BAR_MARGIN
    assert (bars[:, :64] == panels.NO_DATA).all(-1).any()  # the no-data legend under the RGB tiles
    np.testing.assert_array_equal(bars[:, 64 - margin:64 + margin], 0)
    np.testing.assert_array_equal(bars[:, 64 + margin:160 - margin], panels.colour_bar(96 - 2 * margin, 3.0))
    np.testing.assert_array_equal(bars[:, 160 - margin:160 + margin], 0)  # the two bars' labels stay apart
    error_bar = panels.colour_bar(32 - 2 * margin, 3.0 * panels.ERROR_SCALE)
    np.testing.assert_array_equal(bars[:, 160 + margin:192 - margin], error_bar)


def test_panel_predicted_region_can_differ_from_the_hidden_depth(hand_made_sample):
    """loss_patches='all': every patch is trained, so the raw output is shown everywhere."""
    sample = hand_made_sample
    everything = np.ones((32, 32), bool)
    tiles, _ = panel_parts(panels.draw_reconstruction_panel(**sample, predicted=everything, min_tile=32), (32, 32))
    pred_tile, error_tile = tiles[3], tiles[5]
    top_colour = panels.colorize_depth(np.array([[3.0]]), 3.0)[0, 0]
    assert (pred_tile[1:-1, 1:-1] == top_colour).all()  # no outline inside: the region is the whole image
    assert not (error_tile == panels.NOT_PREDICTED).all(-1).any()


def test_small_inputs_get_256_px_tiles_and_invalid_depth_its_own_colour(hand_made_sample):
    sample = hand_made_sample
    everything = np.ones((32, 32), bool)
    panel = panels.draw_reconstruction_panel(**sample, predicted=everything)  # 32 px input: enlarged x 8
    tiles, _ = panel_parts(panel, (256, 256))
    assert panel.shape == (panels.TITLE_HEIGHT + 256 + panels.BAR_HEIGHT + panels.LABEL_HEIGHT, 6 * 256, 3)
    visible_depth, gt_tile, error_tile = tiles[2], tiles[4], tiles[5]
    invalid = panels.enlarge(sample['gt_depth'] == 0, 8)  # row 20 -> rows 160..167
    assert invalid.sum() == 8 * 256 and invalid[160:168].all()
    no_data = [(tile == panels.NO_DATA).all(-1) for tile in (gt_tile, error_tile)]
    for marked in no_data:  # exactly the invalid pixels, in a colour that is neither black nor any depth's
        np.testing.assert_array_equal(marked, invalid)
    assert panels.NO_DATA != panels.HIDDEN and not (panels.colour_bar(256, 3.0) == panels.NO_DATA).all(-1).any()
    hidden = panels.enlarge(sample['depth_hidden'], 8)
    assert (visible_depth[hidden] == panels.HIDDEN).all() and (visible_depth[invalid & ~hidden] == panels.NO_DATA).all()
    # one patch of 8 px = 64 px: the enlargement is by whole pixels (blocks of 8 x 8 equal pixels)
    np.testing.assert_array_equal(tiles[0], panels.enlarge(sample['rgb'], 8))


def test_neighbouring_colour_bar_labels_stay_apart():
    """The depth bar's last label ends flush right under tile 5 and the error bar's first starts flush left under
    tile 6: at 256 px tiles at least 24 px of black between them (4 px apart at 128 px tiles looked like one)."""
    rows, width = panels.TITLE_HEIGHT + 256, 256
    gt = np.full((256, 256), 3.2, np.float32)
    hidden = np.zeros((256, 256), bool)
    hidden[:64] = True
    panel = panels.draw_reconstruction_panel(np.zeros((256, 256, 3), np.uint8), gt, gt + 0.1, hidden, hidden)
    labels = panel[rows + panels.BAR_HEIGHT:].max(-1) > 60  # text pixels of the label rows
    columns = np.flatnonzero(labels.any(0))
    left, right = columns[columns < 5 * width].max(), columns[columns >= 5 * width].min()
    assert right - left - 1 >= 24 and panels.bar_margin(width) * 2 >= 24


@pytest.fixture(scope='module')
def tiny_model_and_batch(synthetic_root):
    cfg = tiny_config(64, synthetic_root)
    return build_model(cfg.model), load_batch(cfg, batch_size=2)


def test_model_panel_and_inference_mode_leave_training_untouched(tiny_model_and_batch):
    model, batch = tiny_model_and_batch
    model.train()
    rng_state = torch.get_rng_state()
    out = visualization.reconstruct_batch(model, batch)  # the package face, as the tool imports it
    assert model.training and torch.equal(torch.get_rng_state(), rng_state)
    tiles, _ = panel_parts(visualization.make_reconstruction_panel(model, out, index=1), (256, 256))  # 64 px x 4
    hidden = out['depth_mask'][1].reshape(4, 4).numpy().repeat(64, 0).repeat(64, 1)
    assert 0 < hidden.sum() < hidden.size
    np.testing.assert_array_equal(tiles[3][~hidden], tiles[4][~hidden])
    assert (tiles[5][~hidden] == panels.NOT_PREDICTED).all()
    with panels.inference_mode(model):
        assert not model.training and not torch.is_grad_enabled()
        torch.rand(3)  # any random draw inside (dropout, masks)
    assert model.training and torch.equal(torch.get_rng_state(), rng_state)


def fake_runner(model, iteration: int):
    return mock.Mock(model=model, iter=iteration, visualizer=mock.Mock(), logger=mock.Mock())


@pytest.mark.parametrize('batch_size', [1, 2])
def test_hook_logs_diagnostics_and_skips_reliance_for_a_batch_of_one(tiny_model_and_batch, batch_size):
    model, batch = tiny_model_and_batch
    batch = {key: value[:batch_size] for key, value in batch.items()}
    hook = Mask3DReconstructionHook(interval=2)
    runner = fake_runner(model, iteration=0)
    hook.after_train_iter(runner, 0, batch)  # iteration 1: not yet
    runner.visualizer.add_image.assert_not_called()
    runner = fake_runner(model, iteration=1)
    hook.after_train_iter(runner, 1, batch)
    name, panel = runner.visualizer.add_image.call_args.args
    assert name == 'mask3d_reconstruction' and runner.visualizer.add_image.call_args.kwargs['step'] == 2
    row_height = panels.TITLE_HEIGHT + 256 + panels.BAR_HEIGHT + panels.LABEL_HEIGHT  # 64 px inputs, 256 px tiles
    assert panel.shape[0] == batch_size * row_height  # one row per sample, up to the hook's 4
    for row in range(batch_size):
        panel_parts(panel[row * row_height:(row + 1) * row_height], (256, 256))
    scalars = runner.visualizer.add_scalars.call_args.args[0]
    assert {'diag/loss_depth', 'diag/nearest_visible_depth_loss', 'diag/loss_depth_no_depth'} <= scalars.keys()
    assert all(np.isfinite(v) for v in scalars.values())
    message = runner.logger.info.call_args.args[0]
    if batch_size == 1:
        assert 'diag/rgb_reliance' not in scalars and 'diag/loss_depth_rgb_shuffled' not in scalars
        assert 'rgb_reliance skipped' in message
    else:
        assert {'diag/rgb_reliance', 'diag/loss_depth_rgb_shuffled'} <= scalars.keys()
        assert 'rgb_reliance' in message and 'skipped' not in message


def test_hook_diagnostics_reach_scalars_json(synthetic_root, tmp_path):
    cfg = tiny_config(64, synthetic_root)
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10, by_epoch=False)
    cfg.custom_hooks = [dict(type='Mask3DReconstructionHook', interval=2)]
    cfg.log_level = 'WARNING'
    cfg.visualizer.name = f'vis:{tmp_path}'  # visualizers are per-name singletons
    Runner.from_cfg(cfg).train()
    (scalars_file,) = glob.glob(str(tmp_path / '*' / 'vis_data' / 'scalars.json'))
    with open(scalars_file) as f:
        records = [json.loads(line) for line in f]
    diag = [r for r in records if 'diag/rgb_reliance' in r]
    assert len(diag) == 1 and diag[0]['step'] == 2 and np.isfinite(diag[0]['diag/nearest_visible_depth_loss'])
    assert glob.glob(str(tmp_path / '*' / 'vis_data' / 'vis_image' / 'mask3d_reconstruction_2.png'))


@pytest.fixture(scope='module')
def checkout(synthetic_root, tmp_path_factory):
    """A folder laid out as the README assumes after `make demo`: configs/, data/synthetic/ and
    work_dirs/demo/epoch_20.pth (here: the demo model's initial weights)."""
    root = tmp_path_factory.mktemp('checkout')
    os.symlink(osp.join(REPO, 'configs'), root / 'configs')
    os.makedirs(root / 'data')
    os.symlink(synthetic_root, root / 'data' / 'synthetic')
    os.makedirs(root / 'work_dirs' / 'demo')
    model = build_model(Config.fromfile(TINY_CONFIG).model)
    torch.save(dict(state_dict=model.state_dict()), root / 'work_dirs' / 'demo' / 'epoch_20.pth')
    return root


def run_readme_command(command: str, checkout, monkeypatch):
    argv = shlex.split(command)
    assert argv[:2] == ['python', 'tools/analysis/visualize_reconstruction.py']
    monkeypatch.chdir(checkout)
    tool = load_tool('tools/analysis/visualize_reconstruction.py')
    run_cli(lambda: tool.main(argv[2:]))


def test_readme_visualize_command_finds_the_frame_under_the_data_root(checkout, monkeypatch, capsys):
    assert not osp.exists(checkout / 'scene0000_00')  # only the config's data root has it
    run_readme_command(README_COMMAND, checkout, monkeypatch)
    assert capsys.readouterr().out.strip().splitlines()[-1] == f'saved {osp.join("panels", "scene0000_00_0.png")}'
    tiles, _ = panel_parts(read_rgb(checkout / 'panels' / 'scene0000_00_0.png'), (256, 256))  # 128 px x 2
    dimmed = (tiles[0] != tiles[1]).reshape(8, 32, 8, 32, 3).any(axis=(1, 3, 4))  # (8, 8) patches
    rgb_mask_ratio = Config.fromfile(TINY_CONFIG).model.rgb_mask_ratio
    assert dimmed.sum() == 64 - int(64 * (1 - rgb_mask_ratio))  # hidden patches dimmed, visible ones untouched
    # the first tile is the whole frame (centre square) resized to the model input
    image = cv2.imread(str(checkout / 'data' / 'synthetic' / 'scene0000_00' / 'color' / '0.jpg'))
    side = min(image.shape[:2])
    top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
    expected = cv2.resize(image[top:top + side, left:left + side], (128, 128), interpolation=cv2.INTER_LINEAR)
    assert np.abs(tiles[0].astype(int) - panels.enlarge(expected[..., ::-1], 2)).mean() < 4
    outline = (tiles[3] == panels.OUTLINE).all(-1)
    assert outline.any() and (tiles[5][outline] == panels.OUTLINE).all()
    # a frame relative to the working directory still works as before
    run_readme_command(README_COMMAND.replace('scene0000_00/color/0.jpg', 'data/synthetic/scene0001_00/color/0.jpg'),
                       checkout, monkeypatch)
    assert osp.isfile(checkout / 'panels' / 'scene0001_00_0.png')


def test_readme_visualize_command_with_a_missing_frame_is_one_error_line(checkout, monkeypatch, capsys):
    command = README_COMMAND.replace('scene0000_00/color/0.jpg', 'scene0042_00/color/7.jpg')
    with pytest.raises(SystemExit) as exit_info:
        run_readme_command(command, checkout, monkeypatch)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith('error: --frames scene0042_00/color/7.jpg: not found')
    assert osp.join(checkout, 'scene0042_00', 'color', '7.jpg') in err  # the working directory ...
    assert osp.join(checkout, 'data', 'synthetic', 'scene0042_00', 'color', '7.jpg') in err  # ... and the data root


def test_hook_logs_an_undefined_diagnostic_as_n_a():
    runner = fake_runner(model=None, iteration=9)
    diagnostics = dict(loss_depth=0.4, nearest_visible_depth_loss=float('nan'), loss_depth_rgb_shuffled=0.5,
                       rgb_reliance=0.25, loss_depth_no_depth=0.4)
    Mask3DReconstructionHook.log_diagnostics(runner, diagnostics, batch_size=4, step=10)
    runner.visualizer.add_scalars.assert_called_once_with(
        {'diag/loss_depth': 0.4, 'diag/loss_depth_rgb_shuffled': 0.5, 'diag/rgb_reliance': 0.25,
         'diag/loss_depth_no_depth': 0.4}, step=10)
    assert runner.logger.info.call_args.args[0] == (
        'Mask3D diagnostics at iter 10: loss_depth: 0.4000, nearest_visible_depth_loss: n/a, '
        'loss_depth_rgb_shuffled: 0.5000, rgb_reliance: 0.2500, loss_depth_no_depth: 0.4000')
