"""vadapt-medical: tumour diagnosis from tabular findings, medical image classification
and clinical note classification. Research use only; not for clinical decisions.

This module holds only the hook implementations; the work lives in ``tasks``,
``tabular``, ``imaging``, ``clinical_text``, ``augmentations``, ``adversarial`` and
``metrics``. Baselines are the kit's standard ones, listed per task in ``tasks``.
The core calls these hooks only for the tasks registered here. Nothing here
imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vadapt import Example, Metrics, Splits, TaskSpec, hookimpl

from vadapt_medical.tasks import CLINICAL_TEXT, IMAGING_TASKS, TUMOR, task_specs

__version__ = "0.1.0"


@hookimpl
def register_tasks() -> list[TaskSpec]:
    from vadapt_medical import ner

    return [*task_specs(), ner.task_spec()]


@hookimpl
def load_data(task: TaskSpec, config: Any) -> Splits:
    if task.id == TUMOR:
        from vadapt_medical import tabular

        return tabular.load(config)
    if task.id == CLINICAL_TEXT:
        from vadapt_medical import clinical_text

        return clinical_text.load(config)
    if task.id == "medical/ner":
        from vadapt_medical import ner

        return ner.load(config)
    from vadapt_medical import imaging

    return imaging.load(config, task.id)


@hookimpl
def augment(task: TaskSpec, examples: list[Example], rng: Any, config: Any) -> list[Example]:
    from vadapt_medical import augmentations as aug

    return aug.augment(task.id, str(task.modality), examples, rng, config)


@hookimpl
def adversarial_step(
    task: TaskSpec, model: Any, batch: dict[str, Any], loss_fn: Any, config: Any
) -> Any:
    if task.id not in IMAGING_TASKS:
        return None  # text tasks: the core's FGM on embeddings
    from vadapt_medical.adversarial import pixel_attack

    return pixel_attack(model, batch, loss_fn, config)


@hookimpl
def robustness_perturbations(task: TaskSpec) -> dict[str, Any] | None:
    """Tumour rows: fields gone missing, levels moved across a quintile boundary."""
    if task.id != TUMOR:
        return None
    from vadapt_medical.tabular import ROW_PERTURBATIONS

    return dict(ROW_PERTURBATIONS)


@hookimpl
def evaluate(
    task: TaskSpec, predictions: Any, references: Any, labels: Sequence[str]
) -> Metrics | None:
    from vadapt_medical import metrics

    if task.head == "token-classification":
        return None  # entity-level scores are the kit's (seqeval)
    return metrics.compute(task, predictions, references, labels)
