"""Answer adapter requests in order; a failing request fails only itself.

A request is one JSON object: ``{"adapter": "name[@version]", "example": {...}}`` with an
optional ``"id"`` echoed back. Each answer is the engine's prediction for the example
(``label`` and ``scores``; ranking: ``ranking`` and ``scores``) plus ``adapter`` (as
asked), ``ref`` (the ``name@version`` that answered) and ``id``; or ``error`` (one line:
what, where, the fix) and ``error_type`` when that request could not be answered.

Consecutive requests for the same adapter are answered in one forward pass (at most
``batch_size`` of them); if that pass fails, each of them is retried alone, so the
error lands on the request that caused it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from vadapt_registry.errors import VadaptError

REQUEST_KEYS = ("adapter", "example", "id")
EXAMPLE_HINT = '{"adapter": "name[@version]", "example": {"text": "..."}}'


@dataclass
class Request:
    line: int
    adapter: str | None = None
    example: dict[str, Any] | None = None
    id: Any = None
    error: str | None = None


def parse_request(text: str, line: int) -> Request:
    """One JSONL line -> a Request (``error`` set when the line is not a valid request)."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return Request(line, error=f"line {line}: not valid JSON ({exc.msg}) — fix: {EXAMPLE_HINT}")
    if not isinstance(obj, dict):
        return Request(
            line,
            error=f"line {line}: expected a JSON object, got {type(obj).__name__} "
            f"— fix: {EXAMPLE_HINT}",
        )
    rid = obj.get("id")
    unknown = sorted(set(obj) - set(REQUEST_KEYS))
    if unknown:
        return Request(
            line,
            id=rid,
            adapter=obj.get("adapter") if isinstance(obj.get("adapter"), str) else None,
            error=f"line {line}: unknown field(s) {unknown} (known: {list(REQUEST_KEYS)}) "
            f"— fix: {EXAMPLE_HINT}",
        )
    adapter, example = obj.get("adapter"), obj.get("example")
    if not isinstance(adapter, str) or not adapter:
        return Request(
            line, id=rid, error=f"line {line}: field 'adapter' must be 'name' or 'name@version'"
        )
    if not isinstance(example, dict):
        return Request(
            line,
            adapter=adapter,
            id=rid,
            error=f"line {line}: field 'example' must be a JSON object — fix: {EXAMPLE_HINT}",
        )
    return Request(line, adapter=adapter, example=example, id=rid)


def _one_line(exc: Exception) -> str:
    if isinstance(exc, VadaptError):
        return " ".join(str(exc).split())
    return f"internal error {type(exc).__name__}: {' '.join(str(exc).split())}"


def _head(req: Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if req.id is not None:
        out["id"] = req.id
    if req.adapter is not None:
        out["adapter"] = req.adapter
    return out


def _error(req: Request, message: str, kind: str) -> dict[str, Any]:
    return {**_head(req), "error": message, "error_type": kind}


def _answer(pool: Any, group: list[Request]) -> list[dict[str, Any]]:
    adapter = group[0].adapter
    assert adapter is not None
    try:
        ref = pool.resolve(adapter)
        preds = pool.predict(ref, [r.example for r in group])
    except Exception as exc:
        if len(group) > 1:  # find the request(s) that fail
            return [row for r in group for row in _answer(pool, [r])]
        req = group[0]
        return [
            _error(req, f"line {req.line}, adapter {adapter}: {_one_line(exc)}", type(exc).__name__)
        ]
    return [{**_head(r), "ref": ref, **p} for r, p in zip(group, preds, strict=True)]


def serve_requests(
    pool: Any, requests: Iterable[Request], *, batch_size: int = 32
) -> Iterator[dict[str, Any]]:
    """One answer per request, in order (see the module docstring)."""
    pending: list[Request] = []
    for req in requests:
        if pending and (
            req.error is not None or req.adapter != pending[0].adapter or len(pending) >= batch_size
        ):
            yield from _answer(pool, pending)
            pending = []
        if req.error is not None:
            yield _error(req, req.error, "InvalidConfig")
        else:
            pending.append(req)
    if pending:
        yield from _answer(pool, pending)


__all__ = ["Request", "parse_request", "serve_requests"]
