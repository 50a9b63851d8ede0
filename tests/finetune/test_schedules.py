"""Fine-tuning schedules follow ``train_cfg.max_iters``: the poly decay of every iteration-based fine-tuning config
we own has no ``end`` of its own, so mmengine's Runner ends it at the run's last iteration, also after a
``--cfg-options train_cfg.max_iters=N`` override. The twins' schedulers (5 warm-up iterations; the real configs'
1500 are too many for a unit test) run in a real Runner on a one-weight model with lr 1, so the logged lr is the
schedule's factor. test_upstream_tools.py shows the same through mmseg's tools/train.py."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from .twins import REPO

FINETUNE = osp.join(REPO, 'configs', 'finetune')
CONFIGS = ['upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py',
           'upernet_vit-b16-mask3d_8xb2-amp-80k_cityscapes-512x1024.py',
           'synthetic/upernet_vit-tiny_synthetic-scannet.py',
           'synthetic/upernet_vit-tiny_synthetic-nyuv2-13.py']


class OneWeight(BaseModel):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))

    def forward(self, inputs, data_samples=None, mode='loss'):
        return dict(loss=(self.weight * inputs).sum())


def lr_per_iteration(param_scheduler, max_iters, work_dir):
    runner = Runner(model=OneWeight(), work_dir=str(work_dir),
                    train_dataloader=DataLoader([dict(inputs=torch.ones(1))] * 2),
                    optim_wrapper=dict(optimizer=dict(type='SGD', lr=1.0)), param_scheduler=param_scheduler,
                    train_cfg=dict(by_epoch=False, max_iters=max_iters), default_hooks=dict(checkpoint=None),
                    default_scope='mmengine')
    runner.train()
    return np.array(runner.message_hub.get_scalar('train/lr').data[0])


@pytest.mark.parametrize('config', CONFIGS)
def test_poly_decay_has_no_end_of_its_own(config):
    """The warm-up hands over to a poly decay whose end the Runner sets to ``train_cfg.max_iters``."""
    cfg = Config.fromfile(osp.join(FINETUNE, config))
    warmup, poly = cfg.param_scheduler
    assert poly.type == 'PolyLR' and 'end' not in poly and poly.begin == warmup.end < cfg.train_cfg.max_iters


@pytest.mark.parametrize('config, max_iters', [  # overrides shorter than the twins' own 20 iterations
    ('synthetic/upernet_vit-tiny_synthetic-scannet.py', 9), ('synthetic/upernet_vit-tiny_synthetic-nyuv2-13.py', 14)])
def test_poly_decay_ends_at_the_overridden_max_iters(config, max_iters, tmp_path):
    cfg = Config.fromfile(osp.join(FINETUNE, config))
    warmup_iters = cfg.param_scheduler[0].end
    assert warmup_iters < max_iters < cfg.train_cfg.max_iters
    lrs = lr_per_iteration(cfg.param_scheduler, max_iters, tmp_path)
    decay = lrs[warmup_iters:]  # from the peak to the last iteration
    assert len(lrs) == max_iters and decay[0] == pytest.approx(1.0)
    assert np.allclose(-np.diff(decay), 1.0 / (len(decay) - 1))  # linear (power 1) ...
    assert decay[-1] == pytest.approx(0.0, abs=1e-12)  # ... down to eta_min 0 at the run's last iteration
