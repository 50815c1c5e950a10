"""Export one adapter to a single tar archive; import it elsewhere, verified.

Archive members: ``vadapt-archive.json`` (format marker), ``manifest.json``,
``attachments/<kind>.json`` for each attachment that verifies (a report card; see
``vadapt_registry.attachments``) and ``blobs/<sha256>`` for each distinct file of the
adapter and its attachments. Import never extracts by member name: it reads only the
members it expects, as bytes, checks each against the manifest's (or the attachment
record's) sha256 and size and runs the same content checks as a save; an attachment
measured against another manifest than the archive's is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vadapt_registry import _fs
from vadapt_registry.errors import CorruptAdapter, NotFound
from vadapt_registry.manifest import Manifest
from vadapt_registry.safefiles import check_file

if TYPE_CHECKING:
    from vadapt_registry.registry import Registry

FORMAT = "vadapt-adapter-archive"
ARCHIVE_VERSION = 2  # 2: attachments travel with the adapter
MAX_MEMBERS = 10_000
MAX_JSON = 16 * 1024 * 1024
_ATTACHMENT_MEMBER = re.compile(r"attachments/[a-z][a-z0-9-]{0,31}\.json")


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def export_adapter(reg: Registry, ref: str, path: Path) -> Path:
    loaded = reg.load(ref)
    m = loaded.manifest
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.part"
    try:
        with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
            marker = {"format": FORMAT, "archive_version": ARCHIVE_VERSION, "ref": m.ref}
            _add(tar, "vadapt-archive.json", json.dumps(marker, sort_keys=True).encode())
            _add(tar, "manifest.json", m.to_json().encode("utf-8"))
            done: set[str] = set()
            for fname, entry in sorted(m.files.items()):
                if entry.sha256 not in done:
                    _add(tar, f"blobs/{entry.sha256}", loaded.files[fname])
                    done.add(entry.sha256)
            for got in _attachments(reg, m):
                record = json.dumps(got.record.as_dict(), sort_keys=True).encode("utf-8")
                _add(tar, f"attachments/{got.record.kind}.json", record)
                for fname, entry in sorted(got.record.files.items()):
                    if entry["sha256"] not in done:
                        _add(tar, f"blobs/{entry['sha256']}", got.files[fname])
                        done.add(entry["sha256"])
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _fs.unlink_quiet(tmp)
        if _fs.is_no_space(exc):
            raise _fs.no_space(exc, path.parent, f"exporting {m.ref}") from None
        raise
    return path


def _attachments(reg: Registry, m: Manifest) -> list[Any]:
    """The adapter's attachments that verify (a stale or damaged one stays behind)."""
    from vadapt_registry.attachments import load, records

    out = []
    for rec in records(reg, m.ref):
        try:
            out.append(load(reg, m.ref, rec.kind))
        except CorruptAdapter:
            continue
    return out


def _bad(path: Path, why: str) -> CorruptAdapter:
    return CorruptAdapter(
        f"archive {path} is not a valid vadapt adapter archive: {why}",
        fix="export it again with `vadapt registry export`",
    )


def import_adapter(reg: Registry, path: Path) -> Manifest:
    if not path.is_file():
        raise NotFound(
            f"archive {path} does not exist",
            fix="pass the file written by `vadapt registry export`",
        )
    try:
        with tarfile.open(path, "r:*") as tar:
            infos = _members(tar, path)

            def read(name: str, size: int) -> bytes:
                info = infos[name]
                if info.size != size:  # never read more than the manifest promises
                    raise _bad(path, f"member {name!r} has {info.size} bytes, expected {size}")
                fh = tar.extractfile(info)
                assert fh is not None
                return fh.read()

            m = _manifest(infos, read, path)
            contents = {
                fname: _blob(m, fname, entry, infos, read, path)
                for fname, entry in sorted(m.files.items())
            }
            manifest_sha = hashlib.sha256(read("manifest.json", infos["manifest.json"].size))
            attached = [
                _attachment(name, infos, read, path, manifest_sha.hexdigest())
                for name in sorted(infos)
                if name.startswith("attachments/")
            ]
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise _bad(path, str(exc)) from None
    base = m.model_dump(exclude={"version", "created", "files", "schema_version", "writer"})
    stored = reg._commit(
        base, m.version, contents, overwrite=False, created=m.created, identical_ok=True
    )
    for record, files in attached:
        reg.attach(stored.ref, record.kind, files, record.meta)
    return stored


def _attachment(
    name: str, infos: dict[str, tarfile.TarInfo], read: Any, path: Path, manifest_sha: str
) -> tuple[Any, dict[str, bytes]]:
    """One attachment member: its record (bound to the archive's manifest) and its files,
    each of the promised size and sha256."""
    from vadapt_registry.attachments import parse_record

    if infos[name].size > MAX_JSON:
        raise _bad(path, f"{name} is larger than {MAX_JSON} bytes")
    record = parse_record(read(name, infos[name].size), f"archive {path} {name}")
    if f"attachments/{record.kind}.json" != name or record.manifest_sha256 != manifest_sha:
        raise _bad(path, f"{name} does not belong to the archive's manifest")
    files = {}
    for fname, entry in sorted(record.files.items()):
        member = f"blobs/{entry['sha256']}"
        if member not in infos:
            raise _bad(path, f"{name} file {fname!r} (blob {entry['sha256'][:12]}) is missing")
        data = read(member, entry["size"])
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise CorruptAdapter(
                f"archive {path}: {name} file {fname!r} does not match its sha256",
                fix="the archive was damaged in transit; export it again",
            )
        files[fname] = data
    return record, files


def _members(tar: tarfile.TarFile, path: Path) -> dict[str, tarfile.TarInfo]:
    """The archive's members by name: only the marker, the manifest, attachment records and
    sha256-named blobs, each a regular file, none twice, at most MAX_MEMBERS."""
    infos: dict[str, tarfile.TarInfo] = {}
    for i, info in enumerate(tar):
        if i >= MAX_MEMBERS:
            raise _bad(path, f"more than {MAX_MEMBERS} members")
        name = info.name
        expected = (
            name in ("vadapt-archive.json", "manifest.json")
            or (
                name.startswith("blobs/")
                and len(name) == 6 + 64
                and all(c in "0123456789abcdef" for c in name[6:])
            )
            or _ATTACHMENT_MEMBER.fullmatch(name) is not None
        )
        if not expected or not info.isreg():
            raise _bad(path, f"unexpected member {name!r}")
        if name in infos:
            raise _bad(path, f"duplicate member {name!r}")
        infos[name] = info
    return infos


def _manifest(infos: dict[str, tarfile.TarInfo], read: Any, path: Path) -> Manifest:
    """The archive's manifest, after its format marker is checked (both size-capped)."""
    for small in ("vadapt-archive.json", "manifest.json"):
        if small not in infos:
            raise _bad(path, f"no {small}")
        if infos[small].size > MAX_JSON:
            raise _bad(path, f"{small} is larger than {MAX_JSON} bytes")
    try:
        marker = json.loads(read("vadapt-archive.json", infos["vadapt-archive.json"].size))
        ok = marker.get("format") == FORMAT and int(marker.get("archive_version", 0)) in (
            1,
            2,
        )
    except (ValueError, AttributeError, TypeError):
        ok = False
    if not ok:
        raise _bad(path, "unknown vadapt-archive.json marker")
    return Manifest.from_json(
        read("manifest.json", infos["manifest.json"].size), source=f"archive {path} manifest"
    )


def _blob(
    m: Manifest, fname: str, entry: Any, infos: dict[str, tarfile.TarInfo], read: Any, path: Path
) -> bytes:
    """One adapter file's bytes: present, of the promised size and sha256, structurally safe."""
    member = f"blobs/{entry.sha256}"
    if member not in infos:
        raise _bad(path, f"file {fname!r} (blob {entry.sha256[:12]}) is missing")
    data = read(member, entry.size)
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        raise CorruptAdapter(
            f"archive {path}: adapter {m.ref} file {fname!r} does not match its sha256",
            fix="the archive was damaged in transit; export it again",
        )
    check_file(data, fname, what=f"archive {path} adapter {m.ref} file {fname!r}")
    return data
