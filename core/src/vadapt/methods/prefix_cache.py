"""``freeze``'s frozen-prefix cache: the hidden states entering the first trained layer,
computed once per example and replayed in every later epoch.

The frozen layers of a ``freeze`` run compute the same function of the same tokens in
every epoch, so their forward pass (two thirds of a step at ``layers: 2`` of six) is
redundant after the first. While the cache is active:

- a batch that carries ``rows`` (a :class:`~vadapt.engine.data.tokens.TokenRows`: its
  split's tokens and row indices, set by the collator) and whose rows are all stored
  is *replayed*: the frozen layers' ``forward`` is swapped for a pass-through for that
  call and a forward pre-hook on the first trained layer replaces its input with the
  stored states;
- otherwise the batch is *recorded*: the full forward runs and the pre-hook copies the
  states at the real (unpadded) positions into the split's flat store (one row per token,
  the layout of ``Tokens``: row ``i`` is ``offsets[i]:offsets[i + 1]``).

Stored states depend only on the tokens, not on the batch they came in: padding is
masked out of attention, and positions are written and read through the attention
mask, so right- and left-padded backbones both work. For the states to be a function of
the tokens, the frozen prefix runs without dropout while the cache is active (as in
feature extraction); :class:`~vadapt.methods.freeze.FreezeAdaptation` does that.

A split is stored only if its whole store fits what is left of ``max_bytes``; a split
that does not fit runs uncached (``stats["skipped"]``). The engine activates the cache
for a training run without augmentation (new texts each epoch) or adversarial steps
(gradients through the embeddings) and clears it when training ends.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import numpy as np


class _Store:
    """One split's states: ``data[offsets[i]:offsets[i + 1]]`` are row ``i``'s tokens."""

    def __init__(self, tokens: Any, data: Any) -> None:
        self.tokens = tokens  # held so its id() is not reused while stored
        self.data = data
        self.filled = np.zeros(len(tokens), dtype=bool)

    def positions(self, index: np.ndarray) -> np.ndarray:
        """Flat store rows of ``index``'s tokens, in row-major order of the batch."""
        starts = self.tokens.offsets[index]
        lens = self.tokens.lengths[index]
        steps = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        return np.repeat(starts, lens) + steps


class PrefixCache:
    """Stores and replays the input of ``first`` (the first trained layer); ``frozen``
    are the layers before it, skipped on replay."""

    def __init__(self, first: Any, frozen: list[Any], max_bytes: int) -> None:
        self.first, self.frozen, self.max_bytes = first, frozen, max_bytes
        self.active = False
        self._stores: dict[int, _Store | None] = {}  # id(tokens) -> store (None: too big)
        self.stats = {"replayed": 0, "recorded": 0, "skipped": 0, "bytes": 0}

    def clear(self) -> None:
        self.active = False
        self._stores.clear()
        self.stats["bytes"] = 0

    @contextmanager
    def around(self, rows: Any, mask: Any):
        """Wraps one backbone call on a batch: replay it, record it, or leave it alone."""
        store = self._store_for(rows) if self.active and rows is not None else None
        if store is None:
            yield
            return
        index = np.asarray(rows.index, dtype=np.int64)
        where = mask.bool()
        positions = store.positions(index)
        if store.data is not None and bool(store.filled[index].all()):
            self.stats["replayed"] += 1
            with self._replaying(store, positions, where):
                yield
            return
        self.stats["recorded"] += 1
        with self._hook(lambda hidden: self._record(store, index, positions, where, hidden)):
            yield

    def _store_for(self, rows: Any) -> _Store | None:
        key = id(rows.tokens)
        if key not in self._stores:
            self._stores[key] = _Store(rows.tokens, None)
        return self._stores[key]

    def _record(self, store: _Store, index, positions, where, hidden: Any) -> Any:
        if store.data is None and not self._allocate(store, hidden):
            return hidden
        store.data[positions] = hidden.detach()[where].to(store.data.dtype)
        store.filled[index] = True
        return hidden

    def _allocate(self, store: _Store, hidden: Any) -> bool:
        import torch

        n = int(store.tokens.offsets[-1])
        need = n * hidden.shape[-1] * hidden.element_size()
        if self.stats["bytes"] + need > self.max_bytes:
            self.stats["skipped"] += 1
            self._stores[id(store.tokens)] = None  # never try this split again
            return False
        store.data = torch.empty(n, hidden.shape[-1], dtype=hidden.dtype, device=hidden.device)
        self.stats["bytes"] += need
        return True

    @contextmanager
    def _replaying(self, store: _Store, positions: np.ndarray, where: Any):
        def replace(hidden: Any) -> Any:
            out = hidden.new_zeros(hidden.shape)
            out[where] = store.data[positions].to(hidden.dtype)
            return out

        for layer in self.frozen:
            layer.forward = _pass_through
        try:
            with self._hook(replace):
                yield
        finally:
            for layer in self.frozen:
                del layer.forward

    @contextmanager
    def _hook(self, fn: Any):
        """A pre-hook on ``first`` that passes its hidden-states input through ``fn``."""

        def pre_hook(_module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
            if args:
                return (fn(args[0]), *args[1:]), kwargs
            return args, {**kwargs, "hidden_states": fn(kwargs["hidden_states"])}

        handle = self.first.register_forward_pre_hook(pre_hook, with_kwargs=True)
        try:
            yield
        finally:
            handle.remove()


def _pass_through(hidden_states: Any, *args: Any, **kwargs: Any) -> Any:
    """A frozen layer on replay: its output is replaced at the first trained layer anyway."""
    return hidden_states
