"""Examples -> tensors. The engine owns tokenisation, image transforms and collation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from vadapt.types import Example, HeadKind, Modality, TaskSpec


class ExampleDataset(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """A list of (example, target) pairs whose examples can be swapped each epoch (augment)."""

    def __init__(self, examples: Sequence[Example], targets: np.ndarray) -> None:
        self.examples = list(examples)
        self.targets = targets

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> tuple[Example, Any]:
        return self.examples[i], self.targets[i]


class Collator:
    """Builds the batch dict ``AdaptModel.forward`` reads.

    text: ``input_ids``, ``attention_mask``; image: ``pixel_values``; ranking:
    ``query`` and ``cand`` (each a text batch; repeated candidate texts are encoded
    once), ``targets`` (index of each positive in ``cand``) and ``groups``
    (each example's candidate indices in ``cand``); plus ``labels``.
    """

    def __init__(
        self,
        task: TaskSpec,
        preprocessor: Any,
        max_length: int,
        target_norm: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        self.task = task
        self.pre = preprocessor
        self.max_length = max_length
        self.norm = target_norm

    def _text(self, texts: list[str]) -> dict[str, torch.Tensor]:
        enc = self.pre(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    def __call__(self, items: list[tuple[Example, Any]]) -> dict[str, Any]:
        examples = [e for e, _ in items]
        targets = np.stack([np.asarray(t) for _, t in items])
        head = self.task.head
        if head == HeadKind.RANKING:
            index: dict[str, int] = {}
            groups = []
            for ex in examples:
                groups.append([index.setdefault(c, len(index)) for c in ex["candidates"]])
            cand = list(index)
            pos = [g[int(ex["positive"])] for g, ex in zip(groups, examples, strict=True)]
            return {
                "query": self._text([ex["query"] for ex in examples]),
                "cand": self._text(cand),
                "targets": torch.tensor(pos, dtype=torch.long),
                "groups": groups,
            }
        if self.task.modality == Modality.IMAGE:
            batch: dict[str, Any] = {
                "pixel_values": torch.stack([self.pre(ex["image"]) for ex in examples])
            }
        else:
            batch = self._text([ex["text"] for ex in examples])
        if head == HeadKind.CLASSIFICATION:
            batch["labels"] = torch.as_tensor(targets, dtype=torch.long)
        elif head == HeadKind.MULTILABEL:
            batch["labels"] = torch.as_tensor(targets, dtype=torch.float32)
        elif head == HeadKind.REGRESSION:
            mean, std = self.norm
            batch["labels"] = (torch.as_tensor(targets, dtype=torch.float32) - mean) / std
        return batch
