"""Inference over a split, scored by ``vadapt.kit.score`` and the task's ``evaluate`` hook."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from vadapt.engine.data.collate import Collator, ExampleDataset
from vadapt.engine.data.tokens import Tokens
from vadapt.engine.scoring import score_split
from vadapt.kit import RunContext, references
from vadapt.types import Example, HeadKind, TaskSpec


@dataclass
class EvalContext:
    task: TaskSpec
    labels: tuple[str, ...]
    collator: Collator
    loss_fn: Any
    batch_size: int
    device: Any
    target_norm: tuple[float, float] = (0.0, 1.0)
    temperature: float = 0.05
    autocast_dtype: Any = None


def to_device(batch: Any, device: Any) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


@contextmanager
def evaluating(model: Any) -> Iterator[None]:
    """Eval mode for the block. ``.eval()``/``.train()`` walk every submodule (at 64
    resident adapters that is most of a request's time): only a model that is training
    (the validation pass) is toggled, and put back after."""
    was_training = model.training
    if was_training:
        model.eval()
    try:
        yield
    finally:
        if was_training:
            model.train()


def forward(model: Any, ctx: EvalContext, batch: dict[str, Any]) -> torch.Tensor:
    """Float32 logits of one batch, under the context's autocast."""
    with torch.autocast(
        device_type=torch.device(ctx.device).type,
        dtype=ctx.autocast_dtype,
        enabled=ctx.autocast_dtype is not None,
    ):
        return model(batch).float()  # type: ignore[no-any-return]


@torch.no_grad()
def infer(
    model: Any,
    ctx: EvalContext,
    examples: Sequence[Example],
    targets: np.ndarray | None = None,
    store: bool = False,
    attack: Callable[[Any, dict[str, Any]], torch.Tensor] | None = None,
) -> tuple[Any, float]:
    """Predictions in the evaluate hook's form, and the mean loss (nan when no targets).

    ``store``: ``examples`` are a split worth caching tokenised (validation each epoch,
    test); requests are tokenised once and forgotten. ``attack(model, batch)``: logits
    on the batch perturbed against its targets (:mod:`vadapt.engine.attack`) instead of
    the clean forward.
    """
    kind = HeadKind(ctx.task.head)
    if kind == HeadKind.TOKEN_CLASSIFICATION:
        return infer_tokens(model, ctx, examples, store)
    if targets is None:
        targets = _dummy_targets(ctx, examples)
    tokens = ctx.collator.tokenized(examples, store)
    # batches of similar length pad less; answers go back in input order
    order = _length_order(kind, examples, tokens)
    bs = ctx.batch_size
    loader = torch.utils.data.DataLoader(
        ExampleDataset(examples, targets, tokens),
        batch_sampler=[order[i : i + bs].tolist() for i in range(0, len(order), bs)],
        collate_fn=ctx.collator,
    )
    outs: list[Any] = []
    total, n = 0.0, 0
    with evaluating(model):
        for batch in loader:
            batch = to_device(batch, ctx.device)
            logits = forward(model, ctx, batch) if attack is None else attack(model, batch)
            bs = len(batch["groups"]) if kind == HeadKind.RANKING else logits.shape[0]
            if kind == HeadKind.RANKING:
                for i, g in enumerate(batch["groups"]):
                    s = logits[i, g]
                    pos = g.index(int(batch["targets"][i])) if int(batch["targets"][i]) in g else 0
                    total += float(
                        F.cross_entropy(s.unsqueeze(0), torch.tensor([pos], device=s.device))
                    )
                    outs.append((s * ctx.temperature).cpu().numpy())
                n += bs
                continue
            total += float(ctx.loss_fn(logits, batch)) * bs
            n += bs
            if kind == HeadKind.CLASSIFICATION:
                outs.append(torch.softmax(logits, -1).cpu().numpy())
            elif kind == HeadKind.MULTILABEL:
                outs.append(torch.sigmoid(logits).cpu().numpy())
            else:
                mean, std = ctx.target_norm
                outs.append(logits.squeeze(-1).cpu().numpy() * std + mean)
    if kind == HeadKind.RANKING:
        return [outs[i] for i in np.argsort(order)], total / max(n, 1)
    return np.concatenate(outs, axis=0)[np.argsort(order)], total / max(n, 1)


@torch.no_grad()
def infer_tokens(
    model: Any, ctx: EvalContext, examples: Sequence[Example], store: bool = False
) -> tuple[list[np.ndarray], float]:
    """Token classification: per document a (words, tags) probability array, stitched
    from the windows that own each word; the loss over the labelled word pieces (nan
    when the examples carry no ``entities``)."""
    from vadapt.engine.data.windows import empty_predictions, stitch

    windows = ctx.collator.windows(examples, store)
    order = np.argsort(windows.lengths, kind="stable")
    bs = ctx.batch_size
    loader = torch.utils.data.DataLoader(
        windows,
        batch_sampler=[order[i : i + bs].tolist() for i in range(0, len(order), bs)],
        collate_fn=ctx.collator,
    )
    out = empty_predictions(windows, ctx.labels)
    total, n = 0.0, 0
    with evaluating(model):
        for batch in loader:
            index = batch.pop("windows")
            batch = to_device(batch, ctx.device)
            logits = forward(model, ctx, batch)
            labelled = int((batch["labels"] != -100).sum())
            if labelled:
                total += float(ctx.loss_fn(logits, batch)) * labelled
                n += labelled
            stitch(windows, index, torch.softmax(logits, -1).cpu().numpy(), out)
    return out, (total / n if n else float("nan"))


def _length_order(kind: HeadKind, examples: Sequence[Example], tokens: Tokens | None) -> np.ndarray:
    """Indices of text examples by token length (stable); input order for ranking
    (per-example candidate lists) and other inputs."""
    if tokens is not None and kind != HeadKind.RANKING:
        return np.argsort(tokens.lengths, kind="stable")
    return np.arange(len(examples))


def _dummy_targets(ctx: EvalContext, examples: Sequence[Example]) -> np.ndarray:
    kind = HeadKind(ctx.task.head)
    if kind == HeadKind.MULTILABEL:
        return np.zeros((len(examples), len(ctx.labels)), dtype=np.float32)
    if kind == HeadKind.REGRESSION:
        return np.zeros(len(examples), dtype=np.float32)
    if kind == HeadKind.RANKING:
        return np.zeros(len(examples), dtype=np.int64)
    return np.zeros(len(examples), dtype=np.int64)


def evaluate_split(
    model: Any,
    ctx: EvalContext,
    hooks: Any,
    examples: Sequence[Example],
    split: str,
    context: RunContext | None = None,
    attack: Callable[[Any, dict[str, Any]], torch.Tensor] | None = None,
) -> dict[str, float]:
    """Loss + ``vadapt.kit.score`` + the plugin's metrics for one split.

    ``context`` carries state learnt on validation: pass a fresh one for a
    validation evaluation (the plugin fills it), the kept one for test. ``attack``:
    score predictions on adversarially perturbed inputs (see :func:`infer`).
    """
    refs = references(ctx.task, examples, ctx.labels)
    preds, loss = infer(model, ctx, examples, refs, store=True, attack=attack)
    context = context if context is not None else RunContext(split)
    metrics = {"loss": float(loss)}
    metrics.update(score_split(hooks, ctx.task, preds, refs, examples, ctx.labels, split, context))
    return metrics
