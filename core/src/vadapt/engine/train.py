"""The one training loop (HF Accelerate): AdamW, warm-up + decay, clipping, accumulation,
early stopping with the best checkpoint restored, a JSONL log of every evaluation."""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from vadapt_registry.errors import InvalidConfig, PluginError, TrainingDiverged

from vadapt.engine.data.checks import check_examples, encode_targets
from vadapt.engine.data.collate import ExampleDataset
from vadapt.engine.evaluate import EvalContext, evaluate_split
from vadapt.engine.metrics import better
from vadapt.types import Example, TaskSpec


@dataclass
class TrainOutcome:
    history: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, float] | None = None
    best_step: int = 0
    steps: int = 0
    epochs_run: int = 0
    stopped_early: bool = False
    train_seconds: float = 0.0
    train_cpu_seconds: float = 0.0  # process CPU time of the training steps (robust under load)
    samples: int = 0
    hook_seconds: float = 0.0

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.train_seconds if self.train_seconds > 0 else 0.0


def lr_lambda(kind: str, warmup: int, total: int):  # type: ignore[no-untyped-def]
    def f(step: int) -> float:
        if warmup > 0 and step < warmup:
            return (step + 1) / warmup
        if kind == "constant":
            return 1.0
        progress = (step - warmup) / max(1, total - warmup)
        progress = min(max(progress, 0.0), 1.0)
        if kind == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return max(0.0, 1.0 - progress)

    return f


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


def _progress_enabled(progress: bool, main: bool) -> bool:
    return progress and main and sys.stderr.isatty()


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
) -> TrainOutcome:
    tc = cfg.train
    out = TrainOutcome()
    targets = encode_targets(task, train_examples, ctx.labels)
    dataset = ExampleDataset(train_examples, targets)
    gen = torch.Generator()
    gen.manual_seed(tc.seed)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=tc.batch_size, shuffle=True, collate_fn=ctx.collator, generator=gen
    )
    optimizer = torch.optim.AdamW(param_groups(model, tc.weight_decay), lr=lr)
    raw_model = model
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    steps_per_epoch = max(1, math.ceil(len(loader) / tc.grad_accum))
    total = tc.epochs * steps_per_epoch
    if tc.max_steps:
        total = min(total, tc.max_steps)
    warmup = round(tc.warmup_ratio * total)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(tc.scheduler, warmup, total))
    loss_fn = ctx.loss_fn
    main = accelerator.is_main_process
    multi = accelerator.num_processes > 1
    adv_cfg = cfg.adversarial
    mode = task.metric_mode
    best_value: float | None = None
    best_snap = None
    since_best = 0
    log_fh = open(log_path, "a", encoding="utf-8") if (log_path is not None and main) else None

    from tqdm.auto import tqdm

    bar = tqdm(
        total=total,
        desc=f"adapt {task.id}",
        unit="step",
        disable=not _progress_enabled(progress, main),
        dynamic_ncols=True,
    )

    def run_eval(epoch: int) -> bool:
        """Evaluate on validation; returns True when early stopping says stop."""
        nonlocal best_value, best_snap, since_best
        t0 = time.perf_counter()
        metrics = evaluate_split(raw_model, ctx, hooks, val_examples, "validation")
        if task.metric not in metrics:
            raise PluginError(
                f"task {task.id!r} watches metric {task.metric!r} but validation produced only "
                f"{sorted(metrics)}",
                fix="the task's plugin must return that metric from its evaluate hook, or set "
                "TaskSpec.metric to one of the core metrics",
            )
        value = metrics[task.metric]
        record = {
            "step": out.steps,
            "epoch": epoch,
            "split": "validation",
            "lr": scheduler.get_last_lr()[0],
            "seconds": round(time.perf_counter() - t0, 3),
            **metrics,
        }
        out.history.append(record)
        if log_fh is not None:
            log_fh.write(json.dumps(record, sort_keys=True, allow_nan=True) + "\n")
            log_fh.flush()
        bar.set_postfix({task.metric: f"{value:.4f}"})
        if math.isfinite(value) and better(value, best_value, mode):
            best_value, since_best = value, 0
            best_snap = snapshot(raw_model)
            out.best, out.best_step = metrics, out.steps
        else:
            since_best += 1
        return tc.patience > 0 and since_best >= tc.patience

    stop = False
    try:
        model.train()
        for epoch in range(tc.epochs):
            out.epochs_run = epoch + 1
            if cfg.augment.enabled:
                t0 = time.perf_counter()
                rng = np.random.default_rng([tc.seed, epoch])
                augmented = hooks.augment(task, list(train_examples), rng, cfg.augment)
                out.hook_seconds += time.perf_counter() - t0
                check_examples(task, "train (augmented)", augmented, ctx.labels)
                dataset.examples = augmented
                dataset.targets = encode_targets(task, augmented, ctx.labels)
            gen.manual_seed(tc.seed * 1000003 + epoch)
            t_epoch, c_epoch = time.perf_counter(), time.process_time()
            for batch in loader:
                with accelerator.accumulate(model):
                    logits = model(batch)
                    loss = loss_fn(logits, batch)
                    if adv_cfg.enabled:
                        t0 = time.perf_counter()
                        extra = hooks.adversarial_step(task, raw_model, batch, loss_fn, adv_cfg)
                        out.hook_seconds += time.perf_counter() - t0
                        if extra is not None:
                            loss = loss + adv_cfg.weight * extra
                    bad = ~torch.isfinite(loss.detach())
                    if multi:
                        bad = accelerator.reduce(bad.float(), reduction="sum") > 0
                    if bool(bad):
                        raise TrainingDiverged(
                            f"training of {task.id!r} diverged at step {out.steps + 1} "
                            f"(epoch {epoch + 1}): "
                            f"loss is {loss.item()}; nothing was saved",
                            fix="lower train.lr, enable train.grad_clip, "
                            "or check the data for extreme values",
                        )
                    accelerator.backward(loss)
                    if accelerator.sync_gradients and tc.grad_clip > 0:
                        accelerator.clip_grad_norm_(model.parameters(), tc.grad_clip)
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                n = (
                    len(batch["groups"])
                    if "groups" in batch
                    else int(
                        next(v for k, v in batch.items() if isinstance(v, torch.Tensor)).shape[0]
                    )
                )
                out.samples += n * accelerator.num_processes
                if accelerator.sync_gradients:
                    scheduler.step()
                    out.steps += 1
                    bar.update(1)
                    if tc.eval_every and out.steps % tc.eval_every == 0:
                        out.train_seconds += time.perf_counter() - t_epoch
                        out.train_cpu_seconds += time.process_time() - c_epoch
                        stop = run_eval(epoch + 1)
                        model.train()
                        t_epoch, c_epoch = time.perf_counter(), time.process_time()
                    if out.steps >= total:
                        stop = True
                    if stop:
                        break
            out.train_seconds += time.perf_counter() - t_epoch
            out.train_cpu_seconds += time.process_time() - c_epoch
            if not tc.eval_every:
                stop = run_eval(epoch + 1) or stop
                model.train()
            if stop:
                break
        out.stopped_early = out.steps < total
        if not out.history or out.history[-1]["step"] != out.steps:
            run_eval(out.epochs_run)
    finally:
        bar.close()
        if log_fh is not None:
            log_fh.close()
    model.eval()
    if best_snap is not None:
        restore(raw_model, best_snap)
    elif not out.history:
        raise InvalidConfig(
            "training ran no evaluation", fix="check train.epochs / train.max_steps"
        )
    return out
