"""Built-in heads: one linear layer per head kind (``trylast``: plugins may override)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vadapt.hookspecs import global_hookimpl
from vadapt.types import BackboneInfo, HeadKind, TaskSpec


@global_hookimpl(trylast=True)
def build_head(task: TaskSpec, backbone: BackboneInfo, labels: Sequence[str]) -> Any:
    import torch
    import torch.nn as nn

    width = backbone.hidden_size
    if task.head in (HeadKind.CLASSIFICATION, HeadKind.MULTILABEL, HeadKind.TOKEN_CLASSIFICATION):
        return nn.Sequential(nn.Dropout(0.1), nn.Linear(width, len(labels)))
    if task.head == HeadKind.REGRESSION:
        return nn.Sequential(nn.Dropout(0.1), nn.Linear(width, 1))
    if task.head == HeadKind.RANKING:
        # A projection that starts as the identity: the pretrained embedding space is
        # already a good retriever; training moves it, it does not start from noise.
        proj = nn.Linear(width, width)
        with torch.no_grad():
            proj.weight.copy_(torch.eye(width))
            proj.bias.zero_()
        return proj
    return None
