"""The collector's pause (gridsvc.analysis.bulk) holds in a Dask worker's task, where a batch's part
runs, and in the main thread; in any other thread — a server's request — it changes nothing."""

from __future__ import annotations

import gc
import logging
from concurrent.futures import ThreadPoolExecutor

from gridsvc.analysis.bulk import paused


def _inside_and_after() -> tuple[bool, bool]:
    with paused():
        inside = gc.isenabled()
    return inside, gc.isenabled()


def test_a_worker_task_pauses_the_collector_and_a_request_thread_does_not():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR) as c,
        Client(c) as client,
    ):
        assert client.submit(_inside_and_after, pure=False).result() == (False, True)
    assert _inside_and_after() == (False, True)  # the main thread
    assert ThreadPoolExecutor(1).submit(_inside_and_after).result() == (True, True)  # another thread
