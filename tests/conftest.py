import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault('OMP_NUM_THREADS', '1')  # 2-core CI machine: no thread oversubscription


def run_tool(*args, cwd=REPO, timeout=600, env=None):
    """Run a repo tool as a user would (fresh interpreter); returns the CompletedProcess."""
    full_env = dict(os.environ, PYTHONPATH=str(REPO), PYTHON=sys.executable, **(env or {}))
    cmd = [sys.executable, *map(str, args)] if str(args[0]).endswith('.py') else list(map(str, args))
    return subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def load_tool(path):
    """A repo tool (``tools/**/*.py``, not a package) as a fresh module, to call its functions in-process.
    ``path``: absolute, or relative to the repository root (``'tools/model_converters/mask3d_to_backbone.py'``)."""
    path = REPO / path
    spec = importlib.util.spec_from_file_location(f'tool_{path.stem}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def repo():
    return REPO


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """Each test starts with the default scope it inherited: a Runner built by one test (e.g. mmseg's) sets
    mmengine's process-wide DefaultScope, which would otherwise send the next test's mmpretrain builds to mmseg's
    registries."""
    from mmengine.registry import DefaultScope
    saved = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)
