"""Score one split, and every baseline, by one definition (torch-free).

``score_split`` = :func:`vadapt.kit.score` + the task's ``evaluate`` hook with its run
context. The adapter's validation and test evaluations and every baseline go
through it, so the numbers printed side by side are computed by the same code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from vadapt_registry.errors import PluginError, VadaptError

from vadapt.kit import STANDARD_BASELINES, Predictions, RunContext, references, score
from vadapt.kit.calibration import calibrated_metrics
from vadapt.types import Example, Splits, TaskSpec

log = logging.getLogger(__name__)

PER_LABEL = ("class.", "label.")
"""Per-label kit keys: kept for the adapter, left out of baselines (compared on summaries)."""


def score_split(
    hooks: Any,
    task: TaskSpec,
    predictions: Any,
    refs: Any,
    examples: Sequence[Example],
    labels: Sequence[str],
    split: str,
    context: RunContext,
) -> dict[str, float]:
    """Kit metrics, then the plugin's, which may not reuse a kit metric's name."""
    metrics = score(task, predictions, refs, labels, examples)
    metrics.update(calibrated_metrics(task, predictions, refs, context))
    plugin = hooks.evaluate(task, predictions, refs, list(examples), labels, split, context)
    clash = set(plugin) & (set(metrics) | {"loss"})
    if clash:
        raise PluginError(
            f"hook 'evaluate' for task {task.id!r} returned kit metric name(s) {sorted(clash)}",
            fix="vadapt.kit.score already computes these; prefix plugin metrics with the plugin "
            "name, e.g. '<plugin>.<metric>'",
        )
    metrics.update(plugin)
    return metrics


def score_predictions(
    hooks: Any, task: TaskSpec, splits: Splits, labels: Sequence[str], preds: Predictions
) -> dict[str, float]:
    """A baseline's predictions scored like the adapter: validation first (to fit learnt
    state such as a threshold), then test with that state."""
    context = RunContext("validation")
    if preds.validation is not None and len(splits.validation):
        refs = references(task, splits.validation, labels)
        score_split(
            hooks, task, preds.validation, refs, splits.validation, labels, "validation", context
        )
    refs = references(task, splits.test, labels)
    metrics = score_split(
        hooks, task, preds.test, refs, splits.test, labels, "test", context.for_test()
    )
    return {k: v for k, v in metrics.items() if not k.startswith(PER_LABEL)}


def compute_baselines(
    hooks: Any,
    task: TaskSpec,
    splits: Splits,
    labels: Sequence[str],
    encode: Callable[[Sequence[Any]], Any] | None,
) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """The task's standard baselines plus its plugin's, each scored on the test split.

    Returns (metrics per baseline, a note per baseline: chosen hyper-parameters, or why
    it was skipped). ``majority`` always runs: it is the baseline gate's reference. A
    standard baseline that fails is skipped with a warning: an optional reference
    must not sink a finished run.
    """
    if not splits.train or not splits.test:
        return {}, {}
    results: dict[str, dict[str, float]] = {}
    notes: dict[str, str] = {}
    for name in dict.fromkeys(("majority", *task.baselines)):
        t0 = time.perf_counter()
        try:
            preds = STANDARD_BASELINES[name](task, splits, labels, encode)
        except VadaptError:
            raise
        except Exception as exc:
            log.warning(
                "baseline %s skipped for %s: %s: %s", name, task.id, type(exc).__name__, exc
            )
            notes[name] = f"skipped: {type(exc).__name__}: {exc}"
            continue
        if preds is None:
            notes[name] = "not applicable to this task's data"
            continue
        results[name] = score_predictions(hooks, task, splits, labels, preds)
        notes[name] = "; ".join(x for x in (preds.note, f"{time.perf_counter() - t0:.1f}s") if x)
    for name, value in hooks.baselines(task, splits, labels, encode, RunContext("test")).items():
        if name in results:
            raise PluginError(
                f"hook 'baselines' for task {task.id!r} returned {name!r}, a standard baseline",
                fix="list standard baselines in TaskSpec.baselines; give your own another name",
            )
        if isinstance(value, Predictions):
            results[name] = score_predictions(hooks, task, splits, labels, value)
            notes[name] = value.note
        else:
            results[name] = value
    return results, notes
