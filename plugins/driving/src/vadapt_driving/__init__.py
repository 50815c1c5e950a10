"""vadapt-driving: traffic signs and traffic lights, robust under bad weather.

This module holds only the hook implementations; the work lives in ``tasks``,
``data``, ``synth``, ``corruptions``, ``augmentation``, ``adversarial``, ``metrics``,
``reference_baselines`` and ``robustness``. Nothing here imports torch. (No submodule
may share a hook's name: importing ``vadapt_driving.augment`` would replace the
``augment`` hookimpl attribute of this package.) The core calls these hooks only for
the two tasks this plugin registers.
"""

from __future__ import annotations

from vadapt import hookimpl

__version__ = "0.1.0"


@hookimpl
def register_tasks():
    from vadapt_driving.tasks import task_specs

    return task_specs()


@hookimpl
def load_data(task, config):
    from vadapt_driving.data import load

    return load(task.id, config)


@hookimpl
def augment(task, examples, rng, config):
    from vadapt_driving.augmentation import augment_examples, options_from

    return augment_examples(examples, rng, options_from(config))


@hookimpl
def adversarial_step(task, model, batch, loss_fn, config):
    from vadapt_driving.adversarial import adversarial_loss

    return adversarial_loss(model, batch, loss_fn, config)


@hookimpl
def evaluate(task, predictions, references, examples, labels):
    from vadapt_driving.metrics import evaluate as driving_metrics

    return driving_metrics(predictions, references, examples, labels)


@hookimpl
def baselines(task, splits, labels):
    from vadapt_driving.reference_baselines import compute

    return compute(task, splits, labels) or None
