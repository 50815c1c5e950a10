"""Out-of-scope metrics of the intent task: the threshold rule, its calibration, its scores.

Everything else (accuracy, macro-F1, the per-class report, ECE, ranking metrics) is
``vadapt.kit.score``'s. The rule is the core's abstention rule
(``RunContext.abstain``, which ``vadapt predict`` and serving apply): the argmax
label, or ``oos`` when the top probability is below the threshold. So these
figures are what a stored intent adapter outputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vadapt_customer_service.tasks import OOS
from vadapt_customer_service.tasks import P_PREFIX as P

OOS_TARGET_IN_SCOPE_RECALL = 0.95
"""Without out-of-scope validation examples, the threshold keeps this share of in-scope ones."""


def oos_decide(probs: np.ndarray, labels: Sequence[str], threshold: float) -> np.ndarray:
    """Predicted label index: the argmax, or ``oos`` when the top probability is below
    ``threshold`` (no change when the label set has no ``oos``)."""
    pred = probs.argmax(axis=1)
    if OOS not in labels:
        return pred
    return np.where(probs.max(axis=1) < threshold, list(labels).index(OOS), pred)


def calibrate_oos_threshold(probs: np.ndarray, refs: np.ndarray, labels: Sequence[str]) -> float:
    """The confidence threshold chosen on validation.

    With out-of-scope examples in validation: the threshold that maximises the mean
    of in-scope accuracy and out-of-scope recall (so the rare class counts as much
    as the rest). Without any: the one that keeps ``OOS_TARGET_IN_SCOPE_RECALL`` of
    in-scope messages. Without an ``oos`` label: 0 (nothing is out of scope).
    """
    if OOS not in labels or len(refs) == 0:
        return 0.0
    conf = probs.max(axis=1)
    is_oos = refs == list(labels).index(OOS)
    if not is_oos.any():
        return float(np.quantile(conf, 1.0 - OOS_TARGET_IN_SCOPE_RECALL))
    if is_oos.all():
        return float(conf.max() + 1e-6)
    best, best_score = 0.0, -1.0
    for t in np.unique(np.concatenate([[0.0], conf, [conf.max() + 1e-6]])):
        score = _balanced(oos_decide(probs, labels, float(t)), refs, is_oos, labels)
        if score > best_score + 1e-12:
            best, best_score = float(t), score
    return best


def _balanced(
    pred: np.ndarray, refs: np.ndarray, is_oos: np.ndarray, labels: Sequence[str]
) -> float:
    in_acc = np.mean(pred[~is_oos] == refs[~is_oos])
    oos_rec = np.mean(pred[is_oos] == list(labels).index(OOS))
    return float((in_acc + oos_rec) / 2)


def oos_metrics(
    probs: np.ndarray, refs: np.ndarray, labels: Sequence[str], threshold: float
) -> dict[str, float]:
    """In-scope accuracy and out-of-scope precision/recall/F1 under ``threshold``."""
    probs = np.asarray(probs, dtype=float)
    refs = np.asarray(refs, dtype=int)
    pred = oos_decide(probs, labels, threshold)
    out: dict[str, float] = {f"{P}oos_threshold": float(threshold)}
    in_scope = np.ones(len(refs), dtype=bool)
    if OOS in labels:
        o = list(labels).index(OOS)
        in_scope = refs != o
        out.update(_flag_scores(pred == o, ~in_scope))
    if in_scope.any():
        out[f"{P}in_scope_accuracy"] = float(np.mean(pred[in_scope] == refs[in_scope]))
    return out


def _flag_scores(flagged: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(
        actual, flagged, average="binary", pos_label=True, zero_division=0
    )
    return {f"{P}oos_precision": float(p), f"{P}oos_recall": float(r), f"{P}oos_f1": float(f)}
