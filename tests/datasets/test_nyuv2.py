"""NYUv2 converter on a small labelled .mat written the way MATLAB v7.3 writes it (HDF5 with a MATLAB userblock,
arrays with reversed axes, 1-based split indices), read back by NYUv2SegDataset."""
import json

import cv2
import h5py
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from pycocotools import mask as mask_utils
from scipy.io import savemat

from mask3d_mm.data_prep.converters.coco import NYU37
from mask3d_mm.data_prep.converters.nyuv2 import NYU40_TO_13
from mask3d_mm.datasets.nyuv2_seg import NYU13_CLASSES, NYU40_CLASSES, NYUv2SegDataset
from mask3d_mm.formats.scannet_labels import IGNORE_INDEX
from mask3d_mm.utils.errors import DataError
from tests.conftest import REPO, load_tool

TOOL = REPO / 'tools/data/nyuv2/convert.py'
N, H, W = 5, 12, 16
TRAIN, TEST = [1, 3, 4], [2, 5]
# nyu40 class -> 13 class, by name (Couprie et al.'s 13: furniture / objects collect the rest)
NAMES_40_TO_13 = {'wall': 'wall', 'floor': 'floor', 'bed': 'bed', 'chair': 'chair', 'sofa': 'sofa', 'table': 'table',
                  'window': 'window', 'picture': 'picture', 'books': 'books', 'ceiling': 'ceiling',
                  'television': 'tv', 'door': 'wall', 'blinds': 'window', 'curtain': 'window', 'desk': 'table',
                  'floor mat': 'floor', 'bookshelf': 'furniture', 'cabinet': 'furniture', 'dresser': 'furniture',
                  'night stand': 'furniture', 'lamp': 'objects', 'pillow': 'objects', 'box': 'objects'}


def write_v73(path, arrays):
    """An HDF5 file with MATLAB's 512-byte v7.3 userblock; ``arrays`` are given in MATLAB axis order and stored
    reversed, as MATLAB (column-major) does."""
    with h5py.File(path, 'w', userblock_size=512) as f:
        for key, array in arrays.items():
            f[key] = np.asarray(array).T
    with open(path, 'r+b') as f:
        f.write(b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .')


@pytest.fixture(scope='module')
def nyu(tmp_path_factory):
    """The labelled set in MATLAB's order (H, W, [3,] N), the 894 -> 40 map and the files written from them."""
    root = tmp_path_factory.mktemp('nyu')
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(H, W, 3, N), dtype=np.uint8)
    depths = rng.uniform(0.5, 9.5, size=(H, W, N)).astype(np.float32)
    depths[0, :3] = 0.0  # no measurement
    labels = rng.integers(1, 895, size=(H, W, N)).astype(np.uint16)
    labels[:, :2] = 0  # unlabelled border
    instances = np.zeros((H, W, N), dtype=np.uint8)
    labels[2:6, 3:7], instances[2:6, 3:7] = 100, 1  # two objects of one raw class, one of another
    labels[7:10, 3:7], instances[7:10, 3:7] = 100, 2
    labels[2:10, 9:14], instances[2:10, 9:14] = 200, 1
    map_class = rng.integers(1, 41, size=894)
    map_class[[99, 199]] = [5, 1]  # raw 100 -> chair, raw 200 -> wall (not an NYU37 category)
    write_v73(root / 'labelled.mat', dict(images=images, depths=depths, labels=labels, instances=instances))
    write_v73(root / 'splits.mat', dict(trainNdxs=np.array(TRAIN, float)[:, None],
                                        testNdxs=np.array(TEST, float)[:, None]))
    savemat(root / 'classMapping40.mat', dict(mapClass=map_class[None].astype(float)))  # v5, as Gupta's file is
    return dict(root=root, images=images, depths=depths, labels=labels, instances=instances, map_class=map_class)


@pytest.fixture(scope='module')
def converted(nyu):
    root = nyu['root']
    code = load_tool(TOOL).main(['--mat', str(root / 'labelled.mat'), '--splits', str(root / 'splits.mat'),
                                 '--map40', str(root / 'classMapping40.mat'), '--out', str(root / 'out'),
                                 '--no-progress'])
    assert code == 0
    return root / 'out'


def read(path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image


def frames_of(split):
    return [(number, f'{number:04d}.png') for number in (TRAIN if split == 'train' else TEST)]


def test_the_40_to_13_table_groups_classes_as_the_13_class_benchmark():
    assert NYU40_TO_13[0] == 0 and set(NYU40_TO_13[1:]) == set(range(1, 14))
    for name40, name13 in NAMES_40_TO_13.items():
        assert NYU13_CLASSES[NYU40_TO_13[NYU40_CLASSES.index(name40) + 1] - 1] == name13, name40


@pytest.mark.parametrize('split', ['train', 'test'])
def test_frames_are_untransposed_and_mapped(nyu, converted, split):
    assert sorted(p.name for p in (converted / split / 'images').iterdir()) == [name for _, name in frames_of(split)]
    for number, name in frames_of(split):
        i = number - 1
        np.testing.assert_array_equal(read(converted / split / 'images' / name)[..., ::-1], nyu['images'][..., i])
        depth_mm = read(converted / split / 'depth' / name)
        assert depth_mm.dtype == np.uint16 and (depth_mm[0, :3] == 0).all()
        np.testing.assert_allclose(depth_mm, nyu['depths'][..., i] * 1000, atol=0.5)
        raw = nyu['labels'][..., i].astype(np.int64)
        labels40 = read(converted / split / 'labels40' / name)
        np.testing.assert_array_equal(labels40, np.where(raw == 0, 0, nyu['map_class'][raw - 1]))
        np.testing.assert_array_equal(read(converted / split / 'labels13' / name), NYU40_TO_13[labels40])


def test_instances_separate_objects_of_one_class_and_become_coco_annotations(nyu, converted):
    number, name = frames_of('test')[0]
    ids = read(converted / 'test' / 'instances' / name)
    objects = [(slice(2, 6), slice(3, 7)), (slice(7, 10), slice(3, 7)), (slice(2, 10), slice(9, 14))]
    object_ids = [np.unique(ids[box]) for box in objects]
    assert all(len(u) == 1 and u[0] > 0 for u in object_ids) and len({int(u[0]) for u in object_ids}) == 3
    assert (ids[nyu['labels'][..., number - 1] == 0] == 0).all()

    coco = json.loads((converted / 'test' / 'instances.json').read_text())
    assert [c['name'] for c in coco['categories']] == [name for name, _ in NYU37]
    image_id = next(i['id'] for i in coco['images'] if i['file_name'] == f'test/images/{name}')
    chairs = [a for a in coco['annotations'] if a['image_id'] == image_id and a['instance_id'] in
              (int(object_ids[0][0]), int(object_ids[1][0]))]
    assert len(chairs) == 2 and {coco['categories'][a['category_id'] - 1]['name'] for a in chairs} == {'chair'}
    for annotation in chairs:
        rle = dict(annotation['segmentation'], counts=annotation['segmentation']['counts'].encode())
        np.testing.assert_array_equal(mask_utils.decode(rle), ids == annotation['instance_id'])
    assert all(a['instance_id'] != int(object_ids[2][0]) for a in coco['annotations'] if a['image_id'] == image_id)


def test_intrinsics_files(converted):
    K = np.loadtxt(converted / 'intrinsic' / 'intrinsic_color.txt')
    np.testing.assert_array_equal(K, [[518.86, 0, 325.58, 0], [0, 519.47, 253.74, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    np.testing.assert_array_equal(np.loadtxt(converted / 'intrinsic' / 'intrinsic_depth.txt'), K)


@pytest.mark.parametrize('num_classes', [40, 13])
def test_nyuv2_seg_dataset_reads_the_output(nyu, converted, num_classes):
    init_default_scope('mmseg')
    dataset = NYUv2SegDataset(data_root=str(converted), split='train', num_classes=num_classes,
                              pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                                        dict(type='PackSegInputs')])
    assert len(dataset) == len(TRAIN)
    sample = dataset[0]
    labels = read(converted / 'train' / f'labels{num_classes}' / frames_of('train')[0][1])
    np.testing.assert_array_equal(sample['data_samples'].gt_sem_seg.data[0].numpy(),
                                  np.where(labels == 0, IGNORE_INDEX, labels.astype(np.int64) - 1))


def test_zero_based_splits_are_a_clear_error(nyu, tmp_path):
    root = nyu['root']
    write_v73(tmp_path / 'splits.mat', dict(trainNdxs=np.array([[0.0], [1.0]]), testNdxs=np.array([[2.0]])))
    with pytest.raises(DataError, match=r'splits\.mat: trainNdxs holds frame numbers 0\.\.1, outside 1\.\.5 '
                                        r'\(they are 1-based\)'):
        load_tool(TOOL).main(['--mat', str(root / 'labelled.mat'), '--splits', str(tmp_path / 'splits.mat'),
                              '--map40', str(root / 'classMapping40.mat'), '--out', str(tmp_path / 'out')])


def test_missing_field_is_a_clear_error(nyu, tmp_path):
    write_v73(tmp_path / 'labelled.mat', dict(images=nyu['images'], labels=nyu['labels']))
    with pytest.raises(DataError, match=r"labelled\.mat: missing variable\(s\) \['depths', 'instances'\]"):
        load_tool(TOOL).main(['--mat', str(tmp_path / 'labelled.mat'), '--splits', str(nyu['root'] / 'splits.mat'),
                              '--map40', str(nyu['root'] / 'classMapping40.mat'), '--out', str(tmp_path / 'out')])
