"""Customer-service metrics: per-class report, calibration, out-of-scope, retrieval.

All functions are pure numpy and shared by the ``evaluate`` hook and the
baselines, so an adapter and its baselines are scored by the same code.
Keys the plugin adds are prefixed ``customer-service.``; ``accuracy`` and
``macro_f1`` keep the core's names so reports line baselines up with adapters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vadapt_customer_service.tasks import OOS
from vadapt_customer_service.tasks import P_PREFIX as P

ECE_BINS = 15
OOS_TARGET_IN_SCOPE_RECALL = 0.95
"""Without out-of-scope validation examples, the threshold keeps this share of in-scope ones."""


def per_class_report(pred: np.ndarray, refs: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """scikit-learn's classification_report as flat float keys.

    ``customer-service.<label>.precision|recall|f1|support`` per label, plus
    ``macro_precision``, ``macro_recall``, ``weighted_f1``. Zero division counts
    as 0, as sklearn's ``zero_division=0``.
    """
    out: dict[str, float] = {}
    n = len(labels)
    precisions, recalls, f1s, supports = [], [], [], []
    for k, name in enumerate(labels):
        tp = float(np.sum((pred == k) & (refs == k)))
        predicted = float(np.sum(pred == k))
        support = float(np.sum(refs == k))
        p = tp / predicted if predicted else 0.0
        r = tp / support if support else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[f"{P}{name}.precision"], out[f"{P}{name}.recall"] = p, r
        out[f"{P}{name}.f1"], out[f"{P}{name}.support"] = f, support
        precisions.append(p)
        recalls.append(r)
        f1s.append(f)
        supports.append(support)
    total = sum(supports)
    out[f"{P}macro_precision"] = float(np.mean(precisions)) if n else 0.0
    out[f"{P}macro_recall"] = float(np.mean(recalls)) if n else 0.0
    out[f"{P}weighted_f1"] = float(np.dot(f1s, supports) / total) if total else 0.0
    return out


def macro_f1(pred: np.ndarray, refs: np.ndarray, n_labels: int) -> float:
    """Macro-F1 over the labels that occur in the references or predictions (sklearn's default)."""
    present = np.union1d(np.unique(refs), np.unique(pred))
    f1s = []
    for k in present[(present >= 0) & (present < n_labels)]:
        tp = np.sum((pred == k) & (refs == k))
        denom = np.sum(pred == k) + np.sum(refs == k)
        f1s.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(f1s)) if f1s else 0.0


def expected_calibration_error(probs: np.ndarray, refs: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE over equal-width confidence bins of the top probability (Guo et al., 2017)."""
    if len(refs) == 0:
        return 0.0
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == refs).astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


def classification_metrics(
    probs: np.ndarray, refs: np.ndarray, labels: Sequence[str]
) -> dict[str, float]:
    """accuracy, macro_f1, ECE and the per-class report of argmax predictions."""
    probs = np.asarray(probs, dtype=float)
    refs = np.asarray(refs, dtype=int)
    pred = probs.argmax(axis=1)
    out = {
        "accuracy": float(np.mean(pred == refs)) if len(refs) else 0.0,
        "macro_f1": macro_f1(pred, refs, len(labels)),
        f"{P}ece": expected_calibration_error(probs, refs),
    }
    out.update(per_class_report(pred, refs, labels))
    return out


# -- out of scope (intent) -------------------------------------------------------------


def _in_scope(labels: Sequence[str]) -> np.ndarray:
    return np.array([lab != OOS for lab in labels])


def oos_decide(probs: np.ndarray, labels: Sequence[str], threshold: float) -> np.ndarray:
    """Predicted label index: the top in-scope intent, or ``oos`` below ``threshold``.

    Confidence is the top in-scope probability; probability mass on a trained
    ``oos`` class lowers it, so that class and the threshold work together.
    """
    mask = _in_scope(labels)
    in_idx = np.flatnonzero(mask)
    top = in_idx[probs[:, mask].argmax(axis=1)]
    conf = probs[:, mask].max(axis=1)
    oos_index = list(labels).index(OOS) if OOS in labels else -1
    return np.where(conf < threshold, oos_index, top)


def calibrate_oos_threshold(probs: np.ndarray, refs: np.ndarray, labels: Sequence[str]) -> float:
    """The confidence threshold chosen on validation.

    With out-of-scope examples in validation: the threshold that maximises the
    mean of in-scope accuracy and out-of-scope recall (so the rare class
    counts as much as the rest). Without any: the threshold that keeps
    ``OOS_TARGET_IN_SCOPE_RECALL`` of in-scope messages.
    """
    if OOS not in labels or len(refs) == 0:
        return 0.0
    mask = _in_scope(labels)
    oos_index = list(labels).index(OOS)
    conf = probs[:, mask].max(axis=1)
    is_oos = refs == oos_index
    if not is_oos.any():
        return float(np.quantile(conf, 1.0 - OOS_TARGET_IN_SCOPE_RECALL))
    if is_oos.all():
        return float(conf.max() + 1e-6)
    candidates = np.unique(np.concatenate([[0.0], conf, [conf.max() + 1e-6]]))
    best, best_score = 0.0, -1.0
    for t in candidates:
        pred = oos_decide(probs, labels, float(t))
        in_acc = np.mean(pred[~is_oos] == refs[~is_oos])
        oos_rec = np.mean(pred[is_oos] == oos_index)
        score = (in_acc + oos_rec) / 2
        if score > best_score + 1e-12:
            best, best_score = float(t), float(score)
    return best


def oos_metrics(
    probs: np.ndarray,
    refs: np.ndarray,
    labels: Sequence[str],
    threshold: float,
    ks: Sequence[int] = (1, 3, 5),
) -> dict[str, float]:
    """Out-of-scope precision/recall/F1, in-scope accuracy and top-k, under ``threshold``."""
    probs = np.asarray(probs, dtype=float)
    refs = np.asarray(refs, dtype=int)
    pred = oos_decide(probs, labels, threshold)
    out: dict[str, float] = {f"{P}oos_threshold": float(threshold)}
    out[f"{P}accuracy_with_oos"] = float(np.mean(pred == refs)) if len(refs) else 0.0
    mask = _in_scope(labels)
    if OOS in labels:
        o = list(labels).index(OOS)
        tp = float(np.sum((pred == o) & (refs == o)))
        flagged, actual = float(np.sum(pred == o)), float(np.sum(refs == o))
        prec = tp / flagged if flagged else 0.0
        rec = tp / actual if actual else 0.0
        out[f"{P}oos_precision"], out[f"{P}oos_recall"] = prec, rec
        out[f"{P}oos_f1"] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        ins = refs != o
    else:
        ins = np.ones(len(refs), dtype=bool)
    out[f"{P}in_scope_accuracy"] = float(np.mean(pred[ins] == refs[ins])) if ins.any() else 0.0
    # top-k among in-scope intents, on in-scope messages
    in_idx = np.flatnonzero(mask)
    order = in_idx[np.argsort(-probs[:, mask], axis=1)]
    for k in ks:
        if k <= len(in_idx) and ins.any():
            hit = (order[ins, :k] == refs[ins, None]).any(axis=1)
            out[f"{P}top{k}_accuracy"] = float(hit.mean())
    out.update(per_class_report(pred, refs, labels))
    out[f"{P}macro_f1_with_oos"] = macro_f1(pred, refs, len(labels))
    return out


# -- ranking (faq) ---------------------------------------------------------------------


def ranks(scores: Sequence[np.ndarray], positives: Sequence[int]) -> np.ndarray:
    """1-based rank of the right candidate in each score list (ties count against it)."""
    out = []
    for s, pos in zip(scores, positives, strict=True):
        s = np.asarray(s, dtype=float)
        out.append(1 + int(np.sum(s > s[int(pos)])) + int(np.sum(s == s[int(pos)])) - 1)
    return np.asarray(out)


def ranking_metrics(
    scores: Sequence[np.ndarray], positives: Sequence[int], ks: Sequence[int] = (1, 5)
) -> dict[str, float]:
    r = ranks(scores, positives)
    if len(r) == 0:
        return {}
    out = {f"{P}recall@{k}": float(np.mean(r <= k)) for k in ks}
    out[f"{P}mrr"] = float(np.mean(1.0 / r))
    return out
