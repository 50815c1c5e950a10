"""Backbone fingerprints: sha256 over the weight and config files, streamed.

Uses the registry's helper when it provides one, so that the registry and the
engine agree byte for byte; the fallback computes the same construction.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path


def _local_fingerprint(paths: Sequence[str | os.PathLike[str]]) -> str:
    outer = hashlib.sha256()
    for p in sorted(Path(x) for x in paths):
        inner = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                inner.update(chunk)
        outer.update(p.name.encode() + b"\0" + inner.hexdigest().encode() + b"\n")
    return "sha256:" + outer.hexdigest()


@lru_cache(maxsize=32)
def _cached(key: tuple[tuple[str, int, int], ...]) -> str:
    paths = [k[0] for k in key]
    try:
        from vadapt_registry import fingerprint_files as registry_fp  # type: ignore[attr-defined]
    except ImportError:
        try:
            from vadapt_registry.fingerprint import fingerprint_files as registry_fp  # type: ignore
        except ImportError:
            registry_fp = None
    if registry_fp is not None:
        return str(registry_fp(paths))
    return _local_fingerprint(paths)


def fingerprint_files(paths: Sequence[str | os.PathLike[str]]) -> str:
    """Fingerprint of these files (cached per process on path, size and mtime)."""
    key = []
    for p in paths:
        st = os.stat(p)
        key.append((str(Path(p).resolve()), st.st_size, st.st_mtime_ns))
    return _cached(tuple(sorted(key)))
