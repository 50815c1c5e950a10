"""Driving metrics ``vadapt.kit.score`` lacks, for the ``evaluate`` hook (keys ``driving.*``).

The kit already scores accuracy, macro F1, per-class precision/recall/F1 (``class.stop.recall``,
``class.red.recall``), AUROC and ECE. This module adds only what is specific to driving:

- ``driving.critical_recall_min``: the lowest recall over the safety-critical classes present
  in the split (stop / yield / no-entry signs, red / red-left lights);
- ``driving.red_as_green_rate``: share of red (incl. red-left) lights read as a green state;
- when examples carry ``corruption``/``severity`` (``data.test_corruption``, or
  ``robustness.evaluate_robustness``): ``driving.corruption.<name>.s<k>.accuracy``,
  ``driving.corruption.<name>.accuracy``, ``driving.mean_corruption_accuracy`` (mCA: mean
  over corruptions of the mean over severities) and ``driving.clean_accuracy`` (the
  uncorrupted rows of a mixed split).

Robust accuracy under PGD needs the model, so it lives in ``robustness.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from vadapt_driving.lights import SAFETY_CRITICAL_LIGHTS
from vadapt_driving.signs import SAFETY_CRITICAL_SIGNS

REDS = ("red", "red-left")
GREENS = ("green", "green-left")


def safety_critical(labels: Sequence[str]) -> list[str]:
    return [lab for lab in labels if lab in SAFETY_CRITICAL_SIGNS or lab in SAFETY_CRITICAL_LIGHTS]


def critical_recall_min(pred: np.ndarray, ref: np.ndarray, labels: Sequence[str]) -> float | None:
    """Lowest recall over the safety-critical classes with support (None without any)."""
    recalls = [
        float((pred[ref == i] == i).mean())
        for i, lab in enumerate(labels)
        if lab in safety_critical(labels) and (ref == i).any()
    ]
    return min(recalls) if recalls else None


def red_as_green_rate(pred: np.ndarray, ref: np.ndarray, labels: Sequence[str]) -> float | None:
    reds = [i for i, lab in enumerate(labels) if lab in REDS]
    greens = [i for i, lab in enumerate(labels) if lab in GREENS]
    is_red = np.isin(ref, reds)
    if not greens or not is_red.any():
        return None
    return float(np.isin(pred[is_red], greens).mean())


def corruption_metrics(correct: np.ndarray, examples: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Accuracy per corruption x severity, per corruption, and their mean (mCA).

    Corruption names are ``corruptions.CORRUPTIONS`` identifiers, already key-safe.
    """
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
        out[f"driving.corruption.{name}.s{sev}.accuracy"] = float(np.mean(oks))
        per_corruption[name].append(float(np.mean(oks)))
    for name, accs in per_corruption.items():
        out[f"driving.corruption.{name}.accuracy"] = float(np.mean(accs))
    out["driving.mean_corruption_accuracy"] = float(
        np.mean([np.mean(a) for a in per_corruption.values()])
    )
    if clean:
        out["driving.clean_accuracy"] = float(np.mean(clean))
    return out


def evaluate(
    predictions: Any, references: Any, examples: Sequence[dict[str, Any]], labels: Sequence[str]
) -> dict[str, float] | None:
    """The ``driving.*`` metrics of one split; None when none applies."""
    probs = np.asarray(predictions)
    ref = np.asarray(references).astype(np.int64).reshape(-1)
    labels = list(labels)
    if probs.ndim != 2 or probs.shape[0] != ref.shape[0] or probs.shape[1] != len(labels):
        raise ValueError(
            f"vadapt-driving evaluate: predictions shape {probs.shape} does not match "
            f"{ref.shape[0]} references x {len(labels)} labels"
        )
    pred = probs.argmax(axis=1)
    out: dict[str, float] = {}
    for name, fn in (
        ("driving.critical_recall_min", critical_recall_min),
        ("driving.red_as_green_rate", red_as_green_rate),
    ):
        value = fn(pred, ref, labels)
        if value is not None:
            out[name] = value
    if examples is not None and len(examples) == len(ref):
        out.update(corruption_metrics(pred == ref, examples))
    return out or None
