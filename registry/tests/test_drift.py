"""The manifest files are the truth, the index a cache: drift is found, refused and fixed.

A manifest edited, deleted or added behind the registry's back: `verify` names it with
the fix, `load` refuses an edited one (so it never differs from what `get`/`list`
return), and `reindex` brings list, get and load back in line with the files.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import warnings

import pytest
from vadapt_registry import (
    CorruptAdapter,
    InvalidConfig,
    ManifestWarning,
    NotFound,
    Registry,
    RegistryBusy,
    _fs,
)
from vadapt_registry.manifest import Manifest, MethodSpec

FIX = "vadapt registry reindex"


def _edit(reg: Registry, m: Manifest, change) -> None:  # type: ignore[no-untyped-def]
    path = reg.manifest_path(m.vertical, m.name, m.version)
    raw = json.loads(path.read_text())
    change(raw)
    path.write_text(json.dumps(raw, sort_keys=True, indent=2) + "\n")


def _one_line(problems: list) -> list[str]:
    lines = [str(p) for p in problems]
    assert all("\n" not in line for line in lines)
    return lines


# ---- (a) a hand-edited manifest -----------------------------------------------------------
def test_hand_edit_verify_flags_load_refuses_reindex_makes_all_agree(
    reg, make_draft, make_files
) -> None:
    m = reg.save(make_draft(), make_files())
    other = reg.save(make_draft("other"), make_files(1))

    def edit(raw: dict) -> None:
        raw["metrics"]["validation"]["accuracy"] = 0.99
        raw["notes"] = "edited by hand"

    _edit(reg, m, edit)

    problems = reg.verify()
    assert [(p.ref, p.file) for p in problems] == [("intent@1", None)]
    (line,) = _one_line(problems)
    assert "edited" in line and "metrics, notes" in line and FIX in line
    assert [str(p) for p in reg.verify("intent@1")] == [line]  # one ref: the same finding
    assert reg.verify("other") == []

    # until reindex, the listing serves the cache and load refuses the edited file
    assert reg.get("intent@1") == m and [x.ref for x in reg.list()] == ["intent@1", "other@1"]
    assert reg.list(name="intent")[0].metrics.validation == {"accuracy": 0.9}
    with pytest.raises(CorruptAdapter, match=r"intent@1.*edited.*metrics.*reindex") as err:
        reg.load("intent@1")
    assert err.value.fix and FIX in err.value.fix
    assert reg.load("other").manifest == other  # the rest of the registry is unaffected

    assert reg.reindex() == 2
    assert reg.verify() == []
    shown, listed = reg.get("intent"), reg.list(name="intent")[0]
    loaded = reg.load("intent@1").manifest
    assert shown == listed == loaded
    assert shown.metrics.validation == {"accuracy": 0.99} and shown.notes == "edited by hand"
    assert [s.ref for s in reg.summaries()] == ["intent@1", "other@1"]


def test_reformatting_a_manifest_is_not_drift(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files())
    path = reg.manifest_path(m.vertical, m.name, m.version)
    path.write_text(json.dumps(json.loads(path.read_text()), indent=4))  # same content
    assert reg.verify() == []
    assert reg.load(m.ref).manifest == reg.get(m.ref) == m


def test_unparsable_manifest_is_reported_once(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files())
    reg.manifest_path(m.vertical, m.name, m.version).write_text("{not json")
    problems = reg.verify()
    assert [p.ref for p in problems] == ["intent@1"]  # not also "gone from the index"
    assert "not valid JSON" in problems[0].problem
    with pytest.raises(CorruptAdapter, match="not valid JSON"):
        reg.load(m.ref)


# ---- (b) an index row whose manifest file is gone ---------------------------------------
def test_index_row_whose_manifest_is_gone(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files())
    keep = reg.save(make_draft("keep"), make_files(1))
    reg.manifest_path(m.vertical, m.name, m.version).unlink()

    (line,) = _one_line(reg.verify())
    assert line.startswith("intent@1: ") and "gone" in line and FIX in line
    assert "manifests/customer-service/intent/1.json" in line
    assert [x.ref for x in reg.list()] == ["intent@1", "keep@1"]  # the stale cache
    with pytest.raises(CorruptAdapter, match=r"intent@1.*missing.*reindex"):
        reg.load("intent@1")

    assert reg.reindex() == 1
    assert reg.verify() == []
    assert [x.ref for x in reg.list()] == ["keep@1"] == [s.ref for s in reg.summaries()]
    with pytest.raises(NotFound):
        reg.get("intent@1")
    assert reg.load("keep").manifest == keep


# ---- (c) a manifest file the index does not list ----------------------------------------
def test_manifest_file_the_index_does_not_list(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files())
    src = reg.manifest_path(m.vertical, m.name, m.version)
    raw = json.loads(src.read_text())
    raw["version"] = 7
    reg.manifest_path(m.vertical, m.name, 7).write_text(json.dumps(raw, sort_keys=True))

    (line,) = _one_line(reg.verify())
    assert line.startswith("intent@7: ") and "not in the index" in line and FIX in line
    assert [x.ref for x in reg.list()] == ["intent@1"]
    with pytest.raises(NotFound):
        reg.get("intent@7")

    assert reg.reindex() == 2
    assert reg.verify() == []
    assert [x.ref for x in reg.list()] == ["intent@1", "intent@7"]
    assert reg.get("intent").ref == "intent@7" == reg.load("intent").manifest.ref


def test_row_dropped_from_the_index_is_found(reg, make_draft, make_files) -> None:
    reg.save(make_draft(), make_files())
    reg.save(make_draft("other"), make_files(1))
    with sqlite3.connect(reg.index_path) as conn:
        conn.execute("DELETE FROM adapters WHERE name='other'")
    assert [p.ref for p in reg.verify()] == ["other@1"]
    reg.reindex()
    assert [x.ref for x in reg.list()] == ["intent@1", "other@1"] and reg.verify() == []


def test_unreadable_index_is_one_finding_naming_the_fix(reg, make_draft, make_files) -> None:
    reg.save(make_draft(), make_files())
    for p in reg.root.glob("index.sqlite*"):
        p.unlink()
    reg.index_path.write_bytes(b"not a database" * 200)
    problems = reg.verify()
    assert [p.ref for p in problems] == ["index"] and FIX in problems[0].problem
    reg.reindex()
    assert reg.verify() == []


# ---- a save in flight is not drift -------------------------------------------------------
def test_load_during_a_save_in_flight_is_not_refused(
    reg, make_draft, make_files, monkeypatch
) -> None:
    reg.save(make_draft(notes="old"), make_files(1))
    reader = Registry(reg.root)
    got: dict[str, object] = {}

    def load() -> None:
        try:
            got["manifest"] = reader.load("intent@1").manifest
        except Exception as exc:  # pragma: no cover - reported by the assertion
            got["error"] = exc

    thread = threading.Thread(target=load)

    def hook(step: str) -> None:
        # the new manifest is renamed into place; the index row is not committed yet
        if step == "index_before_commit" and not thread.is_alive():
            thread.start()
            thread.join(0.5)  # the reader sees the difference and waits for the lock
            got["waited"] = thread.is_alive()

    monkeypatch.setattr(_fs, "FAULT_HOOK", hook)
    new = reg.save(make_draft(notes="new"), make_files(2), version=1, overwrite=True)
    monkeypatch.setattr(_fs, "FAULT_HOOK", None)
    thread.join(30)
    assert "error" not in got, got.get("error")
    assert got["waited"] is True
    assert got["manifest"] == new and new.notes == "new"
    assert reg.verify() == []


# ---- the lock: filelock, across threads, processes and fork --------------------------
def test_lock_is_filelock_on_registry_lock(reg, make_draft, make_files) -> None:
    import filelock

    reg.save(make_draft(), make_files())
    assert (reg.root / "registry.lock").is_file()  # where it always was; kept on release
    lock = reg._lock._lock()
    assert isinstance(lock, filelock.BaseFileLock)
    assert os.path.samefile(lock.lock_file, reg.root / "registry.lock")


def test_busy_message_names_the_registry_and_the_fix(reg, make_draft, make_files) -> None:
    reg.save(make_draft(), make_files())
    holder = Registry(reg.root)
    busy = Registry(reg.root, lock_timeout=0.2)
    done = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with holder._locked("holding"):
            held.set()
            done.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(10)
        with pytest.raises(RegistryBusy) as err:
            busy.save(make_draft(), make_files(1))
        text = str(err.value)
        assert str(reg.root) in text and "0.2 s" in text and "lock_timeout" in text
        assert err.value.exit_code == 7 and "\n" not in text
        assert [x.ref for x in busy.list()] == ["intent@1"]  # readers are not blocked
    finally:
        done.set()
        t.join()
    assert busy.save(make_draft(), make_files(1)).version == 2


def test_a_registry_made_before_fork_still_locks_in_the_child(reg, make_draft, make_files) -> None:
    reg.save(make_draft(), make_files())  # the parent has used its lock
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 1
        try:
            reg.save(make_draft(), make_files(1))
            code = 0
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    assert [x.ref for x in reg.list()] == ["intent@1", "intent@2"]
    assert reg.save(make_draft(), make_files(2)).version == 3


# ---- the manifest's `context` field --------------------------------------------------
def test_context_round_trips_and_is_plain_json(reg, make_draft, make_files) -> None:
    context = {"vadapt-customer-service": {"oos_threshold": 0.42, "labels": ["other"]}}
    m = reg.save(make_draft(context=context), make_files())
    assert m.context == context
    assert reg.get(m.ref).context == context == reg.load(m.ref).manifest.context
    assert json.loads(m.to_json())["context"] == context
    draft = make_draft().model_dump()
    with pytest.raises(InvalidConfig, match="context"):
        reg.save({**draft, "context": {"p": {"t": float("nan")}}}, make_files())
    with pytest.raises(InvalidConfig, match="context"):
        reg.save({**draft, "context": {"p": {1, 2}}}, make_files())
    with pytest.raises(InvalidConfig, match="context"):
        reg.save({**draft, "context": ["not", "a", "dict"]}, make_files())
    assert make_draft().context == {}


def test_manifest_without_context_still_reads(reg, make_draft, make_files) -> None:
    m = reg.save(make_draft(), make_files())
    _edit(reg, m, lambda raw: raw.pop("context"))  # as written before the field existed
    with warnings.catch_warnings():
        warnings.simplefilter("error", ManifestWarning)
        reg.reindex()
        assert reg.get(m.ref).context == {} and reg.load(m.ref).manifest == m
    assert reg.verify() == []


def test_method_name_is_not_a_fixed_list() -> None:
    desc = MethodSpec.model_fields["name"].description or ""
    assert "as registered" in desc and "vadapt methods" in desc
    assert "bottleneck" not in desc and "ia3" not in desc
    assert MethodSpec(name="some-plugin-method").name == "some-plugin-method"
