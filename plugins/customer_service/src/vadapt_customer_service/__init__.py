"""vadapt-customer-service: review triage, intent detection with out-of-scope, FAQ retrieval.

This module holds only the hook implementations; each delegates to a module
with one job (``reviews``, ``intent``, ``faq``, ``noise``, ``metrics``,
``evaluation``, ``baseline_models``). Modules are not named after hooks on
purpose: importing a submodule ``augment`` would overwrite the ``augment``
hookimpl attribute of this package. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from vadapt import Splits, TaskSpec, hookimpl

from vadapt_customer_service import tasks as _tasks

__version__ = "0.1.0"


@hookimpl
def register_tasks() -> list[TaskSpec]:
    return _tasks.task_specs()


@hookimpl
def load_data(task: TaskSpec, config: Any) -> Splits | None:
    if task.id == _tasks.REVIEW_TRIAGE:
        from vadapt_customer_service.reviews import load_reviews

        return load_reviews(_tasks.data_config(_tasks.ReviewTriageData, config))
    if task.id == _tasks.INTENT:
        from vadapt_customer_service.intent import load_intent

        return load_intent(_tasks.data_config(_tasks.IntentData, config))
    if task.id == _tasks.FAQ:
        from vadapt_customer_service.faq import load_faq

        return load_faq(_tasks.data_config(_tasks.FaqData, config))
    return None


@hookimpl
def augment(
    task: TaskSpec, examples: list[dict[str, Any]], rng: Any, config: Any
) -> list[dict[str, Any]] | None:
    if task.vertical != _tasks.VERTICAL:
        return None
    from vadapt_customer_service.noise import augment_examples

    return augment_examples(task.modality, examples, rng, config)


@hookimpl
def evaluate(
    task: TaskSpec,
    predictions: Any,
    references: Any,
    examples: Sequence[dict[str, Any]],
    labels: Sequence[str],
    split: str,
) -> dict[str, float] | None:
    if task.vertical != _tasks.VERTICAL:
        return None
    from vadapt_customer_service import evaluation

    return evaluation.evaluate(task, predictions, np.asarray(references), labels, split)


@hookimpl
def baselines(
    task: TaskSpec,
    splits: Splits,
    labels: Sequence[str],
    encode: Callable[[Sequence[str]], np.ndarray],
) -> dict[str, dict[str, float]] | None:
    if task.vertical != _tasks.VERTICAL:
        return None
    from vadapt_customer_service import baseline_models as _baselines

    if task.id == _tasks.FAQ:
        return _baselines.ranking_baselines(splits, encode)
    return _baselines.classification_baselines(task, splits, labels, encode)
