"""A task's recipe (``TaskSpec.defaults``) under the user's config.

The defaults of a task are the settings behind its published numbers (its
RESULTS.md row): a user who runs ``vadapt adapt TASK`` with no options gets them.
Everything the user set — in a file, with ``--set``, ``--method`` or in code — wins;
:func:`with_task_defaults` fills only what the user left unset. A user who picks
another method than the recipe's gets that method's own defaults (options and learning
rate), not the recipe's for a different method.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vadapt.types import TaskSpec


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``, recursively for nested mappings."""
    out = dict(base)
    for k, v in over.items():
        out[k] = (
            merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
        )
    return out


def with_task_defaults(cfg: Any, task: TaskSpec) -> Any:
    """``cfg`` (an AdaptConfig) with the task's recipe filling what the user left unset."""
    if not task.defaults:
        return cfg
    from vadapt.config import build_config

    user = cfg.model_dump(mode="json", exclude_unset=True)
    recipe = dict(task.defaults)
    chosen = user.get("method", {}).get("name")
    if chosen is not None and chosen != recipe.get("method", {}).get("name", chosen):
        recipe.pop("method", None)  # and its learning rate: the user's method has its own
        recipe["train"] = {k: v for k, v in recipe.get("train", {}).items() if k != "lr"}
    return build_config(merge(recipe, user), source=f"recipe of task {task.id!r}")
