"""``bitfit``: train only the backbone's bias terms (and the head)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from vadapt_registry.errors import InvalidConfig

from vadapt.methods.native import NativeAdaptation
from vadapt.methods.options import MethodConfig
from vadapt.methods.registry import Method


class BitFitConfig(MethodConfig):
    name: Literal["bitfit"] = Field("bitfit", description="adaptation method")


class BitFitAdaptation(NativeAdaptation):
    def select(self, cfg: Any, loaded: Any) -> None:
        n = 0
        for name, p in self.module.named_parameters():
            if name.endswith(".bias") or name == "bias":
                p.requires_grad_(True)
                n += 1
        if n == 0:
            raise InvalidConfig(
                f"method {cfg.name!r}: backbone {loaded.architecture!r} has no bias terms"
            )


METHOD = Method(
    name="bitfit",
    config=BitFitConfig,
    description="train only bias terms (and the head)",
    apply=BitFitAdaptation,
    default_lr=2e-3,
    serving="weights",
    find_unused_parameters=True,  # e.g. the bias of BERT's unused pooler
)
