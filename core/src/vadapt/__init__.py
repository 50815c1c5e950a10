"""vadapt: adapt foundation models to vertical domains, through plugins.

A plugin needs one import::

    from vadapt import hookimpl

and may use the public types re-exported here. Importing ``vadapt`` never
imports torch or peft (the CLI's listings rely on it).
"""

from vadapt_registry.errors import (
    AdapterExists,
    BelowBaseline,
    CorruptAdapter,
    IncompatibleBaseModel,
    InvalidConfig,
    NoSpace,
    NotFound,
    PluginError,
    RegistryBusy,
    TrainingDiverged,
    VadaptError,
)

from vadapt.hookspecs import global_hookimpl, hookimpl
from vadapt.types import (
    BackboneInfo,
    BackboneSpec,
    Baselines,
    EmptyDataConfig,
    Example,
    HeadKind,
    LoadedBackbone,
    Metrics,
    Modality,
    Splits,
    TaskSpec,
)

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
    "HeadKind",
    "IncompatibleBaseModel",
    "InvalidConfig",
    "LoadedBackbone",
    "Metrics",
    "Modality",
    "NoSpace",
    "NotFound",
    "PluginError",
    "RegistryBusy",
    "Splits",
    "TaskSpec",
    "TrainingDiverged",
    "VadaptError",
    "__version__",
    "global_hookimpl",
    "hookimpl",
]
