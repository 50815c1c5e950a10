"""Full-catalogue ranking: every catalogue item scored for every user.

The ``evaluate`` hook only sees each example's own candidates (target + 100
sampled negatives), so full-catalogue metrics are computed here, from a scorer
over the whole catalogue. Used by the ``baselines`` hook (popularity, item-kNN,
the un-adapted backbone) and by the quality script for the adapted model, which
passes an ``encode`` built from the adapter (:func:`cosine_scorer`).

Items the user interacted with before the target are excluded from the ranking
(the usual full-ranking protocol); the target itself always stays. The kit's
``score`` sees only candidate lists, so this protocol's MRR/HR@10/NDCG@10 are
reported here (``recsys.full.*``), by the kit's own per-list rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from vadapt_recsys.catalogue import Catalogue, find_catalogue
from vadapt_recsys.metrics import K, Row, summarise

FULL_PREFIX = "recsys.full."
Scorer = Callable[[Sequence[dict[str, Any]], Catalogue], Iterator[np.ndarray]]
"""Yields one score row over ``catalogue.item_ids`` per example, in order."""


def cosine_scorer(encode: Callable[[Sequence[str]], np.ndarray], batch: int = 512) -> Scorer:
    """Score by cosine between the user text and every item text, both from ``encode``."""

    def score(examples: Sequence[dict[str, Any]], catalogue: Catalogue) -> Iterator[np.ndarray]:
        items = _unit(np.asarray(encode(list(catalogue.texts)), dtype=np.float32))
        for start in range(0, len(examples), batch):
            chunk = examples[start : start + batch]
            queries = _unit(np.asarray(encode([ex["query"] for ex in chunk]), dtype=np.float32))
            yield from queries @ items.T

    return score


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def full_ranking(
    scorer: Scorer, examples: Sequence[dict[str, Any]], *, k: int = K
) -> dict[str, float]:
    """``recsys.full.*`` metrics for ``examples`` (validation or test split of a recsys task)."""
    catalogue = find_catalogue(examples)
    if catalogue is None:
        raise ValueError(
            "examples carry no catalogue; pass the validation or test split of a recsys task"
        )
    rows = _rows(scorer(examples, catalogue), examples, catalogue)
    return summarise(rows, catalogue, k=k, prefix=FULL_PREFIX, rank=True)


def _rows(
    scores: Iterator[np.ndarray], examples: Sequence[dict[str, Any]], catalogue: Catalogue
) -> Iterator[Row]:
    for ex, row in zip(examples, scores, strict=True):
        target = catalogue.index[ex["item"]]
        valid = ~catalogue.mask(ex.get("seen", ()))
        valid[target] = True
        yield Row(np.asarray(row, dtype=np.float64), target, catalogue.item_ids, valid)
