"""Length-grouped batches: less padding per batch, still a seeded shuffle.

Each batch is padded to its longest member (the collator pads dynamically), so a
batch mixing a 20-token and a 128-token review spends most of its compute on padding.
:class:`LengthGroupedBatches` does what HF Trainer's ``group_by_length`` does: a seeded
permutation is cut into mega-batches of ``batch_size * mega`` examples, each sorted by
length (longest first) and cut into batches, and the batches are shuffled. Every
example is seen once per epoch; batch order and content stay random from epoch to
epoch (the generator is re-seeded per epoch by the training loop).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

MEGA = 50
"""Batches per mega-batch (HF Trainer's ``LengthGroupedSampler`` uses 50)."""


class LengthGroupedBatches(torch.utils.data.Sampler[list[int]]):
    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        generator: torch.Generator,
        mega: int = MEGA,
    ) -> None:
        self.lengths = list(lengths)
        self.batch_size, self.generator, self.mega = batch_size, generator, mega

    def _chunks(self) -> list[int]:
        size = self.batch_size * self.mega
        n = len(self.lengths)
        return [min(size, n - start) for start in range(0, n, size)]

    def __len__(self) -> int:
        return sum(-(-c // self.batch_size) for c in self._chunks())

    def __iter__(self) -> Iterator[list[int]]:
        perm = torch.randperm(len(self.lengths), generator=self.generator).tolist()
        batches: list[list[int]] = []
        start = 0
        for size in self._chunks():
            chunk = sorted(perm[start : start + size], key=lambda i: -self.lengths[i])
            start += size
            batches += [chunk[j : j + self.batch_size] for j in range(0, size, self.batch_size)]
        order = torch.randperm(len(batches), generator=self.generator).tolist()
        return iter([batches[i] for i in order])
