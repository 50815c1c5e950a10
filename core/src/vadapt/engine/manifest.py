"""The manifest draft of a run: what the registry stores beside the adapter's files."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from vadapt.config import Resolved, effective_lr
from vadapt.types import Modality, Splits


def manifest_draft(
    res: Resolved,
    h: Any,
    run: Any,
    splits: Splits,
    labels: tuple[str, ...],
    metrics: dict[str, Any],
    baselines: dict[str, Any],
    notes: dict[str, str],
    gate: dict[str, Any] | None,
    t_start: float,
) -> dict[str, Any]:
    from vadapt.engine.data.checks import data_fingerprint
    from vadapt.engine.save import plugin_versions
    from vadapt.kit import headline

    cfg, task = res.config, res.task
    info = dict(splits.info)
    tag = "BELOW BASELINE: " + _gate_text(gate) if gate and not gate["passed"] else None
    return {
        "name": cfg.output.name or task.name,
        "vertical": task.vertical,
        "task": task.id,
        "method": {
            "name": cfg.method.name,
            "config": {
                "options": cfg.method.model_dump(mode="json"),
                "resolved": run.model.adaptation.resolved,
            },
        },
        "backbone": {"name": res.backbone_ref, "fingerprint": run.fingerprint},
        "labels": list(labels),
        "training": jsonable(
            {
                **_training_record(res, run, splits, t_start),
                "headline": list(headline(task)),
                "gate": gate,
                "baseline_notes": notes,
            }
        ),
        "metrics": metrics,
        "baselines": baselines,
        "context": run.outcome.context.state,
        "data_fingerprint": data_fingerprint(splits),
        "plugins": plugin_versions(h.host),
        "vadapt_version": _version(),
        "parent": cfg.output.parent,
        "notes": _join_text(tag, _join_text(cfg.output.notes, info.get("notes"))),
        "license": cfg.output.license,
        "intended_use": _join_text(cfg.output.intended_use, info.get("intended_use")),
    }


def _gate_text(gate: dict[str, Any]) -> str:
    return (
        f"test {gate['metric']} {gate['adapter']:.4f} does not beat the majority baseline "
        f"{gate['majority']:.4f}"
        + (f" / floor {gate['floor']}" if gate["floor"] is not None else "")
    )


def _training_record(res: Resolved, run: Any, splits: Splits, t_start: float) -> dict[str, Any]:
    cfg, task, out = res.config, res.task, run.outcome
    return {
        "config": cfg.model_dump(mode="json"),
        "lr": effective_lr(cfg),
        "engine": {
            "head": task.head.value,
            "modality": task.modality.value,
            "backbone_modality": Modality(run.loaded.modality).value,
            "architecture": run.loaded.architecture,
            "target_norm": list(run.ctx.target_norm),
            "temperature": cfg.train.temperature,
            "max_length": cfg.train.max_length,
            "image_size": cfg.train.image_size,
            "precision": run.precision,
            "processes": run.accelerator.num_processes,
            "prefix_cache": out.prefix_cache,
        },
        "steps": out.steps,
        "epochs_run": out.epochs_run,
        "best_step": out.best_step,
        "stopped_early": out.stopped_early,
        "samples_per_second": round(out.samples_per_second, 2),
        "trainable_parameters": run.trainable,
        "total_parameters": run.total,
        "history": out.history,
        "data": {"sizes": splits.sizes(), "info": dict(splits.info)},
        "seconds": round(time.perf_counter() - t_start, 2),
    }


def _version() -> str:
    from vadapt import __version__

    return __version__


def jsonable(v: Any) -> Any:
    import math

    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (np.floating, np.integer)):
        return jsonable(v.item())
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    return str(v)


def _join_text(user: str | None, plugin: Any) -> str:
    """The user's text, then the task plugin's own statement (e.g. "not for clinical
    decisions"), which a user's note must never silently replace."""
    parts = [str(p).strip() for p in (user, plugin) if p and str(p).strip()]
    return "\n".join(dict.fromkeys(parts))
