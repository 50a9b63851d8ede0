# Importing this package registers its modules; add one import line per module.
from . import point_info_nce  # noqa: F401  (Pri3D)
