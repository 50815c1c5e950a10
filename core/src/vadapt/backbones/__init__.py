"""Foundation models: the built-in ones and any local Hugging Face directory.

Nothing here imports torch at module level; the loaders do, when called.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from vadapt_registry.errors import InvalidConfig, NotFound

from vadapt.backbones.fingerprint import fingerprint_files
from vadapt.types import BackboneSpec, Modality


def _is_hf_dir(path: Path) -> bool:
    return path.is_dir() and (path / "config.json").is_file()


def local_hf_spec(path: str | Path) -> BackboneSpec:
    """A BackboneSpec for a local Hugging Face model directory (text encoders)."""
    from vadapt.backbones.text import hf_files, load_hf_text

    p = Path(path).expanduser().resolve()
    slug = re.sub(r"[^a-z0-9-]+", "-", p.name.lower()).strip("-")[:50] or "model"
    return BackboneSpec(
        name=f"local-{slug}",
        modality=Modality.TEXT,
        description=f"local Hugging Face model {p}",
        loader=lambda: load_hf_text(p),
        files=lambda: hf_files(p),
    )


def resolve_backbone(ref: str, hooks: Any, *, field: str = "backbone") -> BackboneSpec:
    """A registered backbone name, or a path to a local HF directory."""
    known = hooks.owned_backbones()
    if ref in known:
        spec: BackboneSpec = known[ref].value
        if not spec.available():
            raise InvalidConfig(
                f"config field {field}: backbone {ref!r} is not installed",
                fix=spec.install_hint or "install its package",
            )
        return spec
    p = Path(ref).expanduser()
    if _is_hf_dir(p):
        return local_hf_spec(p)
    if p.exists():
        raise InvalidConfig(
            f"config field {field}: {ref!r} is not a Hugging Face model directory (no config.json)",
            fix="point at a directory written by save_pretrained",
        )
    try:
        hooks.backbone(ref)
    except NotFound as exc:
        raise InvalidConfig(f"config field {field}: {exc.message}", fix=exc.fix) from None
    raise AssertionError("unreachable")


def backbone_fingerprint(spec: BackboneSpec) -> str:
    """sha256 over the backbone's weight and config files."""
    files = list(spec.files())
    if not files:
        raise InvalidConfig(f"backbone {spec.name!r} lists no files to fingerprint")
    return fingerprint_files(files)


__all__ = ["backbone_fingerprint", "fingerprint_files", "local_hf_spec", "resolve_backbone"]
