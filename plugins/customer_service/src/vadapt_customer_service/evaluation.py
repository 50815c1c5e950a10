"""The ``evaluate`` hook's work: which metrics for which task, and the intent threshold.

The out-of-scope threshold is calibrated on validation. The engine evaluates
validation after each epoch, keeps the checkpoint with the best value of
``TaskSpec.metric`` (strictly better, as ``vadapt.engine.metrics.better``), and
then evaluates test once. This module mirrors that choice: it keeps the threshold
calibrated at the best validation evaluation and uses it for the next test
evaluation of the same task and label set; a validation evaluation after a test
one starts a new run. The value is reported as ``customer-service.oos_threshold``
in both splits, so the manifest records what the test figures used. A test
evaluation with no validation before it in this process (a later
``vadapt evaluate``) has no calibration: it uses 0 (only a trained ``oos`` class
flags out of scope) and says so with ``customer-service.oos_threshold_calibrated = 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass
class _Calibration:
    threshold: float
    best: float
    finished: bool = False  # a test evaluation consumed it; the next validation starts afresh


_calibrations: dict[tuple[str, tuple[str, ...]], _Calibration] = {}


def _better(value: float, best: float, mode: str) -> bool:
    return value > best if mode == "max" else value < best


def _track(task: TaskSpec, labels: Sequence[str], threshold: float, watched: float | None) -> float:
    """Remember ``threshold`` if this validation is the run's best so far; return the kept one."""
    key = (task.id, tuple(labels))
    cal = _calibrations.get(key)
    value = watched if watched is not None and np.isfinite(watched) else None
    if (
        cal is None
        or cal.finished
        or (value is not None and _better(value, cal.best, task.metric_mode))
    ):
        start = -np.inf if task.metric_mode == "max" else np.inf
        cal = _Calibration(threshold, value if value is not None else start)
        _calibrations[key] = cal
    return cal.threshold


def _for_test(task: TaskSpec, labels: Sequence[str]) -> float | None:
    cal = _calibrations.get((task.id, tuple(labels)))
    if cal is None:
        return None
    cal.finished = True
    return cal.threshold


def evaluate(
    task: TaskSpec, predictions: Any, references: np.ndarray, labels: Sequence[str], split: str
) -> dict[str, float]:
    if task.head == HeadKind.RANKING:
        return ranking_metrics(list(predictions), references.astype(int).tolist(), ks=(1, 5, 10))
    probs = np.asarray(predictions, dtype=float)
    refs = references.astype(int)
    everything = classification_metrics(probs, refs, labels)
    out = {k: v for k, v in everything.items() if k not in CORE_KEYS}
    if task.id == INTENT:
        calibrated = 1.0
        if split == "validation":
            fresh = calibrate_oos_threshold(probs, refs, labels)
            oos_now = oos_metrics(probs, refs, labels, fresh)
            watched = {**everything, **oos_now}.get(task.metric)
            _track(task, labels, fresh, watched)
            threshold = fresh  # this evaluation's figures use its own calibration
        else:
            stored = _for_test(task, labels)
            calibrated = float(stored is not None)
            threshold = stored if stored is not None else 0.0
        out.update(oos_metrics(probs, refs, labels, threshold))
        out[f"{P_PREFIX}oos_threshold_calibrated"] = calibrated
    return out
