# Importing this package registers its modules; add one import line per module.
from . import (  # noqa: F401  (fine-tuning)  # noqa: F401  (Pri3D)
    nyuv2_seg,
    pair_mining,
    pri3d_pairs,
    rgbd_frames,  # noqa: F401
    scannet_seg,
    transforms,  # noqa: F401
)
