"""The Pri3D user's path as the docs print it: ScanNet-format ``.sens`` files (written by the test writer from the
synthetic world) at ``scannet/scans``, ScanNet's split lists at ``scannet/Tasks/Benchmark``, then the docs'
``extract_sens.py`` and ``mine_pairs.py`` lines run as written from that folder, and every real Pri3D config's
training set built from what they wrote (the configs' relative ``data_root`` resolved from the same folder).

The tools run in this process (their ``main`` with the command's own arguments): a fresh interpreter per command
costs seconds of imports and the arguments are what is being checked.
"""
import shlex
from pathlib import Path

import pytest
from mmengine.config import Config

from tests.conftest import REPO, load_tool
from tests.helpers.sens_writer import record_scene

COMMANDS = dict(
    extract='python tools/data/scannet/extract_sens.py --sens-root scannet/scans --out data/scannet --frame-skip 25 '
            '--splits-dir scannet/Tasks/Benchmark --workers 16',
    mine='python tools/data/scannet/mine_pairs.py --frames-root data/scannet --out data/scannet/pri3d/pairs.txt '
         '--workers 16',
)
SCENES = {'scene0000_00': 'train', 'scene0001_00': 'val'}
RAW_FRAMES = 60  # per .sens: --frame-skip 25 keeps frames 0, 25, 50
REAL_CONFIGS = sorted((REPO / 'configs/pri3d').glob('*_scannet.py'))


def markdown_pages():
    return [REPO / 'README.md', *sorted((REPO / 'docs').rglob('*.md'))]


def documented(command):
    """The command, after checking a line of the README or of a docs page shows it as written."""
    for page in markdown_pages():
        if any(' '.join(line.split()) == command for line in page.read_text().splitlines()):
            return command
    pytest.fail(f'no line of README.md or docs/**/*.md shows: {command}')


def run_documented(command, cwd, monkeypatch):
    argv = shlex.split(documented(command))
    assert argv[0] == 'python'
    monkeypatch.chdir(cwd)
    return load_tool(argv[1]).main(argv[2:])


@pytest.fixture(scope='module')
def user_dir(synthetic_root, tmp_path_factory):
    """A user's folder holding ScanNet as downloaded: ``scannet/scans/<scene>/<scene>.sens`` and the benchmark's
    ``scannetv2_{train,val}.txt``."""
    root = tmp_path_factory.mktemp('user')
    for scene_id in SCENES:
        (root / 'scannet/scans' / scene_id).mkdir(parents=True)
        record_scene(synthetic_root / scene_id, num_frames=RAW_FRAMES).write(
            root / 'scannet/scans' / scene_id / f'{scene_id}.sens')
    lists = root / 'scannet/Tasks/Benchmark'
    lists.mkdir(parents=True)
    for split in ('train', 'val'):
        (lists / f'scannetv2_{split}.txt').write_text(''.join(f'{s}\n' for s, of in SCENES.items() if of == split))
    return root


@pytest.fixture(scope='module')
def prepared(user_dir):
    """``user_dir`` after the two documented commands."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert run_documented(COMMANDS['extract'], user_dir, monkeypatch) == 0
        run_documented(COMMANDS['mine'], user_dir, monkeypatch)
    return user_dir


def test_commands_write_frames_splits_pairs_and_chunks(prepared):
    out = prepared / 'data/scannet'
    for scene_id in SCENES:
        assert sorted(int(p.stem) for p in (out / scene_id / 'color').glob('*.jpg')) == [0, 25, 50]
        assert (out / 'pri3d/chunks' / f'{scene_id}.npz').is_file()
    assert (out / 'splits/train.txt').read_text() == 'scene0000_00\n'
    pairs = (out / 'pri3d/pairs.txt').read_text().splitlines()
    assert pairs and all(line.split()[0].split('/')[0] in SCENES for line in pairs)


@pytest.mark.parametrize('config', REAL_CONFIGS, ids=lambda path: path.name)
def test_real_config_trains_on_what_the_commands_wrote(prepared, config, monkeypatch):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS

    import mask3d_mm  # noqa: F401  (registers the dataset and transforms)
    cfg = Config.fromfile(str(config))
    monkeypatch.chdir(prepared)  # the config's relative data_root, as under tools/train.py from this folder
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        item = dataset[0]
    pairs_file = Path(dataset.ann_file).resolve()
    assert pairs_file == (prepared / 'data/scannet/pri3d/pairs.txt').resolve()
    assert len(dataset) == len(pairs_file.read_text().splitlines()) > 0
    views = item['inputs']
    assert len(views) == 2 and tuple(views[0].shape) == (3, 240, 320)
    assert (dataset.get_data_info(0)['chunk_path'] is not None) == cfg.train_dataloader.dataset.with_chunks
