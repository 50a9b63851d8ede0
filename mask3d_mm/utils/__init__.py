from . import compat  # noqa: F401
from .errors import ConfigError, DataError  # noqa: F401
