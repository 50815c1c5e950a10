"""What the similarity methods (``zero-shot``, ``setfit``) share: a cosine head and
embeddings of texts through the model being adapted.

The cosine head is ``Linear(normalize(features))``: a row of its weight is a direction in
the embedding space (a label description's embedding, or a logistic regression's
coefficients), so zero-shot and SetFit adapters store, load and serve exactly like any
other head (``head.safetensors``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vadapt_registry.errors import InvalidConfig

from vadapt.types import BackboneInfo, HeadKind, Modality, TaskSpec


def cosine_head(task: TaskSpec, backbone: BackboneInfo, labels: Sequence[str], cfg: Any) -> Any:
    """``Sequential(L2Normalize(), Linear(hidden, labels))`` (keys ``1.weight``/``1.bias``)."""
    import torch.nn as nn

    check_task(task, cfg.method.name)

    class L2Normalize(nn.Module):
        def forward(self, x: Any) -> Any:
            return nn.functional.normalize(x.float(), dim=-1)

    return nn.Sequential(L2Normalize(), nn.Linear(backbone.hidden_size, len(labels)))


def check_task(task: TaskSpec, method: str) -> None:
    """Similarity methods classify single texts (tabular rows arrive serialised)."""
    if task.head != HeadKind.CLASSIFICATION or task.modality == Modality.IMAGE:
        raise InvalidConfig(
            f"method {method!r} classifies texts, but task {task.id!r} is "
            f"{task.modality.value} {task.head.value}",
            fix="use lora, full or another method for this task (`vadapt methods`)",
        )


def embed_texts(model: Any, ctx: Any, texts: Sequence[str], store: bool = False) -> Any:
    """L2-normalised pooled features of ``texts`` (float32, input order), no gradient,
    in batches of similar length through the model's own backbone and adaptation."""
    import numpy as np
    import torch

    tokens = ctx.collator.tokens.get(list(texts), store)
    order = np.argsort(tokens.lengths, kind="stable")
    rows = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i in range(0, len(order), ctx.batch_size):
                rows.append(_features(model, ctx, tokens, order[i : i + ctx.batch_size]))
    finally:
        model.train(was_training)
    out = torch.cat(rows) if rows else torch.zeros(0, 0)
    return out[torch.as_tensor(np.argsort(order))]


def _features(model: Any, ctx: Any, tokens: Any, index: Any) -> Any:
    import torch

    ids, mask = tokens.batch(index, ctx.collator.tokens.pad_id, ctx.collator.tokens.left)
    inputs = {"input_ids": ids.to(ctx.device), "attention_mask": mask.to(ctx.device)}
    dtype = ctx.autocast_dtype
    device = torch.device(ctx.device).type
    with torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
        feats = model.features(inputs)
    return torch.nn.functional.normalize(feats.float(), dim=-1).cpu()


def set_linear(head: Any, weight: Any, bias: Any) -> None:
    """Copy ``weight`` (labels x hidden) and ``bias`` into the cosine head's Linear."""
    import torch

    linear = head[1]
    with torch.no_grad():
        linear.weight.copy_(torch.as_tensor(weight, dtype=linear.weight.dtype))
        linear.bias.copy_(torch.as_tensor(bias, dtype=linear.bias.dtype))
