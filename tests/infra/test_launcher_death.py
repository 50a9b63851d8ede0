"""The ranks of ``tools/dist_train.sh`` end when the launcher the user started is killed outright (``kill -9``):
none is left running, re-parented, writing checkpoints into the work dir."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO

from .conftest import TOY_CONFIG

pytestmark = pytest.mark.skipif(not sys.platform.startswith('linux'), reason='parent-death signal: Linux only')


def children(pid):
    """Process ids of ``pid``'s children (``/proc``)."""
    found = []
    for task in os.listdir(f'/proc/{pid}/task'):
        with open(f'/proc/{pid}/task/{task}/children') as f:
            found += [int(child) for child in f.read().split()]
    return found


def alive(pid):
    """Running, i.e. neither gone nor a zombie waiting to be reaped (``/proc/PID/stat``'s state)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f'waited {timeout} s for {what}')
        time.sleep(0.2)


@pytest.mark.parametrize('loader_workers', [0, pytest.param(1, marks=pytest.mark.slow)])  # 1: ~45 s, busy 2 cores
def test_kill_9_of_dist_train_ends_every_rank(tmp_path, toy_data, loader_workers):
    """`bash tools/dist_train.sh` execs tools/dist_run.py: the process killed is the one the user started. With
    data loader workers, those end too (a worker checks every 5 s that its rank is still there: torch's
    ManagerWatchdog)."""
    log = tmp_path / 'console.log'
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHON=sys.executable, PORT='29611')
    with open(log, 'w') as out:
        launcher = subprocess.Popen(
            ['bash', REPO / 'tools/dist_train.sh', TOY_CONFIG, '2', '--work-dir', tmp_path / 'work', '--cfg-options',
             f'train_dataloader.dataset.data_root={toy_data}', 'train_cfg.max_epochs=1000',
             f'train_dataloader.num_workers={loader_workers}',
             f'train_dataloader.persistent_workers={loader_workers > 0}'],
            stdout=out, stderr=subprocess.STDOUT, env=env)
    ranks, workers = [], []
    try:
        # both ranks are training once rank 0 logs an iteration (each one needs the other's gradients)
        wait_for(lambda: 'Epoch(train)' in log.read_text() or launcher.poll() is not None, 240, 'a training log line')
        assert launcher.poll() is None, log.read_text()[-3000:]
        ranks += [pid for pid in children(launcher.pid) if alive(pid)]
        assert len(ranks) == 2, (ranks, log.read_text()[-3000:])
        for pid in ranks:  # the ranks themselves, not a guard process in between
            with open(f'/proc/{pid}/cmdline') as f:
                assert 'tools/train.py' in f.read()
        workers += [pid for rank in ranks for pid in children(rank) if alive(pid)]  # their data loader workers
        assert len(workers) == 2 * loader_workers
        launcher.send_signal(signal.SIGKILL)
        launcher.wait()
        wait_for(lambda: not any(map(alive, ranks)), 10, f'ranks {ranks} to end after their launcher')
        wait_for(lambda: not any(map(alive, workers)), 20, f'data loader workers {workers} to end')
    finally:  # whatever happened, leave nothing running
        if launcher.poll() is None:
            ranks += children(launcher.pid)
            launcher.kill()
        for pid in filter(alive, ranks + workers):
            os.kill(pid, signal.SIGKILL)
        launcher.wait()


def run_rank(script, launcher_pid):
    """A rank's guard as torchrun starts it (``dist_run.py --rank-of SCRIPT``), its launcher being ``launcher_pid``."""
    return subprocess.run([sys.executable, REPO / 'tools/dist_run.py', '--rank-of', script], capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, MASK3D_MM_LAUNCHER_PID=str(launcher_pid),
                                                          RANK='1'))


def test_a_rank_becomes_its_script_with_the_parent_death_signal_armed(tmp_path):
    script = tmp_path / 'rank.py'
    script.write_text('import ctypes, sys\n'
                      'signal = ctypes.c_int()\n'
                      'ctypes.CDLL(None).prctl(2, ctypes.byref(signal), 0, 0, 0)  # PR_GET_PDEATHSIG\n'
                      'print(sys.argv[0], sys.stdout.write_through, signal.value)\n'
                      'raise SystemExit(5)\n')
    result = run_rank(script, os.getpid())  # this test is the launcher
    assert result.returncode == 5, result.stderr
    # python -u SCRIPT, as torchrun runs it, with the signal kept across exec
    assert result.stdout == f'{script} True {int(signal.SIGKILL)}\n'


def test_a_rank_whose_launcher_is_already_gone_stops_at_once(tmp_path):
    """The race the check closes: the launcher died before the rank armed its parent-death signal; the new parent
    would never send it, so the rank must see the change itself and not start the script."""
    script = tmp_path / 'rank.py'
    script.write_text('print("started")\n')
    gone = os.getppid()  # any process but the rank's parent
    result = run_rank(script, gone)
    assert result.returncode == 1
    assert result.stdout == ''
    assert result.stderr == f'rank 1 stopped: its launcher (pid {gone}) has gone\n'
