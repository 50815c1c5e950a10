"""Ranking metrics: HR@k, NDCG@k, MRR, coverage and popularity bias of the top-k.

Ties are scored by their expectation under a uniformly random tie-break
(a model that gives every candidate the same score gets HR@10 = 10/101 with
100 negatives, not 1 or 0). Coverage is the share of the catalogue that
appears in anyone's top-k; popularity is the mean training-popularity
percentile of the top-k items (0 = least, 1 = most popular in the catalogue).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vadapt_recsys.catalogue import Catalogue, find_catalogue

K = 10
PREFIX = "recsys."


def expected_position_metrics(greater: int, ties: int, k: int = K) -> tuple[float, float, float]:
    """(hit@k, ndcg@k, reciprocal rank) of one positive, averaged over its tie positions.

    ``greater``: candidates scored strictly above the positive; ``ties``: other
    candidates scored exactly as the positive.
    """
    ranks = np.arange(greater + 1, greater + ties + 2, dtype=np.float64)
    inside = ranks <= k
    hit = float(inside.mean())
    ndcg = float(np.where(inside, 1.0 / np.log2(ranks + 1.0), 0.0).mean())
    rr = float((1.0 / ranks).mean())
    return hit, ndcg, rr


def top_k(scores: np.ndarray, k: int, valid: np.ndarray | None = None, salt: int = 0) -> np.ndarray:
    """Indices of the k best valid scores; ties broken by a fixed pseudo-random order."""
    s = np.asarray(scores, dtype=np.float64)
    if valid is not None:
        s = np.where(valid, s, -np.inf)
    n = len(s)
    k = min(k, int(np.isfinite(s).sum()) if valid is not None else n)
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    jitter = np.random.default_rng(salt).random(n)  # only orders exact ties
    order = np.lexsort((jitter, -s))
    return order[:k]


@dataclass
class Row:
    """One user's scored list: scores over ``items``, the positive's index, what may be ranked."""

    scores: np.ndarray
    positive: int
    items: Sequence[str]
    valid: np.ndarray | None = None


def summarise(
    rows: Iterable[Row], catalogue: Catalogue | None, *, k: int = K, prefix: str = PREFIX
) -> dict[str, float]:
    hits, ndcgs, rrs, pops = [], [], [], []
    recommended: set[str] = set()
    universe: set[str] = set()
    percentile = catalogue.percentile if catalogue is not None else None
    for n, row in enumerate(rows):
        s = np.asarray(row.scores, dtype=np.float64)
        if s.shape != (len(row.items),):
            raise ValueError(
                f"scores of example {n} have shape {s.shape}, expected ({len(row.items)},)"
            )
        ok = np.isfinite(s) if row.valid is None else (row.valid & np.isfinite(s))
        ok[row.positive] = True
        target = s[row.positive]
        others = np.delete(s[ok], int(ok[: row.positive].sum()))
        hit, ndcg, rr = expected_position_metrics(
            int((others > target).sum()), int((others == target).sum()), k
        )
        hits.append(hit)
        ndcgs.append(ndcg)
        rrs.append(rr)
        top = [row.items[i] for i in top_k(s, k, ok, salt=n)]
        recommended.update(top)
        if catalogue is None:
            universe.update(row.items)
        if percentile is not None and top:
            pops.append(float(np.mean([percentile.get(i, 0.0) for i in top])))
    if not hits:
        return {}
    size = len(catalogue) if catalogue is not None else len(universe)
    out = {
        f"{prefix}hr@{k}": float(np.mean(hits)),
        f"{prefix}ndcg@{k}": float(np.mean(ndcgs)),
        f"{prefix}mrr": float(np.mean(rrs)),
        f"{prefix}coverage@{k}": len(recommended) / max(size, 1),
    }
    if pops:
        out[f"{prefix}popularity@{k}"] = float(np.mean(pops))
    return out


def sampled_metrics(
    predictions: Sequence[Any], examples: Sequence[dict[str, Any]], references: Any = None
) -> dict[str, float]:
    """Metrics over each example's own candidates (target + sampled negatives)."""
    if len(predictions) != len(examples):
        raise ValueError(f"{len(predictions)} score arrays for {len(examples)} examples")
    refs = None if references is None else np.asarray(references).reshape(-1)
    rows = (
        Row(
            np.asarray(p, dtype=np.float64).reshape(-1),
            int(refs[i]) if refs is not None else int(ex["positive"]),
            ex.get("candidate_items") or [str(j) for j in range(len(ex["candidates"]))],
        )
        for i, (p, ex) in enumerate(zip(predictions, examples, strict=True))
    )
    return summarise(rows, find_catalogue(examples))
