"""vadapt-recsys: recommendations with a text foundation model.

This module holds only the hook implementations (the core calls the task hooks only
for the tasks registered here); the work is in ``data`` (splits), ``io`` (file
layouts), ``metrics``, ``full`` (full-catalogue ranking), ``augmentation`` and
``baseline_models`` (no submodule may be named after a hook: importing it would
replace the hook function on this package). Nothing here imports torch.
"""

from __future__ import annotations

from vadapt import hookimpl

from vadapt_recsys.tasks import NEXT_ITEM, TASKS

__version__ = "0.1.0"


@hookimpl
def register_tasks():
    return list(TASKS)


@hookimpl
def load_data(task, config):
    from vadapt_recsys.data import cold_start_splits, next_item_splits

    return next_item_splits(config) if task.id == NEXT_ITEM.id else cold_start_splits(config)


@hookimpl
def augment(examples, rng, config):
    from vadapt_recsys.augmentation import augment_examples

    return augment_examples(examples, rng, config)


@hookimpl
def evaluate(predictions, references, examples):
    from vadapt_recsys.metrics import sampled_metrics

    return sampled_metrics(predictions, examples, references)


@hookimpl
def baselines(splits, encode):
    from vadapt_recsys.baseline_models import all_baselines

    return all_baselines(splits, encode)
