"""Domain metrics for the ``evaluate`` hook (keys ``driving.<metric>``).

From predictions alone: accuracy, recall per class, the safety-critical classes
(stop / yield / no-entry signs, red lights) on their own with recall and
precision, red-light-read-as-green rate, confusion-matrix entries, and — when
the examples carry ``corruption``/``severity`` keys (``data.test_corruption``, or
``robustness.evaluate_robustness``) — accuracy per corruption and severity and
the mean corruption accuracy. Robust accuracy under PGD needs the model, so it
lives in ``robustness.py``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from vadapt_driving.lights import SAFETY_CRITICAL_LIGHTS
from vadapt_driving.signs import SAFETY_CRITICAL_SIGNS

FULL_CONFUSION_MAX = 12  # above this many classes only non-zero cells are reported


def key(label: str) -> str:
    """A metric-key-safe form of a label (no dots, spaces or slashes)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(label)).strip("_") or "_"


def safety_critical(labels: Sequence[str]) -> list[str]:
    return [lab for lab in labels if lab in SAFETY_CRITICAL_SIGNS or lab in SAFETY_CRITICAL_LIGHTS]


def classification_metrics(
    pred: np.ndarray, ref: np.ndarray, labels: Sequence[str]
) -> dict[str, float]:
    """Metrics from predicted and true label indices."""
    out: dict[str, float] = {}
    n = len(ref)
    if n == 0:
        return out
    k = len(labels)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (ref, pred), 1)
    out["driving.accuracy"] = float(np.trace(cm) / n)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    for i, lab in enumerate(labels):
        if support[i]:
            out[f"driving.recall.{key(lab)}"] = float(cm[i, i] / support[i])
    crit = [lab for lab in safety_critical(labels) if support[labels.index(lab)]]
    for lab in crit:
        i = labels.index(lab)
        out[f"driving.critical.{key(lab)}.recall"] = float(cm[i, i] / support[i])
        out[f"driving.critical.{key(lab)}.precision"] = (
            float(cm[i, i] / predicted[i]) if predicted[i] else 0.0
        )
        out[f"driving.critical.{key(lab)}.support"] = float(support[i])
    if crit:
        out["driving.critical_recall_min"] = min(
            out[f"driving.critical.{key(lab)}.recall"] for lab in crit
        )
    reds = [labels.index(lab) for lab in labels if lab in ("red", "red-left")]
    greens = [labels.index(lab) for lab in labels if lab in ("green", "green-left")]
    if reds and greens and support[reds].sum():
        out["driving.red_as_green_rate"] = float(
            cm[np.ix_(reds, greens)].sum() / support[reds].sum()
        )
    full = k <= FULL_CONFUSION_MAX
    for i in range(k):
        for j in range(k):
            if full or cm[i, j]:
                out[f"driving.confusion.{key(labels[i])}.{key(labels[j])}"] = float(cm[i, j])
    return out


def corruption_metrics(correct: np.ndarray, examples: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Accuracy per corruption x severity, per corruption, and their mean (mCA)."""
    cells: dict[tuple[str, int], list[bool]] = defaultdict(list)
    clean: list[bool] = []
    for ok, ex in zip(correct, examples, strict=True):
        name = ex.get("corruption")
        if name:
            cells[(str(name), int(ex.get("severity", 0)))].append(bool(ok))
        else:
            clean.append(bool(ok))
    if not cells:
        return {}
    out: dict[str, float] = {}
    per_corruption: dict[str, list[float]] = defaultdict(list)
    for (name, sev), oks in sorted(cells.items()):
        acc = float(np.mean(oks))
        out[f"driving.corruption.{key(name)}.s{sev}.accuracy"] = acc
        per_corruption[name].append(acc)
    for name, accs in per_corruption.items():
        out[f"driving.corruption.{key(name)}.accuracy"] = float(np.mean(accs))
    out["driving.mean_corruption_accuracy"] = float(
        np.mean([np.mean(a) for a in per_corruption.values()])
    )
    if clean:
        out["driving.clean_accuracy"] = float(np.mean(clean))
    return out


def evaluate(
    predictions: Any, references: Any, examples: Sequence[dict[str, Any]], labels: Sequence[str]
) -> dict[str, float]:
    probs = np.asarray(predictions)
    ref = np.asarray(references).astype(np.int64).reshape(-1)
    labels = list(labels)
    if probs.ndim != 2 or probs.shape[0] != ref.shape[0] or probs.shape[1] != len(labels):
        raise ValueError(
            f"vadapt-driving evaluate: predictions shape {probs.shape} does not match "
            f"{ref.shape[0]} references x {len(labels)} labels"
        )
    pred = probs.argmax(axis=1)
    out = classification_metrics(pred, ref, labels)
    if examples is not None and len(examples) == len(ref):
        out.update(corruption_metrics(pred == ref, examples))
    return out
