"""Mixed precision: one ``AmpOptimWrapper``-style training step (CPU autocast + grad scaler, see
``tests/helpers/cpu_amp.py``) of every fine-tuning model family, in bfloat16 and float16.

Each model is built from its real ScanNet config as ``test_real_configs.py`` runs it (the config's architecture,
datasets, transforms and optimizer constructor -- layer decay for the ViTs; images shrunk to 64 x 48, a batch of
2, no checkpoint loaded). The ViT-B backbones keep 4 (UperNet: one per pyramid output) or 2 (Mask R-CNN) of their
12 blocks in the bfloat16 steps of the default suite, widths unchanged, and all of them under ``make slow``; every
float16 step runs there too (float16 CPU matmuls / convolutions are ~100x slower than bfloat16: UperNet's float16
step takes minutes).

Missing CPU kernels: mmcv's CPU ``nms`` and ``roi_align`` kernels take float32 only (``expected scalar type Float
but found Half`` / ``BFloat16``; their CUDA kernels dispatch on half too), so the Mask R-CNN steps run those two ops
in float32 (``fp32_mmcv_cpu_ops``) and everything else of the detector under autocast.
"""
import importlib

import pytest
import torch
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import Runner

from tests.helpers import cpu_amp

from .test_real_configs import one_iteration_config

one_torch_thread = cpu_amp.one_torch_thread  # the autouse fixture, collected from this module

CONFIGS = {
    'upernet-vit': 'upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py',
    'mask-rcnn-vit-simple-fpn': 'mask-rcnn_vit-b16-mask3d_simple-fpn_amp-1x_scannet.py',
    'mask-rcnn-r50-fpn': 'mask-rcnn_r50-pri3d_fpn_1x_scannet.py',
}
VIT_LAYERS = {'upernet-vit': 4, 'mask-rcnn-vit-simple-fpn': 2}  # default-suite depth of the ViT-B backbones
# Mask R-CNN's loss samples RPN anchors / RoIs by thresholds on predicted boxes: rounding can flip a few samples.
DET_RTOL = {'bf16': 0.05, 'fp16': 0.02}


@pytest.fixture
def fp32_mmcv_cpu_ops(monkeypatch):
    """mmcv's float32-only CPU ``nms`` / ``roi_align`` on upcast inputs (roi_align's output cast back)."""
    nms_module, roi_align_module = (importlib.import_module(f'mmcv.ops.{name}') for name in ('nms', 'roi_align'))
    nms_kernel, roi_align = nms_module.ext_module.nms, roi_align_module.roi_align
    monkeypatch.setattr(nms_module.ext_module, 'nms',
                        lambda boxes, scores, **kwargs: nms_kernel(boxes.float(), scores.float(), **kwargs))
    monkeypatch.setattr(roi_align_module, 'roi_align',
                        lambda feats, rois, *args: roi_align(feats.float(), rois.float(), *args).to(feats.dtype))


def run_amp_step(family, dtype, data_root, full_depth=False):
    cfg = one_iteration_config(CONFIGS[family], data_root)
    if family in VIT_LAYERS and not full_depth:
        cfg.model.backbone = cpu_amp.shrink_vit_depth(cfg.model.backbone, VIT_LAYERS[family])
    init_default_scope(cfg.default_scope)
    data = next(iter(Runner.build_dataloader(cfg.train_dataloader)))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    rtol = DET_RTOL[dtype] if 'mask-rcnn' in family else None
    cpu_amp.check_amp_step(model, data, cfg.optim_wrapper, dtype, rtol=rtol)


@pytest.mark.parametrize('family,dtype', cpu_amp.amp_params(CONFIGS, default={f'{family}-bf16' for family in CONFIGS}))
def test_amp_step(family, dtype, tiny_roots, fp32_mmcv_cpu_ops):
    run_amp_step(family, dtype, tiny_roots['scannet'])


@pytest.mark.slow
@pytest.mark.parametrize('family,dtype', cpu_amp.amp_params(VIT_LAYERS))
def test_amp_step_full_depth(family, dtype, tiny_roots, fp32_mmcv_cpu_ops):
    run_amp_step(family, dtype, tiny_roots['scannet'], full_depth=True)
