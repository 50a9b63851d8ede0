"""Our configs are self-sufficient: the ``tools/train.py`` shipped inside the installed mmseg / mmdet wheels
(their ``.mim`` folders), which never import mask3d_mm, train and evaluate the synthetic twins through the
configs' ``custom_imports``. Run from a foreign working directory, as a user of the wheels would."""
import glob
import json
import os.path as osp

import mmdet
import mmseg
import numpy as np

from tests.conftest import run_tool

from .twins import REPO

TWINS = osp.join(REPO, 'configs', 'finetune', 'synthetic')
ITERS = 2


def wheel_train_tool(package):
    return osp.join(osp.dirname(package.__file__), '.mim', 'tools', 'train.py')


def train_with_wheel_tool(package, twin, work_dir, *options):
    result = run_tool(wheel_train_tool(package), osp.join(TWINS, f'{twin}.py'), '--work-dir', work_dir,
                      '--cfg-options', f'train_cfg.max_iters={ITERS}', f'train_cfg.val_interval={ITERS}',
                      'default_hooks.logger.interval=1', *options,
                      cwd=work_dir, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    scalars = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    assert len(scalars) == 1, scalars
    with open(scalars[0]) as f:
        records = [json.loads(line) for line in f]
    losses = [(r['iter'], r['loss']) for r in records if 'loss' in r]
    assert [it for it, _ in losses] == list(range(1, ITERS + 1)) and np.isfinite([v for _, v in losses]).all()
    assert osp.isfile(osp.join(work_dir, f'iter_{ITERS}.pth'))
    return records


def test_mmseg_wheel_train_tool_trains_and_evaluates_the_pri3d_unet_twin(synthetic_root, tmp_path):
    records = train_with_wheel_tool(mmseg, 'pri3d-unet_r18_synthetic-scannet', tmp_path,
                                    f'train_dataloader.dataset.data_root={synthetic_root}',
                                    f'val_dataloader.dataset.data_root={synthetic_root}')
    validation = next(r for r in records if 'mIoU' in r)
    assert 0.0 <= validation['mIoU'] <= 100.0 and 0.0 <= validation['aAcc'] <= 100.0


def test_mmdet_wheel_train_tool_trains_and_evaluates_the_r18_mask_rcnn_twin(coco_root, tmp_path):
    val_json = osp.join(coco_root, 'annotations', 'instances_val.json')
    records = train_with_wheel_tool(mmdet, 'mask-rcnn_r18-fpn_synthetic-scannet', tmp_path,
                                    f'train_dataloader.dataset.data_root={coco_root}',
                                    f'val_dataloader.dataset.data_root={coco_root}',
                                    f'val_evaluator.ann_file={val_json}')
    validation = next(r for r in records if 'coco/segm_mAP' in r)
    assert all(0.0 <= validation[f'coco/{kind}_mAP'] <= 1.0 for kind in ('bbox', 'segm'))
