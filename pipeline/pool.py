"""A supervised pool of worker processes for the batch (issue 13).

Each worker reads one document at a time, under a memory limit (RLIMIT_DATA,
inherited by its tesseract and LibreOffice children) and watched by the parent
for wall time. A worker past its time limit is ended with everything it
started (it leads a process group of its own) and replaced; a worker that runs
out of memory reports it and is replaced; a worker that dies is recorded and
replaced. The other documents go on.

Workers end with the parent: they ignore Ctrl-C (the parent's to handle), end
cleanly on SIGTERM (temporary files removed, subprocesses killed) and get
SIGTERM from the kernel when the parent dies, even by ``kill -9``.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import resource
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from pipeline.limits import memory_reason, timeout_reason

KILL_GRACE_S = 2.0  # SIGTERM, then SIGKILL for a worker stuck in C code
POLL_S = 0.2  # how often the parent looks at the clock (and at Ctrl-C)
MIN_HEADROOM_MB = 128  # memory limit above a loaded worker's own size, at the least
_PR_SET_PDEATHSIG = 1

Task = tuple[Any, str, str | None]  # (the caller's key, input path, output path or None)
Work = Callable[[str, str | None], dict[str, Any]]


def _exit_on_term(signum: int, frame: Any) -> None:
    # once: the parent signals the group and the worker, and a second SIGTERM in
    # the exit handlers (s3fs closing its connections) would print a traceback
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise SystemExit(128 + signum)


def _die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGTERM when the parent dies (Linux); exit now if it already has."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:
        raise SystemExit(1)


def _reset_peak() -> None:
    """Start a new peak-memory (VmHWM) measurement for this process (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def data_mb() -> float | None:
    """This process's private writable memory (what RLIMIT_DATA counts), in MB."""
    return _status_mb("VmData:")


def peak_mb() -> float | None:
    """This process's peak resident memory since the last reset, in MB."""
    return _status_mb("VmHWM:")


def _status_mb(key: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _worker_main(
    conn: Connection, work: Work, warm_up: Callable[[], None] | None, memory_mb: int, parent: int, close_fds: tuple[int, ...],
    scratch: str,
) -> None:
    # temporary files (OCR page images, LibreOffice conversions) go to a folder
    # the parent removes when it ends this worker, however it ends
    tempfile.tempdir = scratch
    os.environ["TMPDIR"] = scratch
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_term)
    os.setpgrp()  # the parent ends this worker with its OCR/LibreOffice children
    _die_with_parent(parent)
    for fd in close_fds:  # the output lock is the parent's alone
        try:
            os.close(fd)
        except OSError:
            pass
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    if warm_up is not None:  # load code and data before the first document's clock starts
        try:
            warm_up()
        except MemoryError:
            conn.send(("unusable", f"a worker cannot even load the pipeline in {memory_mb} MB of memory (--max-memory)"))
            return
        except Exception as e:
            conn.send(("unusable", f"a worker cannot load the pipeline: {type(e).__name__}: {e}"))
            return
    conn.send(("ready", None))
    try:
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                return
            if task is None:
                return
            _reset_peak()
            rec = work(*task)
            rec["peak_mb"] = peak_mb()
            rec["children_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            out_of_memory = rec.get("code") == "memory-limit"
            if out_of_memory and memory_mb:
                rec["reason"] = memory_reason(memory_mb)
            conn.send(("result", rec))
            if out_of_memory:
                return  # a fresh process for the next document
    finally:  # leaving: the exit handlers (s3fs closing its connections) may meet the
        # parent's SIGTERM (it ended, or ends this worker): then end at once, quietly
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


class PoolError(RuntimeError):
    """The workers cannot run at all (a memory limit too small to load the pipeline, say)."""


class _Worker:
    def __init__(
        self, ctx: Any, work: Work, warm_up: Callable[[], None] | None, memory_mb: int, close_fds: tuple[int, ...]
    ) -> None:
        ours, theirs = ctx.Pipe()
        self.scratch = tempfile.mkdtemp(prefix="congvan-worker-")
        self.proc = ctx.Process(
            target=_worker_main, args=(theirs, work, warm_up, memory_mb, os.getpid(), close_fds, self.scratch), daemon=True
        )
        self.proc.start()
        theirs.close()
        self.conn: Connection = ours
        self.ready = False
        self.task: Task | None = None
        self.started = 0.0

    def remove_scratch(self) -> None:
        """The worker's temporary folder (after it ended: a worker killed in the
        middle of a document cannot clean up after itself)."""
        shutil.rmtree(self.scratch, ignore_errors=True)

    def receive(self) -> tuple[str, Any] | None:
        """The worker's next message, None when there is none yet; ("", None)
        when its pipe broke (the process is dying: its exit is read next)."""
        try:
            if not self.conn.poll():
                return None
        except OSError:
            return None
        try:
            kind, body = self.conn.recv()
        except (EOFError, OSError):
            return "", None
        return kind, body

    def signal_group(self, sig: int) -> None:
        pid = self.proc.pid
        if pid is None:
            return
        try:
            os.killpg(pid, sig)  # the worker and its children
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.is_alive():
            try:
                os.kill(pid, sig)  # not yet its own group leader
            except (ProcessLookupError, PermissionError):
                pass


def _stop(workers: list[_Worker]) -> None:
    """End workers now: SIGTERM to their groups, SIGKILL after a grace period."""
    for w in workers:
        w.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + KILL_GRACE_S
    for w in workers:
        w.proc.join(max(0.0, deadline - time.monotonic()))
    for w in workers:
        w.signal_group(signal.SIGKILL)  # the stuck, and any child left in the group
        w.proc.join(1.0)
        w.conn.close()
        w.remove_scratch()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Pool:
    """``size`` worker processes running ``work(path, out)``; see the module docstring.

    ``timeout`` seconds per document (0: none), ``memory_mb`` per worker (0: none);
    ``warm_up`` runs in each new worker before it takes a document.
    """

    def __init__(
        self,
        work: Work,
        size: int,
        *,
        timeout: float,
        memory_mb: int,
        warm_up: Callable[[], None] | None = None,
        close_fds: tuple[int, ...] = (),
    ) -> None:
        self.work = work
        self.warm_up = warm_up
        self.size = max(1, size)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.close_fds = close_fds
        # fork: a worker starts at once; it loads the pipeline itself (warm_up), so
        # this process stays light (a loaded interpreter takes ~2 s to exit)
        self._ctx = mp.get_context("fork")
        self._workers: list[_Worker] = []

    def check_memory(self) -> None:
        """PoolError when the memory limit leaves a worker (a copy of this
        process, before it loads the pipeline) no room at all; a limit too small
        to load the pipeline is found by the first worker's warm-up."""
        base = data_mb()
        if self.memory_mb and base is not None and self.memory_mb < base + MIN_HEADROOM_MB:
            raise PoolError(
                f"--max-memory {self.memory_mb} MB is less than a worker needs to start and read a page "
                f"(about {base + MIN_HEADROOM_MB:.0f} MB)"
            )

    def run(self, tasks: Iterator[Task], handle: Callable[[Any, dict[str, Any]], None]) -> None:
        """Run every task; ``handle(key, record)`` gets each result as it comes.

        A document stopped by a limit or a dying worker gets a failed record with
        ``code`` timeout, memory-limit or worker-died. Interrupts (KeyboardInterrupt)
        pass through after the workers are ended; PoolError when no worker can start.
        """
        try:
            self._run(tasks, handle)
        finally:
            self.kill()

    def _run(self, tasks: Iterator[Task], handle: Callable[[Any, dict[str, Any]], None]) -> None:
        queue: list[Task] = []  # taken from ``tasks``, not yet given to a worker
        exhausted = False
        while True:
            while not exhausted and len(queue) < self.size:
                task = next(tasks, None)
                if task is None:
                    exhausted = True
                else:
                    queue.append(task)
            busy = sum(w.task is not None for w in self._workers)
            while len(self._workers) < min(self.size, busy + len(queue)):
                self._workers.append(_Worker(self._ctx, self.work, self.warm_up, self.memory_mb, self.close_fds))
            for w in list(self._workers):  # every ready, idle worker takes a document
                if queue and w.ready and w.task is None:
                    self._assign(w, queue.pop(0), handle)
            if not queue and all(w.task is None for w in self._workers):
                break  # (exhausted: the queue is refilled above while tasks remain)
            wait([w.conn for w in self._workers] + [w.proc.sentinel for w in self._workers], timeout=POLL_S)
            now = time.monotonic()
            for w in list(self._workers):
                self._check(w, now, handle)
        for w in self._workers:  # all idle: ask them to leave
            try:
                w.conn.send(None)
            except OSError:
                pass
        for w in self._workers:
            w.proc.join(5.0)

    def _assign(self, w: _Worker, task: Task, handle: Callable[[Any, dict[str, Any]], None]) -> None:
        w.task, w.started = task, time.monotonic()
        try:
            w.conn.send((task[1], task[2]))
        except OSError:
            self._replace(w, handle, "worker-died", "the worker process ended before it could take the document")

    def _check(self, w: _Worker, now: float, handle: Callable[[Any, dict[str, Any]], None]) -> None:
        message = w.receive()
        if message is not None:
            kind, body = message
            if kind == "ready":
                w.ready = True
                return
            if kind == "unusable":
                raise PoolError(str(body))
            if kind == "result" and w.task is not None:
                key = w.task[0]
                w.task = None
                if body.get("code") == "memory-limit":  # the worker leaves after this one
                    self._discard(w)
                handle(key, body)
                return
        if not w.proc.is_alive():
            w.proc.join(0)
            if w.task is None:  # died idle or while loading: another is started when needed
                self._discard(w)
                if not w.ready:
                    raise PoolError(f"a worker process could not start ({_describe_exit(w.proc.exitcode)})")
                return
            self._replace(
                w, handle, "worker-died",
                f"the worker process reading it ended unexpectedly ({_describe_exit(w.proc.exitcode)}); "
                "the file may need more memory than the machine has, or trip a bug in a reading library",
            )
        elif w.task is not None and self.timeout and now - w.started > self.timeout:
            self._replace(w, handle, "timeout", timeout_reason(self.timeout))

    def _discard(self, w: _Worker) -> None:
        _stop([w])
        if w in self._workers:
            self._workers.remove(w)

    def _replace(self, w: _Worker, handle: Callable[[Any, dict[str, Any]], None], code: str, reason: str) -> None:
        """End a worker (its document failed with ``code``); a new one starts when needed."""
        assert w.task is not None
        key, path, _ = w.task
        seconds = time.monotonic() - w.started
        self._discard(w)
        handle(key, {"path": path, "status": "failed", "reason": reason, "stage": "limit", "code": code, "seconds": seconds})

    def kill(self) -> None:
        """End every worker now (after an interrupt, or at the end)."""
        alive = [w for w in self._workers if w.proc.is_alive()]
        if alive:
            _stop(alive)
        for w in self._workers:
            w.conn.close()
            w.remove_scratch()
        self._workers = []


class Supervised:
    """One worker process kept from one document to the next, under the same
    limits as :class:`Pool`, for an engine that hands out one document at a time
    (the Dask engine: one of these per Dask worker, pipeline/dask_engine.py).

    ``run(path, out)`` returns the worker's record, or a failed record with code
    timeout, memory-limit or worker-died; the worker is then ended with what it
    started and a new one is loaded for the next document. PoolError when a
    worker cannot load the pipeline at all. ``start_method`` "spawn" suits a
    caller with threads of its own (a Dask worker); "fork" is faster to start.
    """

    LOAD_TIMEOUT_S = 300.0  # loading the pipeline (a spawned interpreter imports everything)

    def __init__(
        self,
        work: Work,
        *,
        timeout: float,
        memory_mb: int,
        warm_up: Callable[[], None] | None = None,
        start_method: str = "spawn",
    ) -> None:
        self.work, self.warm_up = work, warm_up
        self.timeout, self.memory_mb = timeout, memory_mb
        self._ctx = mp.get_context(start_method)
        self._worker: _Worker | None = None
        self.started_workers = 0  # how many processes loaded the pipeline (once, unless one was stopped)

    def _ready(self) -> _Worker:
        w = self._worker
        if w is not None and w.proc.is_alive() and w.ready:
            return w
        if w is not None:
            self.close()
        w = self._worker = _Worker(self._ctx, self.work, self.warm_up, self.memory_mb, ())
        self.started_workers += 1
        if not w.conn.poll(self.LOAD_TIMEOUT_S):
            self.close()
            raise PoolError(f"a worker process could not load the pipeline in {self.LOAD_TIMEOUT_S:.0f} s")
        try:
            kind, body = w.conn.recv()
        except (EOFError, OSError):
            w.proc.join(1.0)
            self.close()
            raise PoolError(f"a worker process could not start ({_describe_exit(w.proc.exitcode)})") from None
        if kind != "ready":
            self.close()
            raise PoolError(str(body))
        w.ready = True
        return w

    def run(self, path: str, out: str | None) -> dict[str, Any]:
        w = self._ready()
        started = time.monotonic()

        def failed(code: str, reason: str) -> dict[str, Any]:
            self.close()
            return {"path": path, "status": "failed", "reason": reason, "stage": "limit", "code": code, "seconds": time.monotonic() - started}

        try:
            w.conn.send((path, out))
        except OSError:
            return failed("worker-died", "the worker process ended before it could take the document")
        while True:
            left = self.timeout - (time.monotonic() - started) if self.timeout else POLL_S
            if left <= 0:
                return failed("timeout", timeout_reason(self.timeout))
            wait([w.conn, w.proc.sentinel], timeout=min(left, POLL_S))
            message = w.receive()
            if message is not None:
                kind, body = message
                if kind == "result":
                    if body.get("code") == "memory-limit":  # the worker leaves after this one
                        self.close()
                    return dict(body)
            if not w.proc.is_alive():
                w.proc.join(0)
                return failed(
                    "worker-died",
                    f"the worker process reading it ended unexpectedly ({_describe_exit(w.proc.exitcode)}); "
                    "the file may need more memory than the machine has, or trip a bug in a reading library",
                )

    def close(self) -> None:
        """End the worker and everything it started."""
        if self._worker is not None:
            _stop([self._worker])
            self._worker = None
