"""Low-level file operations of the registry: durable writes, the lock, the fault seam.

The writers' lock is `filelock.FileLock` on ``<root>/registry.lock`` (see `RegistryLock`);
nothing of the lock is hand-written here beyond mapping its errors to RegistryBusy/NoSpace.

Every write goes temp file (in ``<root>/tmp``, O_EXCL) -> ``os.write`` loop -> fsync ->
``os.replace`` -> fsync of the target directory. Syscalls are looked up on ``os`` at call
time so tests can monkeypatch ``os.write``/``os.fsync``/``os.open`` to simulate a full
or read-only disk.

Fault seam: `fault(step)` is called at each named step of the save path. Tests set
`FAULT_HOOK` (a callable taking the step name) to raise at a step, or set the
environment variable ``VADAPT_REGISTRY_CRASH_AT=<step>`` to make the process die
(``os._exit(137)``, like ``kill -9``) when it reaches that step.
"""

from __future__ import annotations

import errno
import os
import secrets
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock

from vadapt_registry.errors import NoSpace, RegistryBusy

#: The named steps of the save path, in order.
SAVE_STEPS = (
    "blob_temp_written",
    "blob_fsynced",
    "blob_renamed",
    "journal_written",
    "manifest_temp_written",
    "manifest_fsynced",
    "manifest_renamed",
    "index_before_commit",
    "index_committed",
)
FAULT_HOOK: Callable[[str], None] | None = None
#: Seconds between tries while another process holds the lock (filelock's default is 0.05).
_POLL_INTERVAL = 0.005
_NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def fault(step: str) -> None:
    if FAULT_HOOK is not None:
        FAULT_HOOK(step)
    if os.environ.get("VADAPT_REGISTRY_CRASH_AT") == step:
        os._exit(137)


def no_space(exc: OSError, root: Path, doing: str) -> NoSpace:
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        cause = "is read-only"
        fix = "use a writable registry (--registry PATH or VADAPT_HOME)"
    else:
        cause = "has no space left"
        fix = "free disk space (`vadapt registry gc` reclaims unreferenced blobs) and retry"
    return NoSpace(
        f"registry {root} {cause} while {doing} ({exc.strerror or exc}); nothing was written",
        fix=fix,
    )


def is_no_space(exc: OSError) -> bool:
    return exc.errno in _NO_SPACE_ERRNOS


def temp_path(tmp_dir: Path, suffix: str = ".part") -> Path:
    return tmp_dir / f"{os.getpid()}-{secrets.token_hex(8)}{suffix}"


def fsync_dir(path: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - directories cannot be fsynced there
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_temp(tmp_dir: Path, data: bytes | memoryview, step_prefix: str) -> Path:
    """Write ``data`` to a new temp file and fsync it; the caller renames it into place."""
    path = temp_path(tmp_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view[: 1 << 24])
            view = view[n:]
        fault(f"{step_prefix}_temp_written")
        os.fsync(fd)
    except BaseException as exc:
        os.close(fd)
        if isinstance(exc, Exception):
            _unlink_quiet(path)
        raise
    os.close(fd)
    fault(f"{step_prefix}_fsynced")
    return path


def install(temp: Path, target: Path) -> None:
    """Atomically move a written temp file to ``target`` and make the rename durable."""
    os.replace(temp, target)
    fsync_dir(target.parent)


def _unlink_quiet(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


unlink_quiet = _unlink_quiet


class RegistryLock:
    """The writers' exclusive lock on ``<root>/registry.lock``: `filelock.FileLock` with a timeout.

    On POSIX `filelock` takes ``flock`` on the file, which the kernel drops when a process
    dies, so a ``kill -9`` never leaves the registry locked; readers take no lock (SQLite
    WAL and atomic renames keep them consistent), so no shared lock is needed. Holding is
    re-entrant within a thread and exclusive between threads, because each thread has its
    own hold (``thread_local=True``). A `filelock.FileLock` may not be used across
    ``fork``, so one is made lazily per process.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = max(0.0, float(timeout))  # never wait forever; 0 tries once
        self._pid: int | None = None
        self._filelock: filelock.BaseFileLock | None = None
        self._making = threading.Lock()  # threads of one process share one FileLock

    def _lock(self) -> filelock.BaseFileLock:
        with self._making:
            if self._filelock is None or self._pid != os.getpid():
                self._filelock = filelock.FileLock(
                    self.path, timeout=self.timeout, mode=0o644, poll_interval=_POLL_INTERVAL
                )
                self._pid = os.getpid()
            return self._filelock

    @contextmanager
    def held(self, root: Path, doing: str) -> Iterator[None]:
        """Hold the lock; re-entrant within one thread. RegistryBusy after the timeout."""
        lock = self._lock()
        try:
            lock.acquire()
        except filelock.Timeout:  # a TimeoutError, hence an OSError: catch it first
            raise self._busy(root) from None
        except OSError as exc:
            if is_no_space(exc):
                raise no_space(exc, root, doing) from None
            raise
        try:
            yield
        finally:
            lock.release()

    def _busy(self, root: Path) -> RegistryBusy:
        return RegistryBusy(
            f"registry {root} is busy: another process held its lock for {self.timeout:g} s",
            fix="wait for the other vadapt process to finish, or pass a longer lock_timeout",
        )
