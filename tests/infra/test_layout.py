"""Package boundaries, read from the source's import statements (no import side effects): the runtime path
(``import mask3d_mm``, datasets, models) never reaches the offline preparation in ``data_prep`` nor scipy (which
only the pair miner needs), and ``datasets/`` stays small."""
import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / 'mask3d_mm'


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob('*.py')}


def imported_modules(name: str):
    """Absolute names of every module ``name`` imports (``from x import y`` also yields ``x.y``)."""
    path = MODULES[name]
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            yield base
            yield from (f'{base}.{alias.name}' for alias in node.names)


def reachable_from(root: str):
    """Our modules transitively imported by ``root`` (package ``__init__`` files of each step included)."""
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name in seen or name not in MODULES:
            continue
        seen.add(name)
        parents = ['.'.join(name.split('.')[:i]) for i in range(1, name.count('.') + 1)]
        todo += parents + [m for m in imported_modules(name) if m in MODULES]
    return seen


def test_runtime_modules_do_not_import_data_prep():
    for name in MODULES:
        if name.startswith(('mask3d_mm.datasets', 'mask3d_mm.models')):
            bad = [m for m in imported_modules(name) if m.startswith('mask3d_mm.data_prep')]
            assert not bad, f'{name} imports {bad}'
    reached = reachable_from('mask3d_mm')
    assert 'mask3d_mm.datasets.rgbd_frames' in reached and 'mask3d_mm.formats.frame_layout' in reached  # walks
    assert not [m for m in reached if m.startswith('mask3d_mm.data_prep')]


# Runtime modules allowed to import scipy (``import mask3d_mm`` loads mmseg, which imports scipy anyway): each is a
# deliberate use, named here so a new one is a decision, not an accident.
SCIPY_RUNTIME_USERS = {'mask3d_mm.models.utils.nearest_depth'}  # scipy.ndimage's Euclidean distance transform


def test_runtime_imports_scipy_only_where_listed():
    reached = reachable_from('mask3d_mm')
    users = {m for m in reached if any(i == 'scipy' or i.startswith('scipy.') for i in imported_modules(m))}
    assert users <= SCIPY_RUNTIME_USERS, sorted(users - SCIPY_RUNTIME_USERS)
    assert not [m for m in users if m.startswith(('mask3d_mm.datasets', 'mask3d_mm.formats', 'mask3d_mm.geometry'))]
    assert any(i.startswith('scipy') for i in imported_modules('mask3d_mm.data_prep.pair_mining'))  # the check bites


def test_datasets_stay_small():
    lines = sum(len(path.read_text().splitlines()) for path in (PACKAGE / 'datasets').rglob('*.py'))
    assert lines <= 1000, f'mask3d_mm/datasets/ has {lines} lines (limit 1,000): offline code goes to data_prep/'
