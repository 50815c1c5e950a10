"""``retrain``: continue a registered version on new data behind the retention gate.

The new version is the parent's run again — its task, backbone, method and options as
its manifest stores them — with the data section pointed at the new data, continued
from the parent's weights with a continual strategy. It is evaluated on the new data's
test split (its metrics) and on the parent's own test data (the retention gate), and
registered as the next version of the parent's name, its lineage parent the version it
continued.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vadapt_registry.errors import InvalidConfig

DEFAULT_RETAIN = 0.98
FALLBACK_STRATEGY = "lwf"  # needs no state stored with the parent (docs/continual.md)


def retrain(
    ref: str,
    *,
    data: str | Path,
    strategy: str | None = None,
    retain: float | None = DEFAULT_RETAIN,
    overrides: list[str] | None = None,
    registry: Any = None,
    progress: bool = True,
    hooks: Any = None,
) -> tuple[Any, Any]:
    """Continue ``ref`` (NAME or NAME@VERSION) on ``data``; returns the ``AdaptResult``
    and the task. ``strategy``: the parent's own when it recorded one, else ``lwf``;
    ``retain``: the gate's floor (None: no gate); ``overrides``: ``--set`` pairs."""
    from vadapt.config import apply_overrides
    from vadapt.engine.load import _stored_config
    from vadapt.engine.run import adapt
    from vadapt.engine.save import open_registry
    from vadapt.hooks import hooks as default_hooks

    h = hooks or default_hooks()
    reg = open_registry(registry, None)
    m = reg.get(ref)
    task = h.task(m.task)
    cfg = _stored_config(m.training.get("config", {}))
    cfg["data"] = {**dict(cfg.get("data") or {}), "path": _data_path(data, task, m.ref)}
    cfg["continual"] = {
        **dict(cfg.get("continual") or {}),
        "parent": m.ref,
        "strategy": strategy or _parent_strategy(m),
        "retain": retain,
    }
    cfg["output"] = {
        **dict(cfg.get("output") or {}),
        "name": m.name,
        "version": None,
        "parent": m.ref,
    }
    cfg = apply_overrides(cfg, overrides or [])
    return adapt(cfg, registry=reg, progress=progress, hooks=h), task


def _data_path(data: str | Path, task: Any, ref: str) -> str:
    if "path" not in task.data_model.model_fields:
        raise InvalidConfig(
            f"retrain {ref}: task {task.id!r} reads no data file (its data section has no "
            "'path' option)",
            fix="give the new data through the task's own options: vadapt adapt "
            f"{task.id} --from {ref} --set data.KEY=VALUE",
        )
    path = Path(data).expanduser()
    if not path.exists():
        raise InvalidConfig(
            f"--data {str(data)!r}: no such file or directory",
            fix="give the path of the new data in the task's layout (see `vadapt tasks`)",
        )
    return str(path.resolve())


def _parent_strategy(m: Any) -> str:
    recorded = (m.training.get("continual") or {}).get("strategy")
    return recorded if recorded and recorded != "naive" else FALLBACK_STRATEGY
