"""How many tesseract processes run at once, across every process of this user.

A batch runs one worker process per core and each worker OCRs a document's
pages side by side; without a shared bound, ``--workers 2`` on two cores ran
four tesseracts. A slot is a lock file (``flock``) in one folder per user:
a tesseract runs while its caller holds a slot, there are as many slots as
cores this process may run on, and a lock goes with its process however
that process ends (``kill -9`` too), so no slot is ever lost.

The folder is ``$CONGVAN_OCR_SLOTS_DIR``, else ``congvan-ocr-slots-<uid>`` in
``$XDG_RUNTIME_DIR`` or /tmp (not ``$TMPDIR``: batch workers each get a
temporary folder of their own).
"""

from __future__ import annotations

import fcntl
import os
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SLOTS_DIR_ENV = "CONGVAN_OCR_SLOTS_DIR"
_WAIT_S = (0.005, 0.1)  # first and longest pause between two looks at the slots


def slot_count() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def slots_dir() -> Path | None:
    """The slot folder, made private to this user; None when it cannot be trusted
    (another user's, a symbolic link) or made."""
    given = os.environ.get(SLOTS_DIR_ENV)
    base = Path(given) if given else Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / f"congvan-ocr-slots-{os.getuid()}"
    try:
        base.mkdir(mode=0o700, parents=bool(given), exist_ok=True)
        st = os.lstat(base)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        return None
    return base


_held = threading.local()  # the slot this thread holds, so a nested ocr_slot() does not wait on itself


@contextmanager
def ocr_slot(slots: int | None = None) -> Iterator[int | None]:
    """Hold one of ``slots`` (default: :func:`slot_count`) while the block runs.

    Yields the slot number, or None when there is no usable slot folder (the
    OCR then runs unbounded, as it would without this module).
    """
    folder = slots_dir()
    if folder is None:
        yield None
        return
    if getattr(_held, "slot", None) is not None:  # this thread holds one already: OCR inside it
        yield _held.slot
        return
    n = slots or slot_count()
    fds = [os.open(folder / f"slot-{k}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600) for k in range(n)]
    held: int | None = None
    try:
        pause = _WAIT_S[0]
        while held is None:
            for k, fd in enumerate(fds):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                held = k
                break
            else:
                time.sleep(pause)
                pause = min(_WAIT_S[1], pause * 2)
        _held.slot = held
        yield held
    finally:
        _held.slot = None
        for fd in fds:  # closing the descriptor releases its lock
            os.close(fd)
