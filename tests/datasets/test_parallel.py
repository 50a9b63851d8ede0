"""The one pool-with-progress helper of the offline tools (``mask3d_mm.data_prep.parallel.run_parallel``)."""
import os
import time

import pytest

from mask3d_mm.data_prep.parallel import run_parallel
from mask3d_mm.utils.errors import DataError


def square_slowly(n):
    time.sleep(0.05 * (3 - n))  # later items finish first in a pool
    return n * n, os.getpid()


def fail_on_two(n):
    if n == 2:
        raise DataError(f'item {n}: broken file')
    return n


def die_on_one(n):
    if n == 1:
        os._exit(1)  # what the OOM killer does to a worker
    time.sleep(0.2)
    return n


@pytest.mark.parametrize('workers', [1, 2])
def test_results_keep_the_item_order_and_report_each_item(workers):
    seen = []
    results = run_parallel(square_slowly, [0, 1, 2], workers, on_result=lambda done, item, r: seen.append(done))
    assert [square for square, _ in results] == [0, 1, 4]
    assert seen == [1, 2, 3]
    in_process = {pid for _, pid in results} == {os.getpid()}
    assert in_process == (workers == 1)


@pytest.mark.parametrize('workers', [1, 2])
def test_a_data_error_of_an_item_reaches_the_caller_unchanged(workers):
    with pytest.raises(DataError, match='item 2: broken file'):
        run_parallel(fail_on_two, [0, 1, 2, 3], workers)


def test_a_dead_worker_is_an_error_or_a_result_of_lost():
    results = run_parallel(die_on_one, [0, 1], 2, lost=lambda item, error: ('lost', item))
    assert ('lost', 1) in results and results.index(('lost', 1)) == 1
    with pytest.raises(Exception, match='process'):
        run_parallel(die_on_one, [0, 1], 2)
