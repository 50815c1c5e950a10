"""The kit's image corruptions (:mod:`vadapt.kit.corruptions`), re-exported, and the
driving plugin's ``data.test_corruption`` option built on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vadapt import InvalidConfig
from vadapt.kit.corruptions import (
    CORRUPTIONS,
    SEVERITIES,
    corrupt,
    corrupted_copies,
    stable_seed,
)

__all__ = [
    "CORRUPTIONS",
    "SEVERITIES",
    "corrupt",
    "corrupt_split",
    "corrupted_copies",
    "stable_seed",
]


def corrupt_split(
    examples: Sequence[dict[str, Any]], name: str, severity: int, seed: int
) -> list[dict[str, Any]]:
    """``name``@``severity`` copies, or for ``name='all'`` every corruption x every severity."""
    if name == "all":
        return [
            ex
            for c in CORRUPTIONS
            for s in SEVERITIES
            for ex in corrupted_copies(examples, c, s, seed)
        ]
    if name not in CORRUPTIONS:
        raise InvalidConfig(
            f"data.test_corruption: unknown corruption {name!r}",
            fix=f"choose one of {sorted(CORRUPTIONS)} or 'all'",
        )
    return corrupted_copies(examples, name, severity, seed)
