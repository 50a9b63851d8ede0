# Importing this package registers its modules; add one import line per module.
from . import transforms  # noqa: F401
from . import rgbd_frames  # noqa: F401
