# Importing this package registers its modules; add one import line per module.
from . import (
    mask3d_decoder,  # noqa: F401
    simple_fpn,  # noqa: F401  (ViTDet neck for fine-tuning)
)
