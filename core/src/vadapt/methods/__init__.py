"""Adaptation methods: what is trained, and how its weights are saved and reloaded.

peft provides ``lora``, ``ia3`` and ``prompt-tuning`` (saved as peft's own
``adapter_config.json`` + ``adapter_model.safetensors``); vadapt provides ``full``,
``freeze``, ``bitfit`` and ``bottleneck`` (saved as ``weights.safetensors``).
``METHODS`` describes each without importing torch; ``apply_method`` does the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vadapt_registry.errors import InvalidConfig

from vadapt.types import BackboneSpec, Modality, TaskSpec

if TYPE_CHECKING:
    from vadapt.config import MethodConfig
    from vadapt.methods.base import Adaptation
    from vadapt.types import LoadedBackbone


@dataclass(frozen=True)
class MethodInfo:
    name: str
    description: str
    options: tuple[str, ...]
    modalities: tuple[Modality, ...]
    library: str


_TEXT_IMAGE = (Modality.TEXT, Modality.IMAGE)

METHODS: dict[str, MethodInfo] = {
    m.name: m
    for m in (
        MethodInfo("full", "train every backbone weight and the head", (), _TEXT_IMAGE, "vadapt"),
        MethodInfo(
            "freeze", "train only the top N layers and the head", ("layers",), _TEXT_IMAGE, "vadapt"
        ),
        MethodInfo(
            "lora",
            "low-rank updates on target modules "
            "(text: attention query/value; images: 1x1/kxk convs)",
            ("r", "alpha", "dropout", "target_modules"),
            _TEXT_IMAGE,
            "peft",
        ),
        MethodInfo(
            "ia3",
            "learned rescaling vectors on keys, values and feed-forward",
            ("target_modules",),
            _TEXT_IMAGE,
            "peft",
        ),
        MethodInfo(
            "prompt-tuning",
            "learned virtual tokens prepended to the input (text only)",
            ("num_virtual_tokens",),
            (Modality.TEXT,),
            "peft",
        ),
        MethodInfo("bitfit", "train only bias terms (and the head)", (), _TEXT_IMAGE, "vadapt"),
        MethodInfo(
            "bottleneck",
            "Houlsby-style residual adapters (down-project, GELU, up-project) after target modules",
            ("reduction", "dropout", "target_modules"),
            _TEXT_IMAGE,
            "vadapt",
        ),
    )
}


def backbone_modality(spec: BackboneSpec) -> Modality:
    return Modality(spec.modality)


def check_method(cfg: MethodConfig, task: TaskSpec, backbone: BackboneSpec) -> None:
    """Method x backbone modality x task modality, before anything loads."""
    info = METHODS[cfg.name]
    bmod = backbone_modality(backbone)
    if bmod not in info.modalities:
        raise InvalidConfig(
            f"config field method.name: {cfg.name!r} does not apply to {bmod.value} backbone "
            f"{backbone.name!r} (it works on: {', '.join(m.value for m in info.modalities)})",
            fix="choose another method, e.g. lora",
        )
    text_like = {Modality.TEXT, Modality.TABULAR, Modality.PAIRS, Modality.SEQUENCE}
    tmod = Modality(task.modality)
    if (bmod == Modality.IMAGE) != (tmod == Modality.IMAGE) or (
        bmod == Modality.TEXT and tmod not in text_like
    ):
        raise InvalidConfig(
            f"config field backbone: {backbone.name!r} is a {bmod.value} backbone but task "
            f"{task.id!r} has {tmod.value} examples",
            fix=f"use a {'image' if tmod == Modality.IMAGE else 'text'} backbone "
            "(`vadapt backbones`)",
        )


def apply_method(cfg: MethodConfig, loaded: LoadedBackbone) -> Adaptation:
    """Wrap/freeze the loaded backbone for ``cfg``; returns the trainable adaptation."""
    from vadapt.methods import bottleneck, native, peft_methods

    if cfg.name in ("lora", "ia3", "prompt-tuning"):
        return peft_methods.PeftAdaptation(cfg, loaded)
    if cfg.name == "bottleneck":
        return bottleneck.BottleneckAdaptation(cfg, loaded)
    return native.NativeAdaptation(cfg, loaded)


def describe_methods() -> list[dict[str, Any]]:
    """For ``vadapt methods``: each method with its options, defaults and descriptions."""
    from vadapt.config import DEFAULT_LR, MethodConfig

    fields = MethodConfig.model_fields
    out = []
    for m in METHODS.values():
        out.append(
            {
                "name": m.name,
                "description": m.description,
                "library": m.library,
                "modalities": [x.value for x in m.modalities],
                "default_lr": DEFAULT_LR[m.name],
                "options": {
                    o: {"default": fields[o].default, "description": fields[o].description}
                    for o in m.options
                },
            }
        )
    return out
