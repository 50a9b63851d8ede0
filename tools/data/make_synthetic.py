"""Generate a synthetic RGB-D dataset (procedural rooms, exact depth and labels) in the ScanNet frame layout.

    python tools/data/make_synthetic.py --out data/synthetic --scenes 2 --frames 20 --seed 0 \
        [--size W H] [--workers N] [--no-sensor-noise] [--objects MIN MAX] [--palette-mode class|shared]
        [--overwrite]

Writes <out>/scannetv2-labels.combined.tsv, <out>/splits/{train,val}.txt and <out>/scene%04d_00/{color,depth,pose,
intrinsic,label,label_nyu40,label_scannet20,instance}/ plus scene.json. Same arguments -> byte-identical files;
re-running into a complete dataset skips every finished scene. The evidence study's world
(tools/benchmarks/study.py, ``STUDY_WORLD``) is ``--objects 20 32 --palette-mode shared``.
"""
import argparse
import time

from mask3d_mm.data_prep.cli_args import add_scene_job_args, non_negative_int, positive_int
from mask3d_mm.data_prep.synthetic import generate_dataset
from mask3d_mm.data_prep.synthetic.appearance import Appearance
from mask3d_mm.data_prep.synthetic.layout import NUM_OBJECTS_RANGE
from mask3d_mm.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True, help='output root of the frame layout')
    parser.add_argument('--scenes', type=positive_int, default=2, help='number of scenes (default 2)')
    parser.add_argument('--frames', type=positive_int, default=20, help='frames per scene (default 20)')
    parser.add_argument('--seed', type=non_negative_int, default=0, help='dataset seed (default 0)')
    parser.add_argument('--size', type=positive_int, nargs=2, metavar=('W', 'H'), default=(320, 240),
                        help='image width and height (default 320 240)')
    parser.add_argument('--no-sensor-noise', action='store_true',
                        help='exact depth (no holes / noise) and noise-free colour')
    parser.add_argument('--objects', type=non_negative_int, nargs=2, metavar=('MIN', 'MAX'),
                        default=NUM_OBJECTS_RANGE,
                        help='objects tried per room, as many as fit are placed (default %(default)s)')
    parser.add_argument('--palette-mode', choices=('class', 'shared'), default='class',
                        help="'class': colour palettes depend on the class (overlapping); 'shared': any object any "
                             "palette, so only geometry tells classes apart")
    add_scene_job_args(parser, overwrite_help='regenerate scenes that were generated with different settings')
    args = parser.parse_args(argv)
    if args.objects[0] > args.objects[1]:
        parser.error(f'--objects: MIN must not exceed MAX, got {args.objects[0]} {args.objects[1]}')
    return args


def main(argv=None):
    args = parse_args(argv)
    width, height = args.size
    counts = dict(written=0, skipped=0)

    def progress(done, total, scene_id, written, seconds):
        counts['written' if written else 'skipped'] += 1
        state = 'written' if written else 'already complete, skipped'
        print(f'[{done}/{total}] {scene_id}: {state} ({seconds:.1f} s elapsed)', flush=True)

    started = time.perf_counter()
    scene_ids = generate_dataset(args.out, num_scenes=args.scenes, frames_per_scene=args.frames, seed=args.seed,
                                 height=height, width=width, sensor_noise=not args.no_sensor_noise,
                                 workers=args.workers, appearance=Appearance(palette_mode=args.palette_mode),
                                 num_objects=tuple(args.objects), overwrite=args.overwrite, progress=progress)
    print(f'done: {len(scene_ids)} scenes x {args.frames} frames at {width}x{height} in {args.out} '
          f'({counts["written"]} written, {counts["skipped"]} skipped) in {time.perf_counter() - started:.1f} s')


if __name__ == '__main__':
    run_cli(main)
