"""Check every frame of a root in the extracted-frame layout before training on it (a fast pre-scan).

    python tools/data/check_frames.py ROOT [--split train] [--workers N] [--no-progress]

ROOT: e.g. data/scannet (what extract_sens.py wrote), data/synthetic, a converted RGB-D root. Each frame
(``<scene>/color/<N>.jpg``) is decoded as the datasets decode it, with its depth (and pose and intrinsics in a scene
with poses); colour and depth sizes are compared (see ``mask3d_mm/data_prep/check_frames.py``). Every empty,
unreadable, truncated, missing or mismatched file is one line (its path, what is wrong), then a count summary;
exit code 2 (after one ``error:`` line) if anything is wrong, 0 otherwise.
"""
import argparse
import sys

from mask3d_mm.data_prep import check_frames
from mask3d_mm.data_prep.cli_args import positive_int
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.errors import DataError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='root of the frame layout (<root>/<scene>/{color,depth,pose,intrinsic}/)')
    parser.add_argument('--split', default=None, help='check the scenes of splits/<split>.txt (default: all)')
    parser.add_argument('--workers', type=positive_int, default=1, help='scenes checked in parallel (processes)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    scene_ids = check_frames.scenes_to_check(args.root, args.split)
    checks = check_frames.check_frames(args.root, scene_ids, args.workers, progress=not args.no_progress)
    problems, summary = check_frames.format_report(checks)
    print('\n'.join(problems + summary))
    if problems:
        bad = sum(check.bad_frames for check in checks)
        raise DataError(f'{args.root}: {bad} of {sum(c.frames for c in checks)} frames have problems '
                        f'({len(problems)} listed above)')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
