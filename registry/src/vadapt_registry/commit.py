"""The save path: blobs, journal, manifest, index — and recovery after a crash.

Order (all under the registry lock): each new blob temp-written, fsynced, renamed; a
journal entry naming the manifest; the manifest temp-written, fsynced, renamed (the
commit point); the index row in one transaction; the journal entry removed. A failure
(not a crash) undoes what this save wrote; a crash leaves a journal entry that
`recover` turns into an index matching the manifests on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vadapt_registry import _fs, index
from vadapt_registry.errors import AdapterExists
from vadapt_registry.names import validate_version

if TYPE_CHECKING:
    from vadapt_registry.manifest import FileEntry, Manifest
    from vadapt_registry.registry import Registry


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Pending:
    temps: list[Path] = field(default_factory=list)
    new_blobs: list[Path] = field(default_factory=list)
    journal: Path | None = None
    manifest: Path | None = None
    old_manifest: bytes | None = None


def recover(reg: Registry) -> int:
    """Under the lock: make the index match the manifests named by left-over journals."""
    try:
        entries = sorted(reg.journal_dir.iterdir())
    except FileNotFoundError:
        return 0
    if not entries:
        return 0
    conn = reg._write_conn("recovering")
    try:
        with index.transaction(conn):
            for entry in entries:
                try:
                    j = json.loads(entry.read_text())
                    rels = j["manifests"]
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                for rel in rels:
                    sync_index_entry(reg, conn, rel)
    finally:
        conn.close()
    for entry in entries:
        _fs.unlink_quiet(entry)
    return len(entries)


def sync_index_entry(reg: Registry, conn: sqlite3.Connection, rel: str) -> None:
    path = reg.root / rel
    parts = Path(rel).parts  # manifests/<vertical>/<name>/<version>.json
    name, version = parts[2], validate_version(Path(parts[3]).stem)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        index.delete(conn, name, version)
        return
    from vadapt_registry.manifest import Manifest

    m = Manifest.from_json(text, source=str(path))
    index.upsert(conn, m, rel, text)


def write_journal(reg: Registry, pending: Pending, rels: list[str]) -> None:
    data = json.dumps({"manifests": rels, "pid": os.getpid()}).encode()
    t = _fs.write_temp(reg.tmp_dir, data, "journal")
    pending.temps.append(t)
    target = reg.journal_dir / t.name.replace(".part", ".json")
    pending.journal = target
    _fs.install(t, target)
    pending.temps.remove(t)
    _fs.fault("journal_written")


def next_version(reg: Registry, conn: sqlite3.Connection, vertical: str, name: str) -> int:
    info = index.name_info(conn, name)
    highest = max(info[1] if info else 0, index.max_version(conn, name))
    try:  # the manifests are the truth, whatever the index says
        for p in (reg.root / "manifests" / vertical / name).glob("*.json"):
            if p.stem.isdigit():
                highest = max(highest, int(p.stem))
    except OSError:
        pass
    return highest + 1


def commit(
    reg: Registry,
    base: dict[str, object],
    version: int | str | None,
    contents: dict[str, bytes],
    *,
    overwrite: bool,
    created: str,
    identical_ok: bool = False,
) -> Manifest:
    from vadapt_registry.manifest import FileEntry, Manifest

    entries = {f: FileEntry(sha256=_sha256(d), size=len(d)) for f, d in contents.items()}
    name, vertical = str(base["name"]), str(base["vertical"])
    with reg._locked("saving"):
        reg._ensure_layout("saving")
        recover(reg)
        conn = reg._write_conn("saving")
        try:
            row = conn.execute(
                "SELECT vertical FROM adapters WHERE name=? LIMIT 1", (name,)
            ).fetchone()
            if row and row[0] != vertical:
                raise AdapterExists(
                    f"adapter name {name!r} already belongs to vertical {row[0]!r}, "
                    f"not {vertical!r}",
                    fix="choose another name",
                )
            if version is None:
                version = next_version(reg, conn, vertical, name)
            m = Manifest.model_validate(
                {**base, "version": version, "created": created, "files": entries}
            )
            mpath = reg.manifest_path(vertical, name, version)
            text = m.to_json()
            pending = Pending()
            if mpath.exists():
                old = mpath.read_bytes()
                if identical_ok and Manifest.from_json(old, source=str(mpath)) == m:
                    return m
                if not overwrite:
                    raise AdapterExists(
                        f"adapter {m.ref} already exists",
                        fix="save without an explicit version to get the next one, or overwrite it",
                    )
                pending.old_manifest = old
            try:
                write_all(reg, conn, m, mpath, text, contents, pending)
            except Exception as exc:
                rollback(reg, pending, mpath)
                if isinstance(exc, OSError) and _fs.is_no_space(exc):
                    raise _fs.no_space(exc, reg.root, f"saving {m.ref}") from None
                if isinstance(exc, sqlite3.Error):
                    raise reg._db_error(exc, f"saving {m.ref}") from None
                raise
        finally:
            conn.close()
    return m


def write_all(
    reg: Registry,
    conn: sqlite3.Connection,
    m: Manifest,
    mpath: Path,
    text: str,
    contents: dict[str, bytes],
    pending: Pending,
) -> None:
    for fname, data in contents.items():
        bpath = reg.blob_path(m.files[fname].sha256)
        if bpath.exists() and blob_ok(reg, bpath, m.files[fname]):
            continue  # identical content is stored once
        bpath.parent.mkdir(parents=True, exist_ok=True)
        t = _fs.write_temp(reg.tmp_dir, data, "blob")
        pending.temps.append(t)
        pending.new_blobs.append(bpath)  # before the rename: a failed dir fsync still undoes it
        _fs.install(t, bpath)
        pending.temps.remove(t)
        _fs.fault("blob_renamed")
    rel = mpath.relative_to(reg.root).as_posix()
    write_journal(reg, pending, [rel])
    mpath.parent.mkdir(parents=True, exist_ok=True)
    t = _fs.write_temp(reg.tmp_dir, text.encode("utf-8"), "manifest")
    pending.temps.append(t)
    pending.manifest = mpath
    _fs.install(t, mpath)
    pending.temps.remove(t)
    _fs.fault("manifest_renamed")
    with index.transaction(conn):
        index.upsert(conn, m, rel, text)
        _fs.fault("index_before_commit")
    _fs.fault("index_committed")
    assert pending.journal is not None
    _fs.unlink_quiet(pending.journal)


def blob_ok(reg: Registry, path: Path, entry: FileEntry) -> bool:
    try:
        if path.stat().st_size != entry.size:
            return False
        return _sha256(path.read_bytes()) == entry.sha256
    except OSError:
        return False


def rollback(reg: Registry, pending: Pending, mpath: Path) -> None:
    """Undo a failed (not crashed) save; leave the journal if the undo itself fails."""
    clean = True
    if pending.manifest is not None:
        try:
            if pending.old_manifest is not None:
                t = _fs.write_temp(reg.tmp_dir, pending.old_manifest, "rollback")
                _fs.install(t, mpath)
            elif mpath.exists():
                os.unlink(mpath)
        except OSError:
            clean = False
    for p in pending.temps + pending.new_blobs:
        _fs.unlink_quiet(p)
    if pending.journal is not None and clean:
        _fs.unlink_quiet(pending.journal)
