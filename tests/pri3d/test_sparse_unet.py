import pytest
import torch
import torch.nn.functional as F

from mask3d_mm.models.backbones.sparse_unet import RES_UNET34, SparseResBlock, SparseUNet3D
from mask3d_mm.models.sparse import DownConv3d, SparseVoxels, SubMConv3d, UpConv3d, spconv_available
from mask3d_mm.models.sparse.functional import apply_kernel_map, submanifold_kernel_map


def dense_grid(size, channels, batch=1):
    """Every voxel of a size^3 grid occupied: sparse convs must then equal dense ones."""
    r = torch.arange(size)
    xyz = torch.stack(torch.meshgrid(r, r, r, indexing='ij'), -1).reshape(-1, 3)  # (S^3, 3)
    coords = torch.cat([torch.zeros(len(xyz), 1, dtype=torch.long), xyz], 1)  # (S^3, 4)
    feats = torch.randn(len(xyz), channels, dtype=torch.float64)
    return coords, feats


def to_dense(feats, size):
    return feats.T.reshape(1, -1, size, size, size)  # (1, C, S, S, S)


def test_torch_backend_equals_dense_convolutions_on_a_full_grid():
    torch.manual_seed(0)
    coords, feats = dense_grid(4, 3)
    subm, down, up = SubMConv3d(3, 5).double(), DownConv3d(3, 5, 'd').double(), UpConv3d(5, 3, 'd').double()
    x = SparseVoxels(coords, feats)
    dense = to_dense(feats, 4)
    subm_weight = subm.weight.reshape(3, 3, 3, 3, 5).permute(4, 3, 0, 1, 2)  # (C_out, C_in, 3, 3, 3)
    assert torch.allclose(to_dense(subm(x).feats, 4), F.conv3d(dense, subm_weight, padding=1))
    coarse = down(x)
    down_weight = down.weight.reshape(2, 2, 2, 3, 5).permute(4, 3, 0, 1, 2)
    order = torch.argsort((coarse.coords[:, 1:] // 2) @ torch.tensor([4, 2, 1]))
    assert torch.allclose(to_dense(coarse.feats[order], 2), F.conv3d(dense, down_weight, stride=2))
    up_weight = up.weight.reshape(2, 2, 2, 5, 3).permute(3, 4, 0, 1, 2)  # (C_in, C_out, 2, 2, 2)
    expected_up = F.conv_transpose3d(to_dense(coarse.feats[order], 2), up_weight, stride=2)
    assert torch.allclose(to_dense(up(coarse).feats, 4), expected_up)


def random_voxels(num=200, extent=10, batch=2, channels=3, dtype=torch.float32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    coords = torch.cat([torch.randint(0, batch, (num, 1), generator=gen),
                        torch.randint(0, extent, (num, 3), generator=gen)], 1)
    coords = torch.unique(coords, dim=0)
    return coords, torch.randn(len(coords), channels, generator=gen, dtype=dtype)


def test_unet_keeps_voxel_order_and_batches_are_independent():
    torch.manual_seed(0)
    net = SparseUNet3D(3, (8, 16, 32), 6).eval()
    coords, feats = random_voxels()
    out = net(coords, feats)  # (N, 6)
    assert out.shape == (len(coords), 6)
    first = coords[:, 0] == 0
    alone = net(coords[first], feats[first])
    assert torch.allclose(out[first], alone, atol=1e-5)


def test_gradcheck_double_precision():
    torch.manual_seed(0)
    net = SparseUNet3D(2, (2, 3), 2).double().eval()  # eval: BN is affine, gradcheck needs a fixed function
    coords, feats = random_voxels(num=12, extent=4, batch=1, channels=2, dtype=torch.float64)
    feats.requires_grad_(True)
    weight = net.down[0][0].weight
    assert torch.autograd.gradcheck(lambda f, w: net(coords, f), (feats, weight), eps=1e-6, atol=1e-5)


def test_kernel_5_submanifold_conv_equals_dense_convolution_on_a_full_grid():
    torch.manual_seed(0)
    coords, feats = dense_grid(5, 2)
    subm = SubMConv3d(2, 3, kernel_size=5).double()
    weight = subm.weight.reshape(5, 5, 5, 2, 3).permute(4, 3, 0, 1, 2)  # (C_out, C_in, 5, 5, 5)
    expected = F.conv3d(to_dense(feats, 5), weight, padding=2)
    assert torch.allclose(to_dense(subm(SparseVoxels(coords, feats)).feats, 5), expected)


def test_hand_written_backward_of_the_sparse_conv_passes_gradcheck():
    """Every weight and input entry against finite differences (the backward does not depend on the kernel size;
    the 5x5x5 forward is checked against a dense conv above)."""
    torch.manual_seed(0)
    coords, feats = random_voxels(num=16, extent=4, batch=1, channels=2, dtype=torch.float64)
    weight = SubMConv3d(2, 2).double().weight
    kernel_map = submanifold_kernel_map(coords, 1)
    assert sum(len(rows) for rows, _ in kernel_map) > 2 * len(coords)  # neighbours exist, not just the centre
    feats.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda f, w: apply_kernel_map(f, w, kernel_map, len(coords)),
                                    (feats, weight), eps=1e-6, atol=1e-5)


def count_blocks(levels):
    return [sum(isinstance(m, SparseResBlock) for m in level) for level in levels]


def test_res_unet34_has_the_paper_depth_per_level():
    net = SparseUNet3D(3, **RES_UNET34)
    assert net.stem[0].kernel_size == 5 and count_blocks([net.stem]) == [0]
    assert count_blocks(net.down) == [2, 3, 4, 6]  # MinkUNet34: ResNet-34's encoder depth
    assert count_blocks(net.up) == [2, 2, 2, 2]
    assert [level[0].out_channels for level in net.down] == [32, 64, 128, 256]
    assert [level[0].out_channels for level in reversed(net.up)] == [256, 128, 96, 96]
    assert net.head.out_features == 96


def test_default_layout_keeps_the_checkpoint_keys_of_the_first_3d_unet():
    keys = set(SparseUNet3D(3, (8, 16, 32), 6).state_dict())
    assert {'stem.0.weight', 'stem.2.conv1.weight', 'down.1.0.weight', 'down.1.2.conv2.weight',
            'up.0.0.weight', 'up.0.2.shortcut.0.weight', 'up.1.2.conv1.weight', 'head.weight'} <= keys
    assert not any(key.startswith(('stem.3', 'down.0.3', 'up.0.3')) for key in keys)


SMALL_RES_UNET34 = dict(RES_UNET34, channels=(4, 4, 8, 8, 16), decoder_channels=(16, 8, 6, 6), out_channels=6)


@pytest.mark.skipif(not spconv_available(), reason='spconv (pip install spconv==2.3.8 cumm) is not installed')
@pytest.mark.parametrize('layout', [dict(channels=(8, 16, 32), out_channels=6), SMALL_RES_UNET34],
                         ids=['first', 'res-unet34'])
def test_spconv_backend_matches_torch_backend_on_cpu(layout):
    torch.manual_seed(0)
    net = SparseUNet3D(3, **layout).eval()
    for module in net.modules():  # non-trivial BN statistics so a row-order mix-up would show
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
    coords, feats = random_voxels(num=300, extent=13)
    with torch.no_grad():
        reference = net(coords, feats)
        net.backend = 'spconv'
        out = net(coords, feats)
    assert torch.allclose(out, reference, atol=1e-5)
    assert not any('spconv' in key for key in net.state_dict())  # one checkpoint format for both backends


def test_bad_coords_are_a_clear_error():
    net = SparseUNet3D(3, (4, 8), 4)
    with pytest.raises(ValueError, match='non-negative|must lie'):
        net(torch.tensor([[0, -1, 0, 0]]), torch.zeros(1, 3))
    with pytest.raises(ValueError, match='backend'):
        SparseUNet3D(backend='minkowski')
