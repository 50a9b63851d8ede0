"""ScanNet 2D labels: raw ids -> nyu40 -> 20 classes on hand-made inputs, splits, data-efficient subsets, COCO json,
and the convert_labels.py CLI end to end on the synthetic world (whose renderer knows every true label)."""
import json
import shutil

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mask3d_mm.data_prep.converters.coco import SCANNET18, CocoBuilder
from mask3d_mm.data_prep.converters.scannet_2d import (
    LabelMap,
    convert_scene_labels,
    data_efficient_subsets,
    split_by_scan,
)
from mask3d_mm.formats.frame_layout import DATA_EFFICIENT_PERCENTS, read_scene_list
from mask3d_mm.utils.errors import DataError
from tests.conftest import REPO, load_tool

TOOL = REPO / 'tools/data/scannet/convert_labels.py'
TSV_HEADER = 'id\traw_category\tcategory\tcount\tnyu40id\teigen13id\tnyuClass\n'
# raw ScanNet id -> nyu40 id ('' = no nyu40 class) of the hand-made tsv
TSV_ROWS = {1: '1', 2: '5', 3: '2', 7: '39', 22: '22', 300: '14', 1500: '', 40000: '40'}
# what each raw id must become: (nyu40 id, ScanNet-20 train id), written out by hand from the benchmark list
EXPECTED = {0: (0, 255), 1: (1, 0), 2: (5, 4), 3: (2, 1), 7: (39, 19), 22: (22, 255), 300: (14, 12),
            1500: (0, 255), 40000: (40, 255), 777: (0, 255)}  # 777: not in the tsv
UNKNOWN = 777


def write_tsv(path):
    path.write_text(TSV_HEADER + ''.join(f'{raw}\tx\tx\t1\t{nyu}\t\t\n' for raw, nyu in TSV_ROWS.items()))
    return path


def test_raw_ids_map_to_nyu40_and_the_20_classes(tmp_path):
    raw_ids = np.array(sorted(EXPECTED), dtype=np.uint16)
    raw = np.tile(np.repeat(raw_ids, 3), (4, 1))  # (4, 30): 3 columns per id
    (tmp_path / 'scene0000_00' / 'label').mkdir(parents=True)
    cv2.imwrite(str(tmp_path / 'scene0000_00' / 'label' / '000100.png'), raw)

    stats = convert_scene_labels(str(tmp_path / 'scene0000_00'), LabelMap.from_tsv(str(write_tsv(tmp_path / 't.tsv'))))
    assert stats.frames_written == 1 and stats.unknown_raw_ids == {UNKNOWN: 12, 1500: 12}  # no nyu40 class
    nyu40 = cv2.imread(str(tmp_path / 'scene0000_00' / 'label_nyu40' / '000100.png'), cv2.IMREAD_UNCHANGED)
    train_ids = cv2.imread(str(tmp_path / 'scene0000_00' / 'label_scannet20' / '000100.png'), cv2.IMREAD_UNCHANGED)
    assert nyu40.dtype == train_ids.dtype == np.uint8
    for raw_id, (nyu40_id, train_id) in EXPECTED.items():
        assert (nyu40[raw == raw_id] == nyu40_id).all(), raw_id
        assert (train_ids[raw == raw_id] == train_id).all(), raw_id

    again = convert_scene_labels(str(tmp_path / 'scene0000_00'), LabelMap.from_tsv(str(tmp_path / 't.tsv')))
    assert (again.frames_written, again.frames_existing) == (0, 1)


def test_bad_tsv_is_a_clear_error(tmp_path):
    (tmp_path / 'bad.tsv').write_text('id\tcategory\n1\twall\n')
    with pytest.raises(DataError, match=r"bad\.tsv: missing column\(s\) \['nyu40id'\]"):
        LabelMap.from_tsv(str(tmp_path / 'bad.tsv'))


# ----------------------------------------------------------------------------------------------- splits
def test_split_keeps_rescans_of_a_space_together():
    scene_ids = [f'scene{space:04d}_{scan:02d}' for space in range(20) for scan in range(1 + space % 3)]
    train, val = split_by_scan(scene_ids, val_fraction=0.25, seed=1)
    assert sorted(train + val) == sorted(scene_ids) and not set(train) & set(val)
    spaces = lambda ids: {s.rsplit('_', 1)[0] for s in ids}  # noqa: E731
    assert not spaces(train) & spaces(val) and len(spaces(val)) == 5
    assert (train, val) == split_by_scan(list(reversed(scene_ids)), val_fraction=0.25, seed=1)


def test_data_efficient_subsets_are_nested_minimal_and_deterministic():
    rng = np.random.default_rng(0)
    counts = {f'scene{i:04d}_00': int(n) for i, n in enumerate(rng.integers(5, 200, size=120))}
    total = sum(counts.values())
    subsets = data_efficient_subsets(counts, seed=0)
    assert sorted(subsets) == list(DATA_EFFICIENT_PERCENTS) == [1, 5, 10, 20, 40, 60, 80]
    previous = set()
    for pct in DATA_EFFICIENT_PERCENTS:
        images = sum(counts[s] for s in subsets[pct])
        assert images >= total * pct / 100  # reaches the percentage ...
        assert images < total * pct / 100 + max(counts[s] for s in subsets[pct])  # ... with no scene to spare
        assert previous <= set(subsets[pct]) and set(subsets[pct]) <= set(counts)
        previous = set(subsets[pct])
    assert subsets == data_efficient_subsets(dict(reversed(counts.items())), seed=0)
    assert subsets != data_efficient_subsets(counts, seed=1)


# ----------------------------------------------------------------------------------------------- COCO
def test_coco_rle_masks_decode_to_the_instances():
    instance_ids = np.zeros((20, 30), dtype=np.uint16)
    nyu40 = np.ones((20, 30), dtype=np.uint8)  # wall everywhere
    instance_ids[2:8, 3:10] = 4  # chair (nyu40 5)
    nyu40[2:8, 3:10] = 5
    instance_ids[10:18, 12:28] = 1000  # table (nyu40 7), a third of it mislabelled as desk (14): majority wins
    nyu40[10:18, 12:28] = 7
    nyu40[10:18, 12:17] = 14
    instance_ids[0:2, 25:30] = 9  # on the wall: wall is not one of the 18 categories -> no annotation
    builder = CocoBuilder(SCANNET18)
    builder.add_image('scene0000_00/color/0.jpg', instance_ids, nyu40)
    coco = json.loads(json.dumps(builder.to_dict()))  # what the json file holds

    names = {c['id']: c['name'] for c in coco['categories']}
    assert len(names) == 18 and 'wall' not in names.values() and 'floor' not in names.values()
    found = {a['instance_id']: a for a in coco['annotations']}
    assert sorted(found) == [4, 1000]
    assert names[found[4]['category_id']] == 'chair' and names[found[1000]['category_id']] == 'table'
    for instance_id, annotation in found.items():
        rle = dict(annotation['segmentation'], counts=annotation['segmentation']['counts'].encode())
        np.testing.assert_array_equal(mask_utils.decode(rle), instance_ids == instance_id)
        rows, cols = np.nonzero(instance_ids == instance_id)
        assert annotation['bbox'] == [cols.min(), rows.min(), np.ptp(cols) + 1, np.ptp(rows) + 1]
        assert annotation['area'] == (instance_ids == instance_id).sum()


# ----------------------------------------------------------------------------------------------- the CLI
@pytest.fixture
def raw_root(synthetic_root, tmp_path):
    """The synthetic scenes as ScanNet ships 2D labels: colour, raw-id label/, instance/ and the tsv only."""
    shutil.copy(synthetic_root / 'scannetv2-labels.combined.tsv', tmp_path)
    for scene_dir in synthetic_root.glob('scene*'):
        for folder in ('color', 'label', 'instance'):
            shutil.copytree(scene_dir / folder, tmp_path / scene_dir.name / folder)
    return tmp_path


def test_cli_converts_labels_writes_splits_subsets_and_coco(raw_root, synthetic_root, capsys):
    official = raw_root / 'official'
    official.mkdir()
    (official / 'train.txt').write_text('scene0000_00\nscene0001_00\nscene0999_00\n')  # 0999: not downloaded
    (official / 'val.txt').write_text('scene0002_00\n')
    code = load_tool(TOOL).main(['--root', str(raw_root), '--train-list', str(official / 'train.txt'),
                                 '--val-list', str(official / 'val.txt'), '--percents', '10', '60'])
    output = capsys.readouterr().out
    assert code == 0 and 'splits/train.txt: 2 scenes (1 listed but absent)' in output

    for path in synthetic_root.glob('scene*/label_*/*.png'):  # the renderer's own nyu40 / 20-class labels
        converted = raw_root / path.relative_to(synthetic_root)
        np.testing.assert_array_equal(cv2.imread(str(converted), cv2.IMREAD_UNCHANGED),
                                      cv2.imread(str(path), cv2.IMREAD_UNCHANGED))
    assert read_scene_list(str(raw_root / 'splits' / 'train.txt')) == ['scene0000_00', 'scene0001_00']
    assert read_scene_list(str(raw_root / 'splits' / 'val.txt')) == ['scene0002_00']
    subsets = [set(read_scene_list(str(raw_root / 'splits' / f'train_{pct}.txt'))) for pct in (10, 60)]
    assert subsets[0] <= subsets[1] <= {'scene0000_00', 'scene0001_00'}

    coco = json.loads((raw_root / 'annotations' / 'instances_val.json').read_text())
    names = {c['id']: c['nyu40_id'] for c in coco['categories']}
    assert len(coco['images']) == len(list((raw_root / 'scene0002_00' / 'color').glob('*.jpg')))
    assert coco['annotations']
    for annotation in coco['annotations']:
        image = next(i for i in coco['images'] if i['id'] == annotation['image_id'])
        stem = image['file_name'].split('/')[-1][:-len('.jpg')]
        instances = cv2.imread(str(synthetic_root / 'scene0002_00' / 'instance' / f'{stem}.png'), cv2.IMREAD_UNCHANGED)
        nyu40 = cv2.imread(str(synthetic_root / 'scene0002_00' / 'label_nyu40' / f'{stem}.png'), cv2.IMREAD_UNCHANGED)
        mask = instances == annotation['instance_id']
        rle = dict(annotation['segmentation'], counts=annotation['segmentation']['counts'].encode())
        np.testing.assert_array_equal(mask_utils.decode(rle).astype(bool), mask)
        assert np.bincount(nyu40[mask]).argmax() == names[annotation['category_id']]


def test_cli_without_tsv_is_a_clear_error(raw_root):
    (raw_root / 'scannetv2-labels.combined.tsv').unlink()
    with pytest.raises(DataError, match='scannetv2-labels.combined.tsv: no such file'):
        load_tool(TOOL).main(['--root', str(raw_root)])
