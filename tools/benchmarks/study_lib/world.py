"""The study world and its budgets: sizes, rendering the pretraining / downstream sets, data-efficient splits,
and the distinct frames each pretraining config reads (the fairness check: every method sees the same frames)."""
import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from mask3d_mm.data_prep.converters.scannet_2d import write_data_efficient_splits
from mask3d_mm.data_prep.pair_mining import CHUNK_VOXEL_SIZE
from mask3d_mm.data_prep.synthetic import generate_dataset
from mask3d_mm.data_prep.synthetic.appearance import Appearance
from mask3d_mm.data_prep.synthetic.catalog import DEFAULT_CLASSES
from mask3d_mm.utils.atomic_io import write_text_atomic

from .runs import log, run


@dataclass(frozen=True)
class StudySize:
    pretrain_scenes: int
    pretrain_frames: int
    downstream_scenes: int
    downstream_frames: int
    pretrain_iters: int
    finetune_iters: int
    seeds: int
    fractions: tuple  # shares of the downstream training images (nested scene subsets)
    probe_frames: int  # downstream frames per split used by the linear probes
    # fine-tuning recipes (lr, layer-wise lr decay), the same for every method; with several, each method is
    # fine-tuned with each and reported with its best (by mean mIoU on all the training data)
    recipes: tuple = ((1e-3, 0.75),)


SIZES = {
    # <= 90 min on the 2-core CPU with --jobs 2 (the default there); estimate, see docs/study.md
    'default': StudySize(pretrain_scenes=16, pretrain_frames=30, downstream_scenes=48, downstream_frames=10,
                         pretrain_iters=400, finetune_iters=600, seeds=3, fractions=(0.1, 1.0), probe_frames=96),
    # 4x the pretraining, 1.7x the fine-tuning, an lr x layer-decay grid: several hours on the 2-core CPU
    'large': StudySize(pretrain_scenes=16, pretrain_frames=30, downstream_scenes=48, downstream_frames=10,
                       pretrain_iters=1600, finetune_iters=1000, seeds=3, fractions=(0.1, 1.0), probe_frames=96,
                       recipes=((1e-3, 0.75), (1e-3, 1.0), (3e-4, 0.75))),
    # fewer iterations, for a machine busier than 'default' assumes
    'medium': StudySize(pretrain_scenes=16, pretrain_frames=30, downstream_scenes=48, downstream_frames=10,
                        pretrain_iters=200, finetune_iters=300, seeds=3, fractions=(0.1, 1.0), probe_frames=96),
    # the Mask3D ablation (--suite mask3d-ablation): the default pretraining, one fine-tuning on all the data
    'ablation': StudySize(pretrain_scenes=16, pretrain_frames=30, downstream_scenes=48, downstream_frames=10,
                          pretrain_iters=400, finetune_iters=600, seeds=1, fractions=(1.0,), probe_frames=96),
    'quick': StudySize(pretrain_scenes=2, pretrain_frames=6, downstream_scenes=5, downstream_frames=4,
                       pretrain_iters=4, finetune_iters=2, seeds=1, fractions=(0.5, 1.0), probe_frames=8),
}
# The many-room pretraining world: the default's 480 distinct frames spread over 240 rooms of 2 frames each (ScanNet
# has 1,513 scans of many frames; 16 rooms x 30 frames teach the rooms by heart: a model pretrained on them relied on
# the colour on frames of its training rooms far more than on unseen rooms). Rendering stays ~1 s per room of 2
# frames on one core. The downstream set, and so every held-out number, is other rooms (another seed). The
# scaling suite's world; the fair study keeps 'default' (its committed numbers) unless run with this size.
SIZES['many-rooms'] = replace(SIZES['default'], pretrain_scenes=240, pretrain_frames=2)


@dataclass(frozen=True)
class ScalingSize:
    """A size of the scaling suite: one world, fine-tuning and probe budget (``study``; its ``pretrain_iters``
    unused) and the pretraining lengths, each a separate run with its own warm-up + cosine schedule."""
    study: StudySize
    lengths: tuple  # pretraining iterations, shortest first


SCALING_SIZES = {
    # the CPU size: the many-room world, fine-tuned on all the downstream data with 3 seeds
    'default': ScalingSize(replace(SIZES['many-rooms'], fractions=(1.0,)), lengths=(400, 1600, 6400)),
    # one GPU (not run yet): the CPU size's world, budgets and lengths, the trainings on the GPU, its records apart
    # (docs/study/scaling-gpu/); the suite resumes, so it may span several calls
    'gpu': ScalingSize(replace(SIZES['many-rooms'], fractions=(1.0,)), lengths=(400, 1600, 6400)),
    # tests: the tiniest world, two lengths
    'quick': ScalingSize(replace(SIZES['quick'], pretrain_scenes=3, pretrain_frames=2, fractions=(1.0,)),
                         lengths=(2, 4)),
}
# The Pri3D suite's budgets (--suite pri3d): the ViT suite's worlds, fewer iterations. On the 2-core CPU a Pri3D
# ResNet-18 UNet step is far dearer than a ViT-tiny one (the whole default suite, --jobs 2, on an otherwise idle
# machine: 66 min; per step, 1 thread, 4 pairs at 160x120, 8 cm voxel chunks: view 2.3 s, geo 3.7 s, view+geo
# 3.9 s; a fine-tuning step of 4 images at 96x128 0.9 s), so the default runs 250 pretraining and 200 fine-tuning
# iterations.
PRI3D_SIZES = {
    'default': replace(SIZES['default'], pretrain_iters=250, finetune_iters=200),
    'medium': replace(SIZES['medium'], pretrain_iters=120, finetune_iters=100),
    'large': replace(SIZES['default'], pretrain_iters=1000, finetune_iters=600),
    # 4x the default's pretraining, its fine-tuning, all the data only: does a longer pretraining widen the gap?
    'long-pretrain': replace(SIZES['default'], pretrain_iters=1000, finetune_iters=200, fractions=(1.0,)),
    'quick': SIZES['quick'],
}
# The study world, for pretraining and downstream alike (other seeds): densely furnished rooms (20-32 objects
# tried per room) in which any object may take any palette and texture, so colour never gives the class away and a
# model has to tell the classes apart by shape, size and placement -- where a 3D prior can help. Only five large
# object classes of distinct shape. Objects-only mIoU of the study's UperNet ViT-tiny trained from scratch for 600
# iterations at 128x128 on all the downstream data: 3.7 with the generator's 18 classes (3 seeds), 14.0 with eight
# (cabinet, desk and bed added: confused with bookshelf / refrigerator, with table, and rarely placed; 1 seed),
# 23.5 with these five (1 seed).
STUDY_CLASSES = ('couch', 'table', 'door', 'bookshelf', 'refrigerator')  # raw ScanNet categories
STUDY_WORLD = dict(appearance=Appearance(palette_mode='shared'), num_objects=(20, 32),
                   classes=tuple(c for c in DEFAULT_CLASSES if c.category in STUDY_CLASSES))
ROOM_CLASSES = ('wall', 'floor')  # left out of the objects-only mIoU
PAIRS_FILE = 'pri3d/pairs.txt'  # Pri3D pairs (and voxel chunks), mined from the pretraining scenes
PRETRAIN_SEED, DOWNSTREAM_SEED = 1000, 2000


def world_record():
    """The world's settings as plain JSON values (for results.json)."""
    return dict(appearance=asdict(STUDY_WORLD['appearance']), num_objects=list(STUDY_WORLD['num_objects']),
                classes=list(STUDY_CLASSES))


def percent(fraction):
    return round(fraction * 100)


def make_datasets(out: Path, size: StudySize):
    pretrain_root, downstream_root = out / 'data' / 'pretrain', out / 'data' / 'downstream'
    log(f'rendering {size.pretrain_scenes} pretraining scenes and {size.downstream_scenes} downstream scenes')
    generate_dataset(pretrain_root, num_scenes=size.pretrain_scenes, frames_per_scene=size.pretrain_frames,
                     seed=PRETRAIN_SEED, **STUDY_WORLD)
    generate_dataset(downstream_root, num_scenes=size.downstream_scenes,
                     frames_per_scene=size.downstream_frames, seed=DOWNSTREAM_SEED, **STUDY_WORLD)
    # Pretraining uses every scene (labels unused); the downstream set keeps its own train / val split, and the
    # low-data settings train on nested random scene subsets holding >= that share of its training images
    # (splits/train_<pct>.txt, as for ScanNet's data-efficient benchmark).
    scene_ids = sorted(p.name for p in pretrain_root.iterdir() if (p / 'color').is_dir())
    write_text_atomic(pretrain_root / 'splits' / 'all.txt', ''.join(f'{s}\n' for s in scene_ids))
    write_data_efficient_splits(str(downstream_root), percents=[percent(f) for f in size.fractions],
                                seed=DOWNSTREAM_SEED)
    return pretrain_root, downstream_root


def mine_pairs(pretrain_root: Path, out: Path, chunks: bool, chunk_voxel_size: float = CHUNK_VOXEL_SIZE):
    """Overlapping frame pairs of the pretraining scenes for Pri3D; with ``chunks`` also each frame's voxel chunk
    (the geometric prior's 3D input) at ``chunk_voxel_size``. Pairs mined without chunks, or chunks of another
    voxel size, are mined again (``--overwrite``: mine_pairs.py refuses to mix options otherwise)."""
    pairs = pretrain_root / PAIRS_FILE
    marker = pairs.with_name('chunks.done')
    wanted = f'voxel_size {chunk_voxel_size:g}\n'
    if pairs.exists() and (not chunks or (marker.exists() and marker.read_text() == wanted)):
        return
    log(f'mining Pri3D pairs{f" and {chunk_voxel_size:g} m voxel chunks" if chunks else ""}')
    chunk_args = ['--chunk-voxel-size', f'{chunk_voxel_size:g}'] if chunks else ['--no-chunks']
    run(['tools/data/scannet/mine_pairs.py', '--frames-root', pretrain_root, '--out', pairs, '--min-overlap', '0.3',
         '--frame-skip', '1', *chunk_args, *(['--overwrite'] if pairs.exists() else [])], out / 'mine_pairs.log')
    if chunks:
        write_text_atomic(str(marker), wanted)


def check_size(out: Path, size_name: str, size):
    """Finished steps are reused, so one work folder must only ever hold one study size."""
    record, expected = out / 'size.json', json.dumps(dict(name=size_name, **asdict(size)), sort_keys=True)
    if record.exists() and record.read_text() != expected:
        raise SystemExit(f'study: {out} holds a study of another size ({record.read_text()}); use another --out')
    if not record.exists():  # its mtime is the study's start, also when resumed
        write_text_atomic(str(record), expected)


def distinct_frames(config: Path, data_root: Path) -> set:
    """The frames (colour image paths) the training set of a pretraining config reads from ``data_root``: every
    frame of a frame dataset, both frames of every pair of a pair dataset."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS

    import mask3d_mm  # noqa: F401  (registers the datasets)
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=f'{data_root}/', pipeline=[])
    dataset = DATASETS.build(dataset_cfg)
    frames = set()
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        views = info.get('views', [info])
        frames.update(str(Path(view['img_path']).relative_to(data_root)) for view in views)
    return frames


def frames_fingerprint(frames) -> str:
    """A short digest of a set of frame paths: two pretrainings saw the same frames iff their digests match (the
    scaling suite's records keep it instead of the list)."""
    return hashlib.sha256(''.join(f'{frame}\n' for frame in sorted(frames)).encode()).hexdigest()[:16]
