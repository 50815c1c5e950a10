"""vadapt-registry: trusted local storage for adapters (no torch, no peft).

from vadapt_registry import Registry, ManifestDraft
reg = Registry()                       # $VADAPT_HOME or the user data dir
m = reg.save(draft, {"adapter_model.safetensors": path, "adapter_config.json": path})
reg.materialize(m.ref, out_dir)        # a directory peft.PeftModel.from_pretrained reads
"""

from typing import TYPE_CHECKING

from vadapt_registry.errors import (
    AdapterExists,
    BelowBaseline,
    CorruptAdapter,
    GateFailed,
    IncompatibleBaseModel,
    InvalidConfig,
    InvalidName,
    NoSpace,
    NotFound,
    PluginError,
    QualityDrop,
    RegistryBusy,
    RetentionFailed,
    TrainingDiverged,
    VadaptError,
)

# Everything but the errors is imported on first use (PEP 562): `vadapt list-plugins`
# and `vadapt tasks` import the errors through `vadapt` and must not pay for numpy,
# the pydantic manifest models and the store (about 250 ms).
_LAZY = {
    "check_compatible": "fingerprint",
    "fingerprint_files": "fingerprint",
    "BackboneRef": "manifest",
    "FileEntry": "manifest",
    "Manifest": "manifest",
    "ManifestDraft": "manifest",
    "ManifestWarning": "manifest",
    "MethodSpec": "manifest",
    "Metrics": "manifest",
    "parse_ref": "names",
    "validate_file_name": "names",
    "validate_name": "names",
    "AdapterSummary": "registry",
    "GcReport": "registry",
    "LoadedAdapter": "registry",
    "Registry": "registry",
    "VerifyProblem": "registry",
    "default_root": "registry",
    "UnsafeFile": "safefiles",
    "assert_finite": "safefiles",
    "check_safetensors": "safefiles",
}


if TYPE_CHECKING:  # type checkers see the real names; the runtime imports them lazily
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


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"vadapt_registry.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'vadapt_registry' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "AdapterExists",
    "AdapterSummary",
    "BackboneRef",
    "BelowBaseline",
    "CorruptAdapter",
    "FileEntry",
    "GateFailed",
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
    "QualityDrop",
    "Registry",
    "RegistryBusy",
    "RetentionFailed",
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
