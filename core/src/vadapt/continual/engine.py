"""How a run continues: the parent and strategy resolved before data loads, the warm
start after the model is built, the retention gate before saving."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from vadapt_registry.errors import InvalidConfig, RetentionFailed

from vadapt.config import Resolved
from vadapt.continual.parent import ParentState, load_parent
from vadapt.continual.strategies import Strategy, make_strategy


@dataclass
class Plan:
    """A continued (or stream-first) run: what it continues from and how."""

    parent: ParentState | None
    strategy: Strategy
    growth: dict[str, int] = field(default_factory=dict)
    retention: dict[str, Any] | None = None
    stream: dict[str, Any] | None = None  # vadapt continual: the stream's result matrix
    on_start: Any = None  # called (model, ctx) once the model is warm, before training

    def record(self) -> dict[str, Any]:
        """The manifest's ``training.continual``."""
        cfg = self.strategy.cfg
        return {
            "strategy": cfg.strategy,
            "options": cfg.model_dump(mode="json", exclude={"parent", "retain"}),
            "parent": self.parent.ref if self.parent else None,
            **self.growth,
            **self.strategy.record(),
            "retention": self.retention,
            "notes": list(self.strategy.notes),
            **({"stream": self.stream} if self.stream is not None else {}),
        }


def plan(
    res: Resolved,
    h: Any,
    registry: Any,
    parent: ParentState | None = None,
    *,
    always: bool = False,
) -> tuple[Resolved, Plan | None]:
    """``res`` as the continued run needs it (the parent's method, the lineage parent),
    and its :class:`Plan`; ``(res, None)`` for an ordinary run unless ``always``.
    ``parent``: given in memory (a stream's previous experience) instead of
    ``continual.parent``."""
    cc = res.config.continual
    if parent is None and cc.parent:  # from the registry this run saves into
        parent = load_parent(cc.parent, registry=registry or res.config.output.registry, hooks=h)
    if parent is None and cc.strategy == "naive" and not always:
        return res, None
    _check_method(res, parent)
    strategy = make_strategy(cc, parent, res.task)
    method_cfg = parent.method_cfg if parent is not None else res.config.method
    peft_config = parent.peft_config if parent is not None else None
    method_cfg, peft_config = strategy.method(method_cfg, peft_config)
    if parent is not None:
        parent = dataclasses.replace(parent, peft_config=peft_config)
    cfg = res.config.model_copy(update={"method": method_cfg})
    if parent is not None and parent.ref:
        update = {"parent": cfg.output.parent or parent.ref}
        if parent.task == res.task.id:  # the same task: the parent's next version by default
            update["name"] = cfg.output.name or parent.ref.split("@", 1)[0]
        cfg.output = cfg.output.model_copy(update=update)
    return dataclasses.replace(res, config=cfg), Plan(parent, strategy)


def _check_method(res: Resolved, parent: ParentState | None) -> None:
    from vadapt.methods import get_method

    name = parent.method_cfg.name if parent is not None else res.config.method.name
    if get_method(name).fit is not None:
        raise InvalidConfig(
            f"method {name!r} fits with its own procedure, not the engine's training loop; "
            "it cannot be continued or trained with a continual strategy",
            fix="continue an adapter of a trained method (lora, ia3, full, ...)",
        )


def retention_gate(
    p: Plan, res: Resolved, h: Any, model: Any, ctx: Any, run_context: Any
) -> dict[str, Any] | None:
    """``continual.retain``: the headline metric on the parent's test data, now against
    the parent's stored figure; raises RetentionFailed (exit 12) below the floor."""
    floor = res.config.continual.retain
    if floor is None or p.parent is None or p.parent.ref is None:
        return None
    from vadapt.engine.evaluate import evaluate_split
    from vadapt.kit import headline, higher_is_better

    task = h.task(p.parent.task)
    metric = headline(task)[0]
    before = p.parent.test_metrics.get(metric)
    if before is None:
        raise InvalidConfig(
            f"--retain: parent {p.parent.ref} stores no test {metric!r} to compare with",
            fix="drop --retain for this parent",
        )
    splits = h.load_data(task, task.data_model.model_validate(p.parent.data))
    now = evaluate_split(model, ctx, h, list(splits.test), "test", run_context)[metric]
    up = higher_is_better(task, metric)
    ratio = now / before if before else float("inf")
    ok = ratio >= floor if up else now <= before / floor
    verdict = {"metric": metric, "parent": before, "now": now, "floor": floor, "passed": ok}
    p.retention = verdict
    if not ok:
        raise RetentionFailed(
            f"the continued adapter keeps {ratio:.1%} of {p.parent.ref}'s test {metric} on its "
            f"data ({now:.4f} against {before:.4f}), below --retain {floor}; nothing was saved",
            fix="use a continual strategy that forgets less (--strategy replay, ewc or lwf), "
            "or lower --retain",
        )
    return verdict
