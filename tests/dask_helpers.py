"""Shared by the Dask tests (tests/test_dask.py, tests/test_s3.py): kill a Dask
worker in the middle of a batch."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any


def worker_killer(cluster: Any, after: int = 8) -> tuple[Callable[[Any, int, int], None], list[int], list[str]]:
    """A ``progress`` callback for run_batch that SIGKILLs one busy worker once
    ``after`` documents are done, and the lists it fills: the killed pid and the
    tasks that worker was running or holding."""
    killed: list[int] = []
    lost: list[str] = []

    def kill_one(rec: Any, done: int, total: int) -> None:
        if done >= after and not killed:  # mid-batch: both workers are reading
            busy = {addr: keys for addr, keys in cluster.processing().items() if keys}
            if not busy:
                return
            addr, keys = next(iter(busy.items()))
            pid = cluster.run(os.getpid)[addr]
            killed.append(pid)
            lost.extend(keys)
            threading.Thread(target=os.kill, args=(pid, signal.SIGKILL)).start()

    return kill_one, killed, lost
