"""``adapt()``: config -> data -> model -> training -> test metrics -> baselines -> registry."""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from vadapt.config import AdaptConfig, Resolved, build_config, effective_lr, resolve
from vadapt.types import HeadKind, Splits


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
    prefix_cache: dict[str, int] | None = None  # freeze's frozen-prefix cache counters
    trainable_parameters: int = 0
    total_parameters: int = 0
    steps: int = 0
    seconds: float = 0.0
    model: Any = None  # the trained AdaptModel (in memory)
    main_process: bool = True  # False on the other ranks of a distributed run
    context: Any = None  # its EvalContext (collator, labels, device) for in-memory inference
    gate: dict[str, Any] | None = None  # the baseline gate's verdict (None: no majority)
    run_context: Any = None  # the RunContext learnt on validation (stored in the manifest)
    continual: dict[str, Any] | None = None  # a continued run: parent, strategy, retention


_RUN_NUMBERS = itertools.count(1)


def _log_path(cfg: AdaptConfig) -> Path:
    if cfg.train.log_dir:
        root = Path(cfg.train.log_dir)
    else:
        from vadapt.cachedir import cache_dir

        root = cache_dir("runs")
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
    return replace(splits, train=tr, validation=va, test=list(splits.test))


def adapt(
    config: AdaptConfig | dict[str, Any],
    *,
    registry: Any = None,
    progress: bool = True,
    hooks: Any = None,
) -> AdaptResult:
    """Adapt a backbone to a task and save the adapter: prepare → fit → score → gate → save."""
    t_start = time.perf_counter()
    from vadapt.hooks import hooks as default_hooks

    h = hooks or default_hooks()
    h.methods()  # this host's plugin methods validate in build_config
    res = resolve(build_config(config), h)  # every config error before any data or model loads
    res, plan = continual_plan(res, h, registry)  # --from: the parent, verified
    splits, labels = _prepare_data(res, h, plan)
    reg = _open_registry(res, registry)
    fitted = fit_and_score(
        res, h, splits, labels, progress=progress, t_start=t_start, continual=plan
    )
    if plan is not None:
        from vadapt.continual.engine import retention_gate

        run = fitted.run
        retention_gate(plan, res, h, run.model, run.ctx, run.outcome.context)
    keep = res.config.output.allow_below_baseline or reg is None  # unsaved: the gate reports
    manifest = save_fitted(fitted, h, reg, allow_below_baseline=keep)
    return _result(fitted.run, manifest, fitted.metrics, fitted.baselines, fitted.gate, t_start)


@dataclass
class Fitted:
    """A fitted and scored adapter, not yet saved (``save_fitted`` saves it)."""

    res: Resolved
    run: Run
    splits: Splits
    labels: tuple[str, ...]
    metrics: dict[str, dict[str, float]]
    baselines: dict[str, dict[str, float]]
    notes: dict[str, str]
    t_start: float
    gate: dict[str, Any] | None = None


def fit_and_score(
    res: Resolved,
    h: Any,
    splits: Splits,
    labels: tuple[str, ...],
    *,
    progress: bool = True,
    baselines: tuple[dict[str, dict[str, float]], dict[str, str]] | None = None,
    t_start: float | None = None,
    continual: Any = None,
) -> Fitted:
    """Fit on ``splits`` and score on its test split; ``baselines`` (metrics, notes) already
    computed on the same splits are reused instead of recomputed (``vadapt.fewshot``);
    ``continual``: a ``vadapt.continual.engine.Plan`` (continue a parent, a strategy)."""
    t_start = time.perf_counter() if t_start is None else t_start
    run = _fit(res, h, splits, labels, progress, continual)
    metrics, scored, notes = _score(run, res, h, splits, labels, baselines)
    return Fitted(res, run, splits, labels, metrics, scored, notes, t_start)


def save_fitted(
    f: Fitted,
    h: Any,
    reg: Any,
    *,
    allow_below_baseline: bool = False,
    training: dict[str, Any] | None = None,
) -> Any:
    """Gate, then save into ``reg`` (None: nothing saved, the gate only reports); returns
    the manifest. ``training``: extra entries of the manifest's ``training`` record."""
    f.gate = baseline_gate(f.res.task, f.metrics["test"], f.baselines, allow_below_baseline)
    manifest = None
    if reg is not None and f.run.accelerator.is_main_process:
        from vadapt.engine.manifest import jsonable, manifest_draft
        from vadapt.engine.save import commit

        draft = manifest_draft(
            f.res,
            h,
            f.run,
            f.splits,
            f.labels,
            f.metrics,
            f.baselines,
            f.notes,
            f.gate,
            f.t_start,
        )
        plan = f.run.continual
        if plan is not None:
            draft["training"]["continual"] = jsonable(plan.record())
        draft["training"].update(jsonable(training or {}))
        extra = plan.strategy.write if plan is not None else None
        manifest = commit(f.run.model, draft, reg, version=f.res.config.output.version, extra=extra)
    f.run.accelerator.wait_for_everyone()
    return manifest


def continual_plan(res: Resolved, h: Any, registry: Any) -> tuple[Resolved, Any]:
    """``res`` and its continual plan (None unless continuing or a strategy is set)."""
    cc = res.config.continual
    if cc.parent is None and cc.strategy == "naive":
        return res, None  # the usual run: vadapt.continual (torch) is not imported
    from vadapt.continual.engine import plan

    return plan(res, h, registry)


def _prepare_data(res: Resolved, h: Any, plan: Any = None) -> tuple[Splits, tuple[str, ...]]:
    from vadapt.engine.data.checks import check_splits, resolve_labels

    splits = _limit(h.load_data(res.task, res.data_config), res.config)
    labels = resolve_labels(res.task, splits, res.config.train.tagging)
    if plan is not None and plan.parent is not None:
        from vadapt.continual.parent import continued_splits, merged_labels

        labels = merged_labels(res.task, plan.parent, labels)
        splits = continued_splits(splits, plan.parent)
    check_splits(res.task, splits, labels)
    return splits, labels


def _open_registry(res: Resolved, registry: Any) -> Any:
    """The registry to save into (None when not saving), checked before any training."""
    out = res.config.output
    if not out.save:
        return None
    from vadapt.engine.save import open_registry, preflight

    reg = open_registry(registry, out.registry)
    preflight(reg, out.name or res.task.name, res.task.id, out.version, out.parent)
    return reg


@dataclass
class Run:
    """A fitted model and what made it (the fit step's output)."""

    model: Any
    accelerator: Any
    ctx: Any
    loaded: Any
    outcome: Any
    fingerprint: str
    precision: str
    trainable: int
    total: int
    log_path: Path | None
    continual: Any = None  # the vadapt.continual Plan of a continued run


def _find_unused_parameters(cfg: AdaptConfig) -> bool:
    """Methods that train backbone parameters the pooled forward never uses (BERT's pooler)
    say so: DDP must be told, or its gradient reduction waits for them forever."""
    from vadapt.methods import get_method

    return get_method(cfg.method.name).find_unused_parameters


def _accelerator(cfg: AdaptConfig) -> tuple[Any, str]:
    import torch
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState
    from accelerate.utils import DistributedDataParallelKwargs

    from vadapt.engine.precision import resolve_precision

    gpu = torch.cuda.is_available()
    mixed = resolve_precision(cfg.train.precision, "cuda" if gpu else "cpu")
    # Accelerate keeps one process-wide state and refuses a second run in the same process
    # with another precision; the process group (PartialState) is kept.
    AcceleratorState._reset_state(reset_partial_state=False)
    accelerator = Accelerator(
        gradient_accumulation_steps=cfg.train.grad_accum,
        mixed_precision=mixed,
        cpu=not gpu,
        kwargs_handlers=[
            DistributedDataParallelKwargs(find_unused_parameters=_find_unused_parameters(cfg))
        ],
    )
    return accelerator, mixed


def _target_norm(task: Any, targets: np.ndarray) -> tuple[float, float]:
    """Regression targets are standardised for training (and un-standardised at inference)."""
    if task.head != HeadKind.REGRESSION:
        return (0.0, 1.0)
    std = float(np.std(targets))
    return (float(np.mean(targets)), std if std > 1e-12 else 1.0)


def _fit(
    res: Resolved,
    h: Any,
    splits: Splits,
    labels: tuple[str, ...],
    progress: bool,
    plan: Any = None,
) -> Run:
    from accelerate.utils import set_seed

    from vadapt.backbones import backbone_fingerprint
    from vadapt.engine.precision import autocast_dtype, prefer_eager_attention
    from vadapt.engine.setup import (
        build_model,
        class_weights,
        load_backbone,
        make_context,
        set_threads,
    )
    from vadapt.engine.train import train
    from vadapt.kit import references

    cfg, task, spec = res.config, res.task, res.backbone
    set_threads(cfg.train.threads)
    accelerator, mixed = _accelerator(cfg)
    set_seed(cfg.train.seed)
    fingerprint = backbone_fingerprint(spec)
    parent = plan.parent if plan is not None else None
    if parent is not None:
        from vadapt.continual.parent import check_backbone

        check_backbone(parent, fingerprint, res.backbone_ref)
    loaded = load_backbone(spec, cfg)
    prefer_eager_attention(loaded.model, mixed, accelerator.device.type)
    peft_config = parent.peft_config if parent is not None else None
    model = build_model(task, spec, loaded, cfg.method, labels, cfg, h, peft_config=peft_config)
    if parent is not None:
        from vadapt.continual.parent import warm_start

        plan.growth = warm_start(model, parent, labels, plan.strategy.load_adapter)
    if cfg.train.fast_dropout and accelerator.device.type == "cpu":
        from vadapt.engine.dropout import use_fast_dropout

        use_fast_dropout(model)
    targets = references(task, splits.train, labels)
    ctx = make_context(
        task,
        loaded,
        labels,
        cfg,
        accelerator.device,
        target_norm=_target_norm(task, targets),
        weights=class_weights(task, targets, len(labels), cfg.train.class_weights),
        autocast_dtype=autocast_dtype(mixed),
        adaptation=model.adaptation,
    )
    model.to(accelerator.device)
    model.prefer_channels_last(accelerator.device.type)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    log_path = _log_path(cfg) if accelerator.is_main_process else None
    from vadapt.methods import get_method

    fit = get_method(cfg.method.name).fit or train
    kw: dict[str, Any] = {}
    train_examples = splits.train
    if plan is not None:  # continual: only the engine's loop (checked in the plan)
        train_examples = plan.strategy.training_examples(list(splits.train))
        plan.strategy.start(model, labels)
        kw["strategy"] = plan.strategy
        if plan.on_start is not None:
            plan.on_start(model, ctx)
    outcome = fit(
        model=model,
        accelerator=accelerator,
        ctx=ctx,
        hooks=h,
        task=task,
        cfg=cfg,
        lr=effective_lr(cfg),
        train_examples=train_examples,
        val_examples=splits.validation,
        log_path=log_path,
        progress=progress,
        **kw,
    )
    model = accelerator.unwrap_model(model)
    if plan is not None:
        plan.strategy.finish(model, ctx, splits.train)
    return Run(
        model,
        accelerator,
        ctx,
        loaded,
        outcome,
        fingerprint,
        mixed,
        trainable,
        total,
        log_path,
        plan,
    )


_NOT_METRICS = ("step", "epoch", "split", "lr", "seconds", "train_loss")


def _score(
    run: Run,
    res: Resolved,
    h: Any,
    splits: Splits,
    labels: tuple[str, ...],
    baselines: tuple[dict[str, dict[str, float]], dict[str, str]] | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]], dict[str, str]]:
    """Validation (best), test with the kept run context, and every baseline."""
    from vadapt.engine.evaluate import evaluate_split
    from vadapt.engine.scoring import compute_baselines

    history = run.outcome.history
    best = run.outcome.best or (history[-1] if history else {})  # zero-shot, no validation
    val = {k: v for k, v in best.items() if k not in _NOT_METRICS}
    test = evaluate_split(run.model, run.ctx, h, splits.test, "test", run.outcome.context)
    if baselines is None:
        from vadapt.engine.encoder import make_encoder

        encode = make_encoder(res.backbone, res.config)
        baselines = compute_baselines(h, res.task, splits, labels, encode)
    return {"validation": val, "test": test}, *baselines


def baseline_gate(
    task: Any, test: dict[str, float], baselines: dict[str, dict[str, float]], allow: bool
) -> dict[str, Any] | None:
    """Does the adapter's first headline metric beat the majority baseline (and the task's
    floor)? Raises BelowBaseline unless ``allow``; returns the verdict for the manifest."""
    from vadapt.kit import headline, higher_is_better

    metric = headline(task)[0]
    if metric not in test or metric not in baselines.get("majority", {}):
        return None
    up = higher_is_better(task, metric)
    value, majority = test[metric], baselines["majority"][metric]
    beats = (value > majority) if up else (value < majority)
    if task.floor is not None:
        beats = beats and ((value > task.floor) if up else (value < task.floor))
    gate = {
        "metric": metric,
        "adapter": value,
        "majority": majority,
        "floor": task.floor,
        "passed": beats,
        "saved": beats or allow,
        "tag": None if beats else "below-baseline",
    }
    if not beats and not allow:
        from vadapt_registry.errors import BelowBaseline

        ref = f"the floor {task.floor}" if task.floor is not None else "the majority baseline"
        raise BelowBaseline(
            f"{task.id}: the adapter's test {metric} {value:.4f} does not beat {ref} "
            f"(majority {majority:.4f}); nothing was saved",
            fix="train with the task's default recipe (drop --set overrides such as "
            "train.epochs) or more data; --allow-below-baseline saves it tagged 'below-baseline'",
        )
    return gate


def _result(
    run: Run,
    manifest: Any,
    metrics: dict[str, Any],
    baselines: dict[str, Any],
    gate: dict[str, Any] | None,
    t_start: float,
) -> AdaptResult:
    out = run.outcome
    return AdaptResult(
        manifest=manifest,
        ref=manifest.ref if manifest is not None else None,
        metrics=metrics,
        baselines=baselines,
        history=out.history,
        log_path=str(run.log_path) if run.log_path else None,
        samples_per_second=out.samples_per_second,
        train_seconds=out.train_seconds,
        train_cpu_seconds=out.train_cpu_seconds,
        hook_seconds=out.hook_seconds,
        prefix_cache=out.prefix_cache,
        trainable_parameters=run.trainable,
        total_parameters=run.total,
        steps=out.steps,
        seconds=time.perf_counter() - t_start,
        model=run.model,
        context=run.ctx,
        main_process=run.accelerator.is_main_process,
        gate=gate,
        run_context=out.context,
        continual=run.continual.record() if run.continual is not None else None,
    )
