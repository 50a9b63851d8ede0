"""Listing frames and scenes of the ScanNet extracted-frame layout (data/README.md); no mm imports, so the
converters and every dataset share one reading of the layout."""
import os
import os.path as osp
from typing import List

from mask3d_mm import geometry
from mask3d_mm.utils.errors import DataError

# Data-efficient fine-tuning subsets: ``splits/train_{pct}.txt``, nested, chosen by scenes (Pri3D's protocol).
DATA_EFFICIENT_PERCENTS = (1, 5, 10, 20, 40, 60, 80)


def frame_stems(folder: str, suffix: str) -> List[str]:
    """File stems ``<N>`` of ``<N><suffix>`` in ``folder``, sorted by number (``10`` after ``9``; zero padding as
    ScanNet-25k writes it is kept)."""
    stems = [name[:-len(suffix)] for name in os.listdir(folder) if name.endswith(suffix)]
    return sorted((s for s in stems if s.isdigit()), key=int)


def read_scene_list(list_file: str) -> List[str]:
    """Scene ids of a split file, one per line; blank lines skipped; a missing or empty file is a DataError."""
    if not osp.isfile(list_file):
        raise DataError(f'scene list file not found: {list_file}')
    with open(list_file) as f:
        scene_ids = [line.strip() for line in f if line.strip()]
    if not scene_ids:
        raise DataError(f'scene list file is empty: {list_file}')
    return scene_ids


def read_matrix(path):
    """A 4x4 text matrix (ScanNet pose / intrinsic file); a bad file is a DataError naming it."""
    try:
        return geometry.load_matrix_txt(path)
    except (OSError, ValueError) as err:
        raise DataError(str(err)) from err
