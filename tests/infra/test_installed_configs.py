"""Configs travel with the package: a wheel ships them as ``mask3d_mm/.mim/configs``, and a config outside this
repository inherits ours as ``_base_ = 'mask3d_mm::<path>'`` once mask3d_mm is imported, from an installed wheel (a
temporary venv, the checkout not on ``sys.path``) and from an editable install (the checkout's ``configs/``, no
``.mim``). Where mask3d_mm is not imported before the config is parsed (upstream ``tools/train.py``), the scope fails
and the relative path into a checkout works.

Layout of the session's temporary directory, as a user has it: ``mask3d-mm/`` (a copy of this checkout, built and
installed from), ``my_project/`` (the outside configs), ``wheel/venv`` and ``editable/venv``."""
import json
import math
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mask3d_mm.utils import compat
from mask3d_mm.utils.errors import ConfigError
from mask3d_mm.utils.launch import load_config
from tests.conftest import REPO

REAL = 'mask3d/vitb_scannet.py'  # the default recipe: short name -> named config -> mmpretrain:: runtime
FINETUNE = 'finetune/upernet_vit-b16-mask3d_8xb2-amp-20k_scannet-512x512.py'  # ../_base_/ and mmseg:: chains
DET = 'finetune/mask-rcnn_vit-b16-mask3d_simple-fpn_amp-1x_scannet.py'  # three ../_base_/ with mmdet:: bases
TINY = 'mask3d/mask3d_vit-tiny-p16_1xb16-coslr-20e_synthetic.py'
# What the outside project's configs override, also applied to the checkout's configs for the comparison.
OVERRIDES = {REAL: {'model.rgb_mask_ratio': 0.6}, FINETUNE: {'train_cfg.max_iters': 100},
             DET: {'train_cfg.max_epochs': 2}, TINY: {'model.backbone.arch.num_layers': 2}}
CHILDREN = {'real': REAL, 'finetune': FINETUNE, 'det': DET, 'tiny': TINY}  # outside config -> the config it inherits
CHILD_CONFIGS = {
    'real.py': f"_base_ = 'mask3d_mm::{REAL}'\nmodel = dict(rgb_mask_ratio=0.6)\n",
    'finetune.py': f"_base_ = ['mask3d_mm::{FINETUNE}']\ntrain_cfg = dict(max_iters=100)\n",
    'det.py': f"_base_ = 'mask3d_mm::{DET}'\ntrain_cfg = dict(max_epochs=2)\n",
    'tiny.py': f"_base_ = 'mask3d_mm::{TINY}'\nmodel = dict(backbone=dict(arch=dict(num_layers=2)))\n",
    # as for upstream tools/train.py: the scope (fails there) and the relative path into the checkout (works)
    'upstream_scope.py': (f"_base_ = 'mask3d_mm::{FINETUNE}'\n"
                          "custom_imports = dict(imports=['mask3d_mm'], allow_failed_imports=False)\n"),
    'upstream_path.py': f"_base_ = '../mask3d-mm/configs/{FINETUNE}'\ntrain_cfg = dict(max_iters=100)\n",
}
# Run by a temporary venv's interpreter in the outside project. First as upstream tools/train.py does
# (``cfg = Config.fromfile(args.config)`` with nothing of ours imported; ``custom_imports`` run after parsing), then as
# our tools / a user's script do (import mask3d_mm, then Config.fromfile): what it imported, the configs as loaded,
# and the tiny model built from the installed package.
PROBE = '''
import inspect, json, os, sys
from mmengine.config import Config

report = {}
try:
    Config.fromfile('upstream_scope.py')
except AssertionError as error:
    report['upstream_scope_error'] = str(error)
report['upstream_path'] = Config.fromfile('upstream_path.py').to_dict()  # its custom_imports import mask3d_mm

import mask3d_mm
from mmpretrain.registry import MODELS
from mask3d_mm.utils.compat import package_configs_dir

report.update(package=mask3d_mm.__file__, configs_dir=str(package_configs_dir()),
              sys_path=[os.path.abspath(p) for p in sys.path])
for name in ('real', 'finetune', 'det', 'tiny'):
    report[name] = Config.fromfile(name + '.py').to_dict()
model = MODELS.build(Config.fromfile('tiny.py').model)
report['model_file'] = inspect.getfile(type(model))
report['param_shapes'] = {name: list(p.shape) for name, p in model.named_parameters()}
print(json.dumps(report, default=repr))
'''


def as_json(value):
    """Config dicts compared as JSON (tuples and lists alike, objects by repr), as the probe prints them."""
    return json.loads(json.dumps(value, default=repr))


def checkout_config(name):
    """A config of this checkout, loaded by relative path, with the outside project's overrides."""
    cfg = Config.fromfile(REPO / 'configs' / name)
    cfg.merge_from_dict(OVERRIDES[name])
    return cfg


def write_outside_project(root):
    root.mkdir(parents=True, exist_ok=True)
    for name, text in CHILD_CONFIGS.items():
        (root / name).write_text(text)
    return root


def copy_checkout(target):
    """The checkout's files as a fresh clone has them (builds here leave build/ and *.egg-info in this copy)."""
    heavy = shutil.ignore_patterns('.git', '.venv', 'data', 'work_dirs', 'build', 'dist', '*.egg-info', '.mim',
                                   '__pycache__', '.pytest_cache', '.ruff_cache', '*.pth', '*.pkl')
    shutil.copytree(REPO, target, ignore=heavy, symlinks=True)
    return target


def pip(*args):
    subprocess.run([sys.executable, '-m', 'pip', *map(str, args)], check=True, capture_output=True, text=True)


def make_venv(root, wheel):
    """A fresh venv, the mask3d_mm wheel installed into it by pip (``--python``: while the venv is still empty, so
    pip cannot uninstall the project venv's copy), then a .pth that puts the project venv's packages after its own:
    torch, mmengine, ... are reused; the project venv's editable ``mask3d_mm`` is not (a plain path in a .pth does
    not run that directory's .pth files, so its editable finder is never installed)."""
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', root], check=True)
    python = root / 'bin' / 'python'
    pip('--python', python, 'install', '--no-deps', '--no-index', wheel)
    site_packages = subprocess.run([python, '-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   check=True, capture_output=True, text=True).stdout.strip()
    project_site = Path(sysconfig.get_paths()['purelib']).resolve()
    Path(site_packages, 'project-venv.pth').write_text(f'{project_site}\n')
    return python


def outside_env():
    """The environment of a user's shell: nothing points into the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP')}
    return dict(env, OMP_NUM_THREADS='1', PYTHONNOUSERSITE='1')


@dataclass
class Install:
    python: Path  # the temporary venv's interpreter
    source: Path  # the copy of the checkout it was built (wheel) or installed (editable) from
    project: Path  # the outside project: its own configs inheriting ours


@pytest.fixture(scope='session')
def workspace(tmp_path_factory):
    """(checkout copy, outside project) side by side."""
    root = tmp_path_factory.mktemp('workspace')
    return copy_checkout(root / 'mask3d-mm'), write_outside_project(root / 'my_project')


@pytest.fixture(scope='session')
def wheel_install(workspace):
    """``pip wheel .`` (once per session), the wheel installed into a temporary venv."""
    source, project = workspace
    wheels = source.parent / 'wheel'
    pip('wheel', '--no-deps', '--no-build-isolation', '--no-index', '--wheel-dir', wheels, source)
    return Install(make_venv(wheels / 'venv', next(wheels.glob('mask3d_mm-*.whl'))), source, project)


@pytest.fixture(scope='session')
def editable_install(workspace):
    """An editable install (``pip install -e .``) of the checkout copy into a temporary venv: a developer's venv,
    no ``.mim`` anywhere."""
    source, project = workspace
    wheels = source.parent / 'editable'
    wheels.mkdir()
    # the PEP 660 hook `pip install -e` calls, run here (the empty venv has no setuptools to build with)
    build = f'from setuptools import build_meta; print(build_meta.build_editable({str(wheels)!r}))'
    wheel = subprocess.run([sys.executable, '-c', build], cwd=source, check=True, capture_output=True, text=True)
    return Install(make_venv(wheels / 'venv', wheels / wheel.stdout.splitlines()[-1]), source, project)


@pytest.fixture(scope='session', params=['wheel', 'editable'])
def probed(request):
    """(install, what the probe saw) for the wheel and for the editable install."""
    install = request.getfixturevalue(f'{request.param}_install')
    result = subprocess.run([install.python, '-c', PROBE], cwd=install.project, env=outside_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return install, json.loads(result.stdout.splitlines()[-1])


def test_wheel_ships_the_configs_inside_the_package(wheel_install):
    shipped = next(wheel_install.python.parent.parent.glob('lib/python*/site-packages/mask3d_mm/.mim/configs'))
    ours = {p.relative_to(REPO / 'configs') for p in (REPO / 'configs').rglob('*.py')}
    assert ours and {p.relative_to(shipped) for p in shipped.rglob('*.py')} == ours
    assert (shipped.parent / 'tools' / 'train.py').read_bytes() == (REPO / 'tools/train.py').read_bytes()


def test_outside_project_imports_the_install_not_the_checkout(probed):
    """Wheel: mask3d_mm and its configs from the venv's site-packages. Editable: from the installed source tree
    (the copy), its own configs/, and neither the build nor the install wrote a ``.mim`` into it."""
    install, probe = probed
    package_dir = Path(probe['package']).resolve().parent
    venv = install.python.parent.parent.resolve()
    if package_dir.is_relative_to(venv):
        assert Path(probe['configs_dir']).resolve() == package_dir / '.mim' / 'configs'
    else:
        assert package_dir == install.source.resolve() / 'mask3d_mm'
        assert Path(probe['configs_dir']).resolve() == install.source.resolve() / 'configs'
        assert not (package_dir / '.mim').exists()
    assert Path(probe['model_file']).resolve().is_relative_to(package_dir)
    reused = Path(sys.prefix).resolve()  # the project venv's packages, reached through the .pth (it may sit in REPO)
    for entry in map(lambda e: Path(e).resolve(), probe['sys_path']):
        assert entry.is_relative_to(reused) or not entry.is_relative_to(REPO.resolve()), entry


@pytest.mark.parametrize('child', CHILDREN)
def test_inherited_config_equals_the_checkout_config(probed, child):
    """The whole config, every ``../_base_/`` and ``mmseg::`` / ``mmpretrain::`` base of the installed copy
    resolved, and no ``_scope_`` added by our scope: identical to the checkout's config under the same override."""
    probe = probed[1]
    assert probe[child] == as_json(checkout_config(CHILDREN[child]).to_dict())
    assert probe['real']['model']['rgb_mask_ratio'] == 0.6 and probe['real']['model']['type'] == 'Mask3D'


def test_upstream_tools_need_the_relative_path(probed):
    """Parsed before anything imports mask3d_mm (upstream tools/train.py), the scope is mmengine's AssertionError
    even with ``custom_imports`` in the child; the relative path into the checkout loads the same config."""
    probe = probed[1]
    assert probe['upstream_scope_error'] == 'mmengine does not support to load mask3d_mm config.'
    assert probe['upstream_path'] == as_json(checkout_config(FINETUNE).to_dict())


def test_outside_config_builds_its_model_from_the_installed_package(probed):
    probe = probed[1]
    with torch.device('meta'):  # shapes only
        expected = MODELS.build(checkout_config(TINY).model)
    assert probe['param_shapes'] == {name: list(p.shape) for name, p in expected.named_parameters()}
    layers = {name.split('.')[2] for name in probe['param_shapes'] if name.startswith('backbone.layers.')}
    assert layers == {'0', '1'}  # the outside config's 2 layers, not the demo's 6


def test_checkout_without_mim_resolves_its_own_configs(tmp_path):
    """Editable install / PYTHONPATH checkout: no ``mask3d_mm/.mim``, the scope reads the checkout's configs/."""
    assert not (REPO / 'mask3d_mm' / '.mim').exists()
    assert compat.package_configs_dir() == REPO / 'configs'
    project = write_outside_project(tmp_path / 'my_project')
    for child in ('real', 'det'):
        loaded = Config.fromfile(project / f'{child}.py')
        assert as_json(loaded.to_dict()) == as_json(checkout_config(CHILDREN[child]).to_dict())


def test_unknown_config_names_the_scope_path(tmp_path):
    """A typo in the scoped path: the tools' one ``error:`` line names the child config and the missing base."""
    (tmp_path / 'typo.py').write_text("_base_ = 'mask3d_mm::mask3d/vitb_scanet.py'\n")
    expected = f'{tmp_path / "typo.py"}: mask3d_mm::mask3d/vitb_scanet.py: no such config in {REPO / "configs"}'
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / 'typo.py')
    assert str(error.value) == expected


def test_shim_wraps_once_and_leaves_other_scopes_to_mmengine():
    wrapped = Config._get_cfg_path
    compat.resolve_mask3d_mm_config_scope()
    assert Config._get_cfg_path is wrapped
    path, scope = Config._get_cfg_path('mmpretrain::_base_/default_runtime.py', str(REPO / 'x.py'))
    assert scope == 'mmpretrain' and path.endswith('mmpretrain/.mim/configs/_base_/default_runtime.py')
    with pytest.raises(AssertionError, match='does not support to load mask3d_mmx config'):
        Config._get_cfg_path('mask3d_mmx::a/b.py', str(REPO / 'x.py'))


def test_outside_config_trains_under_the_installed_train_tool(wheel_install, tmp_path):
    """A pip user's run: the tools/train.py shipped in the wheel, from the outside project, on a tiny world (2 scenes
    of 8 frames, every 2nd frame, batch 2: 2 iterations; ~6 s)."""
    from mask3d_mm.data_prep.synthetic import generate_dataset
    python, project = wheel_install.python, wheel_install.project
    data_root = tmp_path / 'world'
    generate_dataset(str(data_root), num_scenes=2, frames_per_scene=8, seed=0, height=60, width=80)
    train_tool = next(python.parent.parent.glob('lib/python*/site-packages/mask3d_mm/.mim/tools/train.py'))
    work_dir = tmp_path / 'work'
    options = [f'train_dataloader.dataset.data_root={data_root}', 'train_dataloader.batch_size=2',
               'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1']
    result = subprocess.run([python, train_tool, 'tiny.py', '--work-dir', work_dir, '--cfg-options', *options],
                            cwd=project, env=outside_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    logged = [json.loads(line) for path in work_dir.glob('*/vis_data/scalars.json') for line in path.open()]
    assert logged and all(math.isfinite(entry['loss']) for entry in logged)
    state_dict = torch.load(work_dir / 'epoch_1.pth', map_location='cpu')['state_dict']
    assert sum(k.startswith('backbone.layers.') and k.endswith('.ln1.weight') for k in state_dict) == 2
