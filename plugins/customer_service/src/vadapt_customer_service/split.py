"""Seeded, stratified carving and subsampling of example lists.

Written here rather than with scikit-learn's ``train_test_split`` because intent
data has classes with one or two examples, where sklearn's stratification
refuses to split; this one keeps every class in train and carves what it can.
Not ``vadapt.kit.stratified_split``: that one draws differently from its seeded
generator and shuffles each split, so it would move the validation split behind
RESULTS.md (and it returns index lists of three splits, where review triage keeps
the official test set and carves only validation).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np


def _by_key(items: Sequence[Any], key: Any) -> dict[Hashable, list[int]]:
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[key(item)].append(i)
    return dict(sorted(groups.items(), key=lambda kv: str(kv[0])))


def stratified_split(
    items: Sequence[Any], fraction: float, seed: int, key: Any = lambda ex: ex["label"]
) -> tuple[list[Any], list[Any]]:
    """Split ``items`` into (kept, carved) with about ``fraction`` of each class carved.

    Per class: ``round(fraction * n)`` examples go to ``carved``, but a class with
    at least two examples always keeps one in ``kept``, and a class with one
    example stays in ``kept``. Order within each part follows the input order.
    """
    rng = np.random.default_rng(seed)
    carved_idx: set[int] = set()
    for idx in _by_key(items, key).values():
        n = len(idx)
        k = min(round(fraction * n), n - 1)
        if k <= 0:
            continue
        chosen = rng.permutation(n)[:k]
        carved_idx.update(idx[j] for j in chosen)
    kept = [x for i, x in enumerate(items) if i not in carved_idx]
    carved = [x for i, x in enumerate(items) if i in carved_idx]
    return kept, carved


def stratified_subsample(
    items: Sequence[Any], limit: int | None, seed: int, key: Any = lambda ex: ex["label"]
) -> list[Any]:
    """At most ``limit`` items, class shares preserved (largest remainders), seeded.

    Every class keeps at least one example when ``limit`` allows it, so a quick
    run never loses a label entirely.
    """
    if limit is None or limit >= len(items):
        return list(items)
    rng = np.random.default_rng(seed)
    groups = _by_key(items, key)
    n = len(items)
    quotas = {k: limit * len(v) / n for k, v in groups.items()}
    take = {k: max(1, int(q)) if limit >= len(groups) else int(q) for k, q in quotas.items()}
    # hand out what rounding left, largest remainder first; trim if the minimum of one overshot
    order = sorted(groups, key=lambda k: quotas[k] - int(quotas[k]), reverse=True)
    i = 0
    while sum(take.values()) < limit and order:
        k = order[i % len(order)]
        if take[k] < len(groups[k]):
            take[k] += 1
        i += 1
        if i > 10 * len(order) + limit:
            break
    while sum(take.values()) > limit:
        k = max(take, key=lambda k: take[k])
        take[k] -= 1
    chosen: set[int] = set()
    for k, idx in groups.items():
        picked = rng.permutation(len(idx))[: take[k]]
        chosen.update(idx[j] for j in picked)
    return [x for i, x in enumerate(items) if i in chosen]
