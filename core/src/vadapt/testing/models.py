"""Tiny in-code models for plugin tests (imports torch: load only inside tests that need it).

They follow the engine's model protocol, so hooks that take a ``model`` can be
tested without a real backbone: ``model(batch) -> logits``, batch keys
``input_ids``/``attention_mask`` (text) or ``pixel_values`` (image) plus
``labels``, and ``model.input_embeddings()`` returning the token-embedding module.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

VOCAB = 64


class TinyTextModel(nn.Module):
    """Embedding -> masked mean pool -> linear. ``inputs_embeds`` in the batch replaces
    the looked-up embeddings, which is how embedding-space attacks (FGM) feed a perturbation."""

    def __init__(self, n_labels: int = 3, hidden: int = 16) -> None:
        super().__init__()
        self.embeddings = nn.Embedding(VOCAB, hidden)
        self.head = nn.Linear(hidden, n_labels)

    def input_embeddings(self) -> nn.Embedding:
        return self.embeddings

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        emb = batch.get("inputs_embeds")
        if emb is None:
            emb = self.embeddings(batch["input_ids"])
        mask = batch["attention_mask"].unsqueeze(-1).to(emb.dtype)
        pooled = (emb * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(pooled)


class TinyImageModel(nn.Module):
    """One conv, global average pool, linear over ``pixel_values`` (B, 3, H, W)."""

    def __init__(self, n_labels: int = 3, channels: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, channels, 3, padding=1)
        self.head = nn.Linear(channels, n_labels)

    def input_embeddings(self) -> None:
        return None

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        x = F.relu(self.conv(batch["pixel_values"]))
        return self.head(x.mean(dim=(2, 3)))


def tiny_model(modality: str, n_labels: int = 3) -> nn.Module:
    """A tiny seeded model for ``modality`` (images get the conv model, all else text)."""
    torch.manual_seed(0)
    return TinyImageModel(n_labels) if str(modality) == "image" else TinyTextModel(n_labels)


def tiny_batch(modality: str, n_labels: int = 3, batch_size: int = 4) -> dict[str, Any]:
    """A random batch shaped like the engine's collated batches for ``modality``."""
    gen = torch.Generator().manual_seed(0)
    labels = torch.randint(0, n_labels, (batch_size,), generator=gen)
    if str(modality) == "image":
        pixels = torch.rand(batch_size, 3, 16, 16, generator=gen)
        return {"pixel_values": pixels, "labels": labels}
    ids = torch.randint(1, VOCAB, (batch_size, 8), generator=gen)
    mask = torch.ones_like(ids)
    mask[:, 6:] = 0
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def cross_entropy_loss(logits: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
    """The ``loss_fn(logits, batch)`` the engine passes for classification."""
    return F.cross_entropy(logits, batch["labels"])
