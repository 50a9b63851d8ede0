import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from tests.conftest import REPO

CONFIG_DIR = REPO / 'configs' / 'pri3d'
TINY = CONFIG_DIR / 'pri3d-view-geo_resnet18-unet_1xb2_synthetic.py'


def tiny_config(world, work_dir):
    root, _, pairs_file = world
    cfg = Config.fromfile(TINY)
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.dataset.data_root = root
    cfg.train_dataloader.dataset.ann_file = pairs_file
    return cfg


def test_tiny_config_loss_falls_on_a_fixed_batch(pri3d_world, tmp_path):
    cfg = tiny_config(pri3d_world, tmp_path)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    loader = Runner.build_dataloader(cfg.train_dataloader)
    data = model.data_preprocessor(next(iter(loader)), True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = []
    for _ in range(12):
        losses = model(**copy.copy(data), mode='loss')
        total = losses['loss_view'] + losses['loss_geo']
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        history.append({k: v.item() for k, v in losses.items()})
    for key in ('loss_view', 'loss_geo'):
        assert history[-1][key] < 0.9 * history[0][key], [h[key] for h in history]


def test_tiny_config_trains_with_the_runner(pri3d_world, tmp_path):
    cfg = tiny_config(pri3d_world, tmp_path)
    cfg.train_cfg.max_iters = 2
    cfg.default_hooks.checkpoint.interval = 2
    runner = Runner.from_cfg(cfg)
    runner.train()
    state_dict = torch.load(tmp_path / 'iter_2.pth')['state_dict']
    assert any(k.startswith('backbone.encoder.') for k in state_dict)
    assert any(k.startswith('backbone3d.') for k in state_dict)


@pytest.mark.parametrize('name', sorted(p.name for p in CONFIG_DIR.glob('*scannet.py')))
def test_scannet_configs_build(name):
    cfg = Config.fromfile(CONFIG_DIR / name)
    model = MODELS.build(cfg.model)
    assert model.mode == cfg.model.mode and cfg.train_dataloader.batch_size * 8 == 64
    img = torch.zeros(1, 3, 64, 96)
    assert model.extract_feat(img).shape[-2:] == (32, 48)
