"""Tags: ``key=value`` labels on an adapter version, and the filters that read them.

Like aliases, tags change after a save, so they live beside the immutable manifests:
``tags/<name>.jsonl`` holds one JSON line per change — ``{"at", "version", "set": {k: v},
"unset": [k, ...]}`` — appended under the writers' lock (one write, fsync); a version's
tags are the fold of its lines, and a torn last line is skipped.

:func:`parse_where` reads ``--where`` conditions on stored metrics (``test.accuracy>0.8``,
``validation.macro_f1 >= 0.75``); :func:`matches` applies them to a manifest's metrics.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vadapt_registry.aliases import _append
from vadapt_registry.errors import InvalidConfig, InvalidName
from vadapt_registry.names import parse_ref

if TYPE_CHECKING:
    from vadapt_registry.registry import Registry

_KEY = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
MAX_VALUE = 200
OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
    ">": operator.gt, "<": operator.lt,
}  # fmt: skip
_WHERE = re.compile(
    r"\s*(validation|test)\.([A-Za-z0-9_.@:-]+)\s*(>=|<=|==|!=|>|<)\s*([-+]?[0-9.]+(?:e[-+]?\d+)?)\s*"
)
WHERE_GRAMMAR = (
    "<validation|test>.<metric> <op> <number>, ops > >= < <= == != (e.g. test.accuracy>0.8)"
)


def parse_pair(text: str) -> tuple[str, str]:
    """``"owner=fraud-team"`` -> ``("owner", "fraud-team")``; one line when it is not."""
    key, sep, value = text.partition("=")
    if not sep or not _KEY.fullmatch(key) or len(value) > MAX_VALUE or "\n" in value:
        raise InvalidName(
            f"tag {text!r}: expected key=value (key: lower-case letters, digits, '_.-'; "
            f"value: at most {MAX_VALUE} characters on one line)",
            fix="e.g. owner=fraud-team or stage=pilot",
        )
    return key, value


def path(reg: Registry, name: str) -> Path:
    return reg.root / "tags" / f"{name}.jsonl"


def of_name(reg: Registry, name: str) -> dict[str, dict[str, str]]:
    """version (as text) -> its tags now."""
    try:
        lines = path(reg, name).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    state: dict[str, dict[str, str]] = {}
    for line in lines:
        try:
            e = json.loads(line)
            tags = state.setdefault(str(e["version"]), {})
            tags.update({str(k): str(v) for k, v in dict(e.get("set") or {}).items()})
            for k in e.get("unset") or []:
                tags.pop(str(k), None)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a torn or foreign line
    return state


def change(
    reg: Registry, ref: str, set_: Mapping[str, str], unset: Sequence[str] = ()
) -> dict[str, str]:
    """Set and remove tags of ``ref``'s version; its tags after the change."""
    for k, v in set_.items():
        parse_pair(f"{k}={v}")
    for k in unset:
        if not _KEY.fullmatch(k):
            raise InvalidName(f"tag key {k!r} is not a tag key", fix="e.g. --remove owner")
    name, _ = parse_ref(ref)
    with reg._locked(f"tagging {ref}"):
        reg._ensure_layout("tagging")
        m = reg.get(ref)
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="microseconds"),
            "version": m.version,
            "set": dict(set_),
            "unset": list(unset),
        }
        _append(path(reg, name), json.dumps(entry, sort_keys=True) + "\n")
        return of_name(reg, name).get(str(m.version), {})


def parse_where(conditions: Sequence[str]) -> list[tuple[str, str, str, float]]:
    """``["test.accuracy>0.8"]`` -> ``[("test", "accuracy", ">", 0.8)]``; the grammar on error."""
    out = []
    for c in conditions:
        m = _WHERE.fullmatch(c)
        if m is None:
            raise InvalidConfig(f"--where {c!r} does not parse", fix=f"write {WHERE_GRAMMAR}")
        try:
            out.append((m.group(1), m.group(2), m.group(3), float(m.group(4))))
        except ValueError:
            raise InvalidConfig(f"--where {c!r}: {m.group(4)!r} is not a number") from None
    return out


def matches(metrics: Mapping[str, Mapping[str, Any]], where: Sequence[tuple]) -> bool:
    """All conditions hold on ``{"validation": {...}, "test": {...}}``; a missing or null
    metric fails its condition."""
    for split, metric, op, number in where:
        value = (metrics.get(split) or {}).get(metric)
        if not isinstance(value, (int, float)) or not OPS[op](float(value), number):
            return False
    return True
