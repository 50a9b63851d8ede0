"""Pure-PyTorch sparse convolution: kernel maps from the coordinate hash, then gather-GEMM-scatter per offset.

A kernel map is a list, one entry per kernel offset, of ``(in_rows, out_rows)`` index pairs. The convolution is
``out[out_rows] += in[in_rows] @ W[k]`` for every offset ``k`` -- differentiable through ``index_add``, so
autograd gives the backward pass, on CPU and GPU alike.

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
    out = feats.new_zeros(num_out, weight.shape[2])  # (M, C_out)
    for k, (in_rows, out_rows) in enumerate(kernel_map):
        if in_rows.numel():
            out.index_add_(0, out_rows, feats[in_rows] @ weight[k])  # (P, C_in) @ (C_in, C_out)
    return out


def transpose_kernel_map(kernel_map):
    return [(out_rows, in_rows) for in_rows, out_rows in kernel_map]


def cached(cache, key, build):
    if key is None:
        return build()
    if key not in cache:
        cache[key] = build()
    return cache[key]
