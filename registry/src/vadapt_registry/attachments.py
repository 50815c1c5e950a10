"""Attachments: files measured about an adapter after it was saved (a report card).

A manifest is immutable once written, yet some things about an adapter are measured
later and cost minutes to recompute: its report card, its explanations, its robustness
table. An attachment holds them beside the entry without touching the manifest::

    attachments/<vertical>/<name>/<version>/<kind>.json   the record (the commit point)
    blobs/sha256/...                                        its files, content-addressed

The record names the adapter (``of``), the sha256 of the exact manifest bytes it was
measured against, and every file's sha256 and size. A write puts the blobs first, then
renames the record into place (temp, fsync, rename), under the writers' lock; a crash
before the rename leaves orphan blobs for `gc`, after it the new record. Writing a kind
again replaces its record whole (the old blobs become garbage). Reading checks the
binding: a record whose manifest changed since (an overwrite) is stale and refused, as
is a blob whose bytes do not match. `remove` drops the records of removed versions;
`verify` and `gc` cover records and their blobs.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vadapt_registry import _fs
from vadapt_registry.errors import CorruptAdapter, InvalidName, NotFound
from vadapt_registry.names import validate_file_name
from vadapt_registry.safefiles import check_file

if TYPE_CHECKING:
    from collections.abc import Mapping

    from vadapt_registry.manifest import Manifest
    from vadapt_registry.registry import Registry

RECORD_VERSION = 1
_KIND_RE = re.compile(r"[a-z][a-z0-9-]{0,31}")


@dataclass(frozen=True)
class Attachment:
    """One attachment record: what it is, which manifest it belongs to, its files."""

    kind: str
    of: str
    manifest_sha256: str
    created: str
    files: dict[str, dict[str, Any]]
    meta: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "record_version": RECORD_VERSION,
            "kind": self.kind,
            "of": self.of,
            "manifest_sha256": self.manifest_sha256,
            "created": self.created,
            "files": self.files,
            "meta": self.meta,
        }


@dataclass(frozen=True)
class LoadedAttachment:
    """A verified attachment: its record and the bytes of each file."""

    record: Attachment
    files: dict[str, bytes]


def validate_kind(kind: object) -> str:
    if not isinstance(kind, str) or not _KIND_RE.fullmatch(kind):
        raise InvalidName(
            f"attachment kind {kind!r} is not a short lower-case name",
            fix="use letters, digits and '-', starting with a letter (e.g. 'report')",
        )
    return kind


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def folder(reg: Registry, m: Manifest) -> Path:
    return reg.root / "attachments" / m.vertical / m.name / str(m.version)


def _manifest_sha(reg: Registry, m: Manifest) -> str:
    path = reg.manifest_path(m.vertical, m.name, m.version)
    try:
        return _sha256(path.read_bytes())
    except FileNotFoundError:
        raise CorruptAdapter(
            f"adapter {m.ref}: manifest {path} is missing", fix="run `vadapt registry reindex`"
        ) from None


def attach(
    reg: Registry,
    ref: str,
    kind: str,
    files: Mapping[str, bytes],
    meta: Mapping[str, Any] | None = None,
) -> Attachment:
    """Store ``files`` as attachment ``kind`` of adapter ``ref``, replacing an older one."""
    validate_kind(kind)
    if not files:
        raise CorruptAdapter(f"attachment {kind!r} of {ref} has no files", fix="pass its files")
    for fname, data in files.items():
        validate_file_name(fname)
        check_file(data, fname, what=f"attachment {kind!r} file {fname!r}")
    try:
        meta_json = json.loads(json.dumps(dict(meta or {}), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise CorruptAdapter(
            f"attachment {kind!r} of {ref}: meta is not plain JSON ({exc})",
            fix="pass numbers, strings, lists and objects only",
        ) from None
    with reg._locked(f"attaching {kind} to {ref}"):
        reg._ensure_layout("attaching")
        m = reg._checked_manifest(ref)
        record = Attachment(
            kind=kind,
            of=m.ref,
            manifest_sha256=_manifest_sha(reg, m),
            created=datetime.now(UTC).isoformat(timespec="microseconds"),
            files={f: {"sha256": _sha256(d), "size": len(d)} for f, d in sorted(files.items())},
            meta=meta_json,
        )
        try:
            _write(reg, m, record, files)
        except OSError as exc:
            if _fs.is_no_space(exc):
                raise _fs.no_space(exc, reg.root, f"attaching {kind} to {m.ref}") from None
            raise
    return record


def _write(reg: Registry, m: Manifest, record: Attachment, files: Mapping[str, bytes]) -> None:
    for fname, data in files.items():
        bpath = reg.blob_path(record.files[fname]["sha256"])
        if bpath.exists() and _sha256(bpath.read_bytes()) == record.files[fname]["sha256"]:
            continue
        bpath.parent.mkdir(parents=True, exist_ok=True)
        _fs.install(_fs.write_temp(reg.tmp_dir, data, "attachment_blob"), bpath)
    target = folder(reg, m) / f"{record.kind}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record.as_dict(), indent=2, sort_keys=True) + "\n"
    _fs.install(_fs.write_temp(reg.tmp_dir, text.encode("utf-8"), "attachment"), target)


def read_record(path: Path) -> Attachment:
    """Parse one record file; CorruptAdapter naming it when it is not one."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorruptAdapter(
            f"attachment record {path} is unreadable ({exc.strerror})",
            fix="write it again (e.g. `vadapt report REF`), or delete the file",
        ) from None
    return parse_record(data, f"attachment record {path}")


def parse_record(data: bytes, source: str) -> Attachment:
    """A record from its JSON bytes; CorruptAdapter naming ``source`` when it is not one."""
    try:
        raw = json.loads(data)
        files = raw["files"]
        if not isinstance(files, dict) or not all(
            isinstance(e, dict)
            and isinstance(e.get("sha256"), str)
            and len(e["sha256"]) == 64
            and all(c in "0123456789abcdef" for c in e["sha256"])
            and isinstance(e.get("size"), int)
            for e in files.values()
        ):
            raise TypeError("files")
        for fname in files:
            validate_file_name(fname)
        return Attachment(
            kind=validate_kind(raw["kind"]),
            of=str(raw["of"]),
            manifest_sha256=str(raw["manifest_sha256"]),
            created=str(raw["created"]),
            files=files,
            meta=dict(raw.get("meta") or {}),
        )
    except (ValueError, KeyError, TypeError, InvalidName) as exc:
        raise CorruptAdapter(
            f"{source} is unreadable ({type(exc).__name__}: {exc})",
            fix="write it again (e.g. `vadapt report REF`), or delete the file",
        ) from None


def records(reg: Registry, ref: str) -> list[Attachment]:
    """The attachment records of ``ref``, by kind (unverified: see `load`)."""
    m = reg.get(ref)
    return [read_record(p) for p in sorted(folder(reg, m).glob("*.json"))]


def load(reg: Registry, ref: str, kind: str) -> LoadedAttachment:
    """Attachment ``kind`` of ``ref`` with every file verified against its record."""
    validate_kind(kind)
    m = reg._checked_manifest(ref)
    path = folder(reg, m) / f"{kind}.json"
    if not path.is_file():
        raise NotFound(
            f"adapter {m.ref} has no {kind!r} attachment",
            fix=f"make one (e.g. `vadapt {kind} {m.ref}`)",
        )
    record = read_record(path)
    problem = _problem(reg, m, record)
    if problem:
        raise CorruptAdapter(
            f"adapter {m.ref} attachment {kind!r}: {problem}", fix=_rewrite_fix(kind, m)
        )
    out = {f: reg.blob_path(e["sha256"]).read_bytes() for f, e in sorted(record.files.items())}
    return LoadedAttachment(record=record, files=out)


def _rewrite_fix(kind: str, m: Manifest) -> str:
    return f"write it again (`vadapt {kind} {m.ref}`)"


def _problem(reg: Registry, m: Manifest, record: Attachment) -> str | None:
    """Why ``record`` cannot be trusted for ``m`` (None: it can)."""
    if record.of != m.ref:
        return f"its record names {record.of}"
    if record.manifest_sha256 != _manifest_sha(reg, m):
        return "it was measured against an earlier manifest of this version (stale)"
    for fname, entry in sorted(record.files.items()):
        p = reg.blob_path(entry["sha256"])
        try:
            data = p.read_bytes()
        except OSError:
            return f"file {fname!r}: blob {entry['sha256'][:12]} is missing"
        if len(data) != entry["size"] or _sha256(data) != entry["sha256"]:
            return f"file {fname!r}: content does not match its sha256 (modified on disk)"
    return None


def verify(reg: Registry, m: Manifest) -> list[tuple[str, str]]:
    """(kind, problem) for each untrustworthy attachment of ``m``."""
    out = []
    for path in sorted(folder(reg, m).glob("*.json")):
        try:
            problem = _problem(reg, m, read_record(path))
        except CorruptAdapter as exc:
            problem = exc.message
        if problem:
            out.append((path.stem, problem))
    return out


def referenced_blobs(reg: Registry) -> set[str]:
    """Blobs some attachment record names (gc keeps them)."""
    out: set[str] = set()
    for path in (reg.root / "attachments").glob("*/*/*/*.json"):
        out.update(e["sha256"] for e in read_record(path).files.values())
    return out


def drop(reg: Registry, m: Manifest) -> None:
    """Remove every attachment record of ``m`` (its blobs wait for gc)."""
    shutil.rmtree(folder(reg, m), ignore_errors=True)


def orphan_folders(reg: Registry) -> list[Path]:
    """Attachment folders whose adapter's manifest is gone (a crash inside remove)."""
    out = []
    for d in sorted((reg.root / "attachments").glob("*/*/*")):
        vertical, name, version = d.parent.parent.name, d.parent.name, d.name
        if not reg.manifest_path(vertical, name, version).is_file():
            out.append(d)
    return out
