"""``lora`` (peft): low-rank updates on target modules."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from vadapt.methods.options import MethodConfig, TargetModules
from vadapt.methods.peft_methods import PeftAdaptation, peft_task_type, reload_peft
from vadapt.methods.registry import Method
from vadapt.types import Modality


class LoraConfig(MethodConfig):
    name: Literal["lora"] = Field("lora", description="adaptation method")
    r: int = Field(8, ge=1, le=1024, description="LoRA rank")
    alpha: float = Field(16.0, gt=0, description="LoRA scaling alpha")
    dropout: float = Field(0.0, ge=0, lt=1, description="dropout inside the LoRA update")
    target_modules: TargetModules = Field(
        None, description="module names to adapt; None = per-architecture default"
    )


def lora_peft_config(cfg: LoraConfig, loaded: Any) -> Any:
    """peft's ``LoraConfig`` for ``cfg`` on ``loaded`` (default targets by architecture)."""
    import peft

    from vadapt.methods.targets import lora_targets

    image = loaded.modality != Modality.TEXT
    targets = cfg.target_modules or lora_targets(loaded.model, loaded.architecture, image)
    return peft.LoraConfig(
        r=cfg.r,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=targets,
        bias="none",
        task_type=peft_task_type(loaded),
    )


def apply_lora(cfg: LoraConfig, loaded: Any) -> PeftAdaptation:
    return PeftAdaptation(cfg, loaded, lora_peft_config(cfg, loaded))


METHOD = Method(
    name="lora",
    config=LoraConfig,
    description="low-rank updates on target modules "
    "(text: attention query/value; images: 1x1/kxk convs)",
    apply=apply_lora,
    default_lr=2e-3,
    library="peft",
    serving="peft",
    reload=reload_peft,
)
