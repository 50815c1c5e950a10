"""``adapt()``: config -> data -> model -> training -> test metrics -> baselines -> registry."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from vadapt.config import AdaptConfig, Resolved, build_config, effective_lr, resolve
from vadapt.types import HeadKind, Modality, Splits


@dataclass
class AdaptResult:
    """What ``adapt`` returns. ``manifest``/``ref`` are None when nothing was saved
    (``output.save=false``, or on non-main processes of a distributed run)."""

    manifest: Any
    ref: str | None
    metrics: dict[str, dict[str, float]]
    baselines: dict[str, dict[str, float]]
    history: list[dict[str, Any]] = field(default_factory=list)
    log_path: str | None = None
    samples_per_second: float = 0.0  # training only (evaluation excluded)
    train_seconds: float = 0.0
    train_cpu_seconds: float = 0.0
    hook_seconds: float = 0.0  # time inside augment/adversarial_step dispatch while training
    trainable_parameters: int = 0
    total_parameters: int = 0
    steps: int = 0
    seconds: float = 0.0
    model: Any = None  # the trained AdaptModel (in memory)
    main_process: bool = True  # False on the other ranks of a distributed run
    context: Any = None  # its EvalContext (collator, labels, device) for in-memory inference


_RUN_NUMBERS = itertools.count(1)


def _log_path(cfg: AdaptConfig) -> Path:
    if cfg.train.log_dir:
        root = Path(cfg.train.log_dir)
    else:
        from platformdirs import user_cache_dir

        root = Path(user_cache_dir("vadapt")) / "runs"
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    # pid + a per-process run number: two runs in one second never share one log
    run = next(_RUN_NUMBERS)
    return root / f"{cfg.task.replace('/', '--')}-{stamp}-{os.getpid()}-{run}.jsonl"


def _limit(splits: Splits, cfg: AdaptConfig) -> Splits:
    tr, va = list(splits.train), list(splits.validation)
    if cfg.train.max_train_examples:
        tr = tr[: cfg.train.max_train_examples]
    if cfg.train.max_eval_examples:
        va = va[: cfg.train.max_eval_examples]
    return Splits(
        train=tr, validation=va, test=list(splits.test), labels=splits.labels, info=splits.info
    )


def make_encoder(spec: Any, cfg: AdaptConfig, batch_size: int = 32) -> Any:
    """``encode(inputs) -> L2-normalised numpy`` over the un-adapted backbone, loaded lazily."""
    state: dict[str, Any] = {}

    def encode(inputs: Sequence[Any]) -> np.ndarray:
        import torch

        from vadapt.engine.model import mean_pool
        from vadapt.engine.setup import load_backbone

        if "loaded" not in state:
            state["loaded"] = load_backbone(spec, cfg)
            state["loaded"].model.eval()
        lb = state["loaded"]
        rows = []
        with torch.no_grad():
            for i in range(0, len(inputs), batch_size):
                chunk = list(inputs[i : i + batch_size])
                if lb.modality == Modality.IMAGE:
                    feats = lb.model(torch.stack([lb.preprocessor(x) for x in chunk]))
                else:
                    enc = lb.preprocessor(
                        [str(x) for x in chunk],
                        padding=True,
                        truncation=True,
                        max_length=cfg.train.max_length,
                        return_tensors="pt",
                    )
                    out = lb.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
                    feats = mean_pool(out.last_hidden_state, enc["attention_mask"])
                rows.append(torch.nn.functional.normalize(feats.float(), dim=-1).numpy())
        if not rows:
            return np.zeros((0, lb.hidden_size), dtype=np.float32)
        return np.concatenate(rows, axis=0)

    return encode


def adapt(
    config: AdaptConfig | dict[str, Any],
    *,
    registry: Any = None,
    progress: bool = True,
    hooks: Any = None,
) -> AdaptResult:
    """Adapt a backbone to a task and save the adapter (see COMMON.md for the contract)."""
    t_start = time.perf_counter()
    from vadapt.hooks import hooks as default_hooks

    h = hooks or default_hooks()
    cfg = build_config(config)
    res = resolve(cfg, h)  # every config error before any data or model loads
    return _adapt_resolved(res, h, registry=registry, progress=progress, t_start=t_start)


def _adapt_resolved(
    res: Resolved, h: Any, *, registry: Any, progress: bool, t_start: float
) -> AdaptResult:
    from vadapt.engine.data.checks import (
        check_splits,
        data_fingerprint,
        encode_targets,
        resolve_labels,
    )

    cfg, task, spec = res.config, res.task, res.backbone
    splits = h.load_data(task, res.data_config)
    splits = _limit(splits, cfg)
    labels = resolve_labels(task, splits)
    check_splits(task, splits, labels)

    from vadapt.engine.save import open_registry

    reg = open_registry(registry, cfg.output.registry) if cfg.output.save else None
    if reg is not None:
        from vadapt.engine.save import preflight

        preflight(reg, cfg.output.name or task.name, task.id, cfg.output.version, cfg.output.parent)

    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    from vadapt.backbones import backbone_fingerprint
    from vadapt.engine.evaluate import evaluate_split
    from vadapt.engine.setup import (
        build_model,
        class_weights,
        load_backbone,
        make_context,
        set_threads,
    )
    from vadapt.engine.train import train

    set_threads(cfg.train.threads)
    precision = cfg.train.precision
    mixed = (
        "bf16"
        if precision == "bf16" or (precision == "auto" and torch.cuda.is_available())
        else "no"
    )
    from accelerate.utils import DistributedDataParallelKwargs

    # full/freeze/bitfit train backbone parameters the pooled forward never uses (BERT's
    # pooler): DDP must be told, or its gradient reduction waits for them forever.
    unused = cfg.method.name in ("full", "freeze", "bitfit")
    accelerator = Accelerator(
        gradient_accumulation_steps=cfg.train.grad_accum,
        mixed_precision=mixed,
        cpu=not torch.cuda.is_available(),
        kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=unused)],
    )
    set_seed(cfg.train.seed)
    fingerprint = backbone_fingerprint(spec)
    loaded = load_backbone(spec, cfg)
    model = build_model(task, spec, loaded, cfg.method, labels, cfg, h)
    train_targets = encode_targets(task, splits.train, labels)
    norm = (0.0, 1.0)
    if task.head == HeadKind.REGRESSION:
        std = float(np.std(train_targets))
        norm = (float(np.mean(train_targets)), std if std > 1e-12 else 1.0)
    weights = class_weights(task, train_targets, len(labels), cfg.train.class_weights)
    autocast = torch.bfloat16 if mixed == "bf16" else None
    ctx = make_context(
        task,
        loaded,
        labels,
        cfg,
        accelerator.device,
        target_norm=norm,
        weights=weights,
        autocast_dtype=autocast,
    )
    model.to(accelerator.device)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    log_path = _log_path(cfg) if accelerator.is_main_process else None
    outcome = train(
        model=model,
        accelerator=accelerator,
        ctx=ctx,
        hooks=h,
        task=task,
        cfg=cfg,
        lr=effective_lr(cfg),
        train_examples=splits.train,
        val_examples=splits.validation,
        log_path=log_path,
        progress=progress,
    )
    model = accelerator.unwrap_model(model)
    val_metrics = outcome.best or outcome.history[-1]
    val_metrics = {
        k: v for k, v in val_metrics.items() if k not in ("step", "epoch", "split", "lr", "seconds")
    }
    test_metrics = evaluate_split(model, ctx, h, splits.test, "test")
    baselines = h.baselines(task, splits, labels, make_encoder(spec, cfg))
    metrics = {"validation": val_metrics, "test": test_metrics}

    manifest = None
    if reg is not None and accelerator.is_main_process:
        from vadapt.engine.save import commit, plugin_versions

        info = dict(splits.info)
        draft = {
            "name": cfg.output.name or task.name,
            "vertical": task.vertical,
            "task": task.id,
            "method": {
                "name": cfg.method.name,
                "config": {
                    "options": cfg.method.model_dump(mode="json"),
                    "resolved": model.adaptation.resolved,
                },
            },
            "backbone": {"name": res.backbone_ref, "fingerprint": fingerprint},
            "labels": list(labels),
            "training": _jsonable(
                {
                    "config": cfg.model_dump(mode="json"),
                    "lr": effective_lr(cfg),
                    "engine": {
                        "head": task.head.value,
                        "modality": task.modality.value,
                        "backbone_modality": Modality(loaded.modality).value,
                        "architecture": loaded.architecture,
                        "target_norm": list(norm),
                        "temperature": cfg.train.temperature,
                        "max_length": cfg.train.max_length,
                        "image_size": cfg.train.image_size,
                        "precision": mixed,
                        "processes": accelerator.num_processes,
                    },
                    "steps": outcome.steps,
                    "epochs_run": outcome.epochs_run,
                    "best_step": outcome.best_step,
                    "stopped_early": outcome.stopped_early,
                    "samples_per_second": round(outcome.samples_per_second, 2),
                    "trainable_parameters": trainable,
                    "total_parameters": total,
                    "history": outcome.history,
                    "data": {"sizes": splits.sizes(), "info": info},
                    "seconds": round(time.perf_counter() - t_start, 2),
                }
            ),
            "metrics": metrics,
            "baselines": baselines,
            "data_fingerprint": data_fingerprint(splits),
            "plugins": plugin_versions(h.host),
            "vadapt_version": _version(),
            "parent": cfg.output.parent,
            "notes": _join_text(cfg.output.notes, info.get("notes")),
            "license": cfg.output.license,
            "intended_use": _join_text(cfg.output.intended_use, info.get("intended_use")),
        }
        manifest = commit(model, draft, reg, version=cfg.output.version)
    accelerator.wait_for_everyone()
    return AdaptResult(
        manifest=manifest,
        ref=manifest.ref if manifest is not None else None,
        metrics=metrics,
        baselines=baselines,
        history=outcome.history,
        log_path=str(log_path) if log_path else None,
        samples_per_second=outcome.samples_per_second,
        train_seconds=outcome.train_seconds,
        train_cpu_seconds=outcome.train_cpu_seconds,
        hook_seconds=outcome.hook_seconds,
        trainable_parameters=trainable,
        total_parameters=total,
        steps=outcome.steps,
        seconds=time.perf_counter() - t_start,
        model=model,
        context=ctx,
        main_process=accelerator.is_main_process,
    )


def _version() -> str:
    from vadapt import __version__

    return __version__


def _jsonable(v: Any) -> Any:
    import math

    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (np.floating, np.integer)):
        return _jsonable(v.item())
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    return str(v)


def _join_text(user: str | None, plugin: Any) -> str:
    """The user's text, then the task plugin's own statement (e.g. "not for clinical
    decisions"), which a user's note must never silently replace."""
    parts = [str(p).strip() for p in (user, plugin) if p and str(p).strip()]
    return "\n".join(dict.fromkeys(parts))
