"""Registered datasets and transforms (runtime only); formats are read through ``mask3d_mm.formats``."""
from . import nyuv2_seg, pri3d_pairs, rgbd_frames, scannet_seg, transforms  # noqa: F401  (registration)
