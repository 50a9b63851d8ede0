"""Running the synthetic twin configs the way tools/train.py does on a CPU machine."""
import os.path as osp

from mmengine.config import Config

from mask3d_mm.utils.launch import apply_cpu_fallbacks

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def twin_config(name, work_dir, **options):
    """A synthetic twin config (configs/finetune/synthetic/<name>.py) as tools/train.py would run it on CPU, seeded
    so that a test sees the same run every time."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'finetune', 'synthetic', f'{name}.py'))
    cfg.merge_from_dict(dict(options, work_dir=str(work_dir), launcher='none', randomness=dict(seed=0)))
    return apply_cpu_fallbacks(cfg)


def loss_history(runner):
    return list(runner.message_hub.get_scalar('train/loss').data[0])

