"""torchrun for ``tools/dist_train.sh`` / ``tools/dist_test.sh``, minus its report on an input error.

    python tools/dist_run.py NUM_PROCS SCRIPT [script args...]
    NNODES=2 NODE_RANK=0 MASTER_ADDR=host0 PORT=29500 python tools/dist_run.py 8 tools/train.py CONFIG ...

The tools end an input error (bad config, missing or broken data) with one ``error: ...`` line and exit code 2
(``mask3d_mm.utils.cli.run_cli``: before the ranks form the process group every rank exits 2 and only rank 0
prints; later only the rank that met the bad file prints, and its peers, whose collectives fail, say so in one
line). Plain torchrun would add its closing-signal and ``failed (exitcode: 2)`` log lines and a
``ChildFailedError`` traceback, and exit 1. Here, when a rank exited with 2, the launcher exits with 2 and adds
nothing; any other failure is reported exactly as torchrun reports it.

Kept out of the ``mask3d_mm`` package on purpose: the launcher process only needs torch, not the whole plugin.
"""
import logging
import os
import sys

from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.run import parse_args, run

# torchrun's module that logs how worker processes ended ("Sending process N closing signal", "failed (exitcode")
PROCESS_LOGGER = 'torch.distributed.elastic.multiprocessing.api'
INPUT_ERROR_EXIT_CODE = 2


def torchrun_argv(num_procs, script_and_args, env=os.environ):
    """torchrun's arguments; the nodes and the rendezvous come from the environment, as in OpenMMLab's scripts."""
    return [f"--nnodes={env.get('NNODES', '1')}", f"--node_rank={env.get('NODE_RANK', '0')}",
            f"--master_addr={env.get('MASTER_ADDR', '127.0.0.1')}", f"--master_port={env.get('PORT', '29500')}",
            f'--nproc_per_node={num_procs}', *script_and_args]


class HeldRecords(logging.Filter):
    """Keeps a logger's records back; ``release()`` logs them, otherwise they are never shown."""

    def __init__(self):
        super().__init__()
        self.records = []

    def filter(self, record):
        self.records.append(record)
        return False

    def release(self, logger):
        logger.removeFilter(self)
        for record in self.records:
            logger.handle(record)


def main(argv):
    num_procs, *script_and_args = argv
    process_logger = logging.getLogger(PROCESS_LOGGER)
    held = HeldRecords()
    process_logger.addFilter(held)
    try:
        run(parse_args(torchrun_argv(num_procs, script_and_args)))
    except ChildFailedError as error:
        # any rank, not only the "first" one: torchrun stamps failures to the second, so a rank that left right
        # after the one with the input error (its collective lost a peer) often ties with it
        if any(failure.exitcode == INPUT_ERROR_EXIT_CODE for failure in error.failures.values()):
            return INPUT_ERROR_EXIT_CODE  # that rank already printed its one-line error
        held.release(process_logger)
        raise
    held.release(process_logger)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
