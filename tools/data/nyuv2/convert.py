"""Convert the NYUv2 labelled set into images / depth / labels40 / labels13 / instances per split + COCO json.

    python tools/data/nyuv2/convert.py --mat nyu_depth_v2_labeled.mat --splits splits.mat \
        --map40 classMapping40.mat [--map13 classMapping13.mat] --out data/nyuv2

``nyu_depth_v2_labeled.mat`` and ``splits.mat`` come from the NYU Depth V2 site, ``classMapping40.mat`` (894 -> 40
classes) from Gupta et al.'s CVPR'13 release. Without ``--map13`` the 13 classes come from the nyu40 labels through
the fixed 40 -> 13 table (mask3d_mm/data_prep/converters/nyuv2.py). The output is what ``NYUv2SegDataset`` reads
(data/README.md). Re-running rewrites every frame (files are replaced atomically).
"""
import argparse
import sys

from mask3d_mm.data_prep.converters.nyuv2 import convert_nyuv2
from mask3d_mm.utils.cli import run_cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--mat', required=True, help='nyu_depth_v2_labeled.mat (MATLAB v7.3)')
    parser.add_argument('--splits', required=True, help='splits.mat (trainNdxs / testNdxs, 1-based)')
    parser.add_argument('--map40', required=True, help='classMapping40.mat (mapClass: 894 -> 40)')
    parser.add_argument('--map13', default=None, help='optional classMapping13.mat (mapClass: 894 -> 13)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    written = convert_nyuv2(args.mat, args.splits, args.map40, args.out, args.map13, progress=not args.no_progress)
    print(', '.join(f'{split}: {count} frames' for split, count in written.items()) + f' -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
