"""Aliases: ``name@champion`` names a version of ``name``, and every move is on record.

The record is the truth: ``aliases/<name>.jsonl`` is an append-only history, one JSON line
per move — ``{"at", "alias", "from", "to", "protected", "reason", "by"}`` — written under
the writers' lock with one ``O_APPEND`` write and an fsync. An alias's current version is
its last line, so the history is complete by construction and the state always equals
the last recorded move (there is no second file to disagree); a line torn by a crash is
not JSON and is skipped. A protected alias moves only with ``force`` and a reason. An
alias may not take the name of a version tag of the same adapter (``name@prod`` must mean
one thing); refs resolve a version (number or tag) first, then an alias.
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vadapt_registry import _fs
from vadapt_registry.errors import InvalidConfig, InvalidName, NotFound
from vadapt_registry.names import _INT_VERSION_RE, _NAME_RE, MAX_NAME, parse_ref

if TYPE_CHECKING:
    from vadapt_registry.registry import Registry


def validate_alias(alias: object) -> str:
    if (
        not isinstance(alias, str)
        or len(alias) > MAX_NAME
        or not _NAME_RE.fullmatch(alias)
        or _INT_VERSION_RE.fullmatch(alias)
    ):
        raise InvalidName(
            f"alias {alias!r} is not a usable alias",
            fix="letters, digits, '.', '_' or '-', not a number (e.g. champion, staging)",
        )
    return alias


def path(reg: Registry, name: str) -> Path:
    return reg.root / "aliases" / f"{name}.jsonl"


def history(reg: Registry, name: str) -> list[dict[str, Any]]:
    """Every recorded move of ``name``'s aliases, oldest first (torn lines skipped)."""
    try:
        lines = path(reg, name).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a write torn by a crash: it never happened
        if isinstance(entry, dict) and {"alias", "to"} <= set(entry):
            out.append(entry)
    return out


def current(reg: Registry, name: str) -> dict[str, dict[str, Any]]:
    """alias -> its last move (``to`` is the version it names now)."""
    state: dict[str, dict[str, Any]] = {}
    for entry in history(reg, name):
        state[entry["alias"]] = entry
    return state


def lookup(reg: Registry, name: str, alias: str) -> int | str | None:
    """The version ``name@alias`` names, or None."""
    entry = current(reg, name).get(alias)
    return None if entry is None else entry["to"]


def move(
    reg: Registry,
    ref: str,
    alias: str,
    *,
    force: bool = False,
    reason: str | None = None,
    protect: bool | None = None,
    gates: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Point ``alias`` at ``ref``'s version and record the move; the recorded entry."""
    validate_alias(alias)
    name, _ = parse_ref(ref)
    with reg._locked(f"moving alias {alias} of {name}"):
        reg._ensure_layout("moving an alias")
        m = reg.get(ref)
        versions = [str(v) for v in reg._versions(name)]
        if alias in versions:
            raise InvalidConfig(
                f"{name!r} already has a version tagged {alias!r}",
                fix="choose an alias that is not one of its versions: " + ", ".join(versions),
            )
        before = current(reg, name).get(alias)
        protected = bool(before and before.get("protected"))
        if protected and not (force and reason and reason.strip()):
            raise InvalidConfig(
                f"alias {name}@{alias} is protected (now {name}@{before['to']}): moving it "
                "needs --force and a --reason",
                fix=f'vadapt registry alias {m.ref} {alias} --force --reason "why"',
            )
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="microseconds"),
            "alias": alias,
            "from": before["to"] if before else None,
            "to": m.version,
            "protected": protected if protect is None else bool(protect),
            "reason": (reason or "").strip(),
            "by": _user(),
            "gates": gates or [],
        }
        _append(path(reg, name), json.dumps(entry, sort_keys=True) + "\n")
    return entry


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user database (some containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _append(target: Path, line: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        data = line.encode("utf-8")
        if os.write(fd, data) != len(data):  # a short write is a torn line: skipped on read
            raise OSError("short write to the alias history")
        os.fsync(fd)
    finally:
        os.close(fd)
    _fs.fsync_dir(target.parent)


def not_found(reg: Registry, name: str, version: object, versions: list[str]) -> NotFound:
    """The error for ``name@x`` naming neither a version nor an alias."""
    aliases = sorted(current(reg, name))
    known = f"versions: {', '.join(versions)}" + (
        f"; aliases: {', '.join(aliases)}" if aliases else "; no aliases"
    )
    return NotFound(
        f"adapter {name!r} has no version or alias {version!r} ({known})",
        fix=f"use one of them, e.g. {name}@{(aliases or versions or ['1'])[0]}",
    )
