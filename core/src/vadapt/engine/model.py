"""Backbone (+ method) + pooling + head -> ``AdaptModel``: ``forward(batch) -> logits``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from vadapt.types import HeadKind, Modality, TaskSpec


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    if hidden.shape[1] != mask.shape[1]:  # prompt tuning prepends virtual tokens
        extra = hidden.shape[1] - mask.shape[1]
        mask = torch.cat([mask.new_ones(mask.shape[0], extra), mask], dim=1)
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-6)


class LabelBias(nn.Module):
    """The head of a method whose features already are label scores (``pet``): the
    scores plus one learnt bias per label (a label prior), no weight to learn."""

    def __init__(self, labels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(labels))

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        return scores + self.bias


class AdaptModel(nn.Module):
    """The trained model. ``forward(batch)`` returns logits (ranking: a score matrix)."""

    def __init__(
        self, task: TaskSpec, adaptation: Any, head: nn.Module, *, temperature: float = 0.05
    ) -> None:
        super().__init__()
        self.head_kind = HeadKind(task.head)
        self.image = task.modality == Modality.IMAGE
        self.adaptation = adaptation
        self.backbone = adaptation.module
        self.adapters = adaptation.extra  # registered so .to()/DDP/optimizer see them
        self.head = head
        self.temperature = temperature
        self.memory_format = torch.contiguous_format

    def prefer_channels_last(self, device_type: str) -> None:
        """Image models on the CPU: weights and inputs in ``channels_last`` (NHWC), which
        oneDNN's convolutions run natively. EfficientNet-Lite0, batch 16 at 224 px on 2
        cores: a training step 2.0x faster, inference 1.4x (``bench/bench_channels_last.py``).
        Not measured on GPUs, so left alone there. Saved weights are made contiguous."""
        if self.image and device_type == "cpu":
            self.memory_format = torch.channels_last
            self.to(memory_format=torch.channels_last)

    def input_embeddings(self) -> nn.Module | None:
        """The token-embedding module (text backbones), for adversarial training."""
        return None if self.image else self.adaptation.input_embeddings()

    def train(self, mode: bool = True) -> AdaptModel:
        super().train(mode)
        if mode:
            self.adaptation.train_mode()
        return self

    def features(self, inputs: dict[str, Any]) -> torch.Tensor:
        own = getattr(self.adaptation, "features", None)
        if own is not None:  # a method scoring with its own forward (decoder label words)
            return own(inputs)
        if self.image:
            return self.backbone(
                inputs["pixel_values"].contiguous(memory_format=self.memory_format)
            )
        return mean_pool(self.token_states(inputs), inputs["attention_mask"])

    def token_states(self, inputs: dict[str, Any]) -> torch.Tensor:
        """The backbone's last hidden states (batch, tokens, hidden) of a text batch."""
        if (
            inputs.get("inputs_embeds") is not None
        ):  # embedding-space attacks feed perturbed embeddings
            out = self.backbone(
                inputs_embeds=inputs["inputs_embeds"], attention_mask=inputs["attention_mask"]
            )
        else:
            cache = self.adaptation.prefix_cache
            with (
                nullcontext()
                if cache is None
                else cache.around(inputs.get("rows"), inputs["attention_mask"])
            ):
                out = self.backbone(
                    input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
                )
        return out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]

    def embed(self, inputs: dict[str, Any]) -> torch.Tensor:
        return F.normalize(self.head(self.features(inputs)).float(), dim=-1)

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        if self.head_kind == HeadKind.RANKING:
            q = self.embed(batch["query"])
            c = self.embed(batch["cand"])
            return q @ c.T / self.temperature
        if self.head_kind == HeadKind.TOKEN_CLASSIFICATION:
            hidden = self.token_states(batch)
            width = batch["attention_mask"].shape[1]
            return self.head(hidden[:, -width:]).float()  # prompt tuning's virtual tokens lead
        return self.head(self.features(batch)).float()


def make_loss_fn(
    task: TaskSpec, class_weights: torch.Tensor | None = None
) -> Callable[[torch.Tensor, dict[str, Any]], torch.Tensor]:
    """``loss_fn(logits, batch)`` for the task's head kind."""
    kind = HeadKind(task.head)

    def loss_fn(logits: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
        if kind == HeadKind.CLASSIFICATION:
            w = class_weights.to(logits.device) if class_weights is not None else None
            return F.cross_entropy(logits, batch["labels"], weight=w)
        if kind == HeadKind.MULTILABEL:
            return F.binary_cross_entropy_with_logits(logits, batch["labels"])
        if kind == HeadKind.REGRESSION:
            return F.mse_loss(logits.squeeze(-1), batch["labels"])
        if kind == HeadKind.RANKING:
            return F.cross_entropy(logits, batch["targets"])
        if kind == HeadKind.TOKEN_CLASSIFICATION:  # labels: -100 off the words' first pieces
            return F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), batch["labels"].reshape(-1), ignore_index=-100
            )
        raise ValueError(f"unsupported head kind {kind}")

    return loss_fn
