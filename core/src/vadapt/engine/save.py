"""Registry hand-off: write the adapter files to a temp dir, then one atomic registry save."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from vadapt_registry import Manifest, Registry

HEAD_FILE = "head.safetensors"


def open_registry(registry: Any, cfg_root: str | None) -> Registry:
    if isinstance(registry, Registry):
        return registry
    if registry is not None:
        return Registry(registry)
    return Registry(cfg_root) if cfg_root else Registry()


def plugin_versions(host: Any) -> dict[str, str]:
    """Distribution -> version of every plugin loaded in this run (and vadapt itself)."""
    from vadapt import __version__

    out = {"vadapt": __version__}
    for rec in host.records.values():
        if rec.status == "ok" and rec.distribution:
            out[rec.distribution] = rec.version or ""
    return dict(sorted(out.items()))


def commit(
    model: Any, draft: dict[str, Any], registry: Registry, *, version: int | str | None
) -> Manifest:
    """Save method weights + head as safetensors and the manifest, atomically."""
    from safetensors.torch import save_file

    with tempfile.TemporaryDirectory(prefix="vadapt-save-") as tmp:
        d = Path(tmp)
        names = model.adaptation.save(d)
        head = {k: v.detach().cpu().contiguous() for k, v in model.head.state_dict().items()}
        save_file(head, str(d / HEAD_FILE), metadata={"format": "pt"})
        files = {n: d / n for n in [*names, HEAD_FILE]}
        return registry.save(draft, files, version=version)
