"""The semantic segmentation twins train and evaluate (mIoU) on the synthetic world, like the real configs."""
import numpy as np
from mmengine.runner import Runner

from mask3d_mm.formats.scannet_labels import IGNORE_INDEX

from .twins import loss_history, twin_config


def train_and_validate(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    return loss_history(runner), runner.val_loop.run()


def check_learned(losses, metrics, num_classes):
    assert np.isfinite(losses).all()
    assert np.mean(losses[-5:]) < np.mean(losses[:5])  # it learns
    assert set(metrics) >= {'mIoU', 'aAcc', 'mAcc'}
    assert 0.0 <= metrics['mIoU'] <= 100.0
    assert metrics['aAcc'] > 100.0 / num_classes  # better than chance on the known synthetic labels


def test_upernet_vit_twin_trains_and_scores_miou(synthetic_root, tmp_path):
    cfg = twin_config('upernet_vit-tiny_synthetic-scannet', tmp_path, **{
        'train_dataloader.dataset.data_root': synthetic_root, 'val_dataloader.dataset.data_root': synthetic_root})
    losses, metrics = train_and_validate(cfg)
    check_learned(losses, metrics, 20)


def test_upernet_vit_nyuv2_twin_trains_and_scores_miou(tiny_roots, tmp_path):
    root = tiny_roots['nyuv2']
    cfg = twin_config('upernet_vit-tiny_synthetic-nyuv2-13', tmp_path, **{
        'train_dataloader.dataset.data_root': root, 'val_dataloader.dataset.data_root': root})
    losses, metrics = train_and_validate(cfg)
    check_learned(losses, metrics, 13)


def test_pri3d_unet_twin_trains_and_scores_miou(synthetic_root, tmp_path):
    cfg = twin_config('pri3d-unet_r18_synthetic-scannet', tmp_path, **{
        'train_dataloader.dataset.data_root': synthetic_root, 'val_dataloader.dataset.data_root': synthetic_root})
    losses, metrics = train_and_validate(cfg)
    check_learned(losses, metrics, 20)
    assert IGNORE_INDEX == cfg.model.decode_head.get('ignore_index', IGNORE_INDEX)
