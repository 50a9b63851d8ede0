"""Pure-PyTorch sparse convolution: kernel maps from the coordinate hash, then gather-GEMM-scatter per offset.

A kernel map is a list, one entry per kernel offset, of ``(in_rows, out_rows)`` index pairs. The convolution is
``out[out_rows] += in[in_rows] @ W[k]`` for every offset ``k``, on CPU and GPU alike; its backward
(``KernelMapConv``) re-gathers rather than storing each offset's gathered input.

Weight layout (shared with the spconv backend): ``(K, C_in, C_out)`` with ``K`` the flattened cubic kernel in
``(d0, d1, d2)`` order. spconv 2.x stores ``(C_out, k0, k1, k2, C_in)``; see ``sparse.layers.to_spconv_weight``.
"""
import torch

from .voxels import CoordIndex, kernel_offsets


def submanifold_kernel_map(coords, stride, kernel_size=3):
    """Pairs for a stride-preserving conv whose outputs sit on the input voxels: output ``x`` reads input
    ``x + offset * stride`` (correlation, as spconv's SubMConv3d)."""
    index = CoordIndex(coords)
    kernel_map = []
    for offset in kernel_offsets(kernel_size, coords.device):  # (3,)
        shifted = coords.clone()
        shifted[:, 1:] += offset * stride
        in_rows = index.lookup(shifted)  # (N,) -1 where no neighbour
        out_rows = torch.nonzero(in_rows >= 0).squeeze(1)
        kernel_map.append((in_rows[out_rows], out_rows))
    return kernel_map


def downsample_coords(coords, stride):
    """Output voxels of a kernel-2 stride-2 conv: each input's parent cell at stride ``2 * stride``.
    Returns the unique parent coords and, per input row, its parent row and kernel index."""
    parent = coords.clone()
    parent[:, 1:] = torch.div(coords[:, 1:], 2 * stride, rounding_mode='floor') * 2 * stride
    out_coords, parent_rows = torch.unique(parent, dim=0, return_inverse=True)  # (M, 4), (N,)
    child = torch.div(coords[:, 1:] - parent[:, 1:], stride, rounding_mode='floor')  # (N, 3) in {0, 1}
    kernel_index = child[:, 0] * 4 + child[:, 1] * 2 + child[:, 2]  # (N,)
    return out_coords, parent_rows, kernel_index


def strided_kernel_map(parent_rows, kernel_index):
    """Pairs (child row, parent row) grouped by kernel index: used as-is by the strided conv and swapped by the
    transposed conv that undoes it."""
    kernel_map = []
    for k in range(8):
        child_rows = torch.nonzero(kernel_index == k).squeeze(1)
        kernel_map.append((child_rows, parent_rows[child_rows]))
    return kernel_map


def apply_kernel_map(feats, weight, kernel_map, num_out):
    """``out[o] = sum_k feats[i] @ weight[k]`` over the map's (i, o) pairs."""
    return KernelMapConv.apply(feats, weight, kernel_map, num_out)


class KernelMapConv(torch.autograd.Function):
    """Gather-GEMM-scatter with a hand-written backward that keeps only ``feats`` and ``weight``.

    Plain autograd would save every offset's gathered ``feats[in_rows]`` -- up to K = 27 (125 for a 5x5x5 stem)
    copies of the input per conv; a Res U-Net 34 on a 2 cm ScanNet chunk then needs gigabytes on CPU. The backward
    re-gathers instead: ``dW[k] = feats[i]^T dOut[o]``, ``dFeats[i] += dOut[o] W[k]^T``."""

    @staticmethod
    @torch.amp.custom_fwd(device_type='cuda')  # backward runs under the forward's autocast state
    def forward(ctx, feats, weight, kernel_map, num_out):
        ctx.save_for_backward(feats, weight)
        ctx.kernel_map = kernel_map
        out = feats.new_zeros(num_out, weight.shape[2])  # (M, C_out)
        for k, (in_rows, out_rows) in enumerate(kernel_map):
            if in_rows.numel():
                out.index_add_(0, out_rows, (feats[in_rows] @ weight[k]).to(out.dtype))  # (P, C_in) @ (C_in, C_out)
        return out

    @staticmethod
    @torch.amp.custom_bwd(device_type='cuda')
    def backward(ctx, grad_out):
        feats, weight = ctx.saved_tensors
        grad_feats = torch.zeros_like(feats) if ctx.needs_input_grad[0] else None
        grad_weight = torch.zeros_like(weight) if ctx.needs_input_grad[1] else None
        for k, (in_rows, out_rows) in enumerate(ctx.kernel_map):
            if not in_rows.numel():
                continue
            grad_k = grad_out[out_rows]  # (P, C_out)
            if grad_weight is not None:
                grad_weight[k] = feats[in_rows].T @ grad_k  # (C_in, C_out)
            if grad_feats is not None:
                grad_feats.index_add_(0, in_rows, (grad_k @ weight[k].T).to(grad_feats.dtype))  # (P, C_in)
        return grad_feats, grad_weight, None, None


def transpose_kernel_map(kernel_map):
    return [(out_rows, in_rows) for in_rows, out_rows in kernel_map]


def cached(cache, key, build):
    if key is None:
        return build()
    if key not in cache:
        cache[key] = build()
    return cache[key]
