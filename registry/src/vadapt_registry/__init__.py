"""vadapt-registry: trusted local storage for adapters (no torch, no peft).

from vadapt_registry import Registry, ManifestDraft
reg = Registry()                       # $VADAPT_HOME or the user data dir
m = reg.save(draft, {"adapter_model.safetensors": path, "adapter_config.json": path})
reg.materialize(m.ref, out_dir)        # a directory peft.PeftModel.from_pretrained reads
"""

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
from vadapt_registry.fingerprint import check_compatible, fingerprint_files
from vadapt_registry.manifest import (
    BackboneRef,
    FileEntry,
    Manifest,
    ManifestDraft,
    ManifestWarning,
    MethodSpec,
    Metrics,
)
from vadapt_registry.names import parse_ref, validate_file_name, validate_name
from vadapt_registry.registry import (
    AdapterSummary,
    GcReport,
    LoadedAdapter,
    Registry,
    VerifyProblem,
    default_root,
)
from vadapt_registry.safefiles import UnsafeFile, assert_finite, check_safetensors

__version__ = "0.1.0"

__all__ = [
    "AdapterExists",
    "AdapterSummary",
    "BackboneRef",
    "CorruptAdapter",
    "FileEntry",
    "GcReport",
    "IncompatibleBaseModel",
    "InvalidConfig",
    "InvalidName",
    "LoadedAdapter",
    "Manifest",
    "ManifestDraft",
    "ManifestWarning",
    "MethodSpec",
    "Metrics",
    "NoSpace",
    "NotFound",
    "PluginError",
    "Registry",
    "RegistryBusy",
    "TrainingDiverged",
    "UnsafeFile",
    "VadaptError",
    "VerifyProblem",
    "__version__",
    "assert_finite",
    "check_compatible",
    "check_safetensors",
    "default_root",
    "fingerprint_files",
    "parse_ref",
    "validate_file_name",
    "validate_name",
]
