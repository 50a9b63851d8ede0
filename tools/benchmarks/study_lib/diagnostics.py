"""Mask3D's pretext diagnostics for the study: does the trained model beat copying the nearest visible depth,
and does it use the RGB? Computed by the model itself (``Mask3D.depth_diagnostics``) on held-out frames."""
from pathlib import Path

DIAGNOSTICS = ('loss_depth', 'nearest_visible_depth_loss', 'loss_depth_rgb_shuffled', 'rgb_reliance',
               'loss_depth_no_depth')
# results.json key -> what Mask3D logs per training batch: its masked-depth L1 in metres (whatever the loss) and
# the copy-nearest-visible-depth baseline's on the same batch
TRAINING_LOGS = dict(loss_depth='depth_l1', nearest_visible_depth_loss='copy_baseline_l1')


def heldout_diagnostics(config: Path, checkpoint: Path, data_root: Path, scenes: str, batches: int = 4):
    """Mean of ``model.depth_diagnostics`` over ``batches`` batches of the frames listed in ``scenes`` (a split
    file of ``data_root``), with the pretraining pipeline and a fixed seed; None for a model without it."""
    import torch
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import DATASETS, MODELS

    import mask3d_mm  # noqa: F401  (registers the model)
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'depth_diagnostics'):
        return None
    load_checkpoint(model, str(checkpoint), map_location='cpu', logger='silent')
    model.eval()
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=f'{data_root}/', scenes=scenes,
                                  frame_skip=1))
    # Shuffled (seeded): the RGB-reliance test gives each sample the RGB of its batch neighbour, which must be
    # another view of the world, not the next frame of the same scene (frames are listed scene by scene).
    loader = torch.utils.data.DataLoader(dataset, batch_size=cfg.train_dataloader.batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(0), collate_fn=pseudo_collate)
    torch.manual_seed(0)  # the masks and the crops
    totals, count = {}, 0
    with torch.no_grad():
        for index, batch in enumerate(loader):
            if index == batches:
                break
            data = model.data_preprocessor(batch, training=False)
            for key, value in model.depth_diagnostics(data['inputs'], data['data_samples']).items():
                totals[key] = totals.get(key, 0.0) + float(value)
            count += 1
    means = {key: value / count for key, value in totals.items()}
    if {'loss_depth', 'loss_depth_rgb_shuffled'} <= set(means):  # the ratio of the means, not a mean of ratios
        means['rgb_reliance'] = means['loss_depth_rgb_shuffled'] / means['loss_depth'] - 1
    return means
