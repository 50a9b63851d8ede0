"""Camera, voxel and correspondence maths shared by data pipeline and models (numpy and torch; no mm imports).

Conventions (binding, see CONTRIBUTING.md): depth in metres, 0 = invalid; pixel (u, v) = (column, row) at
integer centres; camera x right, y down, z forward; poses 4x4 camera-to-world, invalid when any entry is inf/NaN.
"""
from .camera import (
    BEHIND_CAMERA_UV,
    backproject_depth,
    depth_to_world,
    invert_rigid,
    is_valid_pose,
    load_matrix_txt,
    project_points,
    require_valid_pose,
    scale_intrinsics,
    transform_points,
    valid_depth_mask,
)
from .correspondence import (
    batched_frame_correspondences,
    frame_correspondences,
    overlap_ratio,
)
from .voxel import (
    VOXEL_COORD_MAX,
    VOXEL_COORD_MIN,
    lookup_keys,
    pack_keys,
    voxel_centres,
    voxel_hash,
    voxel_keys,
    voxel_unhash,
    voxelize,
)

__all__ = [
    'BEHIND_CAMERA_UV', 'valid_depth_mask', 'backproject_depth', 'project_points', 'transform_points',
    'invert_rigid', 'is_valid_pose', 'require_valid_pose', 'depth_to_world',
    'load_matrix_txt', 'scale_intrinsics',
    'VOXEL_COORD_MIN', 'VOXEL_COORD_MAX', 'pack_keys', 'voxel_hash', 'voxel_keys', 'voxel_unhash', 'lookup_keys',
    'voxelize',
    'voxel_centres',
    'frame_correspondences', 'batched_frame_correspondences', 'overlap_ratio',
]
