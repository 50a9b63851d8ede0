"""Extract every Nth frame of ScanNet ``.sens`` files into the frame layout (colour, depth in mm, pose, intrinsics).

    python tools/data/scannet/extract_sens.py --sens-root SCANS_DIR --out data/scannet --frame-skip 25 \
        [--splits-dir DIR_WITH_scannetv2_train.txt_AND_val.txt] [--size W H] [--workers N] \
        [--scenes scene0000_00 scene0001_00 | --scenes scannetv2_train.txt] [--overwrite]

SCANS_DIR holds ``<scene>/<scene>.sens`` as ScanNet ships it. ``--size 640 480`` resizes colour and depth (depth
nearest) and scales the intrinsics; without it JPEG colour is copied byte for byte (no re-encode). Re-running
resumes: scenes with a done marker are skipped, interrupted or failed ones redone. A missing or broken ``.sens``
(truncated, corrupted) is one ``error:`` line on stderr naming the file and the byte offset, with the frames written
of those its header declares, and exit code 2; all other scenes are still extracted.

The output is ready for training: frames are named by their index in the ``.sens`` (0, 25, 50, ...: already
subsampled, so datasets read them with ``frame_skip=1``) and ``splits/{all,train,val}.txt`` are written (official
train / val lists from ``--splits-dir``, otherwise every extracted scene in ``train.txt``).
"""
import argparse
import os.path as osp
import sys

from mask3d_mm.data_prep.cli_args import add_scene_job_args, positive_int
from mask3d_mm.data_prep.converters.sens_extract import (
    ExtractOptions,
    extract_scenes,
    find_sens_files,
    format_summary,
    official_lists,
    report_failures,
    write_splits,
)
from mask3d_mm.formats.frame_layout import read_scene_list
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.errors import DataError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sens-root', required=True, help='ScanNet scans folder: <root>/<scene>/<scene>.sens')
    parser.add_argument('--out', required=True, help='output root of the frame layout (e.g. data/scannet)')
    parser.add_argument('--splits-dir', default=None,
                        help='folder with ScanNet\'s scannetv2_train.txt / scannetv2_val.txt: splits/train.txt and '
                             'val.txt become those lists restricted to the extracted scenes (default: all extracted '
                             'scenes in splits/train.txt)')
    parser.add_argument('--frame-skip', type=positive_int, default=25, help='keep frames 0, N, 2N, ... (default 25)')
    parser.add_argument('--size', type=positive_int, nargs=2, metavar=('W', 'H'), default=None,
                        help='resize colour and depth to W x H (e.g. 640 480 or 320 240)')
    parser.add_argument('--scenes', nargs='+', default=None,
                        help='scene ids, or text files with one scene id per line (default: all found)')
    parser.add_argument('--jpeg-quality', type=int, default=95, help='quality when colour must be re-encoded')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    add_scene_job_args(parser, overwrite_help='re-extract scenes that are already done')
    return parser.parse_args(argv)


def expand_scene_args(items):
    """Scene ids from ``--scenes``: ids as given, files expanded to their lines."""
    if items is None:
        return None
    scene_ids = []
    for item in items:
        if osp.isfile(item):
            scene_ids += read_scene_list(item)
        elif osp.sep in item or item.endswith('.txt'):
            raise DataError(f'--scenes {item}: no such scene-list file')
        else:
            scene_ids += [s for s in item.split(',') if s]
    if not scene_ids:
        raise DataError(f'--scenes {" ".join(items)}: no scene ids')
    return list(dict.fromkeys(scene_ids))


def main(argv=None):
    args = parse_args(argv)
    if args.splits_dir is not None:
        official_lists(args.splits_dir)  # a missing list is an error before any work
    options = ExtractOptions(frame_skip=args.frame_skip, size=tuple(args.size) if args.size else None,
                             jpeg_quality=args.jpeg_quality, overwrite=args.overwrite)
    jobs = find_sens_files(args.sens_root, expand_scene_args(args.scenes))
    results = extract_scenes(jobs, args.out, options, workers=args.workers, progress=not args.no_progress)
    print('\n'.join(write_splits(args.out, args.splits_dir)))
    print(format_summary(results, options))
    return report_failures(results)


if __name__ == '__main__':
    sys.exit(run_cli(main))
