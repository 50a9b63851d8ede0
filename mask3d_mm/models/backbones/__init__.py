# Importing this package registers its modules; add one import line per module.
from . import (  # noqa: F401  (Pri3D)
    mask3d,  # noqa: F401
    resnet_unet,
    sparse_unet,
)
