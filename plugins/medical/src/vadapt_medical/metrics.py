"""Clinical metrics: AUROC, sensitivity/specificity, PPV/NPV, sensitivity at 95%
specificity, per-class report and calibration error.

Conventions (documented in the README):
- Binary tasks: the positive class is ``labels[1]`` (the loaders put the
  positive label second: ``malignant``, MedMNIST's index 1). Thresholded metrics
  use p(positive) >= 0.5, i.e. the argmax prediction the accuracy uses.
- Multi-class: one-vs-rest per class, macro averaged; AUROC macro OvR.
- Multi-label: per label at p >= 0.5; AUROC macro (over labels with both values
  present) and micro (all label decisions pooled).
- A metric whose denominator is empty on this split (e.g. AUROC when the split
  holds one class) is left out rather than reported as a number it is not.
- Calibration: expected calibration error, 10 equal-width bins — of the top
  label's confidence for classification, of every label probability for
  multi-label.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

PREFIX = "medical."


def _key(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(label).lower()).strip("-") or "label"


def _safe_div(a: float, b: float) -> float | None:
    return None if b == 0 else float(a) / float(b)


def _auroc(y: np.ndarray, s: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if y.min() == y.max():
        return None
    return float(roc_auc_score(y, s))


def sensitivity_at_specificity(
    y: np.ndarray, s: np.ndarray, specificity: float = 0.95
) -> float | None:
    """Best sensitivity among thresholds whose specificity is at least ``specificity``."""
    from sklearn.metrics import roc_curve

    if y.min() == y.max():
        return None
    fpr, tpr, _ = roc_curve(y, s)
    ok = fpr <= 1.0 - specificity + 1e-12
    return float(tpr[ok].max()) if ok.any() else 0.0


def expected_calibration_error(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    conf = np.clip(conf.astype(float), 0.0, 1.0)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            ece += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(ece)


def _confusion(y: np.ndarray, yhat: np.ndarray) -> dict[str, float | None]:
    tp = float(((yhat == 1) & (y == 1)).sum())
    tn = float(((yhat == 0) & (y == 0)).sum())
    fp = float(((yhat == 1) & (y == 0)).sum())
    fn = float(((yhat == 0) & (y == 1)).sum())
    return {
        "sensitivity": _safe_div(tp, tp + fn),
        "specificity": _safe_div(tn, tn + fp),
        "ppv": _safe_div(tp, tp + fp),
        "npv": _safe_div(tn, tn + fn),
    }


def _one_vs_rest(y: np.ndarray, s: np.ndarray, yhat: np.ndarray) -> dict[str, float | None]:
    out = _confusion(y, yhat)
    out["auroc"] = _auroc(y, s)
    out["sensitivity_at_95_specificity"] = sensitivity_at_specificity(y, s)
    out["support"] = float(y.sum())
    return out


def _put(out: dict[str, float], key: str, value: float | None) -> None:
    if value is not None and np.isfinite(value):
        out[PREFIX + key] = float(value)


def _macro(per: list[dict[str, float | None]], name: str) -> float | None:
    vals = [p[name] for p in per if p[name] is not None]
    return float(np.mean(vals)) if vals else None


def classification_metrics(
    probs: np.ndarray, refs: np.ndarray, labels: Sequence[str]
) -> dict[str, float]:
    probs = np.asarray(probs, dtype=float)
    refs = np.asarray(refs).astype(int).reshape(-1)
    if len(refs) == 0:
        return {}
    k = probs.shape[1]
    pred = probs.argmax(1)
    out: dict[str, float] = {}
    _put(out, "ece", expected_calibration_error(probs.max(1), (pred == refs).astype(float)))
    onehot = np.eye(k)[refs]
    _put(out, "brier", float(((probs - onehot) ** 2).sum(1).mean()))
    if k == 2:
        y, s = refs, probs[:, 1]
        one = _one_vs_rest(y, s, (pred == 1).astype(int))
        for name in (
            "auroc",
            "sensitivity",
            "specificity",
            "ppv",
            "npv",
            "sensitivity_at_95_specificity",
        ):
            _put(out, name, one[name])
    per = [
        _one_vs_rest((refs == c).astype(int), probs[:, c], (pred == c).astype(int))
        for c in range(k)
    ]
    if k > 2:
        for name in (
            "auroc",
            "sensitivity",
            "specificity",
            "ppv",
            "npv",
            "sensitivity_at_95_specificity",
        ):
            _put(out, name, _macro(per, name))
    for c, one in enumerate(per):
        base = f"class.{_key(labels[c]) if c < len(labels) else c}."
        for name in ("sensitivity", "specificity", "ppv", "npv", "auroc", "support"):
            _put(out, base + name, one[name])
        sens, ppv = one["sensitivity"], one["ppv"]
        if sens is not None and ppv is not None:
            _put(out, base + "f1", 0.0 if sens + ppv == 0 else 2 * sens * ppv / (sens + ppv))
    return out


def multilabel_metrics(
    probs: np.ndarray, refs: np.ndarray, labels: Sequence[str]
) -> dict[str, float]:
    probs = np.asarray(probs, dtype=float)
    refs = np.asarray(refs).astype(int)
    if refs.size == 0:
        return {}
    pred = (probs >= 0.5).astype(int)
    out: dict[str, float] = {}
    per = [_one_vs_rest(refs[:, j], probs[:, j], pred[:, j]) for j in range(refs.shape[1])]
    _put(out, "auroc_macro", _macro(per, "auroc"))
    _put(out, "auroc_micro", _auroc(refs.ravel(), probs.ravel()))
    micro = _confusion(refs.ravel(), pred.ravel())
    for name in ("sensitivity", "specificity", "ppv", "npv"):
        _put(out, name + "_micro", micro[name])
    _put(out, "sensitivity_at_95_specificity_macro", _macro(per, "sensitivity_at_95_specificity"))
    _put(out, "ece", expected_calibration_error(probs.ravel(), refs.ravel().astype(float)))
    _put(out, "subset_accuracy", float((pred == refs).all(1).mean()))
    for j, one in enumerate(per):
        base = f"label.{_key(labels[j]) if j < len(labels) else j}."
        for name in ("auroc", "sensitivity", "specificity", "ppv", "support"):
            _put(out, base + name, one[name])
    return out


def compute(
    head: str, probs: np.ndarray, refs: np.ndarray, labels: Sequence[str]
) -> dict[str, float]:
    if head == "multilabel":
        return multilabel_metrics(probs, refs, labels)
    return classification_metrics(probs, refs, labels)
