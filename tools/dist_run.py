"""torchrun for ``tools/dist_train.sh`` / ``tools/dist_test.sh``, minus its report on an input error, and with ranks
that end when the launcher ends.

    python tools/dist_run.py NUM_PROCS SCRIPT [script args...]
    NNODES=2 NODE_RANK=0 MASTER_ADDR=host0 PORT=29500 python tools/dist_run.py 8 tools/train.py CONFIG ...

The tools end an input error (bad config, missing or broken data) with one ``error: ...`` line and exit code 2
(``mask3d_mm.utils.cli.run_cli``: before the ranks form the process group every rank exits 2 and only rank 0
prints; later only the rank that met the bad file prints, and its peers, whose collectives fail, say so in one
line). Plain torchrun would add its closing-signal and ``failed (exitcode: 2)`` log lines and a
``ChildFailedError`` traceback, and exit 1. Here, when a rank exited with 2, the launcher exits with 2 and adds
nothing; any other failure is reported exactly as torchrun reports it.

**The ranks die with the launcher.** torchrun stops its ranks when it is interrupted or terminated, but a launcher
killed outright (``kill -9``, the out-of-memory killer) leaves them running: re-parented, still writing checkpoints
into the work dir, racing with a following ``--resume``. The process chain is short: ``dist_train.sh`` execs this
script (same process id), whose torchrun agent runs in-process and starts each rank as its own child. So each rank
is started through ``--rank-of`` (below): on Linux it arms a parent-death signal (``prctl(PR_SET_PDEATHSIG,
SIGKILL)``, kept across ``exec``), checks that its parent is still the launcher (which closes the race with a
launcher killed before the signal was armed) and then execs the script as torchrun would have run it.

Kept out of the ``mask3d_mm`` package on purpose: the launcher process only needs torch, not the whole plugin, and
a rank's guard needs neither (torch is imported only by the launcher's ``main``).
"""
import logging
import os
import signal
import sys

# torchrun's module that logs how worker processes ended ("Sending process N closing signal", "failed (exitcode")
PROCESS_LOGGER = 'torch.distributed.elastic.multiprocessing.api'
INPUT_ERROR_EXIT_CODE = 2
# how torchrun's rank command reaches the guard: ``python -u tools/dist_run.py --rank-of SCRIPT [args...]``
RANK_OF = '--rank-of'
LAUNCHER_PID = 'MASK3D_MM_LAUNCHER_PID'  # the process that starts the ranks (this script's torchrun agent)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def torchrun_argv(num_procs, script_and_args, env=os.environ):
    """torchrun's arguments; the nodes and the rendezvous come from the environment, as in OpenMMLab's scripts."""
    return [f"--nnodes={env.get('NNODES', '1')}", f"--node_rank={env.get('NODE_RANK', '0')}",
            f"--master_addr={env.get('MASTER_ADDR', '127.0.0.1')}", f"--master_port={env.get('PORT', '29500')}",
            f'--nproc_per_node={num_procs}', *script_and_args]


def guarded(script_and_args):
    """The rank command for torchrun: the script behind this file's ``--rank-of`` guard (Linux; elsewhere, where
    there is no parent-death signal, the script itself)."""
    if not sys.platform.startswith('linux'):
        return list(script_and_args)
    return [os.path.abspath(__file__), RANK_OF, *script_and_args]


def die_with_parent(launcher_pid, death_signal=signal.SIGKILL):
    """Arm the parent-death signal of this process; False if the parent is no longer ``launcher_pid`` once it is
    armed (the launcher died first, and the signal, tied to the new parent, would never come)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(death_signal), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), 'prctl(PR_SET_PDEATHSIG) failed')
    return os.getppid() == launcher_pid


def run_rank(script_and_args):
    """A rank: tie it to the launcher's life, then become ``python -u SCRIPT [args...]`` (torchrun's command)."""
    launcher_pid = int(os.environ.get(LAUNCHER_PID, '0'))
    if launcher_pid and not die_with_parent(launcher_pid):
        print(f'rank {os.environ.get("RANK", "?")} stopped: its launcher (pid {launcher_pid}) has gone',
              file=sys.stderr)
        return 1
    os.execv(sys.executable, [sys.executable, '-u', *script_and_args])


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
    if argv and argv[0] == RANK_OF:
        return run_rank(argv[1:])
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    num_procs, *script_and_args = argv
    os.environ[LAUNCHER_PID] = str(os.getpid())  # inherited by the ranks torchrun starts
    process_logger = logging.getLogger(PROCESS_LOGGER)
    held = HeldRecords()
    process_logger.addFilter(held)
    try:
        run(parse_args(torchrun_argv(num_procs, guarded(script_and_args))))
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
