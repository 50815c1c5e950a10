"""The ``evaluate`` hook's work: out-of-scope metrics of the intent task.

The out-of-scope threshold is calibrated on validation and kept in the run context
(``vadapt.kit.RunContext``): the engine keeps the context of the best validation
evaluation (the checkpoint it restores), evaluates test with it and stores it in
the adapter's manifest, so ``vadapt evaluate`` in a fresh process reuses the same
threshold and ``vadapt predict`` / serving output ``oos`` below it (the core's
abstention rule). ``customer-service.oos_threshold_calibrated`` says whether the
figures used a calibrated threshold (1) or, with nothing learnt, 0: only a trained
``oos`` class flags out of scope. Review triage and FAQ add nothing to
``vadapt.kit.score``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from vadapt import TaskSpec
from vadapt.kit import RunContext

from vadapt_customer_service.metrics import calibrate_oos_threshold, oos_metrics
from vadapt_customer_service.tasks import INTENT, OOS, P_PREFIX

THRESHOLD = "oos_threshold"
"""Run-context key of the calibrated threshold (namespace ``customer-service``)."""


def evaluate(
    task: TaskSpec,
    predictions: Any,
    references: Any,
    labels: Sequence[str],
    split: str,
    context: RunContext,
) -> dict[str, float] | None:
    if task.id != INTENT:
        return None
    probs = np.asarray(predictions, dtype=float)
    refs = np.asarray(references).astype(int)
    if split == "validation" and context.learning:
        t = calibrate_oos_threshold(probs, refs, labels)
        context.remember(THRESHOLD, t)
        if OOS in labels:
            context.abstain(OOS, t)
    stored = context.recall(THRESHOLD)
    out = oos_metrics(probs, refs, labels, 0.0 if stored is None else float(stored))
    out[f"{P_PREFIX}oos_threshold_calibrated"] = float(stored is not None)
    return out
