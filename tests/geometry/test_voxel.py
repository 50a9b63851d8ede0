import numpy as np
import pytest
import torch

from mask3d_mm import geometry


def test_voxelize_hand_made_points_boundaries_and_negative_coords():
    points = np.array([
        [0.0, 0.0, 0.0],     # on the lower face of voxel 0
        [0.49, 0.1, 0.2],    # inside voxel 0
        [0.5, 0.0, 0.0],     # exactly on the 0|1 face -> voxel 1
        [-0.01, 0.0, 0.0],   # just below 0 -> voxel -1 (floor, not truncation)
        [-0.5, 0.0, 0.0],    # exactly on the -2|-1 face -> voxel -1
        [-0.51, 0.0, -0.0],  # -> voxel -2; -0.0 stays in voxel 0
    ])
    voxel_coords, point_to_voxel = geometry.voxelize(points, 0.5)
    np.testing.assert_array_equal(voxel_coords, [[-2, 0, 0], [-1, 0, 0], [0, 0, 0], [1, 0, 0]])
    np.testing.assert_array_equal(point_to_voxel, [2, 2, 3, 1, 1, 0])
    assert voxel_coords.dtype == np.int64 and point_to_voxel.dtype == np.int64


def test_voxelize_random_points_is_a_sorted_unique_floor():
    points = np.random.default_rng(0).uniform(-3, 3, (500, 3)).astype(np.float32)
    voxel_coords, point_to_voxel = geometry.voxelize(points, 0.25)
    np.testing.assert_array_equal(voxel_coords[point_to_voxel], np.floor(points / np.float32(0.25)))
    expected = np.unique(np.floor(points / np.float32(0.25)).astype(np.int64), axis=0)  # lexicographic rows
    np.testing.assert_array_equal(voxel_coords, expected)


def test_voxelize_numpy_and_torch_agree():
    points = np.random.default_rng(1).normal(size=(300, 3)) * 2
    coords_np, inverse_np = geometry.voxelize(points, 0.3)
    coords_t, inverse_t = geometry.voxelize(torch.from_numpy(points), 0.3)
    assert isinstance(coords_t, torch.Tensor) and coords_t.dtype == torch.int64
    np.testing.assert_array_equal(coords_t.numpy(), coords_np)
    np.testing.assert_array_equal(inverse_t.numpy(), inverse_np)


def test_voxelize_empty_and_bad_input():
    coords, inverse = geometry.voxelize(np.zeros((0, 3)), 0.1)
    assert coords.shape == (0, 3) and inverse.shape == (0,)
    with pytest.raises(ValueError, match='inf/NaN'):
        geometry.voxelize(np.array([[0.0, np.nan, 1.0]]), 0.1)
    with pytest.raises(ValueError, match='voxel_size'):
        geometry.voxelize(np.zeros((2, 3)), 0.0)
    with pytest.raises(ValueError, match='hashable range'):
        geometry.voxelize(np.array([[1e9, 0.0, 0.0]]), 0.01)


def test_voxel_hash_is_order_preserving_and_invertible():
    lo, hi = geometry.VOXEL_COORD_MIN, geometry.VOXEL_COORD_MAX
    coords = np.array([[lo, lo, lo], [hi, hi, hi], [0, 0, 0], [-1, 0, 0], [0, -1, 5], [0, 0, -1], [lo, hi, 0],
                       [1, lo, lo]])
    keys = geometry.voxel_hash(coords)
    assert len(np.unique(keys)) == len(coords)
    np.testing.assert_array_equal(np.argsort(keys), np.lexsort(coords.T[::-1]))  # x major, then y, then z
    np.testing.assert_array_equal(geometry.voxel_unhash(keys), coords)
    np.testing.assert_array_equal(geometry.voxel_hash(torch.from_numpy(coords)).numpy(), keys)


@pytest.mark.parametrize('outside', [geometry.VOXEL_COORD_MIN - 1, geometry.VOXEL_COORD_MAX + 1])
def test_voxel_hash_rejects_coordinates_outside_its_range(outside):
    with pytest.raises(ValueError, match='hashable range'):
        geometry.voxel_hash(np.array([[0, outside, 0]]))


def test_voxel_centres_hand_computed_and_round_trip():
    coords = np.array([[-1, 0, 2], [3, -4, 0]])
    centres = geometry.voxel_centres(coords, 0.5)
    np.testing.assert_allclose(centres, [[-0.25, 0.25, 1.25], [1.75, -1.75, 0.25]])
    assert centres.dtype == np.float32
    assert geometry.voxel_centres(coords, 0.5, dtype=np.float64).dtype == np.float64
    voxel_coords, point_to_voxel = geometry.voxelize(centres, 0.5)
    np.testing.assert_array_equal(voxel_coords[point_to_voxel], coords)
