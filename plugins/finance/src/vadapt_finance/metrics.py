"""Domain metrics, shared by the ``evaluate`` hook and the baselines (one code path).

Keys are ``finance.<metric>``. Credit risk is scored the way risk teams read a
scorecard: ranking (AUROC, KS), probability quality (Brier, expected calibration
error), and what a review queue of the riskiest k% catches (precision/recall at
top-k%). Market direction adds what a forecast is for: the return of going long
when the model says "up" (flat otherwise) against buy-and-hold on the same days.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

TOP_K = (5, 10)  # review the riskiest 5% / 10% of applicants


def credit(p_default: np.ndarray, is_default: np.ndarray) -> dict[str, float]:
    """AUROC, KS, Brier, ECE and precision/recall at the top-k% riskiest."""
    from sklearn.metrics import roc_auc_score, roc_curve

    p = np.asarray(p_default, dtype=float)
    y = np.asarray(is_default, dtype=int)
    out: dict[str, float] = {
        "finance.brier": float(np.mean((p - y) ** 2)),
        "finance.calibration_error": expected_calibration_error(p, y),
        "finance.default_rate": float(y.mean()) if len(y) else 0.0,
    }
    if 0 < y.sum() < len(y):
        out["finance.auroc"] = float(roc_auc_score(y, p))
        fpr, tpr, _ = roc_curve(y, p)
        out["finance.ks"] = float(np.max(tpr - fpr))  # max gap between the two classes' CDFs
    else:
        # undefined with one class present (a tiny split); reported as "no ranking
        # information" so early stopping always has its metric. Never happens on the
        # bundled sets: their splits are stratified.
        out["finance.auroc"], out["finance.ks"] = 0.5, 0.0
    order = np.argsort(-p, kind="stable")
    for k in TOP_K:
        n = max(1, int(np.ceil(len(p) * k / 100)))
        caught = int(y[order[:n]].sum())
        out[f"finance.precision_at_{k}pct"] = caught / n
        out[f"finance.recall_at_{k}pct"] = float(caught / y.sum()) if y.sum() else 0.0
    return out


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Mean |predicted - observed default rate| over 10 equal-width bins, weighted by bin size."""
    if len(p) == 0:
        return 0.0
    which = np.minimum((p * bins).astype(int), bins - 1)
    err = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            err += m.mean() * abs(p[m].mean() - y[m].mean())
    return float(err)


def direction(
    p_up: np.ndarray, is_up: np.ndarray, returns: Sequence[float] | None, horizon: int = 1
) -> dict[str, float]:
    """Directional accuracy; hit rate and compounded return of long-if-up vs buy-and-hold.

    ``returns`` are the realised percent returns of the label periods, in time
    order. With a horizon over one day the label periods overlap, so the trading
    comparison uses every ``horizon``-th example (non-overlapping holdings).
    No transaction costs are charged: the strategy figure flatters the model.
    """
    p = np.asarray(p_up, dtype=float)
    y = np.asarray(is_up, dtype=int)
    long = p >= 0.5
    out = {
        "finance.directional_accuracy": float(np.mean(long == (y == 1))) if len(y) else 0.0,
        "finance.long_fraction": float(long.mean()) if len(y) else 0.0,
        "finance.hit_rate": float(y[long].mean()) if long.any() else 0.0,
    }
    if returns is not None and len(returns) == len(p):
        r = np.asarray(returns, dtype=float)[::horizon] / 100
        sig = long[::horizon]
        strat = float(np.prod(1 + r * sig) - 1)
        hold = float(np.prod(1 + r) - 1)
        out["finance.strategy_return"] = strat * 100
        out["finance.buy_hold_return"] = hold * 100
        out["finance.excess_return"] = (strat - hold) * 100
    return out


def sentiment(pred: np.ndarray, ref: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    from sklearn.metrics import f1_score

    ids = list(range(len(labels)))
    per = f1_score(ref, pred, labels=ids, average=None, zero_division=0)
    out = {"finance.macro_f1": float(np.mean(per))}
    out.update({f"finance.f1_{name}": float(v) for name, v in zip(labels, per, strict=True)})
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
    """The finance metrics of one task from class probabilities ``(N, len(labels))``."""
    from vadapt_finance.tasks import CREDIT, MARKET, SENTIMENT

    probs = np.asarray(probs, dtype=float)
    refs = np.asarray(refs, dtype=int)
    if probs.ndim != 2 or probs.shape[0] != len(refs):
        return None
    if task_id == CREDIT and "default" in labels:
        pos = list(labels).index("default")
        return credit(probs[:, pos], refs == pos)
    if task_id == MARKET and "up" in labels:
        up = list(labels).index("up")
        return direction(probs[:, up], refs == up, returns_of(examples), horizon_of(examples))
    if task_id == SENTIMENT:
        return sentiment(probs.argmax(1), refs, labels)
    return None


def core_like(probs: np.ndarray, refs: np.ndarray, n_labels: int) -> dict[str, float]:
    """accuracy and macro_f1 as the core reports them, for baselines to sit beside the adapter."""
    from sklearn.metrics import f1_score

    pred = np.asarray(probs).argmax(1)
    return {
        "accuracy": float(np.mean(pred == refs)),
        "macro_f1": float(
            f1_score(refs, pred, labels=list(range(n_labels)), average="macro", zero_division=0)
        ),
    }
