"""One way to run an offline job over many items (scenes) on a process pool, with progress.

Why not mmengine's ``track_parallel_progress``: it always draws its bar on stdout (the tools print their summary
there, and the synthetic writer reports per scene through a callback instead), it has no in-process path for one
worker (readable tracebacks, nothing forked), it leaves its pool running when a task raises (the remaining tasks
still run before the error is seen), and a worker killed by the OOM killer makes ``multiprocessing.Pool`` wait
forever. ``concurrent.futures`` reports that as ``BrokenProcessPool``, which a caller can turn into per-item
failures (``lost``).
"""
import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, List, Optional, Sequence


def pool_context():
    """fork where available (workers inherit the imported modules: no re-import of torch / cv2 per worker)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context('fork' if 'fork' in methods else 'spawn')


def run_parallel(fn: Callable, items: Sequence, workers: int = 1, desc: Optional[str] = None,
                 on_result: Optional[Callable] = None, initializer: Optional[Callable] = None,
                 lost: Optional[Callable] = None) -> List:
    """``[fn(item) for item in items]``, over ``workers`` processes; results in the order of ``items``.

    ``workers <= 1`` (or a single item) runs in this process, without a pool. ``desc``: label of a tqdm bar
    (stderr); None: no bar. ``on_result(done, item, result)`` is called here as each item finishes (completion
    order). ``initializer`` runs once in each worker process (not in this one). An exception raised by ``fn`` (e.g.
    ``DataError``) cancels the items not started and is raised here, so ``run_cli`` prints it as one line.
    ``lost(item, error)`` gives the result of an item whose worker process died (``BrokenProcessPool``); without it
    the error is raised.
    """
    from tqdm import tqdm
    items = list(items)
    results = [None] * len(items)
    finished = _completed(fn, items, workers, initializer, lost)
    with tqdm(total=len(items), desc=desc, disable=desc is None) as bar, contextlib.closing(finished):
        for done, (index, result) in enumerate(finished, start=1):
            results[index] = result
            bar.update()
            if on_result is not None:
                on_result(done, items[index], result)
    return results


def _completed(fn, items, workers, initializer, lost):
    """(index, result) of each item as it finishes."""
    if workers <= 1 or len(items) <= 1:
        yield from ((index, fn(item)) for index, item in enumerate(items))
        return
    pool = ProcessPoolExecutor(min(workers, len(items)), mp_context=pool_context(), initializer=initializer)
    try:
        futures = {pool.submit(fn, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            index = futures[future]
            try:
                yield index, future.result()
            except BrokenProcessPool as error:  # a worker died (e.g. killed by the OOM killer)
                if lost is None:
                    raise
                yield index, lost(items[index], error)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an error: drop the queued items, wait for running ones
