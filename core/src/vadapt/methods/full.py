"""``full``: train every backbone weight and the head."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from vadapt.methods.native import NativeAdaptation
from vadapt.methods.options import MethodConfig
from vadapt.methods.registry import Method


class FullConfig(MethodConfig):
    name: Literal["full"] = Field("full", description="adaptation method")


class FullAdaptation(NativeAdaptation):
    frozen_norms = False  # BatchNorm statistics train with everything else

    def select(self, cfg: Any, loaded: Any) -> None:
        for p in self.module.parameters():
            p.requires_grad_(True)

    def _keys(self) -> dict[str, Any]:
        return self.module.state_dict()  # every tensor, buffers included


METHOD = Method(
    name="full",
    config=FullConfig,
    description="train every backbone weight and the head",
    apply=FullAdaptation,
    default_lr=5e-5,
    serving="weights",
    # backbone parameters the pooled forward never uses (BERT's pooler) get no gradient
    find_unused_parameters=True,
)
