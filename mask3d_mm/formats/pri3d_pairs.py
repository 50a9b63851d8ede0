"""The Pri3D pair list format: one line per overlapping frame pair, ``<scene>/color/<i>.jpg <scene>/color/<j>.jpg
<overlap>``, written by ``data_prep.pair_mining`` and read by ``datasets.Pri3DPairDataset``."""
import os.path as osp

from mask3d_mm.utils.errors import DataError


def pair_line(scene_id, frame_i, frame_j, overlap):
    """A pairs.txt line: colour paths relative to the frames root, then the overlap."""
    return f'{scene_id}/color/{frame_i}.jpg {scene_id}/color/{frame_j}.jpg {overlap:.4f}'


def parse_pair_line(line, source='pairs file'):
    """``(scene_id, frame_i, frame_j, overlap)`` from a pairs.txt line."""
    fields = line.split()
    try:
        path_i, path_j = fields[0], fields[1]
        scene_id = path_i.split('/')[0]
        frame_i = int(osp.splitext(osp.basename(path_i))[0])
        frame_j = int(osp.splitext(osp.basename(path_j))[0])
        overlap = float(fields[2]) if len(fields) > 2 else float('nan')
    except (IndexError, ValueError) as err:
        raise DataError(f'{source}: bad pair line {line!r} (want "<scene>/color/<i>.jpg <scene>/color/<j>.jpg '
                         f'<overlap>")') from err
    return scene_id, frame_i, frame_j, overlap
