"""Mine Pri3D frame pairs (>= min overlap) and 2 cm scene voxel chunks from frames in the ScanNet layout.

    python tools/data/scannet/mine_pairs.py --frames-root data/scannet --out data/scannet/pri3d/pairs.txt \
        --min-overlap 0.3 --workers 8 [--frame-skip 1] [--split train] [--overwrite]

Overlap definition (Pri3D's, 5 cm voxels): see ``mask3d_mm/data_prep/pair_mining.py``.
Writes ``pairs.txt`` (colour paths relative to --frames-root, then the overlap) and, next to it,
``pairs/<scene>.txt`` + ``chunks/<scene>.npz`` per scene, and ``pairs/<scene>.json`` recording the options and
frames they came from. Per-scene files are written atomically; a scene recorded with the same options and frames is
skipped, so an interrupted run resumes where it stopped. Scenes recorded with other options stop the run with one
error line (``--overwrite`` re-mines them); a scene whose frames changed is mined again. Scenes without pairs are
counted in the summary with the reason (fewer than 2 frames after the frame skip, or no pair above the overlap).
A scene without poses (``pose/`` absent: converted by ``tools/data/rgbd/convert.py`` from a source without them)
stops the run with one error line before any work; its frames feed Mask3D only.

``--frame-skip`` counts positions in each scene's frame list: frames extracted with ``extract_sens.py --frame-skip
25`` are already every 25th raw frame, so mine them with ``--frame-skip 1`` (the default).
"""
import argparse
import os.path as osp
from functools import partial

from mask3d_mm.data_prep import pair_mining
from mask3d_mm.data_prep.cli_args import add_scene_job_args, positive_int
from mask3d_mm.data_prep.parallel import run_parallel
from mask3d_mm.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames-root', required=True, help='root of the frame layout (<root>/<scene>/depth/...)')
    parser.add_argument('--split', default=None, help='scene list splits/<split>.txt (default: all scenes)')
    parser.add_argument('--frame-skip', type=positive_int, default=1,
                        help='use every N-th frame of a scene\'s frame list (default 1: extracted frames are '
                             'already subsampled by extract_sens.py --frame-skip)')
    parser.add_argument('--out', required=True, help='output pairs file; per-scene results go next to it')
    overlap = parser.add_argument_group('overlap test (Pri3D\'s, see mask3d_mm/data_prep/pair_mining.py)')
    overlap.add_argument('--min-overlap', type=float, default=0.3, help='keep pairs with at least this overlap')
    overlap.add_argument('--voxel-size', type=float, default=0.05, help='voxel size (m) of the overlap test')
    overlap.add_argument('--match-radius', type=float, default=1.5,
                         help='a pixel matches a voxel of the other frame within this many voxels (centre distance)')
    overlap.add_argument('--pixel-stride', type=int, default=2, help='use every N-th pixel per axis')
    chunks = parser.add_argument_group('scene voxel chunks (the 2D-3D losses)')
    chunks.add_argument('--chunk-voxel-size', type=float, default=pair_mining.CHUNK_VOXEL_SIZE,
                        help='voxel size (m) of scene chunks (default: Pri3D\'s %(default)s)')
    chunks.add_argument('--no-chunks', action='store_true', help='skip the scene voxel chunks (view loss only)')
    add_scene_job_args(parser, overwrite_help='re-mine scenes recorded with other options')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    scenes = pair_mining.list_scenes(args.frames_root, args.split)
    pair_mining.require_poses(args.frames_root, scenes)  # before any work: one error line, nothing written
    work_dir = osp.dirname(osp.abspath(args.out))
    options = pair_mining.mining_options(
        min_overlap=args.min_overlap, frame_skip=args.frame_skip, voxel_size=args.voxel_size,
        pixel_stride=args.pixel_stride, match_radius=args.match_radius,
        chunk_voxel_size=None if args.no_chunks else args.chunk_voxel_size)
    if not args.overwrite:  # before any work: one error line, nothing written
        pair_mining.check_previous_options(work_dir, scenes, options)
    job = partial(pair_mining.process_scene, args.frames_root, work_dir=work_dir, overwrite=args.overwrite, **options)
    results = run_parallel(job, scenes, args.workers, desc='scenes')
    total = pair_mining.merge_pair_files(work_dir, scenes, args.out)
    print(pair_mining.format_summary(sorted(results, key=lambda r: r.scene_id), total, args.out, args.frame_skip))


if __name__ == '__main__':
    run_cli(main)
