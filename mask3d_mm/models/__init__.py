# Importing this package registers its modules.
from . import algorithms, backbones, data_preprocessors, heads, losses, necks  # noqa: F401
