"""Our configs are self-sufficient: the ``tools/train.py`` shipped inside the installed mmseg / mmdet wheels
(their ``.mim`` folders), which never import mask3d_mm, train and evaluate every synthetic twin through the
configs' ``custom_imports``, in fp32 on a CPU machine (the twins of AMP configs must not inherit AmpOptimWrapper,
which refuses to run without CUDA). Run from a foreign working directory, as a user of the wheels would.

The run length is a ``--cfg-options train_cfg.max_iters=N`` override, so these runs also show that the twins'
poly schedules end at the overridden N (not at the config's own max_iters)."""
import glob
import json
import os.path as osp

import mmdet
import mmseg
import numpy as np
import pytest

from tests.conftest import run_tool

from .twins import REPO

TWINS = osp.join(REPO, 'configs', 'finetune', 'synthetic')
ITERS = 2
SCHEDULE_ITERS = 8  # > the UperNet twins' 5 warm-up iterations, < their own 20: where the poly decay ends


def wheel_train_tool(package):
    return osp.join(osp.dirname(package.__file__), '.mim', 'tools', 'train.py')


def train_with_wheel_tool(package, twin, work_dir, *options, iters=ITERS):
    result = run_tool(wheel_train_tool(package), osp.join(TWINS, f'{twin}.py'), '--work-dir', work_dir,
                      '--cfg-options', f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                      'default_hooks.logger.interval=1', *options,
                      cwd=work_dir, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    scalars = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    assert len(scalars) == 1, scalars
    with open(scalars[0]) as f:
        records = [json.loads(line) for line in f]
    losses = [(r['iter'], r['loss']) for r in records if 'loss' in r]
    assert [it for it, _ in losses] == list(range(1, iters + 1)) and np.isfinite([v for _, v in losses]).all()
    assert osp.isfile(osp.join(work_dir, f'iter_{iters}.pth'))
    return records


def data_root_options(root):
    return [f'{loader}.dataset.data_root={root}' for loader in ('train_dataloader', 'val_dataloader')]


def learning_rates(records):
    """{iteration: lr} of the first parameter group, as logged by mmengine."""
    return {r['iter']: r['lr'] for r in records if 'loss' in r}


def check_poly_schedule_ends_at_the_run_end(records, warmup=5):
    """The twins' linear (power 1) poly decay starts at iteration ``warmup`` + 1 and, ending at the overridden
    SCHEDULE_ITERS, falls by equal steps to its eta_min 0 at the last iteration. With its ``end`` fixed at the
    config's own 20 iterations, the last lr would still be 13/14 of the peak."""
    lrs = learning_rates(records)
    decay = [lrs[it] for it in range(warmup + 1, SCHEDULE_ITERS + 1)]  # peak ... last
    steps = -np.diff(decay)
    assert decay[0] > 0 and (steps > 0).all() and np.allclose(steps, decay[0] / (SCHEDULE_ITERS - warmup - 1))
    assert decay[-1] == 0.0


SLOW = pytest.mark.slow  # ~50 s each on 2 busy cores; one twin per wheel tool runs by default


@pytest.mark.parametrize('twin, root', [
    pytest.param('upernet_vit-tiny_synthetic-scannet', 'synthetic', marks=SLOW),
    pytest.param('upernet_vit-tiny_synthetic-nyuv2-13', 'nyuv2', marks=SLOW),
    ('pri3d-unet_r18_synthetic-scannet', 'synthetic'),
])
def test_mmseg_wheel_train_tool_trains_and_evaluates_the_segmentation_twin(twin, root, synthetic_root, tiny_roots,
                                                                            tmp_path):
    data_root = synthetic_root if root == 'synthetic' else tiny_roots[root]
    poly_twin = twin.startswith('upernet')
    records = train_with_wheel_tool(mmseg, twin, tmp_path, *data_root_options(data_root),
                                    iters=SCHEDULE_ITERS if poly_twin else ITERS)
    validation = next(r for r in records if 'mIoU' in r)
    assert 0.0 <= validation['mIoU'] <= 100.0 and 0.0 <= validation['aAcc'] <= 100.0
    if poly_twin:
        check_poly_schedule_ends_at_the_run_end(records)


@pytest.mark.parametrize('twin', [pytest.param('mask-rcnn_vit-tiny_synthetic-scannet', marks=SLOW),
                                  'mask-rcnn_r18-fpn_synthetic-scannet'])
def test_mmdet_wheel_train_tool_trains_and_evaluates_the_mask_rcnn_twin(twin, coco_root, tmp_path):
    val_json = osp.join(coco_root, 'annotations', 'instances_val.json')
    records = train_with_wheel_tool(mmdet, twin, tmp_path, *data_root_options(coco_root),
                                    f'val_evaluator.ann_file={val_json}')
    validation = next(r for r in records if 'coco/segm_mAP' in r)
    assert all(0.0 <= validation[f'coco/{kind}_mAP'] <= 1.0 for kind in ('bbox', 'segm'))
