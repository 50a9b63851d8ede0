"""Entry-point helpers for the command-line tools."""
import sys

from .errors import ConfigError, DataError


def one_line(error):
    """The user-facing sentence of an error, also when it was re-raised from a DataLoader worker."""
    text = str(error).strip()
    if 'Original Traceback' in text:  # torch re-raises worker errors with the worker's traceback inside
        text = text.splitlines()[-1].split(': ', 1)[-1]
    return text


def run_cli(main):
    """Run ``main()``; input errors (bad data, bad config) end the program with one clear line and exit code 2."""
    try:
        return main()
    except (DataError, ConfigError) as error:
        print(f'error: {one_line(error)}', file=sys.stderr)
        sys.exit(2)
