"""vadapt: adapt foundation models to vertical domains, through plugins.

A plugin needs one import::

    from vadapt import hookimpl

and may use the public types re-exported here. Importing ``vadapt`` never
imports torch or peft (the CLI's listings rely on it).
"""

from typing import TYPE_CHECKING, Any

from vadapt_registry.errors import (
    AdapterExists,
    BelowBaseline,
    CorruptAdapter,
    GateFailed,
    IncompatibleBaseModel,
    InvalidConfig,
    NoSpace,
    NotFound,
    PluginError,
    QualityDrop,
    RegistryBusy,
    RetentionFailed,
    TrainingDiverged,
    VadaptError,
)

# hookimpl and the public types load on first use (PEP 562), so that `vadapt --help`
# and the registry listings never pay for pydantic and pluggy.
_LAZY = {
    "global_hookimpl": "vadapt.hookspecs",
    "hookimpl": "vadapt.hookspecs",
    **dict.fromkeys(
        (
            "BackboneInfo",
            "BackboneSpec",
            "Baselines",
            "EmptyDataConfig",
            "Example",
            "Experience",
            "HeadKind",
            "LoadedBackbone",
            "Metrics",
            "Modality",
            "Splits",
            "Stream",
            "TaskSpec",
        ),
        "vadapt.types",
    ),
}

if TYPE_CHECKING:
    from vadapt.hookspecs import global_hookimpl, hookimpl
    from vadapt.types import (
        BackboneInfo,
        BackboneSpec,
        Baselines,
        EmptyDataConfig,
        Example,
        Experience,
        HeadKind,
        LoadedBackbone,
        Metrics,
        Modality,
        Splits,
        Stream,
        TaskSpec,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vadapt' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "AdapterExists",
    "BackboneInfo",
    "BackboneSpec",
    "Baselines",
    "BelowBaseline",
    "CorruptAdapter",
    "EmptyDataConfig",
    "Example",
    "Experience",
    "GateFailed",
    "HeadKind",
    "IncompatibleBaseModel",
    "InvalidConfig",
    "LoadedBackbone",
    "Metrics",
    "Modality",
    "NoSpace",
    "NotFound",
    "PluginError",
    "QualityDrop",
    "RegistryBusy",
    "RetentionFailed",
    "Splits",
    "Stream",
    "TaskSpec",
    "TrainingDiverged",
    "VadaptError",
    "__version__",
    "global_hookimpl",
    "hookimpl",
]
