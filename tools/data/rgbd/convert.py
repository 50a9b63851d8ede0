"""Convert RGB-D captures (TUM RGB-D, Redwood / Open3D, ARKitScenes raw, a plain folder) into the frame layout.

    python tools/data/rgbd/convert.py --format {tum,redwood,arkitscenes,folder} --src SEQUENCE_DIR [SEQUENCE_DIR ...] \
        --out FRAMES_ROOT [--scene-id ID] [--workers N] [--frame-skip N] [--size W H] [--min-valid-fraction F] \
        [--intrinsics fx fy cx cy | --intrinsics FILE] [--depth-scale UNITS_PER_METRE] [--overwrite]

One scene per SEQUENCE_DIR (named after the folder, or --scene-id for a single one): colour, depth in mm,
intrinsics, and poses where the source has them (TUM groundtruth.txt, a Redwood trajectory .log, ARKitScenes
lowres_wide.traj); then splits/all.txt and splits/train.txt list every converted scene under FRAMES_ROOT. Frames
without poses feed Mask3D only (mine_pairs.py refuses their scenes). Every index file is read before any frame is
written; a bad input stops the run with one error line naming the file (exit 2) and leaves no partial scene.
Re-running resumes: finished scenes are kept, interrupted ones redone (scene markers as extract_sens.py writes).
Formats and what each reader relies on: mask3d_mm/data_prep/converters/rgbd_sources.py.
"""
import argparse
import sys
from dataclasses import asdict

from mask3d_mm.data_prep.cli_args import add_scene_job_args, positive_int
from mask3d_mm.data_prep.converters import rgbd_convert, rgbd_sources
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.errors import DataError


# options that only some formats read (ARKitScenes has per-frame intrinsics; the others fix the depth scale)
FORMAT_ONLY = dict(intrinsics=('tum', 'redwood', 'folder'), depth_scale=('folder',), color_dir=('folder',),
                   depth_dir=('folder',), max_time_difference=('tum',), max_pose_gap=('tum', 'arkitscenes'),
                   association=('redwood',), trajectory=('redwood',))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--format', required=True, choices=rgbd_sources.FORMATS, help='layout of the captures')
    parser.add_argument('--src', required=True, nargs='+', help='capture folders, one scene each')
    parser.add_argument('--out', required=True, help='output root of the frame layout (e.g. data/tum)')
    parser.add_argument('--scene-id', default=None, help='scene id of a single --src (default: its folder name)')
    parser.add_argument('--frame-skip', type=positive_int, default=1,
                        help='keep every N-th colour frame of the source (default 1; TUM is 30 Hz, ARKitScenes 60)')
    parser.add_argument('--size', type=positive_int, nargs=2, metavar=('W', 'H'), default=None,
                        help='write colour and depth at W x H (default: the depth images\' size)')
    parser.add_argument('--min-valid-fraction', type=float, default=0.1,
                        help='skip frames whose depth is valid on fewer pixels than this (default 0.1)')
    parser.add_argument('--intrinsics', nargs='+', default=None, metavar='VALUE',
                        help='fx fy cx cy of the colour image, or a file (Open3D JSON, "fx fy cx cy", 3x3 or 4x4); '
                             'TUM: default from the freiburg1/2/3 in the name; Redwood: default camera_intrinsic.json')
    parser.add_argument('--depth-scale', type=float, default=None,
                        help='folder: depth units per metre (1000 = millimetres); the other formats fix it')
    parser.add_argument('--max-time-difference', type=float, default=0.02,
                        help='TUM: largest colour / depth timestamp difference of a pair (s, default 0.02)')
    parser.add_argument('--max-pose-gap', type=float, default=None,
                        help='TUM / ARKitScenes: largest gap (s) between the trajectory samples a pose is '
                             f'interpolated between (default {rgbd_sources.MAX_POSE_GAP})')
    parser.add_argument('--association', default=None,
                        help='Redwood: file of "color depth" (or "ts color ts depth") lines relative to the capture')
    parser.add_argument('--trajectory', default=None, help='Redwood: trajectory .log (default <src>/trajectory.log)')
    parser.add_argument('--color-dir', default='color', help='folder: colour sub-folder (default color)')
    parser.add_argument('--depth-dir', default='depth', help='folder: depth sub-folder (default depth)')
    parser.add_argument('--jpeg-quality', type=int, default=95, help='quality when colour is (re-)encoded')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    add_scene_job_args(parser, overwrite_help='re-convert scenes that are already done')
    args = parser.parse_args(argv)
    if args.scene_id is not None and len(args.src) > 1:
        parser.error('--scene-id names one scene: give a single --src')
    for dest, formats in FORMAT_ONLY.items():  # an option another format would need is a mistake, not a no-op
        if getattr(args, dest) != parser.get_default(dest) and args.format not in formats:
            parser.error(f'--{dest.replace("_", "-")} is for --format {" / ".join(formats)}, not {args.format}')
    return args


def index_options(args) -> rgbd_sources.IndexOptions:
    return rgbd_sources.IndexOptions(
        frame_skip=args.frame_skip, max_time_difference=args.max_time_difference, max_pose_gap=args.max_pose_gap,
        intrinsics=args.intrinsics, depth_scale=args.depth_scale, association=args.association,
        trajectory=args.trajectory, color_dir=args.color_dir, depth_dir=args.depth_dir)


def main(argv=None):
    args = parse_args(argv)
    options = index_options(args)
    sequences = [rgbd_sources.index_sequence(args.format, src, args.scene_id, options) for src in args.src]
    scene_ids = [s.scene_id for s in sequences]
    repeated = sorted({s for s in scene_ids if scene_ids.count(s) > 1})
    if repeated:
        raise DataError(f'--src: several captures would become scene {repeated[0]} (folders of the same name)')
    convert_options = rgbd_convert.ConvertOptions(
        size=tuple(args.size) if args.size else None, min_valid_fraction=args.min_valid_fraction,
        jpeg_quality=args.jpeg_quality, overwrite=args.overwrite,
        index_params=asdict(options))
    results = rgbd_convert.convert_sequences(sequences, args.out, convert_options, workers=args.workers,
                                             progress=not args.no_progress)
    print('\n'.join(rgbd_convert.write_splits(args.out)))
    print(rgbd_convert.format_summary(results))
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
