"""`Registry`: content-addressed blobs, manifests, a SQLite index, one lock.

Layout under the root::

    blobs/sha256/<2 hex>/<64 hex>                 file contents, stored once
    manifests/<vertical>/<name>/<version>.json    the truth about each adapter
    index.sqlite                                  cache of the manifests (WAL)
    attachments/<vertical>/<name>/<version>/      files measured later (report cards),
                                                  bound to the manifest's bytes
    aliases/<name>.jsonl                          append-only alias moves (name@champion)
    tags/<name>.jsonl                             append-only key=value tag changes
    tmp/                                          in-flight writes; tmp/journal/ intents
    registry.lock                                 the writers' lock

A save writes blobs (temp, fsync, rename), then a journal entry, then the manifest
(temp, fsync, rename), then the index in one transaction, then drops the journal. The
manifest rename is the commit point: a crash before it leaves the old state, after it
the new one; a left-over journal entry tells the next process to bring the index in
line with the manifests, and `gc` removes orphan blobs and temp files.
"""

from __future__ import annotations

import builtins
import difflib
import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from vadapt_registry import _fs, aliases, commit, index
from vadapt_registry.attachments import drop as drop_attachments
from vadapt_registry.errors import (
    CorruptAdapter,
    InvalidConfig,
    NoSpace,
    NotFound,
    RegistryBusy,
)
from vadapt_registry.names import (
    format_ref,
    parse_ref,
    validate_file_name,
    validate_name,
    validate_version,
)
from vadapt_registry.safefiles import check_file
from vadapt_registry.sidecars import Sidecars

if TYPE_CHECKING:  # parsed manifests (pydantic) load on first use: listings read the index only
    from vadapt_registry.manifest import Manifest, ManifestDraft


def default_root() -> Path:
    """``$VADAPT_HOME``, else the platform's user data directory for vadapt."""
    env = os.environ.get("VADAPT_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("vadapt"))


@dataclass(frozen=True)
class LoadedAdapter:
    """A verified adapter: its manifest, the bytes of each file, and the blob paths."""

    manifest: Manifest
    files: dict[str, bytes]
    paths: dict[str, Path]


@dataclass(frozen=True)
class VerifyProblem:
    ref: str
    file: str | None
    problem: str

    def __str__(self) -> str:
        return f"{self.ref}{f' {self.file}' if self.file else ''}: {self.problem}"


@dataclass(frozen=True)
class GcReport:
    removed_blobs: int = 0
    freed_bytes: int = 0
    removed_temp: int = 0
    kept_blobs: int = 0
    recovered: int = 0


@dataclass(frozen=True)
class AdapterSummary:
    """One listing row, read from the index without parsing the manifest."""

    name: str
    version: str
    vertical: str
    task: str
    method: str
    backbone: str
    created: str
    size: int
    parent: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Registry(Sidecars):
    """Trusted local storage for adapters. Safe across threads and processes."""

    def __init__(
        self, root: str | os.PathLike[str] | None = None, lock_timeout: float = 30.0
    ) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.lock_timeout = float(lock_timeout)
        self._lock = _fs.RegistryLock(self.root / "registry.lock", self.lock_timeout)
        self._probe = _fs.RegistryLock(self.root / "registry.lock", 0.0)  # one try, for recovery

    # ---- paths -------------------------------------------------------------------------
    @property
    def index_path(self) -> Path:
        return self.root / "index.sqlite"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def journal_dir(self) -> Path:
        return self.tmp_dir / "journal"

    def blob_path(self, sha256: str) -> Path:
        return self.root / "blobs" / "sha256" / sha256[:2] / sha256

    def manifest_path(self, vertical: str, name: str, version: int | str) -> Path:
        return self.root / "manifests" / vertical / name / f"{version}.json"

    def __repr__(self) -> str:
        return f"Registry({str(self.root)!r})"

    # ---- plumbing ----------------------------------------------------------------------
    def _locked(self, doing: str):  # type: ignore[no-untyped-def]
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if _fs.is_no_space(exc):
                raise _fs.no_space(exc, self.root, doing) from None
            raise
        return self._lock.held(self.root, doing)

    def _ensure_layout(self, doing: str) -> None:
        try:
            for d in (self.root / "blobs" / "sha256", self.root / "manifests", self.journal_dir):
                d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if _fs.is_no_space(exc):
                raise _fs.no_space(exc, self.root, doing) from None
            raise

    def _connect(self) -> sqlite3.Connection:
        """A connection for reading; builds the index first if it is missing."""
        if not self.index_path.exists() and (self.root / "manifests").is_dir():
            try:
                self.reindex()
            except (NoSpace, RegistryBusy):
                conn = sqlite3.connect(":memory:", isolation_level=None)
                conn.executescript(index._SCHEMA)
                self._fill_index(conn)
                return conn
        if not self.index_path.exists():
            conn = sqlite3.connect(":memory:", isolation_level=None)
            conn.executescript(index._SCHEMA)
            return conn
        try:
            return index.connect(self.index_path, timeout=self.lock_timeout)
        except sqlite3.OperationalError:
            return index.connect(self.index_path, timeout=self.lock_timeout, readonly=True)

    def _write_conn(self, doing: str) -> sqlite3.Connection:
        try:
            return index.connect(self.index_path, timeout=self.lock_timeout)
        except sqlite3.DatabaseError as exc:
            raise self._db_error(exc, doing) from None

    def _db_error(self, exc: sqlite3.Error, doing: str) -> Exception:
        text = str(exc).lower()
        if "full" in text or "readonly" in text or "read-only" in text or "unable to open" in text:
            return NoSpace(
                f"registry {self.root} index could not be written while {doing} ({exc}); "
                "nothing was written",
                fix="free disk space or use a writable registry, then retry",
            )
        return CorruptAdapter(
            f"registry index {self.index_path} is damaged ({exc})",
            fix="run `vadapt registry reindex`",
        )

    def _maybe_recover(self) -> None:
        """Finish what a crashed writer left in the journal, if no writer is active now."""
        try:
            if not any(self.journal_dir.iterdir()):
                return
        except OSError:
            return
        try:
            with self._probe.held(self.root, "recovering"):
                self._recover()
        except (RegistryBusy, NoSpace, sqlite3.Error):
            pass  # a live writer owns the journal, or we cannot write: read as is

    def _recover(self) -> int:
        return commit.recover(self)

    # ---- save --------------------------------------------------------------------------
    def save(
        self,
        draft: ManifestDraft | Mapping[str, object],
        files: Mapping[str, str | os.PathLike[str] | bytes],
        *,
        version: int | str | None = None,
        overwrite: bool = False,
    ) -> Manifest:
        """Store an adapter's files and manifest; return the stored `Manifest`.

        Every name is validated and every file checked (pickles refused, safetensors
        headers pre-checked, NaN/Inf refused naming the tensor) before the disk is touched.
        """
        from pydantic import ValidationError

        from vadapt_registry.manifest import ManifestDraft, draft_error

        if not isinstance(draft, ManifestDraft):
            try:
                draft = ManifestDraft.model_validate(dict(draft))
            except ValidationError as exc:
                raise draft_error(exc) from None
        if version is not None:
            version = validate_version(version)
        if not files:
            raise InvalidConfig(
                f"adapter {draft.name!r} has no files", fix="pass at least the adapter weights"
            )
        for fname in files:
            validate_file_name(fname)
        contents: dict[str, bytes] = {}
        for fname, src in sorted(files.items()):
            if isinstance(src, (bytes, bytearray, memoryview)):
                data = bytes(src)
            else:
                try:
                    data = Path(src).read_bytes()
                except FileNotFoundError:
                    raise NotFound(
                        f"adapter file {fname!r} not found at {src}", fix="pass existing files"
                    ) from None
            check_file(data, fname, what=f"adapter {draft.name!r} file {fname!r}")
            contents[fname] = data
        base = draft.model_dump()
        return self._commit(base, version, contents, overwrite=overwrite, created=_now())

    def _commit(
        self,
        base: dict[str, object],
        version: int | str | None,
        contents: dict[str, bytes],
        *,
        overwrite: bool,
        created: str,
        identical_ok: bool = False,
    ) -> Manifest:
        return commit.commit(
            self,
            base,
            version,
            contents,
            overwrite=overwrite,
            created=created,
            identical_ok=identical_ok,
        )

    # ---- read --------------------------------------------------------------------------
    def get(self, ref: str) -> Manifest:
        """The manifest of ``"name"`` (latest version) or ``"name@version"``."""
        name, version = parse_ref(ref)
        self._maybe_recover()
        conn = self._connect()
        try:
            r = index.row(conn, name, version)
            if r is None and isinstance(version, str):  # not a version tag: an alias?
                target = aliases.lookup(self, name, version)
                if target is not None:
                    r = index.row(conn, name, target)
                    if r is None:
                        raise NotFound(
                            f"alias {name}@{version} names {name}@{target}, which is not "
                            "stored any more",
                            fix=f"move it: vadapt registry alias {name}@<version> {version}",
                        )
            if r is None:
                raise self._not_found(conn, name, version)
        finally:
            conn.close()
        from vadapt_registry.manifest import Manifest

        return Manifest.from_json(r[0], source=f"manifest of {ref}")

    resolve = get

    def _not_found(
        self, conn: sqlite3.Connection, name: str, version: int | str | None
    ) -> NotFound:
        known = index.names(conn)
        if name in known and isinstance(version, str):
            return aliases.not_found(self, name, version, list(index.versions(conn, name)))
        if name in known:
            have = ", ".join(index.versions(conn, name))
            return NotFound(
                f"adapter {name!r} has no version {version!r} (versions: {have})",
                fix=f"use one of {name}@<version> from `vadapt registry list --name {name}`",
            )
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see `vadapt registry list`"
        return NotFound(f"no adapter named {name!r} in registry {self.root}", fix=hint)

    def _versions(self, name: str) -> builtins.list[str]:
        conn = self._connect()
        try:
            return builtins.list(index.versions(conn, name))
        finally:
            conn.close()

    def _select(self, columns: str, **filters: str | None) -> builtins.list[tuple]:
        self._maybe_recover()
        conn = self._connect()
        try:
            return index.select(conn, columns, **filters)
        finally:
            conn.close()

    def list(
        self,
        vertical: str | None = None,
        task: str | None = None,
        backbone: str | None = None,
        name: str | None = None,
    ) -> builtins.list[Manifest]:
        """Manifests from the index, ordered by name then version."""
        filters = {"vertical": vertical, "task": task, "backbone": backbone, "name": name}
        rows = self._select("manifest_json, manifest_path", **filters)
        from vadapt_registry.manifest import Manifest

        return [Manifest.from_json(j, source=p) for j, p in rows]

    def summaries(
        self,
        vertical: str | None = None,
        task: str | None = None,
        backbone: str | None = None,
        name: str | None = None,
    ) -> builtins.list[AdapterSummary]:
        """Like `list` but without parsing manifests: what a listing prints, fast."""
        rows = self._select(
            "name, version, vertical, task, method, backbone, created, size, parent",
            vertical=vertical,
            task=task,
            backbone=backbone,
            name=name,
        )
        return [AdapterSummary(*r) for r in rows]

    def _read_manifest_file(self, m: Manifest) -> tuple[Manifest, Path]:
        path = self.manifest_path(m.vertical, m.name, m.version)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CorruptAdapter(
                f"adapter {m.ref}: manifest {path} is missing", fix="run `vadapt registry reindex`"
            ) from None
        from vadapt_registry.manifest import Manifest

        return Manifest.from_json(text, source=f"adapter {m.ref} manifest"), path

    def _checked_manifest(self, ref: str) -> Manifest:
        """The manifest file of ``ref``, refused if it differs from the indexed copy.

        `get`/`list`/`show` serve the index; what `load` uses must be the same adapter, so
        a manifest file edited behind the index's back is drift (`CorruptAdapter`, fix:
        reindex) rather than a second truth. A difference can also be a save of this very
        version in flight (manifest renamed, index not yet committed): it is settled under
        the writers' lock before anything is refused.
        """
        indexed = self.get(ref)
        m, _ = self._read_manifest_file(indexed)
        if m == indexed:
            return m
        try:
            with self._locked(f"checking {indexed.ref}"):
                self._recover()
                indexed = self.get(indexed.ref)
                m, _ = self._read_manifest_file(indexed)
        except (NoSpace, sqlite3.Error):
            pass  # read-only: no writer can be in flight, the difference is real
        if m == indexed:
            return m
        from vadapt_registry.verify import REINDEX_FIX, drift_message, drifted_fields

        fields = drifted_fields(indexed.to_json(), m.to_json()) or ["content"]
        raise CorruptAdapter(f"adapter {m.ref}: {drift_message(fields)}", fix=REINDEX_FIX)

    def load(self, ref: str) -> LoadedAdapter:
        """Read and verify every file of an adapter (hashes, sizes, safetensors, finite).

        The manifest is read from its file and must match the index copy that `get` and
        `list` return (see `_checked_manifest`).
        """
        m = self._checked_manifest(ref)
        files: dict[str, bytes] = {}
        paths: dict[str, Path] = {}
        for fname, entry in sorted(m.files.items()):
            p = self.blob_path(entry.sha256)
            try:
                data = p.read_bytes()
            except FileNotFoundError:
                raise CorruptAdapter(
                    f"adapter {m.ref} file {fname!r}: blob {entry.sha256[:12]} is missing",
                    fix=f"re-import or remove it (`vadapt registry rm {m.ref}`)",
                ) from None
            if len(data) != entry.size or _sha256(data) != entry.sha256:
                raise CorruptAdapter(
                    f"adapter {m.ref} file {fname!r}: content does not match its sha256",
                    fix=f"the blob was modified on disk; re-import or remove {m.ref}",
                )
            check_file(data, fname, what=f"adapter {m.ref} file {fname!r}")
            files[fname], paths[fname] = data, p
        return LoadedAdapter(manifest=m, files=files, paths=paths)

    def materialize(self, ref: str, dest: str | os.PathLike[str]) -> Path:
        """Write a verified copy of the adapter's files (and its manifest) into ``dest``.

        ``dest`` must be missing, empty, or an earlier materialisation (it holds
        ``vadapt-manifest.json``), which is replaced whole: stale files of another
        adapter never survive next to the new ones.
        """
        loaded = self.load(ref)
        out = Path(dest).expanduser()
        if out.exists() and any(out.iterdir()) and not (out / "vadapt-manifest.json").is_file():
            raise InvalidConfig(
                f"cannot materialise {loaded.manifest.ref} into {out}: "
                "the directory holds other files",
                fix="pass an empty or new directory",
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            items = dict(loaded.files)
            items["vadapt-manifest.json"] = loaded.manifest.to_json().encode("utf-8")
            for fname, data in items.items():
                (staging / fname).write_bytes(data)
            if out.exists():
                trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
                os.replace(out, trash / "old")
                os.replace(staging, out)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.replace(staging, out)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if _fs.is_no_space(exc):
                raise _fs.no_space(exc, out, f"materialising {loaded.manifest.ref}") from None
            raise
        return out

    def lineage(self, name_or_ref: str) -> builtins.list[Manifest]:
        """The adapter then its parents, nearest first; stops at a parent no longer stored."""
        chain = [self.get(name_or_ref)]
        seen = {chain[0].ref}
        while chain[-1].parent and chain[-1].parent not in seen:
            try:
                parent = self.get(chain[-1].parent)
            except NotFound:
                break
            seen.add(parent.ref)
            chain.append(parent)
        return chain

    # ---- maintenance -------------------------------------------------------------------
    def remove(self, ref: str, *, all_versions: bool = False) -> builtins.list[Manifest]:
        """Remove ``name@version`` (or every version of ``name`` with all_versions=True).

        Blobs stay until `gc`, which frees those no manifest references.
        """
        name, version = parse_ref(ref)
        if version is None and not all_versions:
            raise InvalidConfig(
                f"say which version of {name!r} to remove",
                fix=f"pass {name}@<version>, or remove every version explicitly (--all)",
            )
        with self._locked("removing"):
            self._ensure_layout("removing")
            self._recover()
            targets = [self.get(ref)] if version is not None else self.list(name=name)
            if not targets:
                raise self._not_found(self._connect(), name, version)
            rels = [
                self.manifest_path(m.vertical, m.name, m.version).relative_to(self.root).as_posix()
                for m in targets
            ]
            pending = commit.Pending()
            conn = self._write_conn("removing")
            try:
                commit.write_journal(self, pending, rels)
                for rel in rels:
                    _fs.unlink_quiet(self.root / rel)
                for m in targets:
                    drop_attachments(self, m)
                with index.transaction(conn):
                    for m in targets:
                        index.delete(conn, m.name, m.version)
            except OSError as exc:
                if _fs.is_no_space(exc):
                    raise _fs.no_space(exc, self.root, f"removing {ref}") from None
                raise
            finally:
                conn.close()
            if pending.journal:
                _fs.unlink_quiet(pending.journal)
        return targets

    def reindex(self) -> int:
        """Rebuild the index from the manifests on disk; return how many were indexed."""
        with self._locked("reindexing"):
            self._ensure_layout("reindexing")
            try:
                conn = index.connect(self.index_path, timeout=self.lock_timeout)
            except sqlite3.DatabaseError:
                for suffix in ("", "-wal", "-shm"):
                    _fs.unlink_quiet(Path(str(self.index_path) + suffix))
                conn = self._write_conn("reindexing")
            try:
                with index.transaction(conn):
                    index.clear(conn)
                    n = self._fill_index(conn)
            except sqlite3.Error as exc:
                raise self._db_error(exc, "reindexing") from None
            finally:
                conn.close()
            for entry in self.journal_dir.iterdir():
                _fs.unlink_quiet(entry)
        return n

    def _manifest_files(self) -> builtins.list[Path]:
        return sorted((self.root / "manifests").glob("*/*/*.json"))

    def _fill_index(self, conn: sqlite3.Connection) -> int:
        from vadapt_registry.manifest import Manifest

        n = 0
        for path in self._manifest_files():
            try:
                text = path.read_text(encoding="utf-8")
                m = Manifest.from_json(text, source=str(path))
            except (OSError, CorruptAdapter):
                continue  # `verify` reports it
            index.upsert(conn, m, path.relative_to(self.root).as_posix(), text)
            n += 1
        return n

    def verify(self, ref: str | None = None) -> builtins.list[VerifyProblem]:
        """Check manifests, blobs (sha256, size, content) and the index; return every problem."""
        from vadapt_registry.verify import verify_registry

        return verify_registry(self, ref)

    def gc(self) -> GcReport:
        """Remove blobs no manifest references and every temp file a crash left behind."""
        from vadapt_registry.verify import collect_garbage

        return collect_garbage(self)

    def export(self, ref: str, path: str | os.PathLike[str]) -> Path:
        """Write one verified adapter (manifest + blobs) to a single tar archive at ``path``."""
        from vadapt_registry.archive import export_adapter

        return export_adapter(self, ref, Path(path))

    def import_(self, path: str | os.PathLike[str]) -> Manifest:
        """Import an archive made by `export`, verifying every file; idempotent when identical."""
        from vadapt_registry.archive import import_adapter

        return import_adapter(self, Path(path))


__all__ = [
    "AdapterSummary",
    "GcReport",
    "LoadedAdapter",
    "Registry",
    "VerifyProblem",
    "default_root",
    "format_ref",
    "validate_name",
]
