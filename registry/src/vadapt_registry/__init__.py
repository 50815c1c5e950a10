"""vadapt-registry: trusted local storage for adapters (no torch, no peft)."""

from vadapt_registry.errors import (
    AdapterExists,
    CorruptAdapter,
    IncompatibleBaseModel,
    InvalidConfig,
    InvalidName,
    NoSpace,
    NotFound,
    PluginError,
    RegistryBusy,
    TrainingDiverged,
    VadaptError,
)

__version__ = "0.1.0"

__all__ = [
    "AdapterExists",
    "CorruptAdapter",
    "IncompatibleBaseModel",
    "InvalidConfig",
    "InvalidName",
    "NoSpace",
    "NotFound",
    "PluginError",
    "RegistryBusy",
    "TrainingDiverged",
    "VadaptError",
    "__version__",
]
