"""ScanNet label spaces: raw ScanNet ids -> nyu40 -> the 20 ScanNet benchmark classes.

The mapping file is ScanNet's ``scannetv2-labels.combined.tsv`` (columns include ``id`` and ``nyu40id``). Raw
label PNGs (``label/*.png`` in ``scannet_frames_25k`` and in our extracted layout) are 16-bit raw ids.
Pure numpy: used by converters, datasets and the synthetic world alike.
"""
import csv
from pathlib import Path

import numpy as np

IGNORE_INDEX = 255

# nyu40 class names, ids 1..40 (shared by the NYUv2 dataset and the COCO converters).
NYU40_CLASSES = ('wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window', 'bookshelf',
                 'picture', 'counter', 'blinds', 'desk', 'shelves', 'curtain', 'dresser', 'pillow', 'mirror',
                 'floor mat', 'clothes', 'ceiling', 'books', 'refrigerator', 'television', 'paper', 'towel',
                 'shower curtain', 'box', 'whiteboard', 'person', 'night stand', 'toilet', 'sink', 'lamp',
                 'bathtub', 'bag', 'otherstructure', 'otherfurniture', 'otherprop')

SCANNET20_CLASSES = ('wall', 'floor', 'cabinet', 'bed', 'chair', 'sofa', 'table', 'door', 'window',
                     'bookshelf', 'picture', 'counter', 'desk', 'curtain', 'refrigerator',
                     'shower curtain', 'toilet', 'sink', 'bathtub', 'otherfurniture')
# nyu40 id of each benchmark class, in SCANNET20_CLASSES order.
SCANNET20_NYU40_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 24, 28, 33, 34, 36, 39)

# The ScanNet benchmark palette (nyu40 colours of the 20 classes).
SCANNET20_PALETTE = [[174, 199, 232], [152, 223, 138], [31, 119, 180], [255, 187, 120], [188, 189, 34],
                     [140, 86, 75], [255, 152, 150], [214, 39, 40], [197, 176, 213], [148, 103, 189],
                     [196, 156, 148], [23, 190, 207], [247, 182, 210], [219, 219, 141], [255, 127, 14],
                     [158, 218, 229], [44, 160, 44], [112, 128, 144], [227, 119, 194], [82, 84, 163]]


def nyu40_to_scannet20_lut():
    """(256,) uint8 table: nyu40 id -> benchmark train id 0..19, everything else -> IGNORE_INDEX."""
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    for train_id, nyu40_id in enumerate(SCANNET20_NYU40_IDS):
        lut[nyu40_id] = train_id
    return lut


def read_label_tsv(tsv_path, target_column='nyu40id'):
    """Read ``scannetv2-labels.combined.tsv`` into {raw ScanNet id: target id}.

    Rows whose target is empty are skipped (they map to 0 = unannotated later).
    """
    tsv_path = Path(tsv_path)
    mapping = {}
    with open(tsv_path, newline='') as f:
        reader = csv.DictReader(f, delimiter='\t')
        missing = {'id', target_column} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f'{tsv_path}: missing column(s) {sorted(missing)}; '
                             f'found {reader.fieldnames}')
        for line_no, row in enumerate(reader, start=2):
            target = (row[target_column] or '').strip()
            if not target:
                continue
            try:
                mapping[int(row['id'])] = int(target)
            except ValueError as e:
                raise ValueError(f'{tsv_path}:{line_no}: not an integer id ({e})') from None
    return mapping


def raw_to_nyu40_lut(mapping, max_raw_id=None):
    """uint8 table raw id -> nyu40 id (0 = unannotated) from ``read_label_tsv``'s mapping."""
    size = max(max(mapping, default=0), max_raw_id or 0) + 1
    lut = np.zeros(max(size, 65536), dtype=np.uint8)
    for raw_id, nyu40_id in mapping.items():
        lut[raw_id] = nyu40_id
    return lut


def raw_to_scannet20(raw_labels, raw_to_nyu40):
    """Map a raw-id label image (uint16) to train ids 0..19 / 255 through nyu40."""
    return nyu40_to_scannet20_lut()[raw_to_nyu40[np.asarray(raw_labels, dtype=np.int64)]]
