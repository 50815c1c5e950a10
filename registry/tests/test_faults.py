"""Crashes at every step, a full disk, a read-only root and a held lock leave old or new state."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import time

import pytest
from vadapt_registry import NoSpace, NotFound, Registry, RegistryBusy, _fs, index

NEW_STEPS = _fs.SAVE_STEPS
COMMITTED_FROM = NEW_STEPS.index("manifest_renamed")


class SimulatedCrash(BaseException):
    """Not an Exception: nothing in the save path may catch it, as with a real crash."""


def _state(reg: Registry) -> list[tuple[str, str, dict]]:
    return [
        (m.ref, m.notes, {f: e.sha256 for f, e in m.files.items()})
        for m in Registry(reg.root).list()
    ]


def _check_recovered(reg: Registry, expected: list) -> None:
    fresh = Registry(reg.root)
    assert _state(fresh) == expected
    assert fresh.verify() == []
    fresh.gc()
    assert [p.name for p in fresh.tmp_dir.iterdir()] == ["journal"]
    assert list(fresh.journal_dir.iterdir()) == []
    assert fresh.verify() == []


@pytest.mark.parametrize("overwrite", [False, True], ids=["new-version", "overwrite"])
@pytest.mark.parametrize("step", NEW_STEPS)
def test_forced_crash_at_each_step_leaves_old_or_new(
    reg, make_draft, make_files, monkeypatch, step, overwrite
) -> None:
    reg.save(make_draft(notes="old"), make_files(1))
    old = _state(reg)
    seen = []

    def crash(at: str) -> None:
        seen.append(at)
        if at == step:
            raise SimulatedCrash(at)

    monkeypatch.setattr(_fs, "FAULT_HOOK", crash)
    version = 1 if overwrite else None
    with pytest.raises(SimulatedCrash):
        reg.save(make_draft(notes="new"), make_files(2), version=version, overwrite=overwrite)
    monkeypatch.setattr(_fs, "FAULT_HOOK", None)
    assert step in seen
    if NEW_STEPS.index(step) >= COMMITTED_FROM:
        new_files = {
            f: e.sha256 for f, e in reg.get("intent@1" if overwrite else "intent@2").files.items()
        }
        expected = (
            [("intent@1", "new", new_files)]
            if overwrite
            else [*old, ("intent@2", "new", new_files)]
        )
    else:
        expected = old
    _check_recovered(reg, expected)
    nxt = Registry(reg.root).save(make_draft(notes="next"), make_files(3))
    assert Registry(reg.root).get(nxt.ref).notes == "next"


@pytest.mark.parametrize("step", NEW_STEPS)
def test_process_death_at_each_step_leaves_old_or_new(reg, make_draft, make_files, step) -> None:
    """The env-var seam: the saving process dies with os._exit(137), like kill -9."""
    reg.save(make_draft(notes="old"), make_files(1))
    old = _state(reg)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.environ["VADAPT_REGISTRY_CRASH_AT"] = step
        try:
            Registry(reg.root).save(make_draft(notes="new"), make_files(2))
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 137
    try:
        new = Registry(reg.root).get("intent@2")
        assert NEW_STEPS.index(step) >= COMMITTED_FROM
        _check_recovered(
            reg, [*old, ("intent@2", "new", {f: e.sha256 for f, e in new.files.items()})]
        )
    except NotFound:
        assert NEW_STEPS.index(step) < COMMITTED_FROM
        _check_recovered(reg, old)


def _failing(real, fail_on: int, err: int):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == fail_on:
            raise OSError(err, os.strerror(err))
        return real(*args, **kwargs)

    return wrapper, calls


@pytest.mark.parametrize("syscall", ["write", "fsync"])
def test_disk_full_at_any_write_leaves_everything_unchanged(
    reg, make_draft, make_files, take_snapshot, monkeypatch, syscall
) -> None:
    reg.save(make_draft(), make_files(1))
    before_files, before_list = take_snapshot(reg.root), reg.summaries()
    failures = 0
    for fail_on in range(1, 50):
        wrapper, calls = _failing(getattr(os, syscall), fail_on, errno.ENOSPC)
        monkeypatch.setattr(os, syscall, wrapper)
        try:
            m = reg.save(make_draft(), make_files(2))
        except NoSpace as exc:
            monkeypatch.undo()
            failures += 1
            assert "no space" in str(exc) and "nothing was written" in str(exc)
            assert take_snapshot(reg.root) == before_files  # no partial blob, no manifest, no temp
            assert reg.summaries() == before_list  # index unchanged
            continue
        monkeypatch.undo()
        assert calls["n"] < fail_on and m.version == 2
        break
    assert failures >= 4  # blob 1, blob 2, journal, manifest (each write or fsync)
    assert reg.verify() == []


def test_index_write_failure_rolls_back_the_manifest(
    reg, make_draft, make_files, take_snapshot, monkeypatch
) -> None:
    reg.save(make_draft(notes="old"), make_files(1))
    before = take_snapshot(reg.root)

    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(index, "upsert", full)
    with pytest.raises(NoSpace):
        reg.save(make_draft(notes="new"), make_files(2))
    with pytest.raises(NoSpace):
        reg.save(make_draft(notes="new"), make_files(2), version=1, overwrite=True)
    monkeypatch.undo()
    assert take_snapshot(reg.root) == before
    assert [m.notes for m in reg.list()] == ["old"] and reg.verify() == []


def _read_only(monkeypatch, root, *, only_under: str = "") -> None:
    real_open = os.open
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def ro_open(path, flags, *args, **kwargs):
        if flags & write_flags and str(path).startswith(str(root / only_under)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", ro_open)


@pytest.mark.parametrize("only_under", ["", "tmp"], ids=["whole-root", "tmp-only"])
def test_read_only_registry_gives_a_clear_error(
    reg, make_draft, make_files, take_snapshot, monkeypatch, only_under
) -> None:
    m = reg.save(make_draft(), make_files(1))
    before_files, before_list = take_snapshot(reg.root), reg.summaries()
    _read_only(monkeypatch, reg.root, only_under=only_under)
    with pytest.raises(NoSpace, match="read-only"):
        reg.save(make_draft(), make_files(2))
    assert take_snapshot(reg.root) == before_files
    assert reg.summaries() == before_list
    assert reg.load(m.ref).manifest == m  # reading still works


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_really_read_only_directory(reg, make_draft, make_files) -> None:  # pragma: no cover
    reg.save(make_draft(), make_files(1))
    for p in [reg.root, *reg.root.rglob("*")]:
        if p.is_dir():
            p.chmod(0o555)
    try:
        with pytest.raises(NoSpace):
            reg.save(make_draft(), make_files(2))
        assert len(reg.list()) == 1
    finally:
        for p in [reg.root, *reg.root.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)


def test_lock_held_elsewhere_gives_registry_busy_after_the_timeout(
    reg, make_draft, make_files
) -> None:
    import fcntl

    reg.save(make_draft(), make_files(1))
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child holds the lock until killed
        try:
            fd = os.open(reg.root / "registry.lock", os.O_RDWR)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(w, b"x")
            time.sleep(60)
        finally:
            os._exit(0)
    try:
        assert os.read(r, 1) == b"x"
        busy = Registry(reg.root, lock_timeout=0.5)
        start = time.monotonic()
        with pytest.raises(RegistryBusy, match="busy"):
            busy.save(make_draft(), make_files(2))
        elapsed = time.monotonic() - start
        assert 0.5 <= elapsed < 3.0
        assert [m.ref for m in busy.list()] == ["intent@1"]  # readers are not blocked
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert Registry(reg.root, lock_timeout=5).save(make_draft(), make_files(2)).version == 2
