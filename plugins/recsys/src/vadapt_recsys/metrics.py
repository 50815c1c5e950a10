"""What the kit's ranking score does not say: coverage and popularity bias of the top-k,
and rank metrics over a masked universe (the full-catalogue protocol).

MRR, HR@k and NDCG@k over each example's own candidates (target + sampled
negatives) are ``vadapt.kit.score``'s (keys ``mrr``, ``hr@k``, ``ndcg@k``), with ties
scored by their random-tie-break expectation. This module adds, under ``recsys.``:
coverage (the share of the catalogue that appears in anyone's top-k) and popularity
(the mean training-popularity percentile of the top-k items: 0 = least, 1 = most
popular in the catalogue). For the full-catalogue protocol, where the user's earlier
items are masked out of the ranking, :func:`summarise` also ranks each positive with
the kit's per-list rule, :func:`vadapt.kit.scoring.expected_rank_metrics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from vadapt.kit.scoring import expected_rank_metrics

from vadapt_recsys.catalogue import Catalogue, find_catalogue

K = 10
PREFIX = "recsys."


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


def _checked(row: Row, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The row's scores and its rankable mask (finite, valid; the positive always in)."""
    s = np.asarray(row.scores, dtype=np.float64)
    if s.shape != (len(row.items),):
        raise ValueError(
            f"scores of example {n} have shape {s.shape}, expected ({len(row.items)},)"
        )
    ok = np.isfinite(s) if row.valid is None else (row.valid & np.isfinite(s))
    ok[row.positive] = True
    return s, ok


def _rank(s: np.ndarray, ok: np.ndarray, positive: int, k: int) -> dict[str, float]:
    """The kit's expected mrr / hr@k / ndcg@k of the positive among the rankable items."""
    target = s[positive]
    others = np.delete(s[ok], int(ok[:positive].sum()))
    greater, ties = int((others > target).sum()), int((others == target).sum())
    return expected_rank_metrics(greater, ties, (k,))


def summarise(
    rows: Iterable[Row],
    catalogue: Catalogue | None,
    *,
    k: int = K,
    prefix: str = PREFIX,
    rank: bool = False,
) -> dict[str, float]:
    """``coverage@k`` and ``popularity@k`` of the rows' top-k (and, with ``rank``, the
    kit's rank metrics of each positive among its row's rankable items), prefixed."""
    ranks: list[dict[str, float]] = []
    pops: list[float] = []
    recommended: set[str] = set()
    universe: set[str] = set()
    percentile = catalogue.percentile if catalogue is not None else None
    n = -1
    for n, row in enumerate(rows):
        s, ok = _checked(row, n)
        if rank:
            ranks.append(_rank(s, ok, row.positive, k))
        top = [row.items[i] for i in top_k(s, k, ok, salt=n)]
        recommended.update(top)
        if catalogue is None:
            universe.update(row.items)
        if percentile is not None and top:
            pops.append(float(np.mean([percentile.get(i, 0.0) for i in top])))
    if n < 0:
        return {}
    names = ranks[0] if ranks else {}
    out = {f"{prefix}{name}": float(np.mean([r[name] for r in ranks])) for name in names}
    size = len(catalogue) if catalogue is not None else len(universe)
    out[f"{prefix}coverage@{k}"] = len(recommended) / max(size, 1)
    if pops:
        out[f"{prefix}popularity@{k}"] = float(np.mean(pops))
    return out


def sampled_metrics(
    predictions: Sequence[Any], examples: Sequence[dict[str, Any]], references: Any = None
) -> dict[str, float]:
    """``recsys.coverage@10`` / ``recsys.popularity@10`` over each example's own candidates."""
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
