# Importing this package registers its modules; add one import line per module.
from . import resnet_unet, sparse_unet  # noqa: F401  (Pri3D)
from . import mask3d  # noqa: F401
