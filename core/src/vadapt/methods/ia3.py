"""``ia3`` (peft): learned rescaling vectors on keys, values and feed-forward."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from vadapt.methods.options import MethodConfig, TargetModules
from vadapt.methods.peft_methods import PeftAdaptation, peft_task_type, reload_peft
from vadapt.methods.registry import Method
from vadapt.types import Modality


class IA3Config(MethodConfig):
    name: Literal["ia3"] = Field("ia3", description="adaptation method")
    target_modules: TargetModules = Field(
        None, description="module names to rescale; None = per-architecture default"
    )


def apply_ia3(cfg: IA3Config, loaded: Any) -> PeftAdaptation:
    import peft

    from vadapt.methods.targets import ia3_targets

    if cfg.target_modules:
        targets, ff = list(cfg.target_modules), []
    else:
        image = loaded.modality != Modality.TEXT
        targets, ff = ia3_targets(loaded.model, loaded.architecture, image)
    peft_config = peft.IA3Config(
        target_modules=targets, feedforward_modules=ff, task_type=peft_task_type(loaded)
    )
    return PeftAdaptation(cfg, loaded, peft_config)


METHOD = Method(
    name="ia3",
    config=IA3Config,
    description="learned rescaling vectors on keys, values and feed-forward",
    apply=apply_ia3,
    default_lr=5e-3,
    library="peft",
    serving="peft",
    reload=reload_peft,
)
