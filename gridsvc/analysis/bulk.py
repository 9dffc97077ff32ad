"""Cyclic garbage collection paused while bulk data becomes Python objects.

Reading a city's scene makes millions of small containers (rows, strings, shapes) that all live on;
each time enough are made, the collector walks every live object looking for cycles that are not
there (200,000 buildings: load 4.5 s with it, 3.4 s without; the whole coverage 10.3 s against
8.8 s). Inside :func:`paused` it does not run; it resumes when the outermost pause ends.

Only the main thread (the command line, a benchmark) and the task of a Dask worker (a batch's part)
pause it: the collector is one for the whole process, and a server's concurrent requests, each
pausing it in its own thread, could keep it off for as long as the load lasts; there a pause changes
nothing.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """The collector paused for the block (nested and concurrent pauses: until the last ends).

    >>> import gc
    >>> with paused():
    ...     with paused():
    ...         inner = gc.isenabled()
    ...     outer = gc.isenabled()
    >>> inner, outer, gc.isenabled()
    (False, False, True)
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> def elsewhere():
    ...     with paused():
    ...         return gc.isenabled()
    >>> ThreadPoolExecutor(1).submit(elsewhere).result()
    True
    """
    global _depth, _was_enabled
    if threading.current_thread() is not threading.main_thread() and not _in_dask_task():
        yield
        return
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def _in_dask_task() -> bool:
    """Whether this thread runs a task of a Dask worker (a process that does nothing else)."""
    distributed = sys.modules.get("distributed")  # a worker has it loaded; nothing else pays the import
    if distributed is None:
        return False
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True
