"""vadapt-finance: credit default, market direction (time-ordered), financial sentiment.

This module holds only the hook implementations; each delegates to a module
with one job (tasks, credit, market, sentiment, metrics, baselines, augment).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from vadapt import Splits, TaskSpec, hookimpl

from vadapt_finance.tasks import CREDIT, MARKET, SENTIMENT, task_specs

__version__ = "0.1.0"

_OURS = (CREDIT, MARKET, SENTIMENT)


@hookimpl
def register_tasks() -> list[TaskSpec]:
    return task_specs()


@hookimpl
def load_data(task: TaskSpec, config: Any) -> Splits | None:
    if task.id == CREDIT:
        from vadapt_finance import credit

        return credit.load(_validated(task, config))
    if task.id == MARKET:
        from vadapt_finance import market

        return market.load(_validated(task, config))
    if task.id == SENTIMENT:
        from vadapt_finance import sentiment

        return sentiment.load(_validated(task, config))
    return None


@hookimpl
def augment(
    task: TaskSpec, examples: list[dict[str, Any]], rng: Any, config: Any
) -> list[dict[str, Any]] | None:
    if task.id not in _OURS:
        return None
    from vadapt_finance import augmentation as aug

    return aug.augment(examples, rng, config, rows=task.id != SENTIMENT)


@hookimpl
def evaluate(
    task: TaskSpec,
    predictions: Any,
    references: Any,
    examples: Sequence[dict[str, Any]],
    labels: Sequence[str],
) -> dict[str, float] | None:
    if task.id not in _OURS:
        return None
    from vadapt_finance import metrics

    return metrics.for_task(task.id, predictions, references, examples, labels)


@hookimpl
def baselines(
    task: TaskSpec, splits: Splits, labels: Sequence[str], encode: Callable[[Sequence[str]], Any]
) -> dict[str, dict[str, float]] | None:
    if task.id not in _OURS:
        return None
    from vadapt_finance import reference as base

    return base.for_task(task, splits, labels, encode)


def _validated(task: TaskSpec, config: Any) -> Any:
    """The core validates ``data:`` already; accept a dict too (direct calls, tests)."""
    if isinstance(config, task.data_model):
        return config
    from vadapt import InvalidConfig

    raw = config.model_dump() if hasattr(config, "model_dump") else dict(config or {})
    try:
        return task.data_model(**raw)
    except Exception as exc:  # pydantic.ValidationError
        raise InvalidConfig(
            f"{task.id}: invalid data section: {' '.join(str(exc).split())[:200]}",
            fix=f"see the fields of {task.data_model.__name__} (`vadapt tasks finance --json`)",
        ) from None
