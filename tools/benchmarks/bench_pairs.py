"""Benchmark Pri3D pair mining: our sparse voxel-hash overlap vs a reference of Pri3D's approach (5 cm voxel
downsample of each frame, then a scipy cKDTree radius test for every ordered frame pair).

    python tools/benchmarks/bench_pairs.py [--frames-root DIR | --scenes 2 --frames 60] [--min-overlap 0.3]

Both compute the same overlap (definition in ``mask3d_mm/data_prep/pair_mining.py``) from the same back-projected
points (loading is timed separately): the reference downsamples each frame to its occupied voxel centres
(weighted by pixel count) and asks a KD-tree of frame j, for every ordered pair, which of i's centres have one of
j's within ``match_radius`` voxels. The table reports the overlap stage's best wall time of ``--repeat`` runs
(torch on one thread, like the single-threaded reference) and the agreement (IoU) of the pair sets above the
threshold.
"""
import argparse
import tempfile
import time

import numpy as np
import torch
from scipy.spatial import cKDTree

from mask3d_mm.data_prep.pair_mining import list_scenes, load_scene, overlap_matrix


def downsample(points, voxel_size):
    """Occupied voxel centres ``(V, 3)`` of a frame's points and the number of points in each ``(V,)``."""
    cells = np.floor(points / np.float32(voxel_size)).astype(np.int64)  # (P, 3), same rounding as ours
    cells, counts = np.unique(cells, axis=0, return_counts=True)
    return (cells + 0.5) * voxel_size, counts


def reference_overlaps(points_per_frame, voxel_size=0.05, match_radius=1.5):
    """The overlap matrix by downsampling + one cKDTree query per ordered pair (O(F^2) queries)."""
    clouds = [downsample(p, voxel_size) for p in points_per_frame]
    trees = [cKDTree(centres) for centres, _ in clouds]
    radius = match_radius * voxel_size * (1 + 1e-9)  # inclusive, like ours (no centre distance lies near 1.5)
    num = len(clouds)
    matched = np.zeros((num, num))
    for i, (centres_i, counts_i) in enumerate(clouds):
        for j in range(num):
            if i != j and len(centres_i) and len(clouds[j][0]):
                dist, _ = trees[j].query(centres_i, distance_upper_bound=radius)
                matched[i, j] = counts_i[np.isfinite(dist)].sum()
    sizes = np.array([counts.sum() for _, counts in clouds], dtype=np.float64)
    total = sizes[:, None] + sizes[None, :]
    overlaps = np.divide(matched + matched.T, total, out=np.zeros_like(matched), where=total > 0)
    np.fill_diagonal(overlaps, (sizes > 0).astype(np.float64))
    return overlaps


def pair_set(overlaps, min_overlap):
    rows, cols = np.nonzero(np.triu(overlaps >= min_overlap, k=1))
    return set(zip(rows.tolist(), cols.tolist()))


def timed(fn, *args, repeat=1, **kwargs):
    """Result and best wall time of ``repeat`` runs (the minimum is the least disturbed by other load)."""
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        seconds.append(time.perf_counter() - start)
    return out, min(seconds)


def bench_scene(frames_root, scene_id, args):
    scene, load_s = timed(load_scene, frames_root, scene_id, frame_skip=args.frame_skip,
                          pixel_stride=args.pixel_stride)
    ours, ours_s = timed(overlap_matrix, scene.points, args.voxel_size, args.match_radius, repeat=args.repeat)
    ref, ref_s = timed(reference_overlaps, scene.points, args.voxel_size, args.match_radius, repeat=args.repeat)
    ours_pairs, ref_pairs = pair_set(ours, args.min_overlap), pair_set(ref, args.min_overlap)
    return dict(scene=scene_id, frames=len(scene.frame_ids), load_s=load_s, ours_s=ours_s, ref_s=ref_s,
                ours_pairs=ours_pairs, ref_pairs=ref_pairs,
                max_abs_diff=float(np.abs(ours - ref).max()))


def agreement(ours, ref):
    union = ours | ref
    return len(ours & ref) / len(union) if union else 1.0


def print_table(rows):
    print('| scene | frames | load s | ours s | reference s | speed-up | pairs ours / ref | agreement (IoU) '
          '| max abs overlap diff |')
    print('|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['scene']} | {r['frames']} | {r['load_s']:.2f} | {r['ours_s']:.3f} | {r['ref_s']:.2f} | "
              f"{r['ref_s'] / r['ours_s']:.0f}x | {len(r['ours_pairs'])} / {len(r['ref_pairs'])} | "
              f"{100 * agreement(r['ours_pairs'], r['ref_pairs']):.1f} % | {r['max_abs_diff']:.1e} |")
    ours = set().union(*[{(r['scene'], p) for p in r['ours_pairs']} for r in rows])
    ref = set().union(*[{(r['scene'], p) for p in r['ref_pairs']} for r in rows])
    ours_s, ref_s = sum(r['ours_s'] for r in rows), sum(r['ref_s'] for r in rows)
    print(f"| **all** | {sum(r['frames'] for r in rows)} | {sum(r['load_s'] for r in rows):.2f} | {ours_s:.3f} | "
          f"{ref_s:.2f} | {ref_s / ours_s:.0f}x | {len(ours)} / {len(ref)} | {100 * agreement(ours, ref):.1f} % | |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames-root', help='existing frame layout (default: generate synthetic scenes)')
    parser.add_argument('--scenes', type=int, default=2, help='synthetic scenes to generate')
    parser.add_argument('--frames', type=int, default=60, help='frames per synthetic scene')
    parser.add_argument('--frame-skip', type=int, default=1)
    parser.add_argument('--pixel-stride', type=int, default=2)
    parser.add_argument('--voxel-size', type=float, default=0.05)
    parser.add_argument('--match-radius', type=float, default=1.5, help='match radius in voxels')
    parser.add_argument('--min-overlap', type=float, default=0.3)
    parser.add_argument('--repeat', type=int, default=3, help='timed runs per method; the best is reported')
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # like the single-threaded reference (and steady timings on a shared machine)
    with tempfile.TemporaryDirectory() as tmp:
        frames_root = args.frames_root
        if frames_root is None:
            from mask3d_mm.data_prep.synthetic import generate_dataset
            frames_root = tmp
            scene_ids = generate_dataset(tmp, num_scenes=args.scenes, frames_per_scene=args.frames, seed=0)
        else:
            scene_ids = list_scenes(frames_root)
        print_table([bench_scene(frames_root, s, args) for s in scene_ids])


if __name__ == '__main__':
    main()
