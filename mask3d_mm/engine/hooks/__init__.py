# Importing this package registers its modules; add one import line per module.
from . import mask3d_vis_hook  # noqa: F401
