"""Calibration of a classifier's probabilities: temperature scaling and reliability.

Temperature scaling (Guo et al., *On Calibration of Modern Neural Networks*, ICML 2017)
divides the logits by one scalar ``T`` fitted on validation by negative log-likelihood;
``T > 1`` softens an over-confident model, ``T < 1`` sharpens an under-confident one.
The argmax never changes, so accuracy and F1 do not either: only the probabilities (and
with them ECE, Brier, any threshold on them) move. The probabilities the engine keeps
are softmax outputs, and ``log p`` differs from the logits by a per-row constant, so
``softmax(log p / T)`` is exactly ``softmax(z / T)``: no logits need storing.

The engine fits ``T`` on every classification run's validation split (the state of the
best checkpoint, as every validation-fitted decision), stores it in the manifest's
``context`` and reports ``ece_calibrated`` beside ``ece``; ``predict(...,
calibrated=True)``, ``vadapt predict --calibrated`` and serving with ``--calibrated``
apply it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vadapt.kit.context import CORE, TEMPERATURE
from vadapt.kit.scoring import calibration_error
from vadapt.types import HeadKind

LOG_T_RANGE = (-3.0, 3.0)
"""Search interval of log T (T from 0.05 to 20)."""


def _log_probs(probs: np.ndarray) -> np.ndarray:
    return np.log(np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0))


def temper(probs: Any, temperature: float) -> np.ndarray:
    """Probabilities ``softmax(log p / T)`` row by row (``T = 1`` gives ``probs`` back)."""
    z = _log_probs(probs) / float(temperature)
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def nll(probs: Any, refs: Any, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the references under tempered probabilities."""
    p = temper(probs, temperature)
    r = np.asarray(refs, dtype=int)
    return float(-np.mean(np.log(np.clip(p[np.arange(len(r)), r], 1e-12, 1.0))))


def fit_temperature(probs: Any, refs: Any, *, tol: float = 1e-4) -> float:
    """The ``T`` minimising validation NLL: golden-section search over ``log T``.

    NLL is convex in ``1/T`` for fixed logits, so a bracketing search on the log scale
    finds the one minimum. Rows whose reference is not a label index (< 0) are left
    out; with no usable row (or a single class present in ``probs``) ``T`` is 1.
    """
    p = np.asarray(probs, dtype=np.float64)
    r = np.asarray(refs, dtype=int)
    keep = (r >= 0) & (r < p.shape[-1]) if p.ndim == 2 else np.zeros(len(r), dtype=bool)
    if not keep.any() or p.shape[-1] < 2:
        return 1.0
    p, r = p[keep], r[keep]
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    lo, hi = LOG_T_RANGE
    a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
    fa, fb = nll(p, r, np.exp(a)), nll(p, r, np.exp(b))
    while hi - lo > tol:
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - golden * (hi - lo)
            fa = nll(p, r, np.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + golden * (hi - lo)
            fb = nll(p, r, np.exp(b))
    return float(np.exp((lo + hi) / 2.0))


def reliability(confidence: Any, correct: Any, bins: int = 15) -> list[dict[str, float]]:
    """The reliability diagram's rows: per equal-width confidence bin, its bounds, the
    examples in it, their mean confidence and their accuracy (empty bins left out)."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    rows = []
    for b in range(bins):
        m = which == b
        if m.any():
            rows.append(
                {
                    "lo": float(edges[b]),
                    "hi": float(edges[b + 1]),
                    "count": int(m.sum()),
                    "confidence": float(conf[m].mean()),
                    "accuracy": float(ok[m].mean()),
                }
            )
    return rows


def plot_reliability(
    curves: dict[str, Sequence[dict[str, float]]], path: Any, *, title: str = ""
) -> Any:
    """A PNG reliability diagram: accuracy against confidence per bin for each named
    curve (e.g. ``{"raw": ..., "T = 1.7": ...}``), the diagonal for perfect calibration;
    ``path``: a file name or a binary file object."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 4.2), dpi=110)
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfectly calibrated")
    for name, rows in curves.items():
        xs = [r["confidence"] for r in rows]
        ys = [r["accuracy"] for r in rows]
        sizes = [12 + 60 * r["count"] / max(1, max(q["count"] for q in rows)) for r in rows]
        ax.plot(xs, ys, marker="o", lw=1.2, ms=3, label=name)
        ax.scatter(xs, ys, s=sizes, alpha=0.3)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (top probability)", ylabel="accuracy")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def calibrated_metrics(task: Any, probs: Any, refs: Any, context: Any) -> dict[str, float]:
    """For a classification task: fit ``T`` when ``context`` learns (a fresh validation
    evaluation) and keep it in the core namespace; wherever a ``T`` is known, the ECE of
    the tempered probabilities as ``ece_calibrated``. Other heads: nothing."""
    p = np.asarray(probs) if task.head == HeadKind.CLASSIFICATION else None
    if p is None or p.ndim != 2 or not len(p):
        return {}
    r = np.asarray(refs, dtype=int)
    if context.learning:
        context.scoped(CORE).remember(TEMPERATURE, fit_temperature(p, r))
    t = context.temperature()
    if t is None:
        return {}
    q = temper(p, t)
    return {"ece_calibrated": calibration_error(q.max(1), q.argmax(1) == r)}
