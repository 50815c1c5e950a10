"""Adaptation methods: what is trained, and how its weights are saved and reloaded.

Methods are registered, not switched on by name: each method is one
module holding its pydantic config (``MethodConfig`` subclass, ``name`` discriminator),
default learning rate, description, modalities, library, how it wraps a loaded
backbone, how serving swaps it and how its config is rebuilt on load, as one
:class:`Method` (``vadapt.methods.registry``). Built-ins: ``full.py``, ``freeze.py``,
``bitfit.py`` (vadapt, ``weights.safetensors``), ``lora.py``, ``ia3.py``,
``prompt_tuning.py`` (peft, peft's own ``adapter_config.json`` +
``adapter_model.safetensors``) and ``bottleneck.py`` (vadapt). A plugin adds a method
with the ``register_methods`` hook (docs/hooks.md#register_methods); ``vadapt methods``
lists them all. Shared implementation: ``base.py``, ``native.py``, ``peft_methods.py``,
``targets.py``; ``options.py`` picks a config's class by its ``name``.

This package imports neither torch nor peft; ``apply_method`` does the work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vadapt_registry.errors import InvalidConfig

from vadapt.methods.options import MethodConfig
from vadapt.methods.registry import (
    Method,
    find_method,
    get_method,
    method_owner,
    methods,
    register_method,
    unregister_method,
)
from vadapt.types import BackboneSpec, Modality, TaskSpec

if TYPE_CHECKING:
    from vadapt.methods.base import Adaptation
    from vadapt.types import LoadedBackbone


def backbone_modality(spec: BackboneSpec) -> Modality:
    return Modality(spec.modality)


def check_method(cfg: MethodConfig, task: TaskSpec, backbone: BackboneSpec) -> None:
    """Method x backbone modality x task modality, before anything loads."""
    info = get_method(cfg.name)
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


def as_method_config(cfg: Any) -> MethodConfig:
    """``cfg`` (a MethodConfig, or a mapping) as an instance of its method's config class."""
    from vadapt.methods.options import method_config
    from vadapt.methods.registry import DEFAULT_METHOD

    return method_config(cfg, DEFAULT_METHOD)  # type: ignore[no-any-return]


def apply_method(cfg: MethodConfig, loaded: LoadedBackbone) -> Adaptation:
    """Wrap/freeze the loaded backbone for ``cfg``; returns the trainable adaptation."""
    cfg = as_method_config(cfg)
    return get_method(cfg.name).apply(cfg, loaded)  # type: ignore[no-any-return]


def stored_options(data: dict[str, Any]) -> dict[str, Any]:
    """A stored ``method:`` mapping with only the options its method has (adapters saved
    before each method had its own config stored every method's options)."""
    method = get_method(str(data.get("name", "")))
    return {k: v for k, v in data.items() if k in method.config.model_fields}


def reload_method(
    name: str, stored: dict[str, Any], files: dict[str, bytes], where: str
) -> tuple[MethodConfig, Any]:
    """A manifest's ``method.config`` (``{options, resolved}``) -> (config, what the
    method recovered from the adapter's files, e.g. its peft config)."""
    method = get_method(name)
    options = stored_options({**stored.get("options", {}), "name": name})
    cfg = method.config.model_validate(options)
    return method.reload(cfg, stored.get("resolved", {}), files, where)  # type: ignore[no-any-return]


def describe_methods(hooks: Any = None) -> list[dict[str, Any]]:
    """For ``vadapt methods``: built-in and plugin methods with options and defaults."""
    from vadapt.hooks import hooks as default_hooks

    (hooks or default_hooks()).methods()  # plugins' methods join the registry
    return [
        {
            "name": m.name,
            "description": m.description,
            "library": m.library,
            "plugin": method_owner(m.name),
            "modalities": [x.value for x in m.modalities],
            "default_lr": m.default_lr,
            "needs_labels": m.needs_labels,
            "options": m.options(),
        }
        for m in methods().values()
    ]


def __getattr__(name: str) -> Any:
    if name == "METHODS":  # the former name -> description table
        return methods()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Method",
    "MethodConfig",
    "apply_method",
    "check_method",
    "describe_methods",
    "find_method",
    "get_method",
    "methods",
    "register_method",
    "reload_method",
    "stored_options",
    "unregister_method",
]
