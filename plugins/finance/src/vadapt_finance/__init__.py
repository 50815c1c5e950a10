"""vadapt-finance: credit default, market direction (time-ordered), financial sentiment.

This module holds only the hook implementations; each delegates to a module
with one job (tasks, credit, market, sentiment, metrics, reference, augmentation).
The core calls them only for the tasks registered here, with ``config`` already
validated against the task's ``data_model``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vadapt import Splits, TaskSpec, hookimpl

from vadapt_finance.tasks import CREDIT, MARKET, SENTIMENT, task_specs

__version__ = "0.1.0"


@hookimpl
def register_tasks() -> list[TaskSpec]:
    return task_specs()


@hookimpl
def load_data(task: TaskSpec, config: Any) -> Splits | None:
    if task.id == CREDIT:
        from vadapt_finance import credit

        return credit.load(config)
    if task.id == MARKET:
        from vadapt_finance import market

        return market.load(config)
    from vadapt_finance import sentiment

    return sentiment.load(config)


@hookimpl
def augment(
    task: TaskSpec, examples: list[dict[str, Any]], rng: Any, config: Any
) -> list[dict[str, Any]]:
    from vadapt_finance import augmentation as aug

    return aug.augment(examples, rng, config, rows=task.id != SENTIMENT)


@hookimpl
def robustness_perturbations(task: TaskSpec) -> dict[str, Any] | None:
    """Rows (credit, market): feature noise and missing values, re-serialised."""
    if task.id == SENTIMENT:
        return None
    from vadapt_finance.augmentation import ROW_PERTURBATIONS

    return dict(ROW_PERTURBATIONS)


@hookimpl
def evaluate(
    task: TaskSpec,
    predictions: Any,
    references: Any,
    examples: Sequence[dict[str, Any]],
    labels: Sequence[str],
) -> dict[str, float] | None:
    from vadapt_finance import metrics

    return metrics.for_task(task.id, predictions, references, examples, labels)


@hookimpl
def baselines(task: TaskSpec, splits: Splits, labels: Sequence[str]) -> dict[str, Any] | None:
    from vadapt_finance import reference

    return reference.for_task(task, splits, labels)
