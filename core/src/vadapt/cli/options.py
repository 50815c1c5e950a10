"""What the commands that run many adapts (``fewshot``, ``continual``) share: the base
config from ``--config``, ``--set``, ``--backbone`` and ``--registry``."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def base_config(
    path: Path | None, overrides: list[str], backbone: str | None, registry: str | None
) -> dict[str, Any]:
    """The config every run of the command starts from (its ``task`` is the command's)."""
    from vadapt.config import apply_overrides, read_config_file

    data: dict[str, Any] = read_config_file(path) if path else {}
    data = apply_overrides(data, overrides)
    data.pop("task", None)
    if backbone:
        data["backbone"] = backbone
    if registry:
        data.setdefault("output", {})["registry"] = registry
    return data
