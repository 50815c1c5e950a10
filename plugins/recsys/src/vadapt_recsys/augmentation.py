"""History augmentation for training examples (CL4SRec-style crop, mask, reorder).

Each training example's history (newest first) is, independently with the
configured probabilities:

- cropped: a contiguous window of ``crop_ratio`` of its length is kept;
- masked: ``mask_ratio`` of its items are replaced by ``mask_token``;
- reordered: a contiguous window of ``reorder_ratio`` of its length is shuffled.

The target, candidates and positive index never change; only ``query`` (and
``history``/``history_items``) are rebuilt. Options (``augment.options``):
``crop``, ``mask``, ``reorder`` (probabilities, default 0.3 each),
``crop_ratio`` (0.6), ``mask_ratio`` (0.3), ``reorder_ratio`` (0.5), ``mask_token``
(``"[MASK]"``, the BERT mask token MiniLM knows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from vadapt import InvalidConfig

from vadapt_recsys.text import query_text

DEFAULTS: dict[str, Any] = {
    "crop": 0.3,
    "mask": 0.3,
    "reorder": 0.3,
    "crop_ratio": 0.6,
    "mask_ratio": 0.3,
    "reorder_ratio": 0.5,
    "mask_token": "[MASK]",
}


def options(config: Any) -> dict[str, Any]:
    given: Mapping[str, Any] = getattr(config, "options", None) or {}
    if isinstance(config, Mapping):
        given = config.get("options", config) or {}
    mine = {k: v for k, v in given.items() if k in DEFAULTS}
    opts = {**DEFAULTS, **mine}
    for key in ("crop", "mask", "reorder", "crop_ratio", "mask_ratio", "reorder_ratio"):
        value = opts[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0.0 <= value <= 1.0
        ):
            raise InvalidConfig(
                f"augment.options.{key} = {value!r} is not a number in [0, 1]",
                fix=f"set augment.options.{key} to a probability/ratio such as {DEFAULTS[key]}",
            )
    if not isinstance(opts["mask_token"], str):
        raise InvalidConfig("augment.options.mask_token must be a string", fix="e.g. '[MASK]'")
    return opts


def _window(n: int, ratio: float, rng: np.random.Generator) -> tuple[int, int]:
    size = max(1, round(ratio * n))
    start = int(rng.integers(0, n - size + 1))
    return start, start + size


def augment_history(
    texts: list[str], ids: list[str], rng: np.random.Generator, opts: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """One augmented (texts, ids) pair; unchanged when the dice say so."""
    texts, ids = list(texts), list(ids)
    n = len(texts)
    if n >= 2 and rng.random() < opts["crop"]:
        a, b = _window(n, opts["crop_ratio"], rng)
        texts, ids = texts[a:b], ids[a:b]
        n = len(texts)
    if n >= 2 and rng.random() < opts["mask"]:
        k = max(1, round(opts["mask_ratio"] * n))
        for j in rng.choice(n, size=min(k, n - 1), replace=False):  # keep one real item
            texts[j] = opts["mask_token"]
            ids[j] = ""
    if n >= 2 and rng.random() < opts["reorder"]:
        a, b = _window(n, opts["reorder_ratio"], rng)
        perm = a + rng.permutation(b - a)
        texts[a:b] = [texts[j] for j in perm]
        ids[a:b] = [ids[j] for j in perm]
    return texts, ids


def augment_examples(
    examples: list[dict[str, Any]], rng: np.random.Generator, config: Any
) -> list[dict[str, Any]]:
    opts = options(config)
    out = []
    for ex in examples:
        if "history" not in ex:
            out.append(ex)
            continue
        texts, ids = augment_history(
            ex["history"], ex.get("history_items") or [""] * len(ex["history"]), rng, opts
        )
        out.append(
            {
                **ex,
                "history": texts,
                "history_items": ids,
                "query": query_text(texts, ex.get("profile", ())),
            }
        )
    return out
