"""Serve several adapters on one loaded base model.

``AdapterPool`` (``vadapt.serving.pool``) keeps a bounded LRU set of registry adapters
resident on shared base models; ``serve_requests`` (``vadapt.serving.batch``) answers a
stream of ``{"adapter", "example"}`` requests in order with a per-request ``error``;
``create_app`` (``vadapt.serving.http``) serves the pool over HTTP (``vadapt serve``),
micro-batching concurrent requests (``vadapt.serving.batcher``). Importing this package
is cheap (FastAPI loads with ``http``); torch and peft load when a pool loads its first adapter.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "AdapterPool": "pool",
    "PoolStats": "pool",
    "parse_request": "batch",
    "serve_requests": "batch",
    "create_app": "http",
    "ServeConfig": "http",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"vadapt.serving.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'vadapt.serving' has no attribute {name!r}")


__all__ = ["AdapterPool", "PoolStats", "parse_request", "serve_requests"]
