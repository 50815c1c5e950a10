"""Finance metrics that ``vadapt.kit.score`` does not compute (keys ``finance.<metric>``).

The kit already scores every finance task (accuracy, macro-F1, the per-class
report, AUROC/AUPRC of the positive label, 15-bin ECE, Brier of p(positive)).
Added here, for the adapter and every baseline alike:

- credit: KS, and what a review queue of the riskiest k% catches
  (precision/recall at top-k%), beside the split's ``default_rate``;
- market direction: what a forecast is for, the return of going long when the
  model says "up" (flat otherwise) against buy-and-hold on the same days.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

TOP_K = (5, 10)  # review the riskiest 5% / 10% of applicants


def credit(p_default: np.ndarray, is_default: np.ndarray) -> dict[str, float]:
    """KS (left out with one class, like the kit's AUROC) and precision/recall at top-k%."""
    from sklearn.metrics import roc_curve

    p = np.asarray(p_default, dtype=float)
    y = np.asarray(is_default, dtype=int)
    out = {"finance.default_rate": float(y.mean())}
    if 0 < y.sum() < len(y):
        fpr, tpr, _ = roc_curve(y, p)
        out["finance.ks"] = float(np.max(tpr - fpr))  # max gap between the classes' CDFs
    order = np.argsort(-p, kind="stable")
    for k in TOP_K:
        n = max(1, int(np.ceil(len(p) * k / 100)))
        caught = int(y[order[:n]].sum())
        out[f"finance.precision_at_{k}pct"] = caught / n
        out[f"finance.recall_at_{k}pct"] = float(caught / y.sum()) if y.sum() else 0.0
    return out


def direction(
    long: np.ndarray, is_up: np.ndarray, returns: Sequence[float] | None, horizon: int = 1
) -> dict[str, float]:
    """Hit rate, long share, and compounded return of long-if-up vs buy-and-hold.

    ``long`` is the model's "up" call per example (the kit's argmax, so it agrees
    with ``accuracy``); ``returns`` are the realised percent returns of the label
    periods, in time order. With a horizon over one day the label periods overlap,
    so the trading comparison uses every ``horizon``-th example. No transaction
    costs are charged: the strategy figure flatters the model.
    """
    long = np.asarray(long, dtype=bool)
    y = np.asarray(is_up, dtype=int)
    out = {
        "finance.long_fraction": float(long.mean()),
        "finance.hit_rate": float(y[long].mean()) if long.any() else 0.0,
    }
    if returns is not None and len(returns) == len(long):
        r = np.asarray(returns, dtype=float)[::horizon] / 100
        strat = float(np.prod(1 + r * long[::horizon]) - 1)
        hold = float(np.prod(1 + r) - 1)
        out["finance.strategy_return"] = strat * 100
        out["finance.buy_hold_return"] = hold * 100
        out["finance.excess_return"] = (strat - hold) * 100
    return out


def returns_of(examples: Sequence[dict[str, Any]]) -> list[float] | None:
    if examples and all(isinstance(ex.get("return"), (int, float)) for ex in examples):
        return [float(ex["return"]) for ex in examples]
    return None


def horizon_of(examples: Sequence[dict[str, Any]]) -> int:
    return int(examples[0].get("horizon", 1)) if examples else 1


def for_task(
    task_id: str,
    probs: np.ndarray,
    refs: np.ndarray,
    examples: Sequence[dict[str, Any]],
    labels: Sequence[str],
) -> dict[str, float] | None:
    """The finance metrics of one task (None for sentiment: the kit's cover it)."""
    from vadapt_finance.tasks import CREDIT, MARKET

    probs = np.asarray(probs, dtype=float)
    refs = np.asarray(refs, dtype=int)
    if probs.ndim != 2 or probs.shape[0] != len(refs) or not len(refs):
        return None
    if task_id == CREDIT:
        pos = list(labels).index("default")
        return credit(probs[:, pos], refs == pos)
    if task_id == MARKET:
        up = list(labels).index("up")
        long = probs.argmax(1) == up
        return direction(long, refs == up, returns_of(examples), horizon_of(examples))
    return None
