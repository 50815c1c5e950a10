"""Low-level file operations of the registry: durable writes, the lock, the fault seam.

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
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

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
    """A cross-process exclusive lock on ``<root>/registry.lock`` with a timeout.

    Uses ``fcntl.flock`` on POSIX (released by the kernel when a process dies, so a
    ``kill -9`` never leaves the registry locked) and `filelock` elsewhere.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._local = threading.local()  # each thread holds (or waits for) its own lock

    @property
    def _depth(self) -> int:
        return getattr(self._local, "depth", 0)

    @_depth.setter
    def _depth(self, value: int) -> None:
        self._local.depth = value

    @property
    def _fd(self) -> int | None:
        return getattr(self._local, "fd", None)

    @_fd.setter
    def _fd(self, value: int | None) -> None:
        self._local.fd = value

    @property
    def _fallback(self):  # type: ignore[no-untyped-def]
        return getattr(self._local, "fallback", None)

    @_fallback.setter
    def _fallback(self, value) -> None:  # type: ignore[no-untyped-def]
        self._local.fallback = value

    @contextmanager
    def held(self, root: Path, doing: str) -> Iterator[None]:
        """Hold the lock; re-entrant within one thread."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._acquire(root, doing)
        self._depth = 1
        try:
            yield
        finally:
            self._depth = 0
            self._release()

    def _acquire(self, root: Path, doing: str) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            import filelock

            self._fallback = filelock.FileLock(str(self.path))
            try:
                self._fallback.acquire(timeout=self.timeout)
            except filelock.Timeout:
                raise self._busy(root) from None
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if is_no_space(exc):
                raise no_space(exc, root, doing) from None
            raise
        deadline = time.monotonic() + self.timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                    os.close(fd)
                    raise
            if time.monotonic() >= deadline:
                os.close(fd)
                raise self._busy(root)
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.01)
        self._fd = fd

    def _release(self) -> None:
        if self._fallback is not None:  # pragma: no cover - Windows
            self._fallback.release()
            self._fallback = None
            return
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _busy(self, root: Path) -> RegistryBusy:
        return RegistryBusy(
            f"registry {root} is busy: another process held its lock for {self.timeout:g} s",
            fix="wait for the other vadapt process to finish, or pass a longer lock_timeout",
        )
