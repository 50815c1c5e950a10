"""Per-architecture default target modules."""

from __future__ import annotations

from typing import Any

from vadapt_registry.errors import InvalidConfig


def image_convs(model: Any, *, pointwise_only: bool = False) -> list[str]:
    """Full names of plain Conv2d layers with groups == 1 (peft can wrap these)."""
    import torch.nn as nn

    names = []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d) and mod.groups == 1:
            if pointwise_only and mod.kernel_size != (1, 1):
                continue
            names.append(name)
    return names


def lora_targets(model: Any, architecture: str, image: bool = False) -> list[str]:
    if architecture == "efficientnet" or image:
        return image_convs(model)
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as M

    if architecture in M:
        return list(M[architecture])
    raise InvalidConfig(
        f"no default LoRA target modules for architecture {architecture!r}",
        fix="set method.target_modules (e.g. method.target_modules=q_proj,v_proj)",
    )


def ia3_targets(model: Any, architecture: str, image: bool = False) -> tuple[list[str], list[str]]:
    if architecture == "efficientnet" or image:
        return image_convs(model, pointwise_only=True) or image_convs(model), []
    from peft.utils.constants import (
        TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING as FF,
    )
    from peft.utils.constants import (
        TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING as T,
    )

    if architecture in T:
        return list(T[architecture]), list(FF.get(architecture, []))
    raise InvalidConfig(
        f"no default IA3 target modules for architecture {architecture!r}",
        fix="set method.target_modules",
    )


BOTTLENECK_DEFAULTS: dict[str, list[str]] = {
    # Houlsby: after the attention output projection and after the feed-forward output.
    "bert": ["output.dense"],
    "roberta": ["output.dense"],
    "xlm-roberta": ["output.dense"],
    "electra": ["output.dense"],
    "mpnet": ["output.dense"],
    "llama": ["o_proj", "down_proj"],
    "mistral": ["o_proj", "down_proj"],
    "qwen2": ["o_proj", "down_proj"],
    "efficientnet": ["_project_conv"],
}


def bottleneck_targets(architecture: str) -> list[str]:
    if architecture in BOTTLENECK_DEFAULTS:
        return BOTTLENECK_DEFAULTS[architecture]
    raise InvalidConfig(
        f"no default bottleneck target modules for architecture {architecture!r}",
        fix="set method.target_modules to the output projections of each block",
    )
