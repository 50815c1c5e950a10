"""The adapter manifest: what an adapter is, where it came from, and every file it owns.

Written strictly (`extra="forbid"`, strict types) as sorted, indented JSON that names
its writer. Read forward-compatibly: fields added by a newer writer are dropped with a
`ManifestWarning`, so an old vadapt can still list and load what a new one wrote.
"""

from __future__ import annotations

import json
import math
import numbers
import warnings
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vadapt_registry.errors import CorruptAdapter, InvalidConfig
from vadapt_registry.names import (
    format_ref,
    parse_ref,
    validate_file_name,
    validate_name,
    validate_version,
)

SCHEMA_VERSION = 1
WRITER = "vadapt-registry 0.1.0"
_SHA_RE = r"^[0-9a-f]{64}$"
_FP_RE = r"^sha256:[0-9a-f]{64}$"


class ManifestWarning(UserWarning):
    """A manifest from a newer writer held fields this version does not know."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class MethodSpec(_Strict):
    name: str = Field(description="adaptation method name, as registered (see `vadapt methods`)")
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="the method's own config (e.g. LoRA r, alpha, target modules)",
    )


class BackboneRef(_Strict):
    name: str = Field(description="backbone (foundation model) name, e.g. 'minilm'")
    fingerprint: str = Field(
        pattern=_FP_RE,
        description="sha256 over the base model's weight and config files (fingerprint_files)",
    )


class FileEntry(_Strict):
    sha256: str = Field(
        pattern=_SHA_RE, description="hex sha256 of the file's bytes; also its blob address"
    )
    size: int = Field(ge=0, description="size in bytes")


def _finite_or_none(v: Any) -> Any:
    """Metric values: any real number (numpy scalars too) as float; NaN/Inf as null."""
    if isinstance(v, numbers.Real) and not isinstance(v, bool):
        f = float(v)
        return f if math.isfinite(f) else None
    return v


class Metrics(_Strict):
    validation: dict[str, float | None] = Field(
        default_factory=dict,
        description="metric -> value on the validation split (null: undefined)",
    )
    test: dict[str, float | None] = Field(
        default_factory=dict, description="metric -> value on the test split (null: undefined)"
    )

    @field_validator("validation", "test", mode="before")
    @classmethod
    def _nan_to_none(cls, v: Any) -> Any:
        return {k: _finite_or_none(x) for k, x in v.items()} if isinstance(v, dict) else v


def _check_json(value: Any, field: str) -> Any:
    try:
        json.dumps(value, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field} must be plain JSON (no NaN, no objects): {exc}") from None
    return value


class ManifestDraft(_Strict):
    """Everything about an adapter except what the registry assigns (version, created, files)."""

    name: str = Field(description="adapter name; a single safe path component, <= 64 chars")
    vertical: str = Field(description="vertical (plugin entry-point name) that owns the task")
    task: str = Field(min_length=1, max_length=200, description="task id, 'vertical/task'")
    method: MethodSpec
    backbone: BackboneRef
    labels: list[str] = Field(
        default_factory=list, description="label names; list index = model output index"
    )
    training: dict[str, Any] = Field(default_factory=dict, description="resolved training config")
    metrics: Metrics = Field(default_factory=Metrics)
    baselines: dict[str, dict[str, float | None]] = Field(
        default_factory=dict, description="baseline -> metric -> value"
    )
    context: dict[str, Any] = Field(
        default_factory=dict,
        description="state the task's plugin learnt on validation (e.g. an out-of-scope "
        "threshold), namespaced by plugin; reused by evaluate/predict/serve",
    )
    data_fingerprint: str | None = Field(default=None, description="sha256 over the training data")
    plugins: dict[str, str] = Field(
        default_factory=dict, description="plugin distribution -> version"
    )
    vadapt_version: str = Field(default="", description="version of vadapt that trained it")
    parent: str | None = Field(
        default=None, description="'name@version' this adapter was trained from"
    )
    notes: str = ""
    license: str | None = None
    intended_use: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return validate_name(v)

    @field_validator("vertical")
    @classmethod
    def _vertical(cls, v: str) -> str:
        return validate_name(v, "vertical")

    @field_validator("task")
    @classmethod
    def _task(cls, v: str) -> str:
        if any(ord(c) < 32 or ord(c) == 127 for c in v):
            raise ValueError("task id contains a control character")
        return v

    @field_validator("parent")
    @classmethod
    def _parent(cls, v: str | None) -> str | None:
        if v is None:
            return v
        name, version = parse_ref(v)
        if version is None:
            raise ValueError("parent must be 'name@version'")
        return format_ref(name, version)

    @field_validator("training", "context", "method")
    @classmethod
    def _plain_json(cls, v: Any, info: Any) -> Any:
        _check_json(v.config if isinstance(v, MethodSpec) else v, info.field_name)
        return v

    @field_validator("baselines", mode="before")
    @classmethod
    def _baselines(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {
                b: ({k: _finite_or_none(x) for k, x in m.items()} if isinstance(m, dict) else m)
                for b, m in v.items()
            }
        return v


class Manifest(ManifestDraft):
    """A stored adapter. ``ref`` is ``name@version``."""

    schema_version: int = Field(default=SCHEMA_VERSION, description="manifest schema version")
    writer: str = Field(default=WRITER, description="software that wrote this manifest")
    version: int | str = Field(description="positive int (auto, monotonic per name) or a tag")
    created: str = Field(
        pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$",
        description="UTC ISO-8601 time of the save",
    )
    files: dict[str, FileEntry] = Field(description="file name -> sha256 and size")

    @field_validator("version")
    @classmethod
    def _version(cls, v: int | str) -> int | str:
        out = validate_version(v)
        if out != v:
            raise ValueError(f"version {v!r} must be written as {out!r}")
        return out

    @field_validator("files")
    @classmethod
    def _files(cls, v: dict[str, FileEntry]) -> dict[str, FileEntry]:
        if not v:
            raise ValueError("an adapter has at least one file")
        for fname in v:
            validate_file_name(fname)
        return v

    @property
    def ref(self) -> str:
        return format_ref(self.name, self.version)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files.values())

    def to_json(self) -> str:
        """Sorted, indented JSON: the exact bytes stored on disk."""
        return (
            json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False)
            + "\n"
        )

    @classmethod
    def from_json(cls, data: str | bytes, *, source: str = "manifest") -> Manifest:
        """Parse a stored manifest; fields from a newer writer are dropped with a warning."""
        try:
            raw = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorruptAdapter(
                f"{source} is not valid JSON ({exc})", fix="restore it or run `vadapt registry rm`"
            ) from None
        if not isinstance(raw, dict):
            raise CorruptAdapter(f"{source} is not a JSON object")
        unknown = sorted(set(raw) - set(cls.model_fields))
        if unknown:
            warnings.warn(
                f"{source} was written by {raw.get('writer', 'a newer writer')!s} and has "
                f"fields this "
                f"version does not know ({', '.join(unknown)}); ignoring them",
                ManifestWarning,
                stacklevel=2,
            )
            raw = {k: v for k, v in raw.items() if k not in unknown}
        try:
            return cls.model_validate_json(json.dumps(raw))
        except ValidationError as exc:
            raise CorruptAdapter(
                f"{source} does not match the manifest schema: {_one_line(exc)}",
                fix="upgrade vadapt-registry, or restore the manifest",
            ) from None


def _one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    more = "" if exc.error_count() <= 3 else f" (+{exc.error_count() - 3} more)"
    return "; ".join(parts) + more


def draft_error(exc: ValidationError) -> InvalidConfig:
    return InvalidConfig(
        f"invalid adapter manifest: {_one_line(exc)}", fix="correct the named field"
    )
