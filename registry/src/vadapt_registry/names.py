"""Name rules: every name that becomes part of a path is checked here, before any disk access.

Adapter names, verticals, version tags and stored file names all end up as path
components under the registry root, so each must be one plain, portable path
component: no separators, no ``..``, no control characters, no Windows device
names, no trailing dot or space, and at most 64 characters (file names: 128).
"""

from __future__ import annotations

import re

from vadapt_registry.errors import InvalidName

MAX_NAME = 64
MAX_FILE_NAME = 128

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_FILE_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
_INT_VERSION_RE = re.compile(r"v?([0-9]+)")
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", "clock$", "conin$", "conout$"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
    | {f"com{c}" for c in "¹²³"}
    | {f"lpt{c}" for c in "¹²³"}
)
_FIX = (
    "use letters, digits, '.', '_' or '-' (starting with a letter or digit), at most {n} characters"
)


def _why_bad(value: object, *, max_len: int, pattern: re.Pattern[str]) -> str | None:
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__}"
    if not value:
        return "is empty"
    if len(value) > max_len:
        return f"is {len(value)} characters long (limit {max_len})"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "contains a control character"
    if "/" in value or "\\" in value or ":" in value:
        return "contains a path separator"
    if value in (".", "..") or ".." in value:
        return "contains '..'"
    if value[-1] in ". ":
        return "ends with a dot or a space"
    if value.split(".")[0].lower() in _WINDOWS_DEVICES:
        return "is a reserved device name on Windows"
    if not pattern.fullmatch(value):
        return "has characters outside [A-Za-z0-9._-] or does not start with a letter or digit"
    return None


def validate_name(value: object, what: str = "adapter name") -> str:
    """Return ``value`` if it is a safe adapter/vertical name, else raise `InvalidName`."""
    why = _why_bad(value, max_len=MAX_NAME, pattern=_NAME_RE)
    if why:
        raise InvalidName(f"{what} {value!r} {why}", fix=_FIX.format(n=MAX_NAME))
    return value  # type: ignore[return-value]


def validate_file_name(value: object) -> str:
    """Return ``value`` if it is a safe flat file name for an adapter file."""
    why = _why_bad(value, max_len=MAX_FILE_NAME, pattern=_FILE_RE)
    if why:
        raise InvalidName(
            f"adapter file name {value!r} {why}",
            fix="store files flat under plain names such as 'adapter_model.safetensors'",
        )
    return value  # type: ignore[return-value]


def validate_version(value: object) -> int | str:
    """Normalise a version: a positive int, or a tag that cannot be mistaken for one."""
    if isinstance(value, bool):
        raise InvalidName(f"version {value!r} is a bool", fix="use a positive integer or a tag")
    if isinstance(value, int):
        if value < 1:
            raise InvalidName(f"version {value} is not positive", fix="versions start at 1")
        return value
    why = _why_bad(value, max_len=MAX_NAME, pattern=_NAME_RE)
    if why:
        raise InvalidName(f"version tag {value!r} {why}", fix=_FIX.format(n=MAX_NAME))
    assert isinstance(value, str)
    m = _INT_VERSION_RE.fullmatch(value)
    if m:
        return validate_version(int(m.group(1)))
    return value


def parse_ref(ref: object) -> tuple[str, int | str | None]:
    """Split ``"name"`` or ``"name@version"``; ``"name@3"`` and ``"name@v3"`` mean version 3."""
    if not isinstance(ref, str):
        raise InvalidName(
            f"adapter reference {ref!r} is not a string", fix="pass 'name' or 'name@version'"
        )
    name, sep, version = ref.partition("@")
    validate_name(name)
    if not sep:
        return name, None
    return name, validate_version(version)


def format_ref(name: str, version: int | str) -> str:
    return f"{name}@{version}"
