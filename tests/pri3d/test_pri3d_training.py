"""Pri3D configs on the synthetic world: the tiny config's losses fall, the Runner trains it, and every config in
configs/pri3d (view / geo / view+geo, ResNet-18 / 50, ViT) builds and runs one optimizer step -- all on tiny
images (``SCALE``) so the file stays fast on CPU."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from tests.conftest import REPO

CONFIG_DIR = REPO / 'configs' / 'pri3d'
TINY = CONFIG_DIR / 'pri3d-view-geo_resnet18-unet_1xb2_synthetic.py'
SCALE = (80, 60)  # (width, height) of the loaded views


def config_on_world(path, world, work_dir, batch_size=None):
    """A Pri3D config pointed at the synthetic world, loading ``SCALE`` views, no loader workers."""
    root, _, pairs_file = world
    cfg = Config.fromfile(path)
    cfg.work_dir = str(work_dir)
    loader = cfg.train_dataloader
    loader.dataset.data_root, loader.dataset.ann_file = root, pairs_file
    loader.dataset.pipeline[0].scale = SCALE
    loader.num_workers, loader.persistent_workers = 0, False
    loader.batch_size = batch_size or loader.batch_size
    return cfg


def one_batch(cfg, model):
    init_default_scope(cfg.default_scope)  # the Runner does this; building by hand must too
    return model.data_preprocessor(next(iter(Runner.build_dataloader(cfg.train_dataloader))), True)


def test_tiny_config_loss_falls_on_a_fixed_batch(pri3d_world, tmp_path):
    cfg = config_on_world(TINY, pri3d_world, tmp_path, batch_size=1)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    data = one_batch(cfg, model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)  # Pri3D's lr
    history = []
    for _ in range(12):
        losses = model(**copy.copy(data), mode='loss')
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
        history.append({k: v.item() for k, v in losses.items()})
    for key in ('loss_view', 'loss_geo'):
        assert history[-1][key] < 0.9 * history[0][key], [h[key] for h in history]


def test_tiny_config_trains_with_the_runner(pri3d_world, tmp_path):
    cfg = config_on_world(TINY, pri3d_world, tmp_path)
    cfg.train_cfg.max_iters = 2
    cfg.default_hooks.checkpoint.interval = 2
    runner = Runner.from_cfg(cfg)
    runner.train()
    state_dict = torch.load(tmp_path / 'iter_2.pth')['state_dict']
    assert any(k.startswith('backbone.encoder.') for k in state_dict)
    assert any(k.startswith('backbone3d.') for k in state_dict)


# '-scratch' variants differ from their base only in the encoder's init_cfg, which this test never applies
@pytest.mark.parametrize('name', sorted(p.name for p in CONFIG_DIR.glob('*.py') if '-scratch' not in p.name))
def test_every_config_builds_and_runs_one_step(name, pri3d_world, tmp_path):
    cfg = config_on_world(CONFIG_DIR / name, pri3d_world, tmp_path, batch_size=1)
    cfg.train_dataloader.dataset.with_chunks = 'geo' in cfg.model.mode
    if 'scannet' in name:
        assert Config.fromfile(CONFIG_DIR / name).train_dataloader.batch_size * 8 == 64  # Pri3D: 64 on 8 GPUs
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    data = one_batch(cfg, model)
    before = [p.detach().clone() for p in model.backbone.parameters()]
    log_vars = model.train_step(data, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01)))
    expected = {'view': {'loss_view'}, 'geo': {'loss_geo'}, 'view+geo': {'loss_view', 'loss_geo'}}[cfg.model.mode]
    assert expected <= set(log_vars) and all(torch.isfinite(torch.as_tensor(log_vars[k])) for k in expected)
    assert any(not torch.equal(b, p) for b, p in zip(before, model.backbone.parameters()))
    features = model.extract_feat(torch.zeros(1, 3, SCALE[1], SCALE[0]))
    assert features.shape[-2:] == (SCALE[1] // 2, SCALE[0] // 2)
