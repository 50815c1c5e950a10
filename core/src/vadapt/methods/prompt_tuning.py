"""``prompt-tuning`` (peft): learned virtual tokens prepended to the input (text only)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from vadapt_registry.errors import InvalidConfig

from vadapt.methods.options import MethodConfig
from vadapt.methods.peft_methods import PeftAdaptation, peft_task_type, reload_peft
from vadapt.methods.registry import Method
from vadapt.types import Modality


class PromptTuningConfig(MethodConfig):
    name: Literal["prompt-tuning"] = Field("prompt-tuning", description="adaptation method")
    num_virtual_tokens: int = Field(16, ge=1, le=512, description="virtual tokens")


def apply_prompt_tuning(cfg: PromptTuningConfig, loaded: Any) -> PeftAdaptation:
    import peft

    if loaded.modality != Modality.TEXT:
        raise InvalidConfig(
            f"config field method.name: {cfg.name!r} needs a text backbone (virtual tokens)",
            fix="use lora, ia3, bitfit, bottleneck, freeze or full for images",
        )
    base_cfg = loaded.model.config
    peft_config = peft.PromptTuningConfig(
        task_type=peft_task_type(loaded),
        num_virtual_tokens=cfg.num_virtual_tokens,
        token_dim=base_cfg.hidden_size,
        num_transformer_submodules=1,
        num_attention_heads=base_cfg.num_attention_heads,
        num_layers=base_cfg.num_hidden_layers,
        prompt_tuning_init="RANDOM",
    )
    return PeftAdaptation(cfg, loaded, peft_config)


METHOD = Method(
    name="prompt-tuning",
    config=PromptTuningConfig,
    description="learned virtual tokens prepended to the input (text only)",
    apply=apply_prompt_tuning,
    default_lr=3e-2,
    modalities=(Modality.TEXT,),
    library="peft",
    serving="peft",
    reload=reload_peft,
)
