"""ScanNet 2D labels in the frame layout: raw ids -> ``label_nyu40/`` and ``label_scannet20/``; scene splits and
data-efficient subsets.

Works on ``scannet_frames_25k`` (``<scene>/label/000100.png``, names zero-padded and kept as they are) and on
frames extracted from ``.sens`` with ScanNet's 2D label zips unpacked into ``<scene>/label/``. Raw label PNGs
are 16-bit ScanNet ids mapped through ``scannetv2-labels.combined.tsv``; ids missing from the tsv become 0
(unannotated) and are counted. If your label PNGs already hold nyu40 ids, pass ``input_space='nyu40'``.

Data-efficient subsets (Pri3D): scenes are shuffled once with the seed and each subset is the shortest prefix
holding at least ``pct`` % of the training images, so subsets are nested (1 % within 5 % within ...) and
deterministic; at least one scene each.
"""
import os
import os.path as osp
import random
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mask3d_mm.utils.errors import DataError

from ...formats.frame_layout import (
    DATA_EFFICIENT_PERCENTS,
    frame_stems,
    read_label_png,
    read_scene_list,
    write_scene_list,
)
from ...formats.scannet_labels import nyu40_to_scannet20_lut, raw_to_nyu40_lut, read_label_tsv
from ...utils.atomic_io import write_image_atomic

RAW_LABEL_DIR, NYU40_DIR, SCANNET20_DIR = 'label', 'label_nyu40', 'label_scannet20'
INPUT_SPACES = ('raw', 'nyu40')
NUM_NYU40 = 40


@dataclass
class LabelMap:
    """Lookup tables of one tsv: raw id -> nyu40 id, and which raw ids the tsv knows."""
    raw_to_nyu40: np.ndarray  # (65536,) uint8
    known_raw: np.ndarray  # (65536,) bool

    @classmethod
    def from_tsv(cls, tsv_path):
        if not osp.isfile(tsv_path):
            raise DataError(f'label map {tsv_path}: no such file (ScanNet ships scannetv2-labels.combined.tsv)')
        try:
            mapping = read_label_tsv(tsv_path)
        except ValueError as err:
            raise DataError(str(err)) from None
        bad = {raw: nyu for raw, nyu in mapping.items() if not (0 <= raw < 65536 and 0 <= nyu <= NUM_NYU40)}
        if bad:
            raise DataError(f'{tsv_path}: ids out of range (raw id 0..65535, nyu40id 0..40): {sorted(bad.items())[:5]}')
        known = np.zeros(65536, dtype=bool)
        known[list(mapping)] = True
        return cls(raw_to_nyu40_lut(mapping)[:65536], known)


@dataclass
class LabelStats:
    frames_written: int = 0
    frames_existing: int = 0  # already converted, left as they were
    unknown_raw_ids: Dict[int, int] = field(default_factory=dict)  # raw id not in the tsv -> pixel count

    def merge(self, other: 'LabelStats'):
        self.frames_written += other.frames_written
        self.frames_existing += other.frames_existing
        for raw_id, count in other.unknown_raw_ids.items():
            self.unknown_raw_ids[raw_id] = self.unknown_raw_ids.get(raw_id, 0) + count


def map_labels(labels: np.ndarray, label_map: Optional[LabelMap], input_space: str = 'raw',
               source: str = 'labels') -> Tuple[np.ndarray, np.ndarray, Dict[int, int]]:
    """(nyu40 (H, W) uint8, train ids 0..19 / 255 (H, W) uint8, {unknown raw id: pixels}) of a label image."""
    if input_space == 'raw':
        nyu40 = label_map.raw_to_nyu40[labels]
        unknown = (~label_map.known_raw[labels]) & (labels > 0)
        ids, counts = np.unique(labels[unknown], return_counts=True)
        unknown_ids = dict(zip(ids.tolist(), counts.tolist()))
    elif input_space == 'nyu40':
        if labels.max(initial=0) > NUM_NYU40:
            raise DataError(f'{source}: label {int(labels.max())} > 40 in an image read as nyu40 ids '
                            '(raw ScanNet ids? use input_space raw)')
        nyu40, unknown_ids = labels.astype(np.uint8), {}
    else:
        raise ValueError(f'input_space must be one of {INPUT_SPACES}, got {input_space!r}')
    return nyu40, nyu40_to_scannet20_lut()[nyu40], unknown_ids


def convert_scene_labels(scene_dir: str, label_map: Optional[LabelMap], input_space: str = 'raw',
                         overwrite: bool = False) -> LabelStats:
    """Write ``label_nyu40/<name>.png`` and ``label_scannet20/<name>.png`` for every ``label/<name>.png``.
    Frames whose two outputs exist are skipped unless ``overwrite`` (outputs are written atomically, so an
    existing file is complete)."""
    label_dir = osp.join(scene_dir, RAW_LABEL_DIR)
    if not osp.isdir(label_dir):
        raise DataError(f'{scene_dir}: no {RAW_LABEL_DIR}/ folder of raw label PNGs')
    out_dirs = (osp.join(scene_dir, NYU40_DIR), osp.join(scene_dir, SCANNET20_DIR))
    for folder in out_dirs:
        os.makedirs(folder, exist_ok=True)
    stats = LabelStats()
    for stem in frame_stems(label_dir, '.png'):
        out_paths = [osp.join(folder, f'{stem}.png') for folder in out_dirs]
        if not overwrite and all(osp.isfile(p) for p in out_paths):
            stats.frames_existing += 1
            continue
        source = osp.join(label_dir, f'{stem}.png')
        nyu40, scannet20, unknown = map_labels(read_label_png(source), label_map, input_space, source)
        for path, image in zip(out_paths, (nyu40, scannet20)):
            write_image_atomic(path, image)
        stats.merge(LabelStats(frames_written=1, unknown_raw_ids=unknown))
    return stats


def convert_root_labels(root: str, label_map: Optional[LabelMap], input_space: str = 'raw',
                        overwrite: bool = False) -> LabelStats:
    """``convert_scene_labels`` for every scene of ``root`` that has a ``label/`` folder."""
    scene_ids = [s for s in scenes_in(root) if osp.isdir(osp.join(root, s, RAW_LABEL_DIR))]
    if not scene_ids:
        raise DataError(f'{root}: no scene folder with a {RAW_LABEL_DIR}/ folder of raw label PNGs')
    stats = LabelStats()
    for scene_id in scene_ids:
        stats.merge(convert_scene_labels(osp.join(root, scene_id), label_map, input_space, overwrite))
    return stats


# ------------------------------------------------------------------------------------------------- splits
def scenes_in(root: str) -> List[str]:
    """Scene folders (``scene*``) under ``root``, sorted."""
    return sorted(name for name in os.listdir(root) if name.startswith('scene') and osp.isdir(osp.join(root, name)))


def split_by_scan(scene_ids: Sequence[str], val_fraction: float, seed: int = 0) -> Tuple[List[str], List[str]]:
    """A seeded train/val split that keeps rescans of one space (``scene0000_00``, ``scene0000_01``) together,
    for data without the official ``scannetv2_{train,val}.txt``."""
    scans: Dict[str, List[str]] = {}
    for scene_id in sorted(scene_ids):
        scans.setdefault(scene_id.rsplit('_', 1)[0], []).append(scene_id)
    scan_ids = sorted(scans)
    random.Random(seed).shuffle(scan_ids)
    num_val = max(1, round(len(scan_ids) * val_fraction)) if val_fraction > 0 else 0
    pick = lambda ids: sorted(s for scan in ids for s in scans[scan])
    return pick(scan_ids[num_val:]), pick(scan_ids[:num_val])


def official_split(root: str, list_file: str) -> Tuple[List[str], List[str]]:
    """(scenes of ``list_file`` present under ``root``, those missing): the official ``scannetv2_*.txt`` lists
    name all 1513 scans, a download may hold fewer."""
    present = set(scenes_in(root))
    listed = read_scene_list(list_file)
    return [s for s in listed if s in present], [s for s in listed if s not in present]


def write_splits(root: str, train_list: Optional[str] = None, val_list: Optional[str] = None,
                 val_fraction: float = 0.2, seed: int = 0) -> Dict[str, Tuple[List[str], List[str]]]:
    """Write ``splits/{train,val}.txt`` from the official lists (restricted to the scenes present) or, without
    them, ``split_by_scan``; returns {split: (scene ids written, listed scene ids missing under root)}."""
    if (train_list is None) != (val_list is None):
        raise DataError('give both the train and the val scene list, or neither (then a seeded split is made)')
    if train_list is None:
        scene_ids = scenes_in(root)
        if not scene_ids:
            raise DataError(f'{root}: no scene folders (scene*) to split')
        splits = {name: (ids, []) for name, ids in zip(('train', 'val'), split_by_scan(scene_ids, val_fraction, seed))}
    else:
        splits = {'train': official_split(root, train_list), 'val': official_split(root, val_list)}
        for name, list_file in (('train', train_list), ('val', val_list)):
            if not splits[name][0]:
                raise DataError(f'{list_file}: none of its {len(splits[name][1])} scenes is under {root}')
    for name, (scene_ids, _) in splits.items():
        write_scene_list(osp.join(root, 'splits', f'{name}.txt'), scene_ids)
    return splits


def count_images(root: str, scene_ids: Sequence[str], image_dir: str = 'color', suffix: str = '.jpg') -> Dict[str, int]:
    counts = {}
    for scene_id in scene_ids:
        folder = osp.join(root, scene_id, image_dir)
        if not osp.isdir(folder):
            raise DataError(f'{folder}: no such folder (scene {scene_id} of the training list)')
        counts[scene_id] = len(frame_stems(folder, suffix))
    return counts


def data_efficient_subsets(image_counts: Dict[str, int], percents: Sequence[int] = DATA_EFFICIENT_PERCENTS,
                           seed: int = 0) -> Dict[int, List[str]]:
    """{pct: sorted scene ids} holding >= pct % of the images; nested and deterministic (see module doc)."""
    order = sorted(image_counts)
    random.Random(seed).shuffle(order)
    cumulative = np.cumsum([image_counts[s] for s in order])  # (num_scenes,)
    total = int(cumulative[-1]) if len(order) else 0
    if total == 0:
        raise DataError('data-efficient subsets: the training scenes hold no images')
    subsets = {}
    for pct in sorted(percents):
        if not 0 < pct <= 100:
            raise ValueError(f'subset percent must be in (0, 100], got {pct}')
        num_scenes = int(np.searchsorted(cumulative, total * pct / 100.0)) + 1  # first prefix reaching pct
        subsets[pct] = sorted(order[:min(num_scenes, len(order))])
    return subsets


def write_data_efficient_splits(root: str, percents: Sequence[int] = DATA_EFFICIENT_PERCENTS, seed: int = 0,
                                train_list: str = 'splits/train.txt', image_dir: str = 'color',
                                suffix: str = '.jpg') -> Dict[int, Tuple[str, int, int]]:
    """Write ``splits/train_{pct}.txt`` next to ``train_list``; returns {pct: (path, scenes, images)}."""
    counts = count_images(root, read_scene_list(osp.join(root, train_list)), image_dir, suffix)
    written = {}
    for pct, scene_ids in data_efficient_subsets(counts, percents, seed).items():
        path = write_scene_list(osp.join(root, osp.dirname(train_list), f'train_{pct}.txt'), scene_ids)
        written[pct] = (path, len(scene_ids), sum(counts[s] for s in scene_ids))
    return written
