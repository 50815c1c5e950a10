"""vadapt-customer-service: review triage, intent detection with out-of-scope, FAQ retrieval,
sentiment over four domains (a continual stream).

This module holds only the hook implementations; each delegates to a module
with one job (``reviews``, ``intent``, ``faq``, ``sentiment``, ``noise``, ``metrics``,
``evaluation``). Modules are not named after hooks on purpose: importing a
submodule ``augment`` would overwrite the ``augment`` hookimpl attribute of this
package. Scoring and the standard baselines (majority, TF-IDF + logistic
regression, zero-shot) are ``vadapt.kit``'s. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vadapt import Splits, TaskSpec, hookimpl
from vadapt.kit import RunContext

from vadapt_customer_service import tasks as _tasks

__version__ = "0.1.0"


@hookimpl
def register_tasks() -> list[TaskSpec]:
    return _tasks.task_specs()


@hookimpl
def load_data(task: TaskSpec, config: Any) -> Splits:
    if task.id == _tasks.REVIEW_TRIAGE:
        from vadapt_customer_service.reviews import load_reviews

        return load_reviews(_tasks.data_config(_tasks.ReviewTriageData, config))
    if task.id == _tasks.INTENT:
        from vadapt_customer_service.intent import load_intent

        return load_intent(_tasks.data_config(_tasks.IntentData, config))
    if task.id == _tasks.SENTIMENT:
        from vadapt_customer_service.sentiment import load_sentiment

        return load_sentiment(_tasks.data_config(_tasks.SentimentData, config))
    from vadapt_customer_service.faq import load_faq

    return load_faq(_tasks.data_config(_tasks.FaqData, config))


@hookimpl
def augment(
    task: TaskSpec, examples: list[dict[str, Any]], rng: Any, config: Any
) -> list[dict[str, Any]]:
    from vadapt_customer_service.noise import augment_examples

    return augment_examples(task.modality, examples, rng, config)


@hookimpl
def evaluate(
    task: TaskSpec,
    predictions: Any,
    references: Any,
    labels: Sequence[str],
    split: str,
    context: RunContext,
) -> dict[str, float] | None:
    from vadapt_customer_service import evaluation

    return evaluation.evaluate(task, predictions, references, labels, split, context)
