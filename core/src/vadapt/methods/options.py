"""The pydantic side of methods: ``MethodConfig`` (every method's config derives from it)
and ``method_config``, which picks the config class a ``method:`` section names.

``AdaptConfig.method`` is a union discriminated by ``name`` whose members are looked up
in :mod:`vadapt.methods.registry` *when a config is validated*, not fixed when the
class is built (see ``vadapt.config``): a plugin's method validates exactly like a
built-in one, and an option the named method does not have is an error naming it.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError


class MethodConfig(BaseModel):
    """Base of every method's config: ``name`` (the discriminator) plus the method's options.

    A subclass declares ``name: Literal["<method>"] = "<method>"`` and only the options
    its method uses; unknown keys, NaN and Inf are rejected.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True)

    name: str = Field(..., description="adaptation method (`vadapt methods` lists them)")


def _non_empty(v: list[str] | None) -> list[str] | None:
    if v is not None and (not v or any(not m.strip() for m in v)):
        raise ValueError("target_modules must be a non-empty list of module names")
    return v


TargetModules = Annotated[list[str] | None, AfterValidator(_non_empty)]
"""Module names to adapt; None = the per-architecture default (shared by several methods)."""


def _error(loc: tuple[str, ...], kind: str, message: str, value: Any) -> ValidationError:
    detail = InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)
    return ValidationError.from_exception_data("method", [detail])


def method_config(value: Any, default: str) -> Any:
    """``value`` (a ``method:`` mapping or a MethodConfig) as the named method's config.

    Raises ``ValidationError`` located at ``name`` (unknown method) or at the option
    (an option the method does not have), so messages read ``method.<field>: ...``.
    """
    from vadapt.methods.registry import find_method, method_names

    if isinstance(value, MethodConfig):
        found = find_method(value.name)
        if found is not None and type(value) is found.config:
            return value
        value = value.model_dump()
    if not isinstance(value, dict):
        return value  # the field's own validation says "expected a mapping"
    name = value.get("name", default)
    method = find_method(name) if isinstance(name, str) else None
    if method is None:
        known = sorted(method_names())
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        message = f"unknown method; {hint}known: {', '.join(known)}"
        raise _error(("name",), "unknown_method", message, name)
    fields = method.config.model_fields
    for key in value:
        if key not in fields:
            options = ", ".join(k for k in fields if k != "name") or "none"
            raise _error(
                (str(key),),
                "unknown_option",
                f"method {method.name!r} has no option {key!r} (its options: {options})",
                value[key],
            )
    return method.config.model_validate({**value, "name": name})
