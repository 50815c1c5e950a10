"""Separate processes writing at once, and processes killed with SIGKILL mid-save.

Workers are forked (separate processes with their own file descriptors, locks and
SQLite connections); forking from the already-imported test process keeps the suite
fast on small CI machines.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save
from vadapt_registry import AdapterExists, Registry

WORKERS = 8
PER_WORKER = 50


def _tiny(worker: int, j: int) -> dict[str, bytes]:
    w = np.full((2, 2), worker * 1000 + j, dtype=np.float32)
    return {"adapter_model.safetensors": save({"w": w}), "adapter_config.json": b'{"r": 2}'}


def _fork_all(n: int, work: Callable[[int], int]) -> list[int]:
    """Run work(i) in n forked processes released together; return their exit codes."""
    r, w = os.pipe()
    pids = []
    for i in range(n):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            code = 70
            try:
                os.close(w)
                os.read(r, 1)
                code = work(i)
            except BaseException as exc:
                os.write(2, f"worker {i}: {exc!r}\n".encode())
            finally:
                os._exit(code)
        pids.append(pid)
    os.close(r)
    os.write(w, b"go" * n)
    os.close(w)
    return [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]


@pytest.fixture
def memory_root(tmp_path):
    """A registry on tmpfs when the machine has one.

    The 8 x 50 figure is about concurrency (the lock, renames, the index), not disk
    latency: on a shared CI disk 400 serialized saves x 9 fsyncs take 30 s, on tmpfs
    (real files, flock, renames and SQLite WAL; fsync is free) about 3 s. Every other
    test runs the same code on the real disk.
    """
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path / "registry"
        return
    d = Path(tempfile.mkdtemp(prefix="vadapt-registry-test-", dir=shm))
    try:
        yield d / "registry"
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_8_processes_x_50_adapters_all_listed_no_hash_mismatch(memory_root, make_draft) -> None:
    root = memory_root

    def work(i: int) -> int:
        reg = Registry(root, lock_timeout=120)
        for j in range(PER_WORKER):
            reg.save(make_draft(f"w{i}-a{j}"), _tiny(i, j))
        return 0

    start = time.monotonic()
    assert _fork_all(WORKERS, work) == [0] * WORKERS
    elapsed = time.monotonic() - start
    reg = Registry(root)
    listed = reg.list()
    assert len(listed) == WORKERS * PER_WORKER == 400
    mismatches = 0
    for m in listed:
        i, j = (int(x[1:]) for x in m.name.split("-"))
        for fname, data in _tiny(i, j).items():
            mismatches += m.files[fname].sha256 != hashlib.sha256(data).hexdigest()
    assert mismatches == 0
    assert reg.verify() == []
    before = reg.summaries()
    reg.reindex()
    assert reg.summaries() == before
    print(f"\n8x50 concurrent saves: 400/400 listed, 0 hash mismatches, {elapsed:.1f} s")


def test_same_name_and_version_from_8_processes_exactly_one_wins(root, make_draft) -> None:
    def work(i: int) -> int:
        try:
            Registry(root, lock_timeout=60).save(make_draft("contested"), _tiny(i, 0), version=1)
        except AdapterExists:
            return AdapterExists.exit_code
        return 0

    codes = _fork_all(WORKERS, work)
    assert sorted(codes) == [0] + [AdapterExists.exit_code] * (WORKERS - 1)
    winner = codes.index(0)
    reg = Registry(root)
    assert [m.ref for m in reg.list()] == ["contested@1"]
    assert reg.load("contested@1").files == _tiny(winner, 0)
    assert reg.verify() == []


def test_auto_versions_from_8_processes_are_distinct(root, make_draft) -> None:
    def work(i: int) -> int:
        Registry(root, lock_timeout=60).save(make_draft("shared"), _tiny(i, 1))
        return 0

    assert _fork_all(WORKERS, work) == [0] * WORKERS
    assert sorted(m.version for m in Registry(root).list()) == list(range(1, WORKERS + 1))


def test_kill_9_at_random_moments_during_save(root, make_draft) -> None:
    trials = 42
    rng = random.Random(1234)
    reg = Registry(root)
    reg.save(make_draft("victim", notes="v1"), _tiny(0, 0))
    start = time.perf_counter()
    reg.save(make_draft("victim", notes="v2"), _tiny(0, 1))
    save_time = time.perf_counter() - start  # scales the kill window to this machine's disk
    left_mid_save = 0
    for trial in range(trials):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child saves until killed
            try:
                os.close(r)
                child = Registry(root)
                k = 0
                while True:
                    data = (
                        np.random.default_rng(trial * 100_000 + k)
                        .standard_normal(16_384)
                        .astype(np.float32)
                    )
                    files = {
                        "adapter_model.safetensors": save({"w": data}),
                        "adapter_config.json": b'{"r": 2}',
                    }
                    if k == 0:  # its files are made (slow just after fork): about to save
                        os.write(w, b"s")
                    if (k + trial) % 2 == 1:  # half the trials start with an overwrite
                        child.save(
                            make_draft("victim", notes=f"t{trial}-{k}"),
                            files,
                            version=1,
                            overwrite=True,
                        )
                    else:
                        child.save(make_draft("victim", notes=f"t{trial}-{k}"), files)
                    k += 1
            finally:
                os._exit(1)
        os.close(w)
        assert os.read(r, 1) == b"s"
        os.close(r)
        time.sleep(rng.uniform(0.0, 1.5 * save_time))  # kills land in and between saves
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        tmp = root / "tmp"
        if any(p.name != "journal" for p in tmp.iterdir()) or any((tmp / "journal").iterdir()):
            left_mid_save += 1
        fresh = Registry(root)
        problems = fresh.verify()
        assert problems == [], f"trial {trial}: {problems}"
        assert fresh.list(), f"trial {trial}: listing empty"
    report = Registry(root).gc()
    assert [p.name for p in (root / "tmp").iterdir()] == ["journal"]
    assert list((root / "tmp" / "journal").iterdir()) == []
    reg = Registry(root)
    assert reg.verify() == []
    listing = reg.summaries()
    reg.reindex()
    assert reg.summaries() == listing
    nxt = reg.save(make_draft("victim", notes="after"), _tiny(1, 1))
    assert reg.get(nxt.ref).notes == "after" and reg.verify() == []
    print(
        f"\nkill -9: {trials} trials, {left_mid_save} killed mid-save, "
        f"{len(listing)} entries verified, "
        f"gc removed {report.removed_temp} temp files and {report.removed_blobs} orphan blobs"
    )
    assert left_mid_save >= 1


def test_threads_sharing_one_registry_do_not_lose_saves(reg, make_draft) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def work(i: int) -> int:
        return reg.save(make_draft("threaded"), _tiny(i, 2)).version

    with ThreadPoolExecutor(4) as pool:
        versions = sorted(pool.map(work, range(12)))
    assert versions == list(range(1, 13))
    assert reg.verify() == []
