"""The training step stays on the device: a static (ast) check of the code a step runs -- ``mask3d_mm/models``,
the hooks, and the geometry the losses call.

- A tensor factory (``torch.zeros``, ``arange``, ``tensor``, ``rand`` ...) names its ``device=``, or the tensor is
  derived from an input instead (``x.new_zeros``, ``torch.zeros_like``): a factory without a device allocates on
  the CPU and the step then copies it to the GPU, every iteration. Module construction (``__init__``,
  ``init_weights``) is exempt: it runs once.
- ``.item()`` / ``.cpu()`` / ``.tolist()`` / ``.numpy()`` (each one a host-device synchronization on a GPU) and
  ``.cuda()`` (a tensor made on the host) appear only where ``ALLOWED`` lists them, each with its reason.

Not seen by this check: ``float(t)`` / ``int(t)`` / ``bool(t)`` / ``if t.any():`` on device tensors (also syncs;
the remaining ones are input validation and the data-dependent shapes of Pri3D's matching).

Both lists are exact: an entry that no longer matches anything fails too, so the lists shrink with the code.
"""
import ast

import pytest

from tests.conftest import REPO

SCANNED = ['mask3d_mm/models', 'mask3d_mm/engine/hooks', 'mask3d_mm/geometry/_backend.py',
           'mask3d_mm/geometry/camera.py', 'mask3d_mm/geometry/correspondence.py', 'mask3d_mm/geometry/voxel.py']
FACTORIES = {'arange', 'zeros', 'ones', 'full', 'empty', 'eye', 'rand', 'randn', 'randint', 'randperm', 'tensor',
             'as_tensor', 'from_numpy', 'linspace', 'logspace', 'bernoulli', 'normal'}
SYNCS = {'item', 'cpu', 'tolist', 'numpy', 'cuda'}  # .cuda(): a tensor made on the CPU, copied to the GPU
CONSTRUCTION = {'__init__', 'init_weights'}

CPU_MASKS = 'Mask3D patch masks: drawn on the CPU from per-sample seeded generators on purpose (same masks on ' \
            'every device and on --resume), sent to the device in one pinned asynchronous copy'
NUMPY_OR_TORCH = 'geometry takes numpy or torch: as_tensor leaves a tensor on its device; numpy comes from the ' \
                 'data pipeline, on the CPU'
COPY_BASELINE = 'copy-nearest-visible-depth baseline: a scipy distance transform on the CPU by design, logged ' \
                'every copy_baseline_interval steps only'
# (file, function, call) -> why it is fine
ALLOWED = {
    ('mask3d_mm/models/utils/patch_masks.py', 'uniform', 'torch.rand'): CPU_MASKS,
    ('mask3d_mm/models/utils/patch_masks.py', 'random_mask', 'torch.ones'): CPU_MASKS,
    ('mask3d_mm/models/utils/patch_masks.py', 'random_mask', 'torch.arange'): CPU_MASKS,
    ('mask3d_mm/models/utils/patch_masks.py', 'random_mask', 'torch.randperm'): CPU_MASKS,
    ('mask3d_mm/models/utils/patch_masks.py', 'block_mask', 'torch.zeros'): CPU_MASKS,
    ('mask3d_mm/models/utils/patch_masks.py', 'block_mask', 'torch.randint'): CPU_MASKS,
    ('mask3d_mm/models/utils/patch_masks.py', 'block_mask', 'torch.randperm'): CPU_MASKS,
    ('mask3d_mm/models/utils/patch_masks.py', 'PatchMaskSampler.__call__', 'torch.randint'): CPU_MASKS,
    ('mask3d_mm/models/utils/nearest_depth.py', 'nearest_visible_depth', '.cpu'): COPY_BASELINE,
    ('mask3d_mm/models/utils/nearest_depth.py', 'nearest_visible_depth', '.numpy'): COPY_BASELINE,
    ('mask3d_mm/models/utils/nearest_depth.py', 'nearest_visible_depth', 'torch.from_numpy'): COPY_BASELINE,
    ('mask3d_mm/models/backbones/mask3d.py', 'visible_ids_from_mask', '.tolist'):
        'only in the error message of masks with unequal visible counts',
    ('mask3d_mm/geometry/_backend.py', '_to_tensor', 'torch.from_numpy'): NUMPY_OR_TORCH,
    ('mask3d_mm/geometry/_backend.py', '_to_numpy', '.cpu'): 'results handed back to numpy callers only',
    ('mask3d_mm/geometry/_backend.py', '_to_numpy', '.numpy'): 'results handed back to numpy callers only',
    ('mask3d_mm/geometry/_backend.py', 'as_float_tensor', 'torch.as_tensor'): NUMPY_OR_TORCH,
    ('mask3d_mm/geometry/camera.py', 'require_valid_pose', 'torch.as_tensor'): NUMPY_OR_TORCH,
    ('mask3d_mm/geometry/camera.py', 'require_valid_pose', '.tolist'): 'only in the error message of a bad pose',
    ('mask3d_mm/geometry/voxel.py', '_check_coord_range', '.item'): 'only in the error message of far-off voxels',
    ('mask3d_mm/geometry/voxel.py', 'pack_keys', 'torch.as_tensor'): NUMPY_OR_TORCH,
    ('mask3d_mm/geometry/voxel.py', 'lookup_keys', 'torch.as_tensor'): NUMPY_OR_TORCH,
    ('mask3d_mm/geometry/voxel.py', 'voxel_hash', 'torch.as_tensor'): NUMPY_OR_TORCH,
    ('mask3d_mm/geometry/voxel.py', 'voxel_unhash', 'torch.as_tensor'): NUMPY_OR_TORCH,
    ('mask3d_mm/geometry/voxel.py', 'voxel_centres', 'torch.as_tensor'): NUMPY_OR_TORCH,
    ('mask3d_mm/geometry/voxel.py', 'voxel_centres', 'torch.from_numpy'): 'a dtype lookup on an empty array',
}


class Finder(ast.NodeVisitor):
    """Factory calls without ``device=`` and sync method calls, each as ``(function, call)``."""

    def __init__(self):
        self.scope, self.found = [], []

    def visit_ClassDef(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node):
        self.scope.append(node.name)
        if node.name not in CONSTRUCTION:
            self.generic_visit(node)
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node):
        func, where = node.func, '.'.join(self.scope) or '<module>'
        if isinstance(func, ast.Attribute):
            if (isinstance(func.value, ast.Name) and func.value.id == 'torch' and func.attr in FACTORIES
                    and not any(keyword.arg == 'device' for keyword in node.keywords)):
                self.found.append((where, f'torch.{func.attr}'))
            elif func.attr in SYNCS and not node.args:
                self.found.append((where, f'.{func.attr}'))
        self.generic_visit(node)


def findings(source, path):
    finder = Finder()
    finder.visit(ast.parse(source, filename=path))
    return {(path, where, call) for where, call in finder.found}


def scanned_files():
    for entry in SCANNED:
        path = REPO / entry
        yield from sorted(path.rglob('*.py')) if path.is_dir() else [path]


@pytest.fixture(scope='module')
def found():
    result = set()
    for path in scanned_files():
        relative = path.relative_to(REPO).as_posix()
        result |= findings(path.read_text(), relative)
    return result


def test_step_code_makes_tensors_on_the_device_and_syncs_only_where_allowed(found):
    unexplained = sorted(found - set(ALLOWED))
    assert not unexplained, ('tensor factories without device= (derive from an input: x.new_zeros, '
                             'torch.zeros_like, device=x.device) or host syncs (.item / .cpu / .tolist / .numpy) '
                             f'in the training step: {unexplained}; fix them or add them to ALLOWED with the reason')


def test_every_allowed_entry_is_still_needed(found):
    assert not sorted(set(ALLOWED) - found)
    assert all(reason.strip() for reason in ALLOWED.values())


@pytest.mark.parametrize('line, flagged', [
    ('torch.zeros(3)', {('m.py', 'Head.loss', 'torch.zeros')}),
    ('torch.arange(x.shape[0])', {('m.py', 'Head.loss', 'torch.arange')}),
    ('torch.tensor([1.0, 2.0])', {('m.py', 'Head.loss', 'torch.tensor')}),
    ('float(x.sum().item())', {('m.py', 'Head.loss', '.item')}),
    ('x.cpu()', {('m.py', 'Head.loss', '.cpu')}),
    ('torch.ones(2).cuda()', {('m.py', 'Head.loss', 'torch.ones'), ('m.py', 'Head.loss', '.cuda')}),
    ('torch.zeros(3, device=x.device)', set()),
    ('x.new_zeros(3)', set()),
    ('torch.zeros_like(x)', set()),
    ('x.to("cpu", non_blocking=True)', set()),  # not what this test looks for (its .to is not a sync method)
])
def test_the_check_flags_a_host_tensor_added_to_a_model(line, flagged):
    source = f'import torch\n\n\nclass Head:\n    def __init__(self):\n        self.w = torch.zeros(3)\n\n' \
             f'    def loss(self, x):\n        return {line}\n'
    assert findings(source, 'm.py') == flagged
