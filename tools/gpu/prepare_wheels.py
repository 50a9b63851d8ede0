"""Fill a folder with what a GPU machine without a package index needs to run ``make gpu-check``'s script offline.

    python tools/gpu/prepare_wheels.py [--out .gpu-wheels] [--spconv] [--max-mib 64] [--dry-run]

Run it where PyPI is reachable; carry the folder to the GPU machine and run ``tools/gpu/install_and_check.sh`` there.
The target: Python 3.12 on x86-64 Linux with a CUDA build of PyTorch 2.11 and the usual scientific stack already
installed (numpy, scipy, opencv-python-headless, matplotlib, pillow, pyyaml, rich, tqdm, einops, click, markdown,
requests, ninja, pybind11, portalocker; ``install_and_check.sh`` checks each before it starts). The folder holds:

* wheels (``pip download --no-deps --only-binary=:all: --python-version 3.12``) of mmengine, mmpretrain,
  mmsegmentation and mmdet at the project's pins, of their dependencies missing from such an image (``WHEELS``),
  and of setuptools < 82, which mmcv 2.1.0's ``setup.py`` needs (it imports ``pkg_resources``);
* the mmcv 2.1.0 sdist (``pip download --no-deps --no-binary mmcv``): no mmcv wheel exists for torch 2.11, so it is
  built there, against that torch;
* with ``--spconv``: spconv 2.3.8 for CUDA 12.6 and its dependencies, for the check's spconv step (without it that
  step is skipped and says so). spconv's wheel alone takes ~65 MiB and cumm's ~27 MiB (the rest: ~12 MiB), so the
  folder then needs ``--max-mib 110``: only for a machine that can be sent that much;
* ``MANIFEST.txt``: what was asked for and the file names.

Pins are exact so that two runs fill the folder alike; the total must stay under ``--max-mib`` (what travels to the
machine with the checkout), else the script stops with an error line and says which files are largest.
``--dry-run`` prints the pip commands and the packages without downloading anything.
"""
import argparse
import os
import os.path as osp
import shutil
import subprocess
import sys

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))

PYTHON_VERSION = '3.12'
PLATFORMS = ('manylinux_2_28_x86_64', 'manylinux_2_27_x86_64', 'manylinux_2_24_x86_64', 'manylinux_2_17_x86_64',
             'manylinux2014_x86_64', 'manylinux1_x86_64')
OPENMMLAB = ('mmengine==0.10.7', 'mmpretrain==1.2.0', 'mmsegmentation==1.2.2', 'mmdet==3.3.0')  # mminstall.txt
WHEELS = OPENMMLAB + (
    # mmengine
    'addict==2.4.0', 'yapf==0.43.0', 'platformdirs==4.14.9', 'termcolor==3.3.0',
    # mmpretrain
    'importlib-metadata==10.2.0', 'mat4py==0.6.0', 'modelindex==0.0.2', 'model-index==0.1.11', 'ordered-set==4.1.0',
    # mmsegmentation
    'prettytable==3.19.0', 'wcwidth==0.9.4', 'ftfy==6.3.1',
    # mmdet
    'pycocotools==2.0.11', 'shapely==2.2.0', 'terminaltables==3.1.10',
    # mmcv's build (setup.py imports pkg_resources, gone in setuptools 82)
    'setuptools==81.0.0',
)
SPCONV = ('spconv-cu126==2.3.8', 'cumm-cu126==0.7.11', 'pccm==0.4.16', 'ccimport==0.4.4', 'fire==0.7.1',
          'lark==1.3.1', 'lazy-importer==0.1.0')
SDISTS = ('mmcv==2.1.0',)
# already there (checked by install_and_check.sh before anything is installed)
ASSUMED_PRESENT = ('torch', 'numpy', 'scipy', 'cv2', 'matplotlib', 'PIL', 'yaml', 'rich', 'tqdm', 'einops', 'click',
                   'markdown', 'requests', 'ninja', 'pybind11', 'portalocker', 'packaging', 'six', 'regex')


def pip_commands(out, with_spconv=False):
    pip = [sys.executable, '-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-d', out]
    wheels = [*pip, '--only-binary=:all:', '--python-version', PYTHON_VERSION, '--implementation', 'cp',
              *[arg for platform in PLATFORMS for arg in ('--platform', platform)]]
    commands = [wheels + list(WHEELS)]
    if with_spconv:
        commands.append(wheels + list(SPCONV))
    commands.append([*pip, '--no-binary', 'mmcv', *SDISTS])
    return commands


def folder_mib(folder):
    return sum(osp.getsize(osp.join(folder, name)) for name in os.listdir(folder)) / 2 ** 20


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=osp.join(REPO, '.gpu-wheels'), help='the folder to fill (emptied first)')
    parser.add_argument('--spconv', action='store_true', help="also spconv-cu126 and cumm-cu126 (~92 MiB)")
    parser.add_argument('--max-mib', type=float, default=64.0, help='largest total size allowed')
    parser.add_argument('--dry-run', action='store_true', help='print the pip commands, download nothing')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    packages = list(WHEELS) + (list(SPCONV) if args.spconv else []) + list(SDISTS)
    if args.dry_run:
        for command in pip_commands(args.out, args.spconv):
            print(' '.join(command))
        print(f'{len(packages)} packages: {" ".join(packages)}')
        return 0
    # mask3d_mm's helpers only from here on: install_and_check.sh reads the constants above where nothing is
    # installed yet, and the dry run stays quick
    sys.path.insert(0, REPO)
    from mask3d_mm.utils.atomic_io import write_text_atomic
    from mask3d_mm.utils.errors import ConfigError, DataError
    if osp.exists(args.out) and not osp.isdir(args.out):
        raise ConfigError(f'--out {args.out}: exists and is not a folder')
    staging = f'{args.out.rstrip("/")}.partial'  # a failed run leaves the previous folder as it was
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    for command in pip_commands(staging, args.spconv):
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            last = (proc.stderr.strip().splitlines() or ['(no output)'])[-1]
            raise DataError(f'pip download of {command[-1]} ... failed: {last}')
    files = sorted(os.listdir(staging))
    manifest = ['# asked for:', *packages, '# files:', *files]
    write_text_atomic(osp.join(staging, 'MANIFEST.txt'), '\n'.join(manifest) + '\n')
    total = folder_mib(staging)
    if total > args.max_mib:
        largest = sorted(files, key=lambda name: -osp.getsize(osp.join(staging, name)))[:3]
        shutil.rmtree(staging, ignore_errors=True)
        raise DataError(f'--max-mib {args.max_mib:g}: the files take {total:.1f} MiB (largest: {", ".join(largest)}); '
                        'leave out --spconv, or raise --max-mib')
    shutil.rmtree(args.out, ignore_errors=True)
    os.replace(staging, args.out)
    for name in files:
        print(f'{osp.getsize(osp.join(args.out, name)) / 2 ** 20:8.2f} MiB  {name}')
    print(f'{total:.1f} MiB in {len(files)} files in {args.out} (limit {args.max_mib:g} MiB)')
    return 0


def run(argv=None):
    """``main`` with the tools' one-line errors; the dry run imports nothing of mask3d_mm."""
    args = sys.argv[1:] if argv is None else argv
    if '--dry-run' in args:
        return main(args)
    sys.path.insert(0, REPO)
    from mask3d_mm.utils.cli import run_cli
    return run_cli(lambda: main(args))


if __name__ == '__main__':
    sys.exit(run())
