"""The k-shot protocol: which examples a run at k shots and one seed sees.

For each k and seed, k examples of every label are drawn from the task's training split
(seeded, without replacement) as the labelled training set; **validation is up to k more
examples of every label from the rest of train** (what a user with k labels per class
more could hold out; a label with fewer than 2k examples gives validation what is left),
and the **test split is the task's full test split**, the same for every run. At k = 0
there are no labels: only the methods that need none run, with no validation, and the
unlabelled training texts are theirs to read (the zero-shot prior).

Labels the task leaves untrained on purpose (``Splits.untrained_labels``) are not drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from vadapt_registry.errors import InvalidConfig

from vadapt.types import Splits


def parse_shots(value: str | Sequence[int]) -> tuple[int, ...]:
    """``"0,8,32"`` (or a sequence) -> sorted unique non-negative ints; else InvalidConfig."""
    items = [str(x).strip() for x in (value.split(",") if isinstance(value, str) else value)]
    if not items or not all(x.isdigit() for x in items):
        raise InvalidConfig(
            f"--shots {value!r}: expected a comma-separated list of non-negative integers",
            fix="e.g. --shots 0,8,32 (0 = zero-shot: no labels)",
        )
    return tuple(sorted({int(x) for x in items}))


def check_seeds(seeds: int) -> int:
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InvalidConfig(f"--seeds {seeds!r}: expected a positive integer", fix="e.g. --seeds 3")
    return seeds


def label_indices(train: Sequence[dict[str, Any]], labels: Sequence[str]) -> dict[str, np.ndarray]:
    names = np.asarray([str(ex["label"]) for ex in train])
    return {lab: np.flatnonzero(names == lab) for lab in labels}


def check_shots(shots: Sequence[int], by_label: dict[str, np.ndarray], task_id: str) -> None:
    """k larger than the smallest class: one line naming the class and its count."""
    k = max(shots)
    small = min(by_label, key=lambda lab: len(by_label[lab]))
    if k > len(by_label[small]):
        raise InvalidConfig(
            f"--shots {k}: label {small!r} of {task_id!r} has only {len(by_label[small])} "
            "training examples",
            fix=f"use --shots of at most {len(by_label[small])}",
        )


def k_shot(splits: Splits, by_label: dict[str, np.ndarray], k: int, seed: int) -> Splits:
    """The splits a run at ``k`` shots and ``seed`` sees (see the module docstring)."""
    if k == 0:
        return replace(splits, validation=[], info={**splits.info, "shots": 0})
    rng = np.random.default_rng([seed, k])
    train_rows, val_rows = [], []
    for lab in sorted(by_label):
        rows = rng.permutation(by_label[lab])
        train_rows.extend(rows[:k].tolist())
        val_rows.extend(rows[k : 2 * k].tolist())
    train = [splits.train[i] for i in sorted(train_rows)]
    validation = [splits.train[i] for i in sorted(val_rows)]
    info = {**splits.info, "shots": k, "seed": seed, "protocol": PROTOCOL}
    return replace(splits, train=train, validation=validation, info=info)


PROTOCOL = (
    "k per label drawn from train (seeded); validation: up to k more per label from the rest "
    "of train; test: the full test split"
)
