"""Base-model fingerprints and the compatibility check the engine runs before loading."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from vadapt_registry.errors import IncompatibleBaseModel, NotFound
from vadapt_registry.manifest import Manifest

#: Files of a model directory that define its behaviour (weights and configs).
MODEL_FILE_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".json", ".model", ".txt")
_CHUNK = 1 << 20


def _expand(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[tuple[str, Path]]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    items: list[tuple[str, Path]] = []
    loose: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in MODEL_FILE_SUFFIXES:
                    items.append((f.relative_to(p).as_posix(), f))
        elif p.is_file():
            loose.append(p)
        else:
            raise NotFound(
                f"cannot fingerprint {p}: no such file or directory",
                fix="pass the base model's files",
            )
    if loose:
        base = Path(os.path.commonpath([str(f.parent.resolve()) for f in loose]))
        items.extend((f.resolve().relative_to(base).as_posix(), f) for f in loose)
    return sorted(items)


def fingerprint_files(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> str:
    """``"sha256:<hex>"`` over the sorted (relative name, size, content) of a base model's files.

    ``paths`` is a model directory (its weight and config files are taken), or a list of
    files (names relative to their common directory). Content is streamed in 1 MiB chunks.
    """
    items = _expand(paths)
    if not items:
        raise NotFound(f"no model files found in {paths!s}", fix="pass the weight and config files")
    h = hashlib.sha256()
    for rel, path in items:
        h.update(rel.encode("utf-8") + b"\0" + os.path.getsize(path).to_bytes(8, "little"))
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
    return "sha256:" + h.hexdigest()


def check_compatible(manifest: Manifest, backbone_name: str, fingerprint: str) -> None:
    """Raise `IncompatibleBaseModel` unless ``fingerprint`` is the adapter's base model.

    The fingerprint decides: the same architecture with other weights is incompatible,
    and a different name for byte-identical weights (a local copy) is fine.
    """
    want = manifest.backbone
    if fingerprint == want.fingerprint:
        return
    raise IncompatibleBaseModel(
        f"adapter {manifest.ref} was trained on backbone {want.name!r} ({want.fingerprint}) "
        f"but the offered base model {backbone_name!r} has fingerprint {fingerprint}",
        fix=f"load it with backbone {want.name!r} at fingerprint {want.fingerprint}, "
        f"or retrain the adapter on {backbone_name!r}",
    )
