"""The ``evaluate`` hook's work: which metrics for which task, and the intent threshold.

The out-of-scope threshold is calibrated on every validation evaluation and
reused for the next test evaluation of the same task and label set in this
process (the engine evaluates validation, then test). It is reported as
``customer-service.oos_threshold`` in both, so the manifest records the value
the test figures used; a test evaluation with no calibration in this process
(e.g. a later ``vadapt evaluate``) uses the threshold the user stored there,
else 0 (only a trained ``oos`` class flags out of scope), and says so by
``customer-service.oos_threshold_calibrated = 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from vadapt import HeadKind, TaskSpec

from vadapt_customer_service.metrics import (
    calibrate_oos_threshold,
    classification_metrics,
    oos_metrics,
    ranking_metrics,
)
from vadapt_customer_service.tasks import INTENT, P_PREFIX

CORE_KEYS = ("accuracy", "macro_f1")
_thresholds: dict[tuple[str, tuple[str, ...]], float] = {}


def remember_threshold(task_id: str, labels: Sequence[str], value: float) -> None:
    _thresholds[(task_id, tuple(labels))] = float(value)


def stored_threshold(task_id: str, labels: Sequence[str]) -> float | None:
    return _thresholds.get((task_id, tuple(labels)))


def evaluate(
    task: TaskSpec, predictions: Any, references: np.ndarray, labels: Sequence[str], split: str
) -> dict[str, float]:
    if task.head == HeadKind.RANKING:
        return ranking_metrics(list(predictions), references.astype(int).tolist(), ks=(1, 5, 10))
    probs = np.asarray(predictions, dtype=float)
    refs = references.astype(int)
    out = {
        k: v for k, v in classification_metrics(probs, refs, labels).items() if k not in CORE_KEYS
    }
    if task.id == INTENT:
        calibrated = 1.0
        if split == "validation":
            threshold = calibrate_oos_threshold(probs, refs, labels)
            remember_threshold(task.id, labels, threshold)
        else:
            stored = stored_threshold(task.id, labels)
            calibrated = float(stored is not None)
            threshold = stored if stored is not None else 0.0
        out.update(oos_metrics(probs, refs, labels, threshold))
        out[f"{P_PREFIX}oos_threshold_calibrated"] = calibrated
    return out
