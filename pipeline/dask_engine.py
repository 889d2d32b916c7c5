"""The batch on a Dask distributed cluster (issue 15): only the dispatch changes.

``run_batch(..., engine="dask")`` walks, hashes and skips exactly as the local
engine, and every result goes through the same ``handle()`` (resume index,
errors.jsonl, JSONL sink, progress). What differs is who reads a document:

- each Dask worker thread keeps one supervised reading process
  (pipeline/pool.py :class:`~pipeline.pool.Supervised`): the pipeline is
  loaded once per worker (thread), not once per document, and every document runs under the same time
  and memory limits as in the local pool (a document past ``--timeout`` is
  stopped, with its tesseract/LibreOffice children, and recorded as failed with
  code ``timeout``; the Dask worker goes on with the next one);
- the reading process runs :func:`pipeline.batch.process_one`, the local pool's
  worker function: with ``--out`` it writes the JSON itself (atomic rename in
  the output folder), so the folder must be one every worker sees at the same
  path (a shared filesystem); with ``--jsonl`` only, the JSON comes back to the
  client in the result;
- a task reads up to ``DOCS_PER_TASK`` text files (a PDF, Word file or image
  is a task of its own): the scheduler's cost per task is about that of
  reading one short text (docs/scale_model.md); at most
  ``IN_FLIGHT_PER_THREAD`` x (worker threads) tasks are submitted at a time,
  more as they finish (``distributed.as_completed``), so the scheduler holds
  a bounded number of tasks however large the archive;
- a Dask worker that dies mid-document: the scheduler gives the task to
  another worker (up to ``distributed.scheduler.allowed-failures`` times). A
  document read twice writes the same bytes to the same name by rename, and
  the client records each document once (one result per future), so nothing
  is lost or duplicated. When a task keeps killing workers, its documents are
  tried one per task; the one that still does is recorded as failed with code
  ``worker-died``.

Without an address a ``LocalCluster`` of processes (one thread each) runs on
this machine. Dask is an optional dependency (``pip install "congvan[dask]"``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pipeline.pool import PoolError, Supervised

IN_FLIGHT_PER_THREAD = 4  # tasks submitted and not yet finished, per worker thread
DOCS_PER_TASK = 16  # text files read by one task
CONNECT_TIMEOUT_S = 20  # to reach a scheduler given by --address
WORKERS_WAIT_S = 120  # for a first worker to join it
ENV_PREFIX = "CONGVAN_"  # limits set by the command line (--max-pages …) travel to the workers

Task = tuple[Any, str, str | None]  # (the caller's key, input path, output path or None)


class DaskMissing(PoolError):
    """--engine dask without dask installed."""


def require_dask() -> None:
    """DaskMissing with the install line when dask.distributed cannot be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise DaskMissing(
            "--engine dask needs Dask distributed, which is not installed: pip install \"congvan[dask]\""
        ) from None


# ---------------------------------------------------------------- on a Dask worker

class _Readers(threading.local):
    """This worker thread's reading process (a Dask worker with several threads
    keeps one per thread; the kernel ends a process when the thread that started
    it ends, so each stays with its thread)."""

    reader: Supervised | None = None
    key: tuple[Any, ...] | None = None


_readers = _Readers()
_version: str | None = None


def read_many(
    items: list[tuple[str, str | None]], timeout: float, memory_mb: int, env: dict[str, str], version: str
) -> list[dict[str, Any]]:
    """The Dask task: read a few documents, one after the other, in this worker
    thread's supervised reading process (started, and the pipeline loaded, on
    its first document); each document under its own time limit.

    PoolError when this worker runs another pipeline version than the client
    (its outputs would be indexed as the client's) or cannot load the pipeline.
    """
    global _version
    from pipeline.batch import pipeline_version, process_one, warm_up

    if _version is None:
        _version = pipeline_version()
    if _version != version:
        raise PoolError(
            f"a Dask worker runs congvan pipeline {_version}, this run {version}: install the same congvan on every worker"
        )
    key = (timeout, memory_mb, tuple(sorted(env.items())))
    if _readers.reader is None or _readers.key != key:
        if _readers.reader is not None:
            _readers.reader.close()
        os.environ.update(env)  # inherited by the reading process
        _allow_children()
        _readers.reader = Supervised(process_one, timeout=timeout, memory_mb=memory_mb, warm_up=warm_up)
        _readers.key = key
    reader = _readers.reader
    return [reader.run(path, out) for path, out in items]


def _allow_children() -> None:
    """Dask starts its worker processes as daemons, and Python forbids a daemon
    to start processes. The reading process is ended by the worker itself (and
    by the kernel when the worker dies: pipeline/pool.py), which is what the
    flag is for, so it is lifted in this worker."""
    import multiprocessing

    proc = multiprocessing.current_process()
    if proc.daemon:
        proc._config["daemon"] = False  # type: ignore[attr-defined]


# ---------------------------------------------------------------- on the client


def run_on_dask(
    tasks: Iterable[Task],
    handle: Callable[[Any, dict[str, Any]], None],
    *,
    address: str | None,
    workers: int,
    timeout: float,
    memory_mb: int,
    version: str,
) -> None:
    """Run every task on a Dask cluster; ``handle(key, record)`` gets each result
    as it comes, in this process, once per task. ``address`` None: a LocalCluster
    of ``workers`` processes. PoolError when the cluster cannot be reached or
    the workers cannot read at all. Interrupts pass through (the cluster we
    started is closed; an outside cluster is left running, its tasks cancelled)."""
    require_dask()
    import dask
    from distributed import Client, LocalCluster

    if not logging.getLogger().isEnabledFor(logging.INFO):  # the cluster's start and stop lines: with -v only
        logging.getLogger("distributed").setLevel(logging.ERROR)

    cluster: Any = None
    try:
        if address is None:
            try:
                with dask.config.set({"distributed.worker.daemon": False, "distributed.scheduler.allowed-failures": 3}):
                    cluster = LocalCluster(
                        n_workers=max(1, workers), threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=40,
                    )
            except (OSError, RuntimeError) as e:
                raise PoolError(f"cannot start a Dask cluster on this machine: {e}") from None
            client = Client(cluster)
        else:
            try:
                client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
            except OSError as e:
                raise PoolError(f"--address {address}: cannot reach a Dask scheduler there ({e})") from None
    except BaseException:
        if cluster is not None:
            cluster.close()
        raise
    try:
        _submit_all(client, tasks, handle, timeout, memory_mb, version)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _threads(client: Any) -> int:
    info = client.scheduler_info()
    return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))


def _is_light(path: str) -> bool:
    from pipeline.readers.dispatch import TEXT_SUFFIXES

    return os.path.splitext(path)[1].lower() in TEXT_SUFFIXES


def _chunks(tasks: Iterable[Task]) -> Iterator[list[Task]]:
    """Consecutive text files ``DOCS_PER_TASK`` to a task (a Dask task costs the
    scheduler about as much as reading a short text: docs/scale_model.md); a
    PDF, Word file or image, seconds to minutes of work, is a task of its own."""
    chunk: list[Task] = []
    for task in tasks:
        if not _is_light(task[1]):
            yield [task]
            continue
        chunk.append(task)
        if len(chunk) >= DOCS_PER_TASK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _submit_all(
    client: Any,
    tasks: Iterable[Task],
    handle: Callable[[Any, dict[str, Any]], None],
    timeout: float,
    memory_mb: int,
    version: str,
) -> None:
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
    try:
        client.wait_for_workers(1, timeout=WORKERS_WAIT_S)
    except TimeoutError:
        raise PoolError(f"no Dask worker joined the scheduler in {WORKERS_WAIT_S} s") from None
    limit = IN_FLIGHT_PER_THREAD * _threads(client)
    pending: dict[Any, list[Task]] = {}  # future -> its documents
    chunks = _chunks(tasks)
    retry: list[list[Task]] = []  # documents of a chunk that killed workers, one task each
    n = 0

    def submit() -> Any | None:
        nonlocal n
        chunk = retry.pop() if retry else next(chunks, None)
        if chunk is None:
            return None
        n += 1
        items = [(path, out) for _, path, out in chunk]
        fut = client.submit(read_many, items, timeout, memory_mb, env, version, key=f"congvan-read-{n}", pure=False)
        pending[fut] = chunk
        return fut

    first = [f for f in (submit() for _ in range(limit)) if f is not None]
    queue = as_completed(first)
    try:
        for fut in queue:
            chunk = pending.pop(fut)
            try:
                recs = fut.result()
            except PoolError:
                raise
            except KilledWorker:
                if len(chunk) > 1:  # which document killed the workers? each is tried alone
                    retry.extend([task] for task in chunk)
                    recs = []
                else:
                    recs = [_failed(chunk[0][1], "limit", "worker-died",
                                    "the Dask workers reading it died each time it was tried; the file may need "
                                    "more memory than a worker has, or trip a bug in a reading library")]
            except Exception as e:  # a task that failed on the cluster: recorded, the batch goes on
                recs = [_failed(path, "pipeline", "internal-error", f"internal error on the Dask cluster: {type(e).__name__}: {e}")
                        for _, path, _ in chunk]
            fut.release()
            while len(pending) < limit:
                nxt = submit()
                if nxt is None:
                    break
                queue.add(nxt)
            for (key, _, _), rec in zip(chunk, recs, strict=False):
                handle(key, rec)
    finally:
        if pending:
            client.cancel(list(pending))


def _failed(path: str, stage: str, code: str, reason: str) -> dict[str, Any]:
    return {"path": path, "status": "failed", "stage": stage, "code": code, "reason": reason, "seconds": 0.0}
