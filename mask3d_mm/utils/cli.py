"""Entry-point helpers for the command-line tools."""
import os
import sys

from .errors import ConfigError, DataError


def one_line(error):
    """The user-facing sentence of an error, also when it was re-raised from a DataLoader worker."""
    text = str(error).strip()
    if 'Original Traceback' in text:  # torch re-raises worker errors with the worker's traceback inside
        text = text.splitlines()[-1].split(': ', 1)[-1]
    return text


def repeated_by_rank_0():
    """True on ranks > 0 of a distributed launch before they joined the process group.

    Until then every rank runs the same checks on the same config and data (``build_runner`` checks the data
    before the process group and the model exist), so rank 0's message is every rank's: one is enough. Later
    errors (a broken file read by one rank's sampler) are reported by the rank that met them.
    """
    rank = os.environ.get('RANK')  # torchrun
    if rank is None and int(os.environ.get('SLURM_NTASKS', '1')) > 1:  # srun with several tasks (--launcher slurm)
        rank = os.environ.get('SLURM_PROCID')
    if rank in (None, '0'):
        return False
    import torch.distributed as dist
    return not (dist.is_available() and dist.is_initialized())


# gloo's words when the rank on the other end of a collective has exited (e.g. after an input error of its own)
PEER_GONE = ('Connection closed by peer', 'Connection reset by peer')


def lost_a_peer(error):
    """What gloo said if a collective failed because another rank of the process group has gone away, else None."""
    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized() and isinstance(error, RuntimeError)):
        return None
    return next((words for words in PEER_GONE if words in str(error)), None)


def run_cli(main):
    """Run ``main()``; input errors (bad data, bad config) end the program with one clear line and exit code 2
    (on every rank of a distributed launch; ``tools/dist_run.py`` turns that into one exit code 2). A rank whose
    collective fails because another rank exited says so in one line (exit code 1) instead of a traceback."""
    try:
        return main()
    except (DataError, ConfigError) as error:
        if not repeated_by_rank_0():
            print(f'error: {one_line(error)}', file=sys.stderr)
        sys.exit(2)
    except RuntimeError as error:
        gloo_words = lost_a_peer(error)
        if gloo_words is None:
            raise
        # the rank that went away has said why; a traceback of the collective here would only bury that
        print(f"rank {os.environ.get('RANK', '?')} stopped: another rank left the run (gloo: {gloo_words})",
              file=sys.stderr)
        sys.exit(1)
