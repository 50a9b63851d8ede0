"""The Pri3D pairs / chunks format, written by ``data_prep.pair_mining`` and read by ``datasets.Pri3DPairDataset``
and the ``LoadPri3DPair`` transform:

    <dir>/pairs.txt              one line per overlapping frame pair:
                                 ``<scene>/color/<i>.jpg <scene>/color/<j>.jpg <overlap>`` (paths relative to the
                                 frames root)
    <dir>/pairs/<scene>.txt      the same lines, one file per scene (the miner's resumable per-scene results)
    <dir>/chunks/<scene>.npz     the scene's fused voxels: ``coords (V, 3)`` int32 voxel indices
                                 ``floor(world / voxel_size)``, ``colors (V, 3)`` uint8 RGB, ``voxel_size`` (m)

``<dir>`` is the folder of the pairs file. No mm imports.
"""
import os.path as osp
from functools import lru_cache

import numpy as np

from mask3d_mm.utils.atomic_io import atomic_output, write_text_atomic
from mask3d_mm.utils.errors import DataError

CHUNK_KEYS = ('coords', 'colors', 'voxel_size')


# ------------------------------------------------------------------------------------------------- folders
def chunks_dir(work_dir: str) -> str:
    return osp.join(work_dir, 'chunks')


def chunk_dir_of(pairs_file: str) -> str:
    """The default chunk folder: ``chunks/`` next to the pairs file."""
    return chunks_dir(osp.dirname(pairs_file))


def scene_pairs_path(work_dir: str, scene_id: str) -> str:
    return osp.join(work_dir, 'pairs', f'{scene_id}.txt')


def chunk_path(chunk_dir: str, scene_id: str) -> str:
    return osp.join(chunk_dir, f'{scene_id}.npz')


# ------------------------------------------------------------------------------------------------- pair lines
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


def read_pair_lines(path: str):
    """Non-blank, stripped lines of a pairs file."""
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def write_pair_lines(path: str, lines) -> None:
    write_text_atomic(path, ''.join(line + '\n' for line in lines))


# ------------------------------------------------------------------------------------------------- chunks
def write_chunk(path: str, coords: np.ndarray, colors: np.ndarray, voxel_size: float) -> None:
    """Write a scene chunk atomically (compressed npz)."""
    with atomic_output(path) as tmp_path, open(tmp_path, 'wb') as f:  # a file object: savez appends no suffix
        np.savez_compressed(f, coords=np.asarray(coords, np.int32), colors=np.asarray(colors, np.uint8),
                            voxel_size=np.float32(voxel_size))


@lru_cache(maxsize=4)
def read_chunk(path: str):
    """``coords (V, 3)`` int32, ``colors (V, 3)`` uint8, voxel size (m); a bad file is a DataError naming it."""
    try:
        with np.load(path) as data:
            return data['coords'], data['colors'], float(data['voxel_size'])
    except (OSError, KeyError, ValueError) as err:
        raise DataError(f'{path}: not a Pri3D voxel chunk file ({", ".join(CHUNK_KEYS)}) ({err})') from err
