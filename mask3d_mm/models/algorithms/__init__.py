# Importing this package registers its modules; add one import line per module.
from . import (
    mask3d,  # noqa: F401
    pri3d,  # noqa: F401  (Pri3D)
)
