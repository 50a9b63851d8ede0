# Importing this package registers its modules; add one import line per module.
from . import (
    pri3d,  # noqa: F401  (Pri3D)
    rgbd,  # noqa: F401
)
