"""The one training loop (HF Accelerate), in named steps.

``train`` = prepare (loader, AdamW, ``transformers.get_scheduler``) → fit (epochs of
``_step``, augmentation per epoch, validation through :class:`Validator`) → restore the
best checkpoint. :class:`EarlyStopping` decides when to stop; the validator keeps the
best checkpoint *and* the run context learnt on that evaluation (a threshold), which
the test evaluation and the manifest then use.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from vadapt_registry.errors import InvalidConfig, PluginError, TrainingDiverged

from vadapt.engine.data.buckets import LengthGroupedBatches
from vadapt.engine.data.checks import check_examples
from vadapt.engine.data.collate import ExampleDataset
from vadapt.engine.data.windows import Windows
from vadapt.engine.evaluate import EvalContext, evaluate_split
from vadapt.engine.progress import progress as make_progress
from vadapt.kit import RunContext, references
from vadapt.types import Example, HeadKind, TaskSpec

SCHEDULERS = {"linear": "linear", "cosine": "cosine", "constant": "constant_with_warmup"}
"""Our ``train.scheduler`` names → ``transformers.get_scheduler`` names."""


@dataclass
class TrainOutcome:
    history: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, float] | None = None
    best_step: int = 0
    context: RunContext = field(default_factory=lambda: RunContext("test"))
    steps: int = 0
    epochs_run: int = 0
    stopped_early: bool = False
    train_seconds: float = 0.0
    train_cpu_seconds: float = 0.0  # process CPU time of the training steps (robust under load)
    samples: int = 0
    hook_seconds: float = 0.0
    prefix_cache: dict[str, int] | None = None  # freeze's frozen-prefix cache counters
    loss_sum: Any = 0.0  # training loss summed since the last evaluation (a tensor: no sync)
    loss_steps: int = 0

    def train_loss(self) -> float | None:
        """The mean training loss since the last call (None when no step ran)."""
        if not self.loss_steps:
            return None
        mean = float(self.loss_sum) / self.loss_steps
        self.loss_sum, self.loss_steps = 0.0, 0
        return mean

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.train_seconds if self.train_seconds > 0 else 0.0


@dataclass
class EarlyStopping:
    """Patience on the task's metric: ``update`` says whether a value is the best yet."""

    mode: str
    patience: int
    best: float | None = None
    since_best: int = 0

    def update(self, value: float) -> bool:
        improved = math.isfinite(value) and (
            self.best is None or (value > self.best if self.mode == "max" else value < self.best)
        )
        if improved:
            self.best, self.since_best = value, 0
        else:
            self.since_best += 1
        return improved

    @property
    def should_stop(self) -> bool:
        return self.patience > 0 and self.since_best >= self.patience


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Weight decay on matrices only: never on biases, norms, embeddings' 1-d vectors."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "norm" in name.lower() else decay).append(p)
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return [g for g in groups if g["params"]]


def snapshot(model: Any) -> dict[str, dict[str, torch.Tensor]]:
    """A CPU copy of what is trained: adapter weights and the head."""
    return {
        "adapter": {
            k: v.detach().cpu().clone() for k, v in model.adaptation.adapter_state().items()
        },
        "head": {k: v.detach().cpu().clone() for k, v in model.head.state_dict().items()},
    }


def restore(model: Any, snap: dict[str, dict[str, torch.Tensor]]) -> None:
    model.adaptation.load_adapter_state(snap["adapter"], "best checkpoint")
    model.head.load_state_dict(snap["head"])


class Validator:
    """Evaluates validation, logs it, and keeps the best checkpoint and its context."""

    def __init__(
        self,
        model: Any,
        ctx: EvalContext,
        hooks: Any,
        task: TaskSpec,
        cfg: Any,
        examples: Sequence[Example],
        log_path: Path | None,
        out: TrainOutcome,
    ) -> None:
        self.model, self.ctx, self.hooks, self.task = model, ctx, hooks, task
        self.examples, self.out = examples, out
        self.stopping = EarlyStopping(task.metric_mode, cfg.train.patience)
        self.best_snap: dict[str, Any] | None = None
        self.log = open(log_path, "a", encoding="utf-8") if log_path is not None else None

    def __call__(self, epoch: int, lr: float) -> bool:
        """Evaluate now; True when early stopping says stop."""
        t0 = time.perf_counter()
        context = RunContext("validation")
        metrics = evaluate_split(
            self.model, self.ctx, self.hooks, self.examples, "validation", context
        )
        value = self._watched(metrics)
        record = {
            "step": self.out.steps,
            "epoch": epoch,
            "split": "validation",
            "lr": lr,
            "seconds": round(time.perf_counter() - t0, 3),
            **metrics,
        }
        train_loss = self.out.train_loss()
        if train_loss is not None:
            record["train_loss"] = train_loss  # mean over the steps since the last evaluation
        self.out.history.append(record)
        if self.log is not None:
            self.log.write(json.dumps(record, sort_keys=True, allow_nan=True) + "\n")
            self.log.flush()
        if self.stopping.update(value):
            self.best_snap = snapshot(self.model)
            self.out.best, self.out.best_step = metrics, self.out.steps
            self.out.context = context.for_test()
        return self.stopping.should_stop

    def _watched(self, metrics: dict[str, float]) -> float:
        if self.task.metric not in metrics:
            raise PluginError(
                f"task {self.task.id!r} watches metric {self.task.metric!r} but validation "
                f"produced only {sorted(metrics)}",
                fix="the task's plugin must return that metric from its evaluate hook, or set "
                "TaskSpec.metric to a metric of vadapt.kit.score",
            )
        return metrics[self.task.metric]

    def close(self) -> None:
        if self.log is not None:
            self.log.close()


@dataclass
class Prepared:
    """What the loop iterates with, after ``accelerator.prepare``."""

    model: Any
    optimizer: Any
    loader: Any
    scheduler: Any
    dataset: ExampleDataset | Windows
    generator: torch.Generator
    total: int
    sampler: LengthGroupedBatches | None = None
    strategy: Any = None  # a continual strategy (``vadapt.continual``): penalty, after_step


def training_dataset(
    task: TaskSpec, ctx: EvalContext, examples: Sequence[Example]
) -> ExampleDataset | Windows:
    """The rows a training loader draws: examples with their targets and token ids (token
    classification: a document's windows)."""
    if task.head == HeadKind.TOKEN_CLASSIFICATION:
        return ctx.collator.windows(examples)
    return ExampleDataset(
        examples, references(task, examples, ctx.labels), ctx.collator.tokenized(examples)
    )


def prepare(
    model: Any,
    accelerator: Any,
    ctx: EvalContext,
    task: TaskSpec,
    cfg: Any,
    lr: float,
    train_examples: Sequence[Example],
) -> Prepared:
    from transformers import get_scheduler

    tc = cfg.train
    dataset = training_dataset(task, ctx, train_examples)
    gen = torch.Generator()
    gen.manual_seed(tc.seed)
    sampler = None
    batching: dict[str, Any] = {"batch_size": tc.batch_size, "shuffle": True, "generator": gen}
    if tc.group_by_length:
        sampler = LengthGroupedBatches(_lengths(dataset, task), tc.batch_size, gen)
        batching = {"batch_sampler": sampler}
    loader = torch.utils.data.DataLoader(dataset, collate_fn=ctx.collator, **batching)
    optimizer = torch.optim.AdamW(param_groups(model, tc.weight_decay), lr=lr)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    total = tc.epochs * max(1, math.ceil(len(loader) / tc.grad_accum))
    total = min(total, tc.max_steps) if tc.max_steps else total
    scheduler = get_scheduler(
        SCHEDULERS[tc.scheduler],
        optimizer,
        num_warmup_steps=round(tc.warmup_ratio * total),
        num_training_steps=total,
    )
    return Prepared(model, optimizer, loader, scheduler, dataset, gen, total, sampler)


def _lengths(dataset: ExampleDataset | Windows, task: TaskSpec) -> list[int]:
    """Token lengths of the training texts, for ``train.group_by_length``."""
    if isinstance(dataset, Windows):
        return dataset.lengths.tolist()
    if dataset.tokens is None:
        raise InvalidConfig(
            f"train.group_by_length groups texts by length, but the examples of {task.id!r} "
            "are not single texts",
            fix="drop --set train.group_by_length=true for this task",
        )
    return dataset.tokens.lengths.tolist()


def _batch_size(batch: dict[str, Any]) -> int:
    if "groups" in batch:
        return len(batch["groups"])
    return int(next(v for v in batch.values() if isinstance(v, torch.Tensor)).shape[0])


def _step(
    p: Prepared,
    accelerator: Any,
    raw_model: Any,
    hooks: Any,
    task: TaskSpec,
    cfg: Any,
    batch: dict[str, Any],
    ctx: EvalContext,
    out: TrainOutcome,
    epoch: int,
) -> None:
    """One micro-batch: loss (+ adversarial term), divergence check, backward, update."""
    adv = cfg.adversarial
    with accelerator.accumulate(p.model):
        logits = p.model(batch)
        loss = ctx.loss_fn(logits, batch)
        if adv.enabled:
            t0 = time.perf_counter()
            extra = hooks.adversarial_step(task, raw_model, batch, ctx.loss_fn, adv)
            out.hook_seconds += time.perf_counter() - t0
            if extra is not None:
                loss = loss + adv.weight * extra
        if p.strategy is not None:
            term = p.strategy.penalty(raw_model, batch, logits)
            if term is not None:
                loss = loss + term
        _check_finite(loss, accelerator, task, out.steps + 1, epoch)
        out.loss_sum = out.loss_sum + loss.detach()
        out.loss_steps += 1
        accelerator.backward(loss)
        if accelerator.sync_gradients and cfg.train.grad_clip > 0:
            accelerator.clip_grad_norm_(p.model.parameters(), cfg.train.grad_clip)
        p.optimizer.step()
        p.optimizer.zero_grad(set_to_none=True)
        if p.strategy is not None:
            p.strategy.after_step(raw_model)


def _check_finite(loss: Any, accelerator: Any, task: TaskSpec, step: int, epoch: int) -> None:
    bad = ~torch.isfinite(loss.detach())
    if accelerator.num_processes > 1:
        bad = accelerator.reduce(bad.float(), reduction="sum") > 0
    if bool(bad):
        raise TrainingDiverged(
            f"training of {task.id!r} diverged at step {step} (epoch {epoch + 1}): "
            f"loss is {loss.item()}; nothing was saved",
            fix="lower train.lr, enable train.grad_clip, or check the data for extreme values",
        )


def _augment(
    p: Prepared,
    hooks: Any,
    task: TaskSpec,
    cfg: Any,
    ctx: EvalContext,
    examples: Sequence[Example],
    epoch: int,
    out: TrainOutcome,
) -> None:
    t0 = time.perf_counter()
    rng = np.random.default_rng([cfg.train.seed, epoch])
    augmented = hooks.augment(task, list(examples), rng, cfg.augment)
    out.hook_seconds += time.perf_counter() - t0
    check_examples(task, "train (augmented)", augmented, ctx.labels)
    p.dataset.examples = augmented
    p.dataset.targets = references(task, augmented, ctx.labels)
    p.dataset.tokens = ctx.collator.tokenized(augmented, store=False)  # new texts each epoch
    if p.sampler is not None:  # augmented texts have other lengths
        p.sampler.lengths = _lengths(p.dataset, task)


def _epoch(
    p: Prepared,
    accelerator: Any,
    raw_model: Any,
    hooks: Any,
    task: TaskSpec,
    cfg: Any,
    ctx: EvalContext,
    out: TrainOutcome,
    validate: Validator,
    epoch: int,
    bar: Any,
) -> bool:
    """One pass over the loader; True when training must stop (budget or patience)."""
    tc = cfg.train
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    stop = False
    for batch in p.loader:
        _step(p, accelerator, raw_model, hooks, task, cfg, batch, ctx, out, epoch)
        out.samples += _batch_size(batch) * accelerator.num_processes
        if not accelerator.sync_gradients:
            continue
        p.scheduler.step()
        out.steps += 1
        bar.step(out.samples)
        if tc.eval_every and out.steps % tc.eval_every == 0:
            out.train_seconds += time.perf_counter() - t_wall
            out.train_cpu_seconds += time.process_time() - t_cpu
            stop = validate(epoch + 1, p.scheduler.get_last_lr()[0])
            p.model.train()
            t_wall, t_cpu = time.perf_counter(), time.process_time()
        if stop or out.steps >= p.total:
            stop = True
            break
    out.train_seconds += time.perf_counter() - t_wall
    out.train_cpu_seconds += time.process_time() - t_cpu
    if not tc.eval_every:
        stop = validate(epoch + 1, p.scheduler.get_last_lr()[0]) or stop
        p.model.train()
    return stop


def _activate_prefix_cache(model: Any, cfg: Any) -> Any:
    """``freeze``'s frozen-prefix cache, active unless augmentation (new texts every
    epoch) or adversarial steps (gradients through the embeddings) are on."""
    cache = model.adaptation.prefix_cache
    if cache is not None:
        cache.active = not (cfg.augment.enabled or cfg.adversarial.enabled)
    return cache


def train(
    *,
    model: Any,
    accelerator: Any,
    ctx: EvalContext,
    hooks: Any,
    task: TaskSpec,
    cfg: Any,
    lr: float,
    train_examples: Sequence[Example],
    val_examples: Sequence[Example],
    log_path: Path | None,
    progress: bool = True,
    strategy: Any = None,
) -> TrainOutcome:
    """``strategy``: a continual strategy adding its penalty to each step's loss."""
    out = TrainOutcome()
    raw_model = model
    p = prepare(model, accelerator, ctx, task, cfg, lr, train_examples)
    p.strategy = strategy
    main = accelerator.is_main_process
    validate = Validator(
        raw_model, ctx, hooks, task, cfg, val_examples, log_path if main else None, out
    )
    bar = make_progress(p.total, f"adapt {task.id}", progress and main)
    cache = _activate_prefix_cache(raw_model, cfg)
    try:
        p.model.train()
        for epoch in range(cfg.train.epochs):
            out.epochs_run = epoch + 1
            if cfg.augment.enabled:
                _augment(p, hooks, task, cfg, ctx, train_examples, epoch, out)
            p.generator.manual_seed(cfg.train.seed * 1000003 + epoch)
            if _epoch(p, accelerator, raw_model, hooks, task, cfg, ctx, out, validate, epoch, bar):
                break
        out.stopped_early = out.steps < p.total
        if not out.history or out.history[-1]["step"] != out.steps:
            validate(out.epochs_run, p.scheduler.get_last_lr()[0])
    finally:
        bar.close()
        validate.close()
        if cache is not None:
            out.prefix_cache = dict(cache.stats)
            cache.clear()
    p.model.eval()
    if validate.best_snap is not None:
        restore(raw_model, validate.best_snap)
    elif not out.history:
        raise InvalidConfig(
            "training ran no evaluation", fix="check train.epochs / train.max_steps"
        )
    return out


def validate_once(kw: dict[str, Any], out: TrainOutcome) -> None:
    """For a method with its own ``fit`` (``Method.fit``, called with ``train``'s keyword
    arguments): the engine's validator, once, so history, best metrics and the run
    context are recorded as after a training run. Nothing without validation examples."""
    if not kw["val_examples"]:
        return
    validate = Validator(
        kw["model"],
        kw["ctx"],
        kw["hooks"],
        kw["task"],
        kw["cfg"],
        kw["val_examples"],
        kw["log_path"],
        out,
    )
    try:
        validate(0, 0.0)
    finally:
        validate.close()
