"""numpy-or-torch dispatch: every geometry function is written once, in torch.

numpy inputs are wrapped zero-copy with ``torch.from_numpy`` and the results are handed back as numpy, so the data
pipeline (numpy, loader workers) and the model (torch, batched, any device) share one implementation and cannot
drift apart. A call returns torch when any of its array arguments is a tensor, numpy otherwise.

Geometry runs in its inputs' precision, never under autocast: a model's loss calling it inside
``torch.autocast`` (mixed-precision training) would otherwise get bfloat16 / float16 matrix products, i.e. pose
checks that reject rigid poses and pixel projections off by whole pixels.
"""
import contextlib
import functools

import numpy as np
import torch


def _to_tensor(array: np.ndarray) -> torch.Tensor:
    if not array.dtype.isnative:  # torch only reads native byte order
        array = array.astype(array.dtype.newbyteorder('='))
    if not array.flags.writeable:  # torch.from_numpy warns on read-only memory
        array = array.copy()
    return torch.from_numpy(np.ascontiguousarray(array))


def _to_numpy(result):
    if isinstance(result, torch.Tensor):
        return result.detach().cpu().numpy()
    if isinstance(result, tuple):
        return tuple(_to_numpy(r) for r in result)
    if isinstance(result, list):
        return [_to_numpy(r) for r in result]
    return result


AUTOCAST_DEVICES = ('cpu', 'cuda')


@contextlib.contextmanager
def full_precision():
    """Autocast off (on every device type where it is on) for the enclosed ops."""
    with contextlib.ExitStack() as stack:
        for device_type in AUTOCAST_DEVICES:
            if torch.is_autocast_enabled(device_type):
                stack.enter_context(torch.autocast(device_type, enabled=False))
        yield


def numpy_or_torch(func):
    """Run ``func`` on tensors, outside autocast; convert its (tuple/list of) tensor results back to numpy for
    numpy callers."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        values = list(args) + list(kwargs.values())
        numpy_call = not any(isinstance(v, torch.Tensor) for v in values)
        args = [_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        kwargs = {k: _to_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        with full_precision():
            result = func(*args, **kwargs)
        return _to_numpy(result) if numpy_call else result

    return wrapper


def as_float_tensor(x, like: torch.Tensor = None) -> torch.Tensor:
    """``x`` (array-like) as a floating tensor: on ``like``'s device and dtype when given, else float64 for
    non-float input."""
    x = torch.as_tensor(x)
    if like is not None:
        return x.to(device=like.device, dtype=like.dtype)
    return x if x.is_floating_point() else x.to(torch.float64)


def check_matrix(x: torch.Tensor, size: int, name: str):
    if x.ndim < 2 or tuple(x.shape[-2:]) != (size, size):
        raise ValueError(f'{name} must have shape (..., {size}, {size}), got {tuple(x.shape)}')


def check_depth(depth: torch.Tensor, name: str = 'depth'):
    if depth.ndim < 2:
        raise ValueError(f'{name} must have shape (..., H, W), got {tuple(depth.shape)}')
    if not depth.is_floating_point():
        raise ValueError(f'{name} must be float metres (0 = invalid), got dtype {depth.dtype}; '
                         'convert a uint16 millimetre PNG with depth / 1000')
