"""Clinical metrics that ``vadapt.kit.score`` does not compute, keyed ``medical.<name>``.

score() already gives accuracy, macro-F1, the per-class report, AUROC/AUPRC (binary:
of the positive label), ECE and Brier; this module adds only the clinical reading:

- binary (positive = ``TaskSpec.positive_label``, else the second label, as score()'s
  AUROC): ``sensitivity``, ``specificity``, ``ppv``, ``npv`` of the positive class at
  the argmax decision (the one accuracy uses), and ``sensitivity_at_95_specificity``;
- multi-class: ``sensitivity_at_95_specificity``, one-vs-rest, macro over classes with
  both outcomes in the split;
- multi-label: ``label.<key>.sensitivity_at_95_specificity`` per label and its macro
  ``sensitivity_at_95_specificity``.

Sensitivity at 95% specificity is a point of the split's own ROC curve (like AUROC,
no threshold is carried from validation). A metric whose denominator is empty on a
split (no positives) is left out rather than reported as a number it is not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from vadapt import TaskSpec
from vadapt.kit import key
from vadapt.kit.scoring import positive_index

PREFIX = "medical."
SPECIFICITY = 0.95


def sensitivity_at_specificity(
    y: np.ndarray, s: np.ndarray, specificity: float = SPECIFICITY
) -> float | None:
    """Best sensitivity among thresholds whose specificity is at least ``specificity``."""
    from sklearn.metrics import roc_curve

    if y.min() == y.max():
        return None
    fpr, tpr, _ = roc_curve(y, s)
    ok = fpr <= 1.0 - specificity + 1e-12
    return float(tpr[ok].max()) if ok.any() else 0.0


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else float(a) / float(b)


def confusion(y: np.ndarray, yhat: np.ndarray) -> dict[str, float | None]:
    """Sensitivity, specificity, PPV and NPV of the 0/1 decisions ``yhat``."""
    tp, fn = float((yhat & y).sum()), float((~yhat & y).sum())
    fp, tn = float((yhat & ~y).sum()), float((~yhat & ~y).sum())
    return {
        "sensitivity": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "ppv": _ratio(tp, tp + fp),
        "npv": _ratio(tn, tn + fn),
    }


def _put(out: dict[str, float], name: str, value: float | None) -> None:
    if value is not None and np.isfinite(value):
        out[PREFIX + name] = float(value)


def _macro(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def binary(probs: np.ndarray, refs: np.ndarray, positive: int) -> dict[str, float]:
    y = refs == positive
    out: dict[str, float] = {}
    for name, value in confusion(y, probs.argmax(1) == positive).items():
        _put(out, name, value)
    _put(out, "sensitivity_at_95_specificity", sensitivity_at_specificity(y, probs[:, positive]))
    return out


def multiclass(probs: np.ndarray, refs: np.ndarray) -> dict[str, float]:
    per = [sensitivity_at_specificity(refs == c, probs[:, c]) for c in range(probs.shape[1])]
    out: dict[str, float] = {}
    _put(out, "sensitivity_at_95_specificity", _macro(per))
    return out


def multilabel(probs: np.ndarray, refs: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    refs = refs.astype(bool)
    per = [sensitivity_at_specificity(refs[:, j], probs[:, j]) for j in range(refs.shape[1])]
    out: dict[str, float] = {}
    for name, value in zip(labels, per, strict=True):
        _put(out, f"label.{key(name)}.sensitivity_at_95_specificity", value)
    _put(out, "sensitivity_at_95_specificity", _macro(per))
    return out


def compute(
    task: TaskSpec, probs: np.ndarray, refs: np.ndarray, labels: Sequence[str]
) -> dict[str, float]:
    probs, refs = np.asarray(probs, dtype=float), np.asarray(refs)
    if len(refs) == 0:
        return {}
    if task.head == "multilabel":
        return multilabel(probs, refs, labels)
    refs = refs.astype(int).reshape(-1)
    if probs.shape[1] == 2:
        return binary(probs, refs, positive_index(task, labels))
    return multiclass(probs, refs)
