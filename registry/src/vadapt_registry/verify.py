"""`verify` and `gc`: check everything stored, and collect what nothing references.

`verify` checks each manifest file, each blob it names, and that the index (the cache
that `list`/`show` read, see `vadapt_registry.index`) holds exactly the manifest files:
a row whose manifest file is gone, a manifest file the index does not list, and a
manifest file whose content differs from its indexed copy (a hand edit) are each one
finding naming the ref and the fix, `vadapt registry reindex`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from typing import TYPE_CHECKING

from vadapt_registry import _fs, attachments
from vadapt_registry.errors import CorruptAdapter, NoSpace, RegistryBusy
from vadapt_registry.manifest import Manifest
from vadapt_registry.names import parse_ref
from vadapt_registry.safefiles import check_file

if TYPE_CHECKING:
    from vadapt_registry.registry import GcReport, Registry, VerifyProblem


def verify_registry(reg: Registry, ref: str | None) -> list[VerifyProblem]:
    from vadapt_registry.registry import VerifyProblem

    try:
        with reg._locked("verifying"):
            reg._recover()
            return _verify(reg, ref, VerifyProblem)
    except (NoSpace, RegistryBusy, sqlite3.Error):
        return _verify(reg, ref, VerifyProblem)  # read-only or busy: verify what is there


def _verify(reg: Registry, ref: str | None, VerifyProblem: type) -> list:
    problems: list = []
    if ref is not None:
        m = reg.get(ref)
        paths = [reg.manifest_path(m.vertical, m.name, m.version)]
    else:
        paths = reg._manifest_files()
    checked: dict[str, str | None] = {}  # sha256 -> problem (None = fine)
    on_disk: dict[tuple[str, str], str] = {}
    unreadable: set[tuple[str, str]] = set()  # reported already; not "gone" from the index
    for path in paths:
        rel = path.relative_to(reg.root).as_posix()
        label = f"{path.parent.name}@{path.stem}"
        try:
            text = path.read_text(encoding="utf-8")
            m = Manifest.from_json(text, source=rel)
        except FileNotFoundError:
            problems.append(
                VerifyProblem(label, None, f"manifest {rel} is missing — fix: {_REINDEX}")
            )
            continue
        except (OSError, CorruptAdapter) as exc:
            problems.append(VerifyProblem(label, None, str(exc)))
            unreadable.add((path.parent.name, path.stem))
            continue
        if (m.vertical, m.name, str(m.version)) != (
            path.parent.parent.name,
            path.parent.name,
            path.stem,
        ):
            problems.append(
                VerifyProblem(m.ref, None, f"manifest content does not match its path {rel}")
            )
        on_disk[(m.name, str(m.version))] = text
        for fname, entry in sorted(m.files.items()):
            if entry.sha256 not in checked:
                checked[entry.sha256] = _check_blob(reg, entry.sha256, entry.size, fname)
            if checked[entry.sha256]:
                problems.append(VerifyProblem(m.ref, fname, checked[entry.sha256]))
        for kind, problem in attachments.verify(reg, m):
            problems.append(VerifyProblem(m.ref, None, f"attachment {kind!r}: {problem}"))
    problems.extend(_check_index(reg, ref, on_disk, unreadable, VerifyProblem))
    return problems


def _check_blob(reg: Registry, sha256: str, size: int, fname: str) -> str | None:
    p = reg.blob_path(sha256)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        return f"blob {sha256[:12]} is missing"
    except OSError as exc:
        return f"blob {sha256[:12]} cannot be read ({exc.strerror})"
    if len(data) != size:
        return f"blob {sha256[:12]} has {len(data)} bytes, manifest says {size}"
    if hashlib.sha256(data).hexdigest() != sha256:
        return f"blob {sha256[:12]} content does not match its sha256 (modified on disk)"
    try:
        check_file(data, fname)
    except CorruptAdapter as exc:
        return exc.message
    return None


#: The fix for every index finding: the manifest files are the truth, the index follows.
REINDEX_FIX = "run `vadapt registry reindex`"
_REINDEX = REINDEX_FIX


def drifted_fields(indexed: str, on_disk: str) -> list[str] | None:
    """Top-level manifest fields whose values differ between two manifest texts.

    ``None`` when they hold the same content (formatting aside); ``["<unparsable>"]``
    when one is not a JSON object.
    """
    if indexed == on_disk:
        return None
    try:
        a, b = json.loads(indexed), json.loads(on_disk)
    except ValueError:
        return ["<unparsable>"]
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return ["<unparsable>"]
    fields = sorted(k for k in set(a) | set(b) if a.get(k, _ABSENT) != b.get(k, _ABSENT))
    return fields or None


_ABSENT = object()


def drift_message(fields: list[str]) -> str:
    """The finding for a manifest file whose content differs from its indexed copy."""
    return (
        f"manifest file was edited after it was indexed ({', '.join(fields)} differ): "
        "list/show serve the old index copy and load refuses it"
    )


def _check_index(
    reg: Registry, ref: str | None, on_disk: dict, unreadable: set, VerifyProblem: type
) -> list:
    if not reg.index_path.exists():
        return []
    try:
        conn = reg._connect()
        try:
            if ref is not None:
                name, _ = parse_ref(ref)
                rows = conn.execute(
                    "SELECT name, version, manifest_json, manifest_path FROM adapters WHERE name=?",
                    (name,),
                ).fetchall()
                rows = [r for r in rows if (r[0], r[1]) in on_disk]
            else:
                rows = conn.execute(
                    "SELECT name, version, manifest_json, manifest_path FROM adapters"
                ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [
            VerifyProblem("index", None, f"index.sqlite is unreadable ({exc}) — fix: {_REINDEX}")
        ]
    out = []
    indexed = {(n, v): (j, p) for n, v, j, p in rows}
    for key in sorted(set(indexed) | set(on_disk)):
        r = f"{key[0]}@{key[1]}"
        if key in unreadable and key not in on_disk:
            continue  # its manifest file is damaged: reported above
        if key not in on_disk:
            out.append(
                VerifyProblem(
                    r,
                    None,
                    f"listed in the index but its manifest file {indexed[key][1]} is gone "
                    f"— fix: {_REINDEX}",
                )
            )
        elif key not in indexed:
            out.append(
                VerifyProblem(
                    r,
                    None,
                    f"manifest file is not in the index (list/show miss it) — fix: {_REINDEX}",
                )
            )
        elif (fields := drifted_fields(indexed[key][0], on_disk[key])) is not None:
            out.append(VerifyProblem(r, None, f"{drift_message(fields)} — fix: {_REINDEX}"))
    return out


def collect_garbage(reg: Registry) -> GcReport:
    from vadapt_registry.registry import GcReport

    with reg._locked("collecting garbage"):
        reg._ensure_layout("collecting garbage")
        recovered = reg._recover()
        referenced: set[str] = set()
        for path in reg._manifest_files():
            try:
                raw = json.loads(path.read_bytes())
                referenced.update(e["sha256"] for e in raw["files"].values())
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                raise CorruptAdapter(
                    f"cannot collect garbage: manifest {path} is unreadable, "
                    "so its blobs are unknown",
                    fix="restore that manifest, or delete it and run `vadapt registry reindex`",
                ) from None
        for folder in attachments.orphan_folders(reg):
            shutil.rmtree(folder, ignore_errors=True)  # their adapter was removed
        referenced |= attachments.referenced_blobs(reg)
        removed = freed = kept = 0
        for p in sorted((reg.root / "blobs" / "sha256").glob("*/*")):
            if p.name in referenced:
                kept += 1
                continue
            try:
                size = p.stat().st_size
                os.unlink(p)
            except OSError:
                continue
            removed += 1
            freed += size
        temps = 0
        for p in reg.tmp_dir.iterdir():
            if p.name == "journal":
                continue
            temps += 1
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                _fs.unlink_quiet(p)
    return GcReport(
        removed_blobs=removed,
        freed_bytes=freed,
        removed_temp=temps,
        kept_blobs=kept,
        recovered=recovered,
    )
