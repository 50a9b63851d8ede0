"""Every command the documentation shows is either run here, as written, or listed below with the reason it is not.

The pages are the README, every ``docs/*.md`` and every ``configs/*/README.md`` (``doc_pages()``). Their fenced shell
blocks and their inline commands (the tools table and the prose) are parsed; each one must be a key of ``RUN`` (run by
the default test run), ``SLOW`` (run by ``make slow``) or ``NOT_RUN`` (with the reason), so a command added to a page
later fails ``test_every_documented_command_is_classified`` until someone decides how it is checked. The commands run
in a scratch copy of the repository (symlinks to its files, its own ``data/`` and ``work_dirs/``), so what they write
relative to the repository root stays in a temporary folder. The tools table's placeholders (CONFIG, CKPT, DIR, ...)
are filled with that copy's files and a ``[...]`` option is kept only where the test says so; everything else of a
command runs verbatim.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tests.datasets import test_pri3d_real_path as pri3d_real_path
from tests.datasets import test_rgbd_docs_commands as rgbd_docs
from tests.helpers.sens_writer import record_scene
from tests.infra import test_smoke as smoke_docs

REPO = Path(__file__).resolve().parents[2]


def doc_pages():
    """The pages whose commands are checked: the README, the docs and the per-method config pages."""
    return [REPO / 'README.md', *sorted((REPO / 'docs').glob('*.md')), *sorted((REPO / 'configs').glob('*/README.md'))]


SHELL_FENCES = ('bash', 'sh', 'shell', 'console')
PROGRAMS = ('make', 'python', 'python3', 'bash', '.venv/bin/python')
FENCE = re.compile(r'^[ \t]*```(\w*)\n(.*?)^[ \t]*```', re.S | re.M)  # also indented (in a list item)
INLINE_CODE = re.compile(r'`([^`]+)`')
ENV_ASSIGNMENTS = re.compile(r'^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*')

# Each tool run costs ~8 s of CPU (imports of torch + OpenMMLab), so the default run keeps the Mask3D chain the docs
# walk through after the demo; the other runnable commands are slow tests.
RUN = {
    'python tools/data/make_synthetic.py --out DIR --scenes 2 --frames 20 --seed 0':
        'renders the 2-scene world the other commands use (test_make_synthetic_*)',
    'python tools/train.py CONFIG [--work-dir W] [--resume [CKPT]] [--amp] [--tensorboard] [--cfg-options k=v ...]':
        'the demo config for 1 epoch on that world (test_train_*); the UperNet twin in the slow tests',
    'python tools/model_converters/mask3d_to_backbone.py CKPT OUT': 'on that checkpoint (test_convert_*)',
    'python tools/analysis/visualize_reconstruction.py CONFIG CKPT --out panels/ --frames scene0000_00/color/0.jpg':
        'the frame is found under the config\'s data root (test_visualize_readme_example_*)',
    'python tools/analysis/mask3d_diagnose.py CONFIG CKPT': 'on the 1-epoch checkpoint (test_diagnose_*)',
    'python tools/analysis/mask3d_diagnose.py CONFIG CKPT [--split val|--scenes FILE] [--num-frames 64] '
    '[--batch-size 16]': 'with --num-frames and --batch-size (test_diagnose_*)',
    'python tools/data/check_frames.py data/scannet --workers 16':
        'verbatim, on a copy of that world as data/scannet (test_check_frames_*)',
}
SLOW = {
    'python tools/analysis/visualize_reconstruction.py CONFIG CKPT --out DIR [--frames ...]':
        'frames from the training set (test_visualize_without_frames_*)',
    'python tools/test.py CONFIG CKPT [--out preds.pkl]': 'the UperNet twin after 20 iterations (test_finetune_twin_*)',
    'python tools/test.py CONFIG CKPT': 'the UperNet twin after 20 iterations (test_finetune_twin_*)',
    'python tools/data/make_synthetic.py --out data/synthetic --scenes 4 --frames 24 --seed 0':
        'verbatim, in a workspace of its own (test_make_synthetic_docs_example_*)',
    'python tools/data/scannet/extract_sens.py --sens-root SCANS --out OUT --frame-skip 25 [--size W H] [--workers N]':
        'a .sens in ScanNet\'s format recorded from the synthetic world (test_extract_sens_*)',
    'python tools/data/scannet/convert_labels.py --root FRAMES [--coco scannet18]':
        'the synthetic world\'s raw labels (test_convert_labels_*)',
    'python tools/data/scannet/mine_pairs.py --frames-root FRAMES --out pairs.txt --min-overlap 0.3 --workers N':
        'the synthetic world (test_mine_pairs_*)',
    'make demo': 'verbatim, 20 epochs (~8.5 min on 2 busy cores)',
    'python tools/model_converters/mask3d_to_backbone.py work_dirs/demo/epoch_20.pth vit-tiny_mask3d.pth':
        'verbatim, on the checkpoint `make demo` wrote',
    'make demo-finetune': 'verbatim after `make demo`; prints the twin\'s validation mIoU',
    'tools/dist_train.sh CONFIG N [...]': 'the demo config, 2 CPU processes (gloo), 1 epoch',
    'tools/dist_train.sh CONFIG 2': 'the demo config, 2 CPU processes (gloo), 1 epoch',
    'tools/dist_test.sh CONFIG CKPT N [...]': 'the UperNet twin, 2 CPU processes (gloo)',
    'tools/dist_test.sh CONFIG CKPT N': 'the UperNet twin, 2 CPU processes (gloo)',
    'python tools/benchmarks/gpu_check.py --device cpu --tiny --out work_dirs/gpu_check_cpu.json':
        'with --out in a temporary folder (tests/infra/test_gpu_check.py)',
}
REAL_DATA = 'needs real ScanNet data (the same tool runs on synthetic data in SLOW)'
GPU_CLUSTER = 'needs 8 GPUs and real data (its synthetic twin runs in RUN / SLOW)'
REWRITES = 'rewrites docs/study.md and the README summary'
NYUV2 = 'needs the NYUv2 labelled .mat (2.8 GB); tests/datasets/test_nyuv2.py converts one in the same format'
INSTALLS = 'creates or changes a virtual environment (network); setup_env.sh is syntax-checked here'
NOT_RUN = {
    'make test': 'runs this test suite (recursion)',
    'python -c "from mask3d_mm.utils.compat import package_configs_dir; print(package_configs_dir())"':
        'prints a folder; its wheel-install answer is checked by tests/infra/test_installed_configs.py',
    'python "$(python -c \'import mask3d_mm, os; print(os.path.dirname(mask3d_mm.__file__))\')/.mim/tools/train.py" '
    'my_config.py': 'needs ScanNet; the same call on the tiny demo config from an outside project runs in '
    'tests/infra/test_installed_configs.py (test_outside_config_trains_under_the_installed_train_tool)',
    'python ../mask3d-mm/tools/train.py my_config.py': 'needs ScanNet; the shipped tool is this file '
    '(tests/infra/test_installed_configs.py)',
    'make slow': 'runs this test suite\'s slow tests (recursion)',
    'make env': INSTALLS,
    'bash tools/setup_env.sh .venv': INSTALLS,
    'SKIP_TORCH=1 FORCE_CUDA=1 make env': INSTALLS + '; needs nvcc and a GPU',
    'python3 -m venv .venv && .venv/bin/pip install torch==2.14.1 torchvision==0.29.1 '
    '--index-url https://download.pytorch.org/whl/cu130': INSTALLS + '; CUDA wheels',
    'TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu make env': INSTALLS,
    'PIP_FIND_LINKS=/path/to/wheelhouse make env': INSTALLS + '; needs a folder with a prebuilt mmcv wheel',
    'python -m pip install cityscapesscripts': INSTALLS,
    'python "$(python -c \'import mmseg, os; print(os.path.dirname(mmseg.__file__))\')/.mim/tools/dataset_converters/'
    'cityscapes.py" data/cityscapes --nproc 8': 'needs the Cityscapes download (registration); mmseg\'s own converter',
    'source .venv/bin/activate': 'changes only the calling shell',
    'tools/slurm_train.sh PARTITION JOB CONFIG [WORK_DIR] [...]': 'needs a Slurm cluster',
    'tools/slurm_train.sh PARTITION mask3d configs/mask3d/vitb_scannet.py': 'needs a Slurm cluster',
    'tools/dist_train.sh configs/mask3d/vitb_scannet.py 8': GPU_CLUSTER,
    'tools/dist_train.sh configs/mask3d/vitb_scannet.py 8 --work-dir work_dirs/mask3d_vitb': GPU_CLUSTER,
    'tools/dist_train.sh configs/finetune/upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py 8': GPU_CLUSTER,
    'tools/dist_train.sh configs/finetune/mask-rcnn_vit-b16-mask3d_simple-fpn_amp-1x_scannet.py 8': GPU_CLUSTER,
    'tools/dist_train.sh configs/pri3d/pri3d-view-geo_resnet50-unet_8xb8_scannet.py 8 --work-dir work_dirs/pri3d_r50':
        GPU_CLUSTER,
    'tools/dist_train.sh configs/finetune/pri3d-unet_r50_sgd-20k_scannet-240x320.py 8': GPU_CLUSTER,
    'python tools/model_converters/mask3d_to_backbone.py work_dirs/mask3d_vitb/epoch_800.pth '
    'pretrain/mask3d_vit-b16.pth': 'needs the 800-epoch ViT-B pretraining (GPU cluster)',
    'python tools/model_converters/pri3d_to_backbone.py work_dirs/pri3d_r50/iter_60000.pth '
    'pretrain/pri3d_r50_unet.pth --target unet': 'needs the ResNet-50 Pri3D pretraining (GPU cluster)',
    'python tools/model_converters/pri3d_to_backbone.py work_dirs/pri3d_r50/iter_60000.pth '
    'pretrain/pri3d_r50_encoder.pth --target encoder': 'needs the ResNet-50 Pri3D pretraining (GPU cluster)',
    'python tools/model_converters/pri3d_to_backbone.py CKPT OUT [--target encoder|unet]':
        'needs a Pri3D checkpoint; tests/pri3d/test_converter.py converts one',
    'python tools/data/scannet/convert_labels.py --root data/scannet_frames_25k': REAL_DATA,
    'python tools/data/nyuv2/convert.py --mat M --splits S --map40 C40 --out OUT': NYUV2,
    'python tools/data/nyuv2/convert.py --mat nyu_depth_v2_labeled.mat --splits splits.mat --map40 '
    'classMapping40.mat --out data/nyuv2': NYUV2,
    'make bench': 'benchmarks (minutes; numbers, not checks)',
    'make gpu-check': 'needs a CUDA device; its CPU form (--device cpu --tiny) runs in tests/infra/test_gpu_check.py',
    'python tools/benchmarks/gpu_check.py --out work_dirs/gpu_check.json': 'needs a CUDA device (as make gpu-check)',
    'python tools/gpu/prepare_wheels.py': 'downloads from PyPI; its --dry-run runs in tests/infra/test_gpu_check.py',
    'bash tools/gpu/install_and_check.sh': 'needs a CUDA device, Python 3.12 and the wheels; syntax-checked in '
    'tests/infra/test_gpu_check.py',
    'OMP_NUM_THREADS=1 python tools/benchmarks/bench_render.py --sizes 320x240 640x480': 'benchmark (make bench)',
    'python tools/benchmarks/bench_sens.py': 'benchmark (make bench)',
    'python tools/benchmarks/bench_pairs.py': 'benchmark (make bench)',
    'python tools/benchmarks/bench_pretrain.py': 'benchmark (make bench)',
    'python tools/benchmarks/bench_pri3d.py [--voxel-size 0.02]': 'benchmark (make bench)',
    'make study': 'the evidence study (142 min on 2 cores); tests/study runs its --quick size',
    'make study-pri3d': 'the Pri3D study suite (~66 min); tests/study covers the study engine',
    'python tools/benchmarks/study.py --size default --update-readme': 'the study (142 min on 2 cores); ' + REWRITES,
    'python tools/benchmarks/study.py --size large --update-readme': 'the study (hours); ' + REWRITES,
    'python tools/benchmarks/study.py --suite mask3d-ablation --size ablation --update-readme':
        'the Mask3D ablation (~1 h); tests/study runs the study engine at its --quick size',
    'python tools/analysis/mask3d_diagnose.py CONFIG CKPT --split all':
        'needs the ablation\'s checkpoints (work_dirs/ablation); the same tool runs in RUN (test_diagnose_*)',
    'python tools/benchmarks/study.py --suite pri3d [--update-readme]':
        'the Pri3D study suite (~66 min); tests/study runs its --quick size',
    'python tools/benchmarks/study.py --suite pri3d --size default --update-readme':
        'the Pri3D study suite (~66 min); ' + REWRITES,
    'python tools/benchmarks/study.py --suite pri3d --size long-pretrain --methods scratch pri3d-view':
        'the Pri3D suite\'s longer-pretraining check (50 min, its scratch runs reused); tests/study runs '
        'the study engine at its --quick size',
    'make study-scaling': 'the scaling suite (many hours on 2 cores); tests/study/test_scaling.py runs its quick size',
    'python tools/benchmarks/study.py --suite scaling --size default --update-readme':
        'the scaling suite (many hours); ' + REWRITES,
    **{f'OMP_NUM_THREADS=1 python tools/benchmarks/study.py --suite scaling --out work_dirs/study-scaling --methods '
       f'{share}': 'one of two shares of the scaling suite (~1.6 h side by side on 2 cores; the committed records ran '
       'them with --lengths per length); test_scaling.py checks that shares fill one records folder as one run '
       'would' for share in ('depth-supervised mask3d', 'mae mask3d-rgb-only')},
    'python tools/benchmarks/study.py --suite scaling --report --update-readme':
        'rebuilds the scaling blocks from the committed records; ' + REWRITES + ' (tests/study/test_scaling.py '
        'builds the same blocks from fake records)',
    'python tools/benchmarks/study.py [--suite vit|pri3d|mask3d-ablation] '
    '[--size default|large|medium|ablation|long-pretrain|quick] [--methods M ...] [--jobs N] [--update-readme]':
        'the study (long); tests/study runs its --quick size',
}


# Pages whose section has a test file of its own: that file keeps the command strings and runs them as written; here
# they are only classified (and so checked to be still documented).
RUN.update({command: 'the converter\'s main with these arguments (tests/datasets/test_rgbd_docs_commands.py)'
            for command in rgbd_docs.COMMANDS.values()})
SLOW.update({command: 'in fresh interpreters, as typed (test_rgbd_docs_commands.py::test_twin_chain_as_typed)'
             for command in rgbd_docs.TWIN_CHAIN})
NOT_RUN.update(rgbd_docs.NOT_RUN)
RUN.update({command: 'as written, on .sens files recorded from the synthetic world; every configs/pri3d/*_scannet.py '
                     'then builds its training set from the output (tests/datasets/test_pri3d_real_path.py)'
            for command in pri3d_real_path.COMMANDS.values()})

RUN.update({command: 'as typed, from a folder with every dataset\'s layout, one config per model family '
                     '(tests/infra/test_smoke.py; every real config under make slow)'
            for command in (smoke_docs.DOCS_COMMAND, smoke_docs.TABLE_COMMAND)})


# -------------------------------------------------------------------------------------------- Markdown parsing
def normalize(command):
    """One line, single spaces; a table cell's escaped pipe (``\\|``) is a pipe."""
    return ' '.join(command.replace('\\|', '|').split())


def looks_like_command(code):
    """An inline code span a reader would paste into a shell (a program and at least one argument), as opposed to a
    file name (``tools/build_mmcv.sh``) or an option (``--cfg-options ...``)."""
    words = ENV_ASSIGNMENTS.sub('', code).split()
    if len(words) < 2:
        return False
    return words[0] in PROGRAMS or (words[0].startswith('tools/') and words[0].endswith('.sh'))


def shell_block_commands(body):
    """Commands of a fenced shell block: continuation lines joined, comments and blank lines dropped."""
    commands = []
    for line in re.sub(r'\\\n\s*', ' ', body).splitlines():
        line = re.sub(r'(^|\s)#.*$', '', line).strip()
        if line:
            commands.append(normalize(line))
    return commands


def readme_commands(markdown):
    """Every command of a README, in order of appearance per kind (fenced blocks first, then inline spans)."""
    commands = []
    for language, body in FENCE.findall(markdown):
        if language in SHELL_FENCES:
            commands += shell_block_commands(body)
    for code in INLINE_CODE.findall(FENCE.sub('', markdown)):
        if looks_like_command(code):
            commands.append(normalize(code))
    return commands


def documented_commands():
    """``{command: [pages showing it]}`` over every documentation page."""
    pages = {}
    for page in doc_pages():
        for command in readme_commands(page.read_text()):
            pages.setdefault(command, []).append(str(page.relative_to(REPO)))
    return pages


def in_readme(command):
    """The command, after checking a page still shows it (a test never runs a command the docs dropped)."""
    assert command in documented_commands(), f'no longer in README.md, docs/ or configs/*/README.md: {command}'
    return command


def fill(template, keep=(), **values):
    """A Tools-table template with its placeholders filled: ``[...]`` groups are dropped unless listed in ``keep``
    (innermost first, so ``[--resume [CKPT]]`` goes as a whole); then each placeholder word (``CONFIG``, or the
    multi-word ``k=v ...``) is replaced by its value."""
    command, optional = template, re.compile(r'\[([^\[\]]*)\]')
    while optional.search(command):
        command = optional.sub(lambda m: m.group(1) if m.group(1).strip() in keep else '', command)
    for placeholder in sorted(values, key=len, reverse=True):
        command = re.sub(rf'(?<!\S){re.escape(placeholder)}(?!\S)', lambda _, p=placeholder: str(values[p]), command)
    return normalize(command)


def test_parser_finds_blocks_table_and_prose_commands():
    markdown = '\n'.join([
        'Run `make demo` first; `tools/build_mmcv.sh` is a file, `--amp` an option.',
        '```bash',
        '# a comment line',
        'python tools/train.py A.py \\',
        '    --work-dir W   # trailing comment',
        '',
        'SKIP_TORCH=1 make env',
        '```',
        '```',
        'not shell: `make nothing`',
        '```',
        '| command | what |',
        '| `python tools/x.py CKPT [--target a\\|b]` | a tool |',
        'convert with `python tools/c.py',
        'in.pth out.pth` here.',
        '1. a list item:',
        '   ```bash',
        '   make env',
        '   ```',
    ])
    assert readme_commands(markdown) == [
        'python tools/train.py A.py --work-dir W', 'SKIP_TORCH=1 make env', 'make env', 'make demo',
        'python tools/x.py CKPT [--target a|b]', 'python tools/c.py in.pth out.pth']


def test_fill_keeps_only_the_chosen_options():
    template = 'python tools/train.py CONFIG [--work-dir W] [--resume [CKPT]] [--amp] [--cfg-options k=v ...]'
    assert fill(template, keep=('--work-dir W', '--cfg-options k=v ...'), CONFIG='a.py', W='w', **{
        'k=v ...': 'x=1 y=2'}) == 'python tools/train.py a.py --work-dir w --cfg-options x=1 y=2'
    assert fill(template, CONFIG='a.py') == 'python tools/train.py a.py'


def test_doc_pages_cover_readme_docs_and_config_readmes():
    names = {str(page.relative_to(REPO)) for page in doc_pages()}
    assert {'README.md', 'docs/get_started.md', 'configs/mask3d/README.md', 'configs/pri3d/README.md'} <= names


def test_every_documented_command_is_classified():
    classified = {**RUN, **SLOW, **NOT_RUN}
    assert len(classified) == len(RUN) + len(SLOW) + len(NOT_RUN), 'a command is in two of RUN / SLOW / NOT_RUN'
    unclassified = {c: pages for c, pages in documented_commands().items() if c not in classified}
    assert not unclassified, ('documented commands that no test runs or explains; add each to RUN, SLOW or NOT_RUN '
                              'in tests/infra/test_readme_commands.py:\n' +
                              '\n'.join(f'{c}  ({", ".join(pages)})' for c, pages in sorted(unclassified.items())))


def test_no_classified_command_left_the_docs():
    gone = sorted(set({**RUN, **SLOW, **NOT_RUN}) - set(documented_commands()))
    assert not gone, 'classified commands no page shows any more (remove or update them):\n' + '\n'.join(gone)


def test_setup_scripts_parse():
    for script in ('tools/setup_env.sh', 'tools/build_mmcv.sh'):
        result = subprocess.run(['bash', '-n', str(REPO / script)], capture_output=True, text=True)
        assert result.returncode == 0, f'{script}: {result.stderr}'


# ------------------------------------------------------------------------------------------------ running commands
def makefile_variable(name):
    """A ``NAME ?= value`` default of the Makefile (the demo's config and folders are defined once, there)."""
    match = re.search(rf'^{name}\s*\?=\s*(.+)$', (REPO / 'Makefile').read_text(), re.M)
    assert match, f'Makefile: no {name} ?= ...'
    return match.group(1).strip()


def make_workspace(root):
    """A scratch copy of the repository: a symlink per top-level entry, except the folders commands write into."""
    root.mkdir(parents=True, exist_ok=True)
    for entry in REPO.iterdir():
        if entry.name not in ('data', 'work_dirs', '.git', '.pytest_cache', '.ruff_cache'):
            (root / entry.name).symlink_to(entry)
    (root / 'data').mkdir()
    return root


def shell(command, cwd, timeout=900):
    """Run a command line as a user would from the repository root, with the project's python as ``python``."""
    env = dict(os.environ, PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ.get("PATH", "")}',
               PYTHONPATH=str(REPO), PYTHON=sys.executable)
    result = subprocess.run(command, shell=True, executable='/bin/bash', cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f'`{command}` exited {result.returncode}:\n{result.stdout[-3000:]}\n' \
                                   f'{result.stderr[-3000:]}'
    return result.stdout + result.stderr


DEMO_CONFIG = makefile_variable('DEMO_CONFIG')
TWIN_CONFIG = makefile_variable('DEMO_FT_CONFIG')
WORLD = 'data/synthetic'  # the demo config's and the twins' default data root, relative to the repository root
TRAIN = 'python tools/train.py CONFIG [--work-dir W] [--resume [CKPT]] [--amp] [--tensorboard] [--cfg-options k=v ...]'
ONE_EPOCH = 'train_cfg.max_epochs=1 train_dataloader.batch_size=4'


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    root = make_workspace(tmp_path_factory.mktemp('readme') / 'repo')
    shell(fill(in_readme('python tools/data/make_synthetic.py --out DIR --scenes 2 --frames 20 --seed 0'),
               DIR=WORLD), root)
    return root


@pytest.fixture(scope='module')
def demo_checkpoint(workspace):
    shell(fill(in_readme(TRAIN), keep=('--work-dir W', '--cfg-options k=v ...'), CONFIG=DEMO_CONFIG,
               W='work_dirs/demo', **{'k=v ...': ONE_EPOCH}), workspace)
    return 'work_dirs/demo/epoch_1.pth'


def test_make_synthetic_renders_two_scenes_of_twenty_frames(workspace):
    world = workspace / WORLD
    scenes = sorted(p.name for p in world.glob('scene*_00'))
    assert scenes == ['scene0000_00', 'scene0001_00']
    for scene in scenes:
        assert len(list((world / scene / 'color').glob('*.jpg'))) == 20
        assert len(list((world / scene / 'depth').glob('*.png'))) == 20
    listed = (world / 'splits' / 'train.txt').read_text().split() + (world / 'splits' / 'val.txt').read_text().split()
    assert sorted(listed) == scenes


def test_train_command_writes_a_checkpoint(workspace, demo_checkpoint):
    checkpoint = torch.load(workspace / demo_checkpoint, map_location='cpu', weights_only=False)
    assert checkpoint['meta']['epoch'] == 1
    assert any(key.startswith('backbone.') for key in checkpoint['state_dict'])


def test_convert_command_keeps_exactly_the_backbone(workspace, demo_checkpoint):
    out = shell(fill(in_readme('python tools/model_converters/mask3d_to_backbone.py CKPT OUT'),
                     CKPT=demo_checkpoint, OUT='work_dirs/vit.pth'), workspace)
    assert 'missing keys (0)' in out and 'unexpected keys (0)' in out
    source = torch.load(workspace / demo_checkpoint, map_location='cpu', weights_only=False)['state_dict']
    converted = torch.load(workspace / 'work_dirs/vit.pth', map_location='cpu', weights_only=True)['state_dict']
    backbone = {k: v for k, v in source.items() if k.startswith('backbone.')}
    assert set(converted) == set(backbone) and len(converted) < len(source)  # depth encoder, decoder, heads dropped
    for key, value in backbone.items():
        torch.testing.assert_close(converted[key], value, msg=key)


def test_visualize_readme_example_finds_the_frame_under_the_data_root(workspace, demo_checkpoint):
    example = 'python tools/analysis/visualize_reconstruction.py CONFIG CKPT --out panels/ ' \
              '--frames scene0000_00/color/0.jpg'
    shell(fill(in_readme(example), CONFIG=DEMO_CONFIG, CKPT=demo_checkpoint), workspace)
    panels = list((workspace / 'panels').glob('*.png'))
    assert len(panels) == 1 and read_png(panels[0]).shape[0] > 0


@pytest.mark.parametrize('template, keep, values', [
    ('python tools/analysis/mask3d_diagnose.py CONFIG CKPT', (), {}),
    ('python tools/analysis/mask3d_diagnose.py CONFIG CKPT [--split val|--scenes FILE] [--num-frames 64] '
     '[--batch-size 16]', ('--num-frames 64', '--batch-size 16'), {'64': 4, '16': 2})])
def test_diagnose_prints_the_shortcut_numbers(workspace, demo_checkpoint, template, keep, values):
    out = shell(fill(in_readme(template), keep=keep, CONFIG=DEMO_CONFIG, CKPT=demo_checkpoint, **values), workspace)
    numbers = dict(re.findall(r'^\s*(\w+): (-?[0-9.]+|nan)$', out, re.M))
    for key in ('loss_depth', 'nearest_visible_depth_loss', 'rgb_reliance', 'loss_depth_no_depth'):
        assert key in numbers, out[-2000:]
    assert float(numbers['loss_depth']) > 0 and float(numbers['nearest_visible_depth_loss']) > 0


def test_check_frames_passes_the_rendered_world(workspace):
    shutil.copytree(workspace / WORLD, workspace / 'data/scannet')
    out = shell(in_readme('python tools/data/check_frames.py data/scannet --workers 16'), workspace)
    assert 'frames: 40 checked, 0 bad' in out, out[-2000:]


@pytest.mark.slow
def test_make_synthetic_docs_example_renders_four_scenes(tmp_path):
    root = make_workspace(tmp_path / 'repo')
    shell(in_readme('python tools/data/make_synthetic.py --out data/synthetic --scenes 4 --frames 24 --seed 0'), root)
    scenes = sorted((root / 'data/synthetic').glob('scene*_00'))
    assert len(scenes) == 4 and all(len(list((s / 'depth').glob('*.png'))) == 24 for s in scenes)


@pytest.mark.slow
def test_visualize_without_frames_draws_training_frames(workspace, demo_checkpoint):
    shell(fill(in_readme('python tools/analysis/visualize_reconstruction.py CONFIG CKPT --out DIR [--frames ...]'),
               CONFIG=DEMO_CONFIG, CKPT=demo_checkpoint, DIR='work_dirs/panels'), workspace)
    assert len(list((workspace / 'work_dirs/panels').glob('*.png'))) >= 1


@pytest.mark.slow
def test_finetune_twin_trains_and_tests(workspace):
    shell(fill(in_readme(TRAIN), keep=('--work-dir W',), CONFIG=TWIN_CONFIG, W='work_dirs/twin'), workspace)
    checkpoint = (workspace / 'work_dirs/twin/last_checkpoint').read_text().strip()
    for template, keep in (('python tools/test.py CONFIG CKPT [--out preds.pkl]', ('--out preds.pkl',)),
                           ('python tools/test.py CONFIG CKPT', ())):
        out = shell(fill(in_readme(template), keep=keep, CONFIG=TWIN_CONFIG, CKPT=checkpoint), workspace)
        miou = re.findall(r'mIoU: ([0-9.]+)', out)
        assert miou and 0.0 <= float(miou[-1]) <= 100.0
    assert (workspace / 'preds.pkl').stat().st_size > 0


@pytest.mark.slow
def test_extract_sens_command_writes_the_recorded_frames(workspace):
    """A .sens in ScanNet's format, recorded from the synthetic world (60 frames: its 20 renders, cyclically)."""
    world, scans = workspace / WORLD, workspace / 'work_dirs' / 'scans'
    (scans / 'scene0000_00').mkdir(parents=True)
    record_scene(world / 'scene0000_00', num_frames=60).write(scans / 'scene0000_00' / 'scene0000_00.sens')
    shell(fill(in_readme('python tools/data/scannet/extract_sens.py --sens-root SCANS --out OUT --frame-skip 25 '
                         '[--size W H] [--workers N]'), SCANS='work_dirs/scans', OUT='work_dirs/frames'), workspace)
    extracted = workspace / 'work_dirs' / 'frames' / 'scene0000_00'
    assert sorted(int(p.stem) for p in (extracted / 'depth').glob('*.png')) == [0, 25, 50]
    for stem, rendered in ((0, 0), (25, 5), (50, 10)):
        np.testing.assert_array_equal(read_png(extracted / 'depth' / f'{stem}.png'),
                                      read_png(world / 'scene0000_00' / 'depth' / f'{rendered}.png'))


@pytest.mark.slow
def test_convert_labels_command_reproduces_the_world_labels(workspace):
    """Raw ScanNet label ids -> ScanNet-20 train ids: the converter's output is the world's own label_scannet20."""
    world, labelled = workspace / WORLD, workspace / 'work_dirs' / 'labelled'
    shutil.copytree(world, labelled, ignore=shutil.ignore_patterns('label_nyu40', 'label_scannet20', 'splits'))
    shell(fill(in_readme('python tools/data/scannet/convert_labels.py --root FRAMES [--coco scannet18]'),
               keep=('--coco scannet18',), FRAMES='work_dirs/labelled'), workspace)
    expected = sorted((world / 'scene0001_00' / 'label_scannet20').glob('*.png'))
    assert len(expected) == 20
    for label in expected:
        np.testing.assert_array_equal(read_png(labelled / 'scene0001_00' / 'label_scannet20' / label.name),
                                      read_png(label))
    assert (labelled / 'annotations' / 'instances_train.json').stat().st_size > 0


@pytest.mark.slow
def test_mine_pairs_command_writes_the_pairs_it_reports(workspace):
    out = shell(fill(in_readme('python tools/data/scannet/mine_pairs.py --frames-root FRAMES --out pairs.txt '
                               '--min-overlap 0.3 --workers N'), FRAMES=WORLD, N=1), workspace)
    reported = re.search(r'(\d+) pairs from 2 scenes', out)
    assert reported, out[-2000:]
    lines = (workspace / 'pairs.txt').read_text().splitlines()
    assert len(lines) == int(reported.group(1)) > 0


def read_png(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


# ------------------------------------------------------------------------------------------------ slow: verbatim
@pytest.fixture(scope='module')
def demo_workspace(tmp_path_factory):
    root = make_workspace(tmp_path_factory.mktemp('readme_demo') / 'repo')
    if subprocess.run(['make', '-q', 'env'], cwd=root, capture_output=True).returncode != 0:
        pytest.skip('.venv is not up to date with requirements/ (make env would reinstall packages)')
    shell(in_readme('make demo'), root)
    return root


@pytest.mark.slow
def test_make_demo_then_convert_and_finetune_verbatim(demo_workspace):
    checkpoint = Path((demo_workspace / makefile_variable('DEMO_WORK_DIR') / 'last_checkpoint').read_text().strip())
    assert checkpoint.is_file()
    out = shell(in_readme('python tools/model_converters/mask3d_to_backbone.py work_dirs/demo/epoch_20.pth '
                          'vit-tiny_mask3d.pth'), demo_workspace)
    assert 'missing keys (0)' in out and (demo_workspace / 'vit-tiny_mask3d.pth').is_file()
    out = shell(in_readme('make demo-finetune'), demo_workspace)
    assert re.search(r'\[demo-finetune\] validation .*mIoU: [0-9.]+', out), out[-2000:]


@pytest.mark.slow
def test_dist_train_and_dist_test_on_two_cpu_processes(workspace, demo_checkpoint):
    for template in ('tools/dist_train.sh CONFIG N [...]', 'tools/dist_train.sh CONFIG 2'):
        shell(fill(in_readme(template), keep=('...',), CONFIG=DEMO_CONFIG, N=2, **{
            '...': f'--work-dir work_dirs/dist --cfg-options {ONE_EPOCH}'}), workspace)
        assert (workspace / 'work_dirs/dist/epoch_1.pth').is_file()
    shell(fill(TRAIN, keep=('--work-dir W',), CONFIG=TWIN_CONFIG, W='work_dirs/twin_dist'), workspace)
    checkpoint = (workspace / 'work_dirs/twin_dist/last_checkpoint').read_text().strip()
    for template in ('tools/dist_test.sh CONFIG CKPT N [...]', 'tools/dist_test.sh CONFIG CKPT N'):
        out = shell(fill(in_readme(template), CONFIG=TWIN_CONFIG, CKPT=checkpoint, N=2), workspace)
        assert re.search(r'mIoU: [0-9.]+', out)
