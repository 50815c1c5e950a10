"""Examples -> tensors. The engine owns tokenisation, image transforms and collation.

Single-text tasks are tokenised once per split (:mod:`vadapt.engine.data.tokens`):
the DataLoader hands the collator a :class:`Rows` (``ExampleDataset.__getitems__``)
and a batch is a numpy gather of its rows' ids. Images, ranking lists and callers
that pass ``(example, target)`` pairs take the per-batch path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vadapt.engine.data.tokens import TokenCache, TokenRows, Tokens
from vadapt.engine.data.windows import WindowRows, Windows, collate_windows, encode_windows
from vadapt.types import Example, HeadKind, Modality, TaskSpec


class ExampleDataset(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """(example, target) pairs whose examples can be swapped each epoch (augment);
    ``tokens``, when set, are the examples' texts tokenised (row i = example i)."""

    def __init__(
        self, examples: Sequence[Example], targets: np.ndarray, tokens: Tokens | None = None
    ) -> None:
        self.examples = list(examples)
        self.targets = targets
        self.tokens = tokens

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> tuple[Example, Any]:
        return self.examples[i], self.targets[i]

    def __getitems__(self, indices: list[int]) -> Rows:
        """A whole batch at once (torch's DataLoader calls this instead of ``__getitem__``)."""
        return Rows(np.asarray(indices, dtype=np.int64), self)


@dataclass(frozen=True)
class Rows:
    """The rows of one batch, collated without a per-example loop when tokens exist."""

    index: np.ndarray
    dataset: ExampleDataset

    def pairs(self) -> list[tuple[Example, Any]]:
        return [self.dataset[int(i)] for i in self.index]


def text_of(task: TaskSpec, examples: Sequence[Example]) -> list[str] | None:
    """The single text of each example, or None (images, ranking, other shapes)."""
    if task.head == HeadKind.RANKING or task.modality == Modality.IMAGE:
        return None
    texts = [ex.get("text") for ex in examples]
    return texts if all(isinstance(t, str) for t in texts) else None  # type: ignore[return-value]


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
        cache_dir: Path | None = None,
        text_format: Callable[[str], str] | None = None,
        *,
        tags: Sequence[str] = (),
        stride: int = 32,
    ) -> None:
        self.task = task
        self.tags, self.stride = tuple(tags), stride  # token classification
        self._windows: dict[int, tuple[Sequence[Example], Windows]] = {}
        self.text_format = text_format  # the method's prompt around each text, or None
        self.pre = preprocessor
        self.max_length = max_length
        self.norm = target_norm
        self.tokens = TokenCache(preprocessor, max_length, cache_dir)
        self.pad_multiple = 1  # batches from tokens are padded to a multiple of this

    def tokenized(self, examples: Sequence[Example], store: bool = True) -> Tokens | None:
        """``examples``' texts tokenised once (None when they are not single texts);
        ``store``: read and write the cache (a split), else tokenise only (requests)."""
        texts = text_of(self.task, examples)
        if texts is None or not texts:
            return None
        return self.tokens.get(self._formatted(texts), store)

    def windows(self, examples: Sequence[Example], store: bool = True) -> Windows:
        """Token classification: ``examples`` as windows, kept in memory for a split
        (validation is read every epoch) while that list object lives."""
        hit = self._windows.get(id(examples))
        if hit is not None and hit[0] is examples:
            return hit[1]
        w = encode_windows(examples, self.pre, self.tags, self.max_length, self.stride)
        if store:
            if len(self._windows) >= 4:
                self._windows.pop(next(iter(self._windows)))
            self._windows[id(examples)] = (examples, w)
        return w

    def _formatted(self, texts: list[str]) -> list[str]:
        fmt = self.text_format
        return texts if fmt is None else [fmt(t) for t in texts]

    def _text(self, texts: list[str]) -> dict[str, torch.Tensor]:
        enc = self.pre(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    def __call__(self, items: Rows | WindowRows | list[tuple[Example, Any]]) -> dict[str, Any]:
        if isinstance(items, WindowRows):
            return collate_windows(items, self.tokens.pad_id)
        if isinstance(items, Rows):
            if items.dataset.tokens is not None:
                return self._from_tokens(items.dataset.tokens, items)
            items = items.pairs()
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
            batch = self._text(self._formatted([ex["text"] for ex in examples]))
        return self._labels(batch, targets)

    def _from_tokens(self, tokens: Tokens, rows: Rows) -> dict[str, Any]:
        ids, mask = tokens.batch(
            rows.index, self.tokens.pad_id, self.tokens.left, self.pad_multiple
        )
        batch = {"input_ids": ids, "attention_mask": mask, "rows": TokenRows(tokens, rows.index)}
        return self._labels(batch, rows.dataset.targets[rows.index])

    def _labels(self, batch: dict[str, Any], targets: np.ndarray) -> dict[str, Any]:
        head = self.task.head
        if head == HeadKind.CLASSIFICATION:
            batch["labels"] = torch.as_tensor(targets, dtype=torch.long)
        elif head == HeadKind.MULTILABEL:
            batch["labels"] = torch.as_tensor(targets, dtype=torch.float32)
        elif head == HeadKind.REGRESSION:
            mean, std = self.norm
            batch["labels"] = (torch.as_tensor(targets, dtype=torch.float32) - mean) / std
        return batch
