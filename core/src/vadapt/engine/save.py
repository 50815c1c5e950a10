"""Registry hand-off: write the adapter files to a temp dir, then one atomic registry save."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
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


def preflight(
    registry: Registry, name: str, task_id: str, version: Any, parent: str | None
) -> None:
    """Checks the save would pass, made before training so no run is wasted on them."""
    from vadapt_registry import AdapterExists, InvalidConfig, NotFound, parse_ref, validate_name
    from vadapt_registry.names import validate_version

    validate_name(name)
    if version is not None:
        validate_version(version)
    if parent is not None:
        _, pversion = parse_ref(parent)
        if pversion is None:
            raise InvalidConfig(f"config field output.parent: {parent!r} must be 'name@version'")
        registry.get(parent)  # NotFound names what exists
    try:
        latest = registry.get(name)
    except NotFound:
        return
    if latest.task != task_id:
        raise InvalidConfig(
            f"adapter name {name!r} already holds adapters of task {latest.task!r}, "
            f"not {task_id!r}",
            fix="choose another name with output.name (or --name)",
        )
    if version is not None:
        try:
            registry.get(f"{name}@{version}")
        except NotFound:
            return
        raise AdapterExists(
            f"adapter {name}@{version} already exists",
            fix="drop output.version to get the next version, or choose another",
        )


def plugin_versions(host: Any) -> dict[str, str]:
    """Distribution -> version of every plugin loaded in this run (and vadapt itself)."""
    from vadapt import __version__

    out = {"vadapt": __version__}
    for rec in host.records.values():
        if rec.status == "ok" and rec.distribution:
            out[rec.distribution] = rec.version or ""
    return dict(sorted(out.items()))


def commit(
    model: Any,
    draft: dict[str, Any],
    registry: Registry,
    *,
    version: int | str | None,
    extra: Callable[[Path], list[str]] | None = None,
) -> Manifest:
    """Save method weights + head as safetensors and the manifest, atomically.
    ``extra(directory)`` writes more files of the adapter there and names them (a
    continual strategy's Fisher estimate or replay buffer)."""
    from safetensors.torch import save_file

    with tempfile.TemporaryDirectory(prefix="vadapt-save-") as tmp:
        d = Path(tmp)
        names = model.adaptation.save(d)
        head = {k: v.detach().cpu().contiguous() for k, v in model.head.state_dict().items()}
        save_file(head, str(d / HEAD_FILE), metadata={"format": "pt"})
        more = extra(d) if extra is not None else []
        files = {n: d / n for n in [*names, HEAD_FILE, *more]}
        return registry.save(draft, files, version=version)
