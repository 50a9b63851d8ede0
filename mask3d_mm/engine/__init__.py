# Importing this package registers its modules; add one import line per module.
from . import (
    hooks,  # noqa: F401
    optimizers,  # noqa: F401  (layer-wise lr decay)
)
