"""Core metrics, computed the same way for every task of a head kind (numpy only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vadapt.types import HeadKind


def _f1s(pred: np.ndarray, ref: np.ndarray, n: int) -> np.ndarray:
    f1 = np.zeros(n)
    for k in range(n):
        tp = float(((pred == k) & (ref == k)).sum())
        fp = float(((pred == k) & (ref != k)).sum())
        fn = float(((pred != k) & (ref == k)).sum())
        f1[k] = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
    return f1


def core_metrics(
    kind: HeadKind, predictions: object, references: np.ndarray, n_labels: int
) -> dict[str, float]:
    if kind == HeadKind.CLASSIFICATION:
        probs = np.asarray(predictions)
        pred = probs.argmax(1)
        present = np.union1d(np.unique(references), np.unique(pred))
        f1 = _f1s(pred, references, n_labels)[present]
        return {"accuracy": float((pred == references).mean()), "macro_f1": float(f1.mean())}
    if kind == HeadKind.MULTILABEL:
        probs = np.asarray(predictions)
        pred = (probs >= 0.5).astype(np.float32)
        tp = (pred * references).sum(0)
        fp = (pred * (1 - references)).sum(0)
        fn = ((1 - pred) * references).sum(0)
        denom = 2 * tp + fp + fn
        per = np.where(denom > 0, 2 * tp / np.maximum(denom, 1e-12), 0.0)
        micro_d = 2 * tp.sum() + fp.sum() + fn.sum()
        return {
            "accuracy": float((pred == references).all(1).mean()),
            "macro_f1": float(per.mean()),
            "micro_f1": float(2 * tp.sum() / micro_d) if micro_d > 0 else 0.0,
        }
    if kind == HeadKind.REGRESSION:
        pred = np.asarray(predictions, dtype=np.float64)
        ref = references.astype(np.float64)
        mse = float(((pred - ref) ** 2).mean())
        var = float(((ref - ref.mean()) ** 2).mean())
        return {
            "mse": mse,
            "mae": float(np.abs(pred - ref).mean()),
            "r2": 1 - mse / var if var > 0 else 0.0,
        }
    if kind == HeadKind.RANKING:
        ranks = []
        for scores, pos in zip(predictions, references, strict=True):  # type: ignore[call-overload]
            s = np.asarray(scores)
            ranks.append(int((s > s[int(pos)]).sum()) + 1)
        r = np.asarray(ranks)
        out = {"mrr": float((1.0 / r).mean())}
        for k in (1, 5, 10):
            out[f"recall@{k}"] = float((r <= k).mean())
        return out
    raise ValueError(kind)


def better(a: float, b: float | None, mode: str) -> bool:
    if b is None:
        return True
    return a > b if mode == "max" else a < b


__all__: Sequence[str] = ("better", "core_metrics")
