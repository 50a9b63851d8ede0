"""One mixed-precision training step on CPU, the way mmengine's ``AmpOptimWrapper`` runs one on a GPU.

``AmpOptimWrapper`` itself refuses a machine without CUDA (its constructor asserts a GPU, its scaler is
``torch.cuda.amp.GradScaler`` and mmengine's ``autocast`` allows only bfloat16 on CPU). ``CpuAmpOptimWrapper``
keeps every line of its step -- ``backward`` through ``loss_scaler.scale(loss)``, ``step`` through
``loss_scaler.step`` / ``update`` (with ``unscale_`` before clipping) -- and swaps only those three CUDA pieces:
``torch.amp.GradScaler('cpu')`` and ``torch.autocast('cpu', dtype)`` for float16 as well as bfloat16.
``BaseModel.train_step`` then runs data preprocessing and the loss under ``optim_context``, as the Runner does.

CPU kernels: every op of these models has a bfloat16 and a float16 CPU kernel in torch 2.x, but float16 matrix
products without AVX512-FP16 / AMX-FP16 hardware run a reference kernel ~100x slower than bfloat16 (a ViT-B
block's weight-gradient ``mm`` takes seconds), so the float16 steps of the large models run under ``make slow``.
"""
import contextlib
import copy
import math
import random

import numpy as np
import pytest
import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper, build_optim_wrapper
from mmpretrain.models import VisionTransformer

DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}
# |autocast loss - fp32 loss| <= rtol * |fp32 loss| on the same weights, data and random draws. bfloat16 keeps 8
# significant bits (rounding 2**-9 ~ 0.2 % per op), float16 11 bits (~0.05 %); errors add up over a ViT-B /
# ResNet-50 forward, and a loss that thresholds (RPN / RoI sampling) can flip a few samples.
LOSS_RTOL = {'bf16': 0.05, 'fp16': 0.02}
LOSS_SCALE = 2.0 ** 16  # GradScaler's default initial scale: what AmpOptimWrapper(loss_scale='dynamic') starts at
MAX_SKIPPED_STEPS = 8  # down to a loss scale of 2**8


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One intra-op thread (import this autouse fixture into a test module): the shared 2-core test machine runs
    several test processes, and torch's thread pool on top of them makes a step several times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class CpuAmpOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` on CPU: its backward / step / update with a CPU grad scaler and CPU autocast."""

    def __init__(self, loss_scale='dynamic', dtype=None, **kwargs):
        OptimWrapper.__init__(self, **kwargs)  # AmpOptimWrapper.__init__ asserts a GPU
        if loss_scale != 'dynamic':
            raise ValueError(f"CpuAmpOptimWrapper: only loss_scale='dynamic' (the configs' choice), got {loss_scale!r}")
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', init_scale=LOSS_SCALE)
        self.cast_dtype = dtype

    @contextlib.contextmanager
    def optim_context(self, model):
        with OptimWrapper.optim_context(self, model), torch.autocast('cpu', dtype=self.cast_dtype):
            yield


def amp_optim_wrapper(model, optim_wrapper_cfg, dtype_name):
    """The config's optimizer wrapper (optimizer, paramwise settings, constructor, clipping) as a
    ``CpuAmpOptimWrapper`` in ``dtype_name``."""
    cfg = copy.deepcopy(dict(optim_wrapper_cfg))
    cfg.update(type=CpuAmpOptimWrapper, dtype=DTYPES[dtype_name])
    return build_optim_wrapper(model, cfg)


def amp_params(cases, default=None):
    """``pytest.param(case, dtype_name)`` for every case and dtype, ids ``<case>-<dtype>``; those not in
    ``default`` (a set of ids; ``None``: all) are marked slow."""
    return [pytest.param(case, dtype, id=f'{case}-{dtype}',
                         marks=() if default is None or f'{case}-{dtype}' in default else pytest.mark.slow)
            for case in cases for dtype in DTYPES]


def shrink_vit_depth(backbone_cfg, num_layers):
    """A ViT backbone config with ``num_layers`` blocks and otherwise its own architecture (widths, heads, patch
    size); ``out_indices`` are mapped to the same relative depths (ViT-B's (3, 5, 7, 11) -> (0, 1, 2, 3) at 4)."""
    arch = backbone_cfg['arch']
    arch = dict(VisionTransformer.arch_zoo[arch] if isinstance(arch, str) else arch)
    old_layers = arch['num_layers']
    arch['num_layers'] = num_layers
    out_indices = backbone_cfg.get('out_indices', -1)
    single = isinstance(out_indices, int)
    indices = [i % old_layers for i in ([out_indices] if single else out_indices)]
    mapped = [max(0, round((i + 1) * num_layers / old_layers) - 1) for i in indices]
    if len(set(mapped)) != len(mapped):
        raise ValueError(f'{num_layers} layers cannot hold the {len(mapped)} outputs {tuple(out_indices)}')
    return dict(backbone_cfg, arch=arch, out_indices=mapped[0] if single else tuple(mapped))


@contextlib.contextmanager
def seeded(seed):
    """The same random draws (dropout, drop path, masks, samplers) for the fp32 and the autocast pass."""
    with torch.random.fork_rng(devices=[]):
        state = random.getstate(), np.random.get_state()
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(state[0])
            np.random.set_state(state[1])


def fp32_loss(model, data, seed):
    """The summed loss of ``data`` in fp32, on a copy of the model (its BN statistics and counters untouched)."""
    model = copy.deepcopy(model)
    with torch.no_grad(), seeded(seed):
        losses = model(**model.data_preprocessor(copy.copy(data), True), mode='loss')
    total, _ = model.parse_losses(losses)
    return float(total)


def trainable(model):
    return [(name, p) for name, p in model.named_parameters() if p.requires_grad]


def check_amp_step(model, data, optim_wrapper_cfg, dtype_name, rtol=None, seed=0):
    """One ``train_step`` of ``model`` on ``data`` under CPU autocast in ``dtype_name`` ('bf16' / 'fp16') with the
    config's optimizer and the dynamic grad scaler, repeated on the same batch while the scaler skips the step
    (inf / NaN in the scaled float16 gradients: it halves the scale, as in the first iterations of a GPU run; at
    most ``MAX_SKIPPED_STEPS``). Asserts a finite loss within ``rtol`` of the fp32 loss (default ``LOSS_RTOL``),
    finite gradients on every parameter that got one, and that every parameter with a non-zero gradient changed.
    Returns ``(fp32 loss, autocast loss, log_vars)``."""
    model.train()
    reference = fp32_loss(model, data, seed)
    wrapper = amp_optim_wrapper(model, optim_wrapper_cfg, dtype_name)
    before = {name: p.detach().clone() for name, p in trainable(model)}
    grads = {}
    hooks = [p.register_post_accumulate_grad_hook(lambda p, name=name: grads.__setitem__(name, p.grad.clone()))
             for name, p in trainable(model)]
    try:
        for _ in range(MAX_SKIPPED_STEPS + 1):
            grads.clear()
            scale = wrapper.loss_scaler.get_scale()
            with seeded(seed):
                log_vars = model.train_step(copy.copy(data), wrapper)
            if wrapper.loss_scaler.get_scale() >= scale:  # no inf / NaN found: the step was taken
                break
            assert dtype_name == 'fp16', f'the scaler skipped a {dtype_name} step (bf16 has fp32 range)'
        else:
            raise AssertionError(f'{MAX_SKIPPED_STEPS + 1} steps skipped: scaled gradients not finite down to '
                                 f'loss scale {wrapper.loss_scaler.get_scale()}')
    finally:
        for hook in hooks:
            hook.remove()
    loss = float(torch.as_tensor(log_vars['loss']).detach())
    assert math.isfinite(loss), log_vars
    assert grads, 'no parameter received a gradient'
    bad = [name for name, grad in grads.items() if not torch.isfinite(grad).all()]
    assert not bad, f'non-finite (scaled) gradients in {bad[:5]}'
    unmoved = [name for name, p in trainable(model)
               if name in grads and grads[name].any() and torch.equal(p.detach(), before[name])]
    assert not unmoved, f'parameters with a gradient did not change: {unmoved[:5]}'
    tol = LOSS_RTOL[dtype_name] if rtol is None else rtol
    assert abs(loss - reference) <= tol * abs(reference), (reference, loss)
    return reference, loss, log_vars
