"""ScanNet 2D labels into the frame layout: label_nyu40/ + label_scannet20/, splits, data-efficient subsets, COCO.

    python tools/data/scannet/convert_labels.py --root data/scannet_frames_25k \
        [--tsv scannetv2-labels.combined.tsv] [--train-list scannetv2_train.txt --val-list scannetv2_val.txt | \
         --val-fraction 0.2] [--seed 0] [--percents 1 5 10 20 40 60 80] [--coco scannet18|nyu37|none] \
        [--input-space raw|nyu40] [--overwrite]

ROOT holds ``<scene>/{color/*.jpg, label/*.png, instance/*.png}`` (``scannet_frames_25k`` as unzipped, or frames
extracted from ``.sens`` with ScanNet's 2D label zips unpacked into ``<scene>/label`` and ``<scene>/instance``).
Writes per scene ``label_nyu40/`` (uint8 nyu40 ids) and ``label_scannet20/`` (train ids 0..19, 255 = ignore), then
``splits/{train,val}.txt`` (the official lists restricted to the scenes present, or a seeded split that keeps
rescans of a space together), ``splits/train_{pct}.txt`` (cumulative subsets chosen by scenes) and
``annotations/instances_{train,val}.json`` (COCO, RLE masks). Re-running skips frames already converted.
"""
import argparse
import os.path as osp
import sys

from mask3d_mm.data_prep.converters.coco import CATEGORY_SETS, coco_from_scenes
from mask3d_mm.data_prep.converters.scannet_2d import (
    INPUT_SPACES,
    LabelMap,
    convert_root_labels,
    write_data_efficient_splits,
    write_splits,
)
from mask3d_mm.formats.frame_layout import DATA_EFFICIENT_PERCENTS
from mask3d_mm.utils.cli import run_cli
from mask3d_mm.utils.errors import DataError

TSV_NAME = 'scannetv2-labels.combined.tsv'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--root', required=True, help='frame-layout root with <scene>/label/*.png')
    parser.add_argument('--tsv', default=None, help=f'ScanNet label map (default: <root>/{TSV_NAME})')
    parser.add_argument('--input-space', choices=INPUT_SPACES, default='raw',
                        help='what label/*.png holds: raw ScanNet ids (default) or nyu40 ids')
    parser.add_argument('--train-list', default=None, help="official scannetv2_train.txt (with --val-list)")
    parser.add_argument('--val-list', default=None, help='official scannetv2_val.txt')
    parser.add_argument('--val-fraction', type=float, default=0.2,
                        help='without official lists: fraction of spaces (scene0000_*) for val (default 0.2)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the split and of the subsets')
    parser.add_argument('--percents', type=int, nargs='+', default=list(DATA_EFFICIENT_PERCENTS),
                        help='data-efficient subsets, %% of training images')
    parser.add_argument('--coco', choices=sorted(CATEGORY_SETS) + ['none'], default='scannet18',
                        help='category set of annotations/instances_{train,val}.json (none: no json)')
    parser.add_argument('--overwrite', action='store_true', help='re-convert frames already converted')
    args = parser.parse_args(argv)
    if not 0 <= args.val_fraction < 1:
        parser.error('--val-fraction must be in [0, 1)')
    return args


def main(argv=None):
    args = parse_args(argv)
    if not osp.isdir(args.root):
        raise DataError(f'--root {args.root}: no such folder')
    label_map = None
    if args.input_space == 'raw':
        label_map = LabelMap.from_tsv(args.tsv or osp.join(args.root, TSV_NAME))
    stats = convert_root_labels(args.root, label_map, args.input_space, args.overwrite)
    print(f'labels: {stats.frames_written} frames converted, {stats.frames_existing} already done')
    if stats.unknown_raw_ids:
        top = sorted(stats.unknown_raw_ids.items(), key=lambda item: -item[1])[:10]
        print(f'  raw ids without a nyu40id in the tsv (-> unannotated), id: pixels: {dict(top)}')

    splits = write_splits(args.root, args.train_list, args.val_list, args.val_fraction, args.seed)
    for name, (scene_ids, missing) in splits.items():
        absent = f' ({len(missing)} listed but absent)' if missing else ''
        print(f'splits/{name}.txt: {len(scene_ids)} scenes{absent}')
    for path, num_scenes, num_images in write_data_efficient_splits(args.root, args.percents, args.seed).values():
        print(f'{osp.relpath(path, args.root)}: {num_scenes} scenes, {num_images} images')

    if args.coco != 'none':
        for name, (scene_ids, _) in splits.items():
            builder = coco_from_scenes(args.root, scene_ids, CATEGORY_SETS[args.coco], f'ScanNet {name} ({args.coco})')
            builder.write(osp.join(args.root, 'annotations', f'instances_{name}.json'))
            print(f'annotations/instances_{name}.json: {len(builder.images)} images, '
                  f'{len(builder.annotations)} instances')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
