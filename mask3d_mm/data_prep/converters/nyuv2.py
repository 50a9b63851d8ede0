"""NYUv2 labelled set (``nyu_depth_v2_labeled.mat``) -> the layout ``NYUv2SegDataset`` reads, plus depth, instances,
intrinsics and COCO instance annotations.

Inputs (none can be downloaded by us; the user brings them):

* ``nyu_depth_v2_labeled.mat``: MATLAB v7.3, i.e. HDF5. MATLAB is column-major, so every array comes out of
  h5py with its axes reversed: ``images`` (N, 3, W, H) uint8, ``depths`` (N, W, H) float metres,
  ``labels`` (N, W, H) 894-class ids (0 = unlabelled), ``instances`` (N, W, H) instance number *within* a class.
  Frames are read one at a time (the file is 2.8 GB).
* ``splits.mat``: ``trainNdxs`` (795) / ``testNdxs`` (654), 1-based frame numbers.
* ``classMapping40.mat`` (Gupta et al., CVPR'13): ``mapClass`` (1 x 894), 894-class id -> nyu40 id.
* optional ``classMapping13.mat`` with ``mapClass`` (1 x 894) -> 13-class id; without it the fixed 40 -> 13 table
  below is used.

The 13 classes (Couprie et al., ICLR'13) in id order 1..13: bed, books, ceiling, chair, floor, furniture, objects,
picture, sofa, table, tv, wall, window (``NYU13_CLASSES``). ``NYU40_TO_13`` is the nyu40 -> 13 table of the SceneNet
/ ``classMapping13.mat`` convention: structure (wall, door -> wall; window, blinds, curtain -> window; floor,
floor mat -> floor), storage furniture (cabinet, bookshelf, counter, shelves, dresser, refrigerator, night stand,
other furniture) -> furniture, small and rare things -> objects.

Output (frame names are the 1-based frame numbers of the .mat, zero-padded: ``0001``)::

    <out>/{train,test}/images/<N>.png      RGB (PNG: lossless)
    <out>/{train,test}/depth/<N>.png       uint16 millimetres, 0 = invalid
    <out>/{train,test}/labels40/<N>.png    uint8 nyu40 ids, 0 = unlabelled
    <out>/{train,test}/labels13/<N>.png    uint8 13-class ids, 0 = unlabelled
    <out>/{train,test}/instances/<N>.png   uint16 instance ids (one per (class, instance) pair), 0 = none
    <out>/intrinsic/intrinsic_{color,depth}.txt   4x4 (depth is registered to colour: the same K)
    <out>/{train,test}/instances.json      COCO, RLE masks, ``NYU37`` categories (nyu40 minus wall, floor,
                                           ceiling); ``file_name`` relative to <out> (configs/_base_/nyuv2_instance.py)
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np

from mask3d_mm.utils.errors import DataError

from ...formats.frame_layout import encode_depth
from ...utils.atomic_io import write_image_atomic, write_matrix_atomic
from .coco import NYU37, CocoBuilder

NUM_RAW_CLASSES = 894
SPLITS = ('train', 'test')
SPLIT_KEYS = {'train': 'trainNdxs', 'test': 'testNdxs'}
OUTPUT_DIRS = ('images', 'depth', 'labels40', 'labels13', 'instances')
# Kinect colour camera of the labelled set (Silberman et al.'s toolbox, camera_params.m).
NYUV2_INTRINSICS = np.array([[518.86, 0.0, 325.58], [0.0, 519.47, 253.74], [0.0, 0.0, 1.0]])
# nyu40 id (index) -> 13-class id; index 0 (unlabelled) stays 0.
NYU40_TO_13 = np.array([0, 12, 5, 6, 1, 4, 9, 10, 12, 13, 6, 8, 6, 13, 10, 6, 13, 6, 7, 7, 5, 7, 3, 2, 6, 11,
                        7, 7, 7, 7, 7, 7, 6, 7, 7, 7, 7, 7, 7, 6, 7], dtype=np.uint8)
MAT_FIELDS = ('images', 'depths', 'labels', 'instances')


# ----------------------------------------------------------------------------------------------- .mat reading
def load_small_mat(path: str, key: str) -> np.ndarray:
    """``key`` of a small .mat as a flat array, whether MATLAB saved it as v5 (scipy) or v7.3 (HDF5)."""
    if not osp.isfile(path):
        raise DataError(f'{path}: no such file')
    import h5py
    if h5py.is_hdf5(path):
        with h5py.File(path, 'r') as f:
            if key not in f:
                raise DataError(f'{path}: no variable {key!r} (found {sorted(f.keys())})')
            return np.asarray(f[key]).ravel()
    from scipy.io import loadmat
    try:
        variables = loadmat(path, variable_names=[key])
    except (ValueError, TypeError, OSError) as err:
        raise DataError(f'{path}: not a MATLAB .mat file ({err})') from None
    if key not in variables:
        raise DataError(f'{path}: no variable {key!r}')
    return np.asarray(variables[key]).ravel()


def read_splits(path: str, num_frames: int) -> Dict[str, np.ndarray]:
    """{split: 1-based frame numbers} of ``splits.mat``, checked to be in 1..num_frames and disjoint."""
    splits = {}
    for split, key in SPLIT_KEYS.items():
        numbers = load_small_mat(path, key)
        if numbers.size == 0 or not np.all(numbers == np.round(numbers)):
            raise DataError(f'{path}: {key} must hold integer frame numbers, got {numbers[:5]}')
        numbers = numbers.astype(np.int64)
        if numbers.min() < 1 or numbers.max() > num_frames:
            raise DataError(f'{path}: {key} holds frame numbers {numbers.min()}..{numbers.max()}, outside 1..'
                            f'{num_frames} (they are 1-based)')
        splits[split] = numbers
    shared = np.intersect1d(splits['train'], splits['test'])
    if shared.size:
        raise DataError(f'{path}: frames {shared[:5].tolist()} are in both trainNdxs and testNdxs')
    return splits


def read_class_map(path: str, num_classes: int) -> np.ndarray:
    """(895,) uint8 lookup table raw id -> class id (0 -> 0) from ``mapClass`` of a classMapping .mat."""
    map_class = load_small_mat(path, 'mapClass')
    if map_class.size != NUM_RAW_CLASSES:
        raise DataError(f'{path}: mapClass has {map_class.size} entries, expected {NUM_RAW_CLASSES}')
    if map_class.min() < 0 or map_class.max() > num_classes:
        raise DataError(f'{path}: mapClass values {map_class.min()}..{map_class.max()} are outside 0..{num_classes}')
    return np.concatenate([[0], map_class]).astype(np.uint8)


class LabelledMat:
    """The v7.3 ``nyu_depth_v2_labeled.mat``, read frame by frame; frames come back as (H, W[, 3]) arrays."""

    def __init__(self, path: str):
        import h5py
        if not osp.isfile(path):
            raise DataError(f'{path}: no such file')
        if not h5py.is_hdf5(path):
            raise DataError(f'{path}: not a MATLAB v7.3 (HDF5) file; nyu_depth_v2_labeled.mat is one')
        self.path = path
        self.file = h5py.File(path, 'r')
        missing = [key for key in MAT_FIELDS if key not in self.file]
        if missing:
            found = sorted(self.file.keys())
            self.close()
            raise DataError(f'{path}: missing variable(s) {missing} (found {found})')
        try:
            self.num_frames, _, width, height = self._check_shapes()
        except DataError:
            self.close()
            raise
        self.size = (width, height)

    def _check_shapes(self):
        shape = self.file['images'].shape
        if len(shape) != 4 or shape[1] != 3:
            raise DataError(f'{self.path}: images has HDF5 shape {shape}, expected (N, 3, W, H) (MATLAB H x W x 3 x N)')
        for key in MAT_FIELDS[1:]:
            expected = (shape[0], shape[2], shape[3])
            if self.file[key].shape != expected:
                raise DataError(f'{self.path}: {key} has HDF5 shape {self.file[key].shape}, expected {expected} '
                                '(N, W, H) like images')
        return shape

    def frame(self, number: int) -> dict:
        """Frame ``number`` (1-based): color (H, W, 3) uint8 RGB, depth (H, W) float metres, labels (H, W)
        894-class ids, instances (H, W) per-class instance numbers."""
        i = number - 1
        return dict(color=np.ascontiguousarray(self.file['images'][i].transpose(2, 1, 0)),
                    depth=self.file['depths'][i].T, labels=self.file['labels'][i].T.astype(np.int64),
                    instances=self.file['instances'][i].T.astype(np.int64))

    def close(self):
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ----------------------------------------------------------------------------------------------- conversion
def instance_ids(labels: np.ndarray, instances: np.ndarray) -> np.ndarray:
    """(H, W) uint16 ids 1..K, one per (raw class, instance number) pair of a labelled pixel (NYU's toolbox
    ``get_instance_masks``: instance numbers restart in every class); 0 = unlabelled or no instance."""
    valid = (labels > 0) & (instances > 0)
    keys = labels * 65536 + instances  # (H, W) unique per pair
    pairs, inverse = np.unique(keys[valid], return_inverse=True)
    if pairs.size > np.iinfo(np.uint16).max:
        raise DataError(f'{pairs.size} instances in one frame do not fit uint16 ids')
    ids = np.zeros(labels.shape, dtype=np.uint16)
    ids[valid] = inverse + 1
    return ids


@dataclass
class NYUv2Maps:
    raw_to_40: np.ndarray  # (895,) uint8
    raw_to_13: Optional[np.ndarray] = None  # (895,) uint8 from classMapping13.mat; None: NYU40_TO_13 of the 40

    def to_13(self, raw: np.ndarray, nyu40: np.ndarray) -> np.ndarray:
        return self.raw_to_13[raw] if self.raw_to_13 is not None else NYU40_TO_13[nyu40]


def convert_frame(frame: dict, maps: NYUv2Maps, source: str) -> Dict[str, np.ndarray]:
    """{output folder: image as written} of one frame (colour in cv2's BGR)."""
    if frame['labels'].max(initial=0) > NUM_RAW_CLASSES or frame['labels'].min(initial=0) < 0:
        raise DataError(f'{source}: labels outside 0..{NUM_RAW_CLASSES}')
    nyu40 = maps.raw_to_40[frame['labels']]
    return dict(images=np.ascontiguousarray(frame['color'][..., ::-1]), depth=encode_depth(frame['depth']),
                labels40=nyu40, labels13=maps.to_13(frame['labels'], nyu40),
                instances=instance_ids(frame['labels'], frame['instances']))


def write_intrinsics(out_dir: str) -> None:
    os.makedirs(osp.join(out_dir, 'intrinsic'), exist_ok=True)
    K = np.eye(4)
    K[:3, :3] = NYUV2_INTRINSICS
    for name in ('color', 'depth'):
        write_matrix_atomic(osp.join(out_dir, 'intrinsic', f'intrinsic_{name}.txt'), K)


def convert_nyuv2(mat_path: str, splits_path: str, map40_path: str, out_dir: str, map13_path: Optional[str] = None,
                  progress: bool = False) -> Dict[str, int]:
    """Convert the labelled set; returns {split: frames written}. Every file is written atomically, so an
    interrupted run leaves only complete files and a re-run completes the output."""
    from tqdm import tqdm
    maps = NYUv2Maps(read_class_map(map40_path, 40), read_class_map(map13_path, 13) if map13_path else None)
    written = {}
    with LabelledMat(mat_path) as mat:
        splits = read_splits(splits_path, mat.num_frames)
        write_intrinsics(out_dir)
        for split, numbers in splits.items():
            for folder in OUTPUT_DIRS:
                os.makedirs(osp.join(out_dir, split, folder), exist_ok=True)
            coco = CocoBuilder(NYU37, description=f'NYUv2 {split} (nyu40 minus wall, floor, ceiling)')
            for number in tqdm(sorted(numbers.tolist()), desc=f'nyuv2 {split}', disable=not progress):
                outputs = convert_frame(mat.frame(number), maps, f'{mat_path} frame {number}')
                name = f'{number:04d}.png'
                for folder, image in outputs.items():
                    write_image_atomic(osp.join(out_dir, split, folder, name), image)
                coco.add_image(f'{split}/images/{name}', outputs['instances'], outputs['labels40'])
            coco.write(osp.join(out_dir, split, 'instances.json'))
            written[split] = len(numbers)
    return written
