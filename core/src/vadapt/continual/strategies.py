"""What keeps a continued adapter from forgetting: the ``continual.strategy`` options.

Each strategy sees a run at five points: the training set (replay adds its buffer), the
start of training (anchors, a teacher), each step's loss (a penalty) and each optimizer
step (O-LoRA keeps earlier components fixed), and the end (state the next experience
needs: a Fisher estimate, the updated buffer), written as files of the adapter.

Costs, per step of a text LoRA run on MiniLM (docs/continual.md has the measurements):
naive none; replay the buffer's examples join each epoch; ewc one backward pass per
Fisher example after training and an elementwise term per step; lwf one more forward
pass per step (a frozen copy of the parent); l2 an elementwise term; olora the rank
grows by the first experience's rank each experience, plus a small matrix product.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from vadapt_registry.errors import InvalidConfig

from vadapt.continual.parent import (
    FISHER_FILE,
    REPLAY_ARRAYS,
    REPLAY_FILE,
    TENSOR_REF,
    ParentState,
)
from vadapt.types import Example, HeadKind, TaskSpec


def trainable(model: Any) -> dict[str, torch.Tensor]:
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


class Strategy:
    """Naive fine-tuning: continue training, nothing more (the reference that forgets)."""

    name = "naive"

    def __init__(self, cfg: Any, parent: ParentState | None, task: TaskSpec) -> None:
        self.cfg, self.parent, self.task = cfg, parent, task
        self.notes: list[str] = []

    # -- before the model exists -------------------------------------------------------
    def method(self, method_cfg: Any, peft_config: Any) -> tuple[Any, Any]:
        """The method config (and peft config) the continued model is built with."""
        return method_cfg, peft_config

    def training_examples(self, examples: list[Example]) -> list[Example]:
        return examples

    # -- around training ---------------------------------------------------------------
    def load_adapter(self, model: Any, parent: ParentState) -> None:
        if parent.adapter:
            model.adaptation.load_adapter_state(parent.adapter, f"{parent.ref or 'parent'} weights")

    def start(self, model: Any, labels: Sequence[str]) -> None:
        """After the warm start, before the first step."""

    def penalty(self, model: Any, batch: dict[str, Any], logits: torch.Tensor) -> Any:
        return None

    def after_step(self, model: Any) -> None:
        """After each optimizer step."""

    def finish(self, model: Any, ctx: Any, examples: Sequence[Example]) -> None:
        """After training (the best checkpoint restored)."""

    # -- what is stored ------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        return {}

    def write(self, directory: Path) -> list[str]:
        return []


class _Anchored(Strategy):
    """A penalty towards the parent's trained tensors: sum of w * (theta - theta_parent)^2."""

    def start(self, model: Any, labels: Sequence[str]) -> None:
        self.anchor: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        if self.parent is None:
            return
        old = len(self.parent.labels)
        for name, p in trainable(model).items():
            weight = self.weight(name, p, old)
            if weight is not None:
                self.anchor[name] = (p.detach().clone(), weight.to(p.device, p.dtype))

    def weight(self, name: str, p: torch.Tensor, old: int) -> torch.Tensor | None:
        w = torch.ones_like(p)
        if name.startswith("head.") and p.ndim >= 1 and p.shape[0] > old:
            w[old:] = 0  # rows of new labels: nothing to keep
        return w

    def distance(self, model: Any) -> Any:
        params = dict(model.named_parameters())
        terms = [(w * (params[n] - a) ** 2).sum() for n, (a, w) in self.anchor.items()]
        return torch.stack(terms).sum() if terms else None


class L2(_Anchored):
    """``l2``: l2_weight * sum (theta - theta_parent)^2 over the trained tensors."""

    name = "l2"

    def penalty(self, model: Any, batch: dict[str, Any], logits: torch.Tensor) -> Any:
        d = self.distance(model)
        return None if d is None else self.cfg.l2_weight * d


class EWC(_Anchored):
    """``ewc`` (Kirkpatrick et al. 2017), online: lambda/2 * sum F (theta - theta_parent)^2,
    F the diagonal empirical Fisher of every experience so far, summed (stored with the
    adapter as ``fisher.safetensors``), each estimated on ``fisher_examples`` training
    examples one at a time and scaled to mean 1 so that ``ewc_lambda`` is scale-free."""

    name = "ewc"

    def __init__(self, cfg: Any, parent: ParentState | None, task: TaskSpec) -> None:
        super().__init__(cfg, parent, task)
        self.fisher: dict[str, torch.Tensor] = {}
        if parent is not None and not parent.fisher:
            self.notes.append(
                f"parent {parent.ref} stores no Fisher estimate (not trained with ewc): "
                "this run's penalty uses none; its own estimate is stored"
            )

    def weight(self, name: str, p: torch.Tensor, old: int) -> torch.Tensor | None:
        f = self.parent.fisher.get(name) if self.parent is not None else None
        if f is None:
            return None
        w = torch.zeros_like(p)
        rows = min(f.shape[0], p.shape[0]) if f.ndim else 0
        if f.shape == p.shape:
            w = f.to(p.dtype).clone()
        elif f.ndim and tuple(f.shape[1:]) == tuple(p.shape[1:]):
            w[:rows] = f[:rows].to(p.dtype)  # a grown head: old rows keep their Fisher
        return w

    def penalty(self, model: Any, batch: dict[str, Any], logits: torch.Tensor) -> Any:
        d = self.distance(model)
        return None if d is None else 0.5 * self.cfg.ewc_lambda * d

    def finish(self, model: Any, ctx: Any, examples: Sequence[Example]) -> None:
        new = empirical_fisher(model, ctx, self.task, examples, self.cfg.fisher_examples)
        old = self.parent.fisher if self.parent is not None else {}
        params = trainable(model)
        for name, f in new.items():
            total = f.clone()
            prev = old.get(name)
            if prev is not None:
                grown = torch.zeros_like(total)
                rows = min(prev.shape[0], total.shape[0])
                grown[:rows] = prev[:rows].to(total.dtype) if prev.ndim else prev
                total += grown
            self.fisher[name] = total.contiguous()
        missing = set(params) - set(self.fisher)
        if missing:  # pragma: no cover - every trained tensor has a gradient
            self.notes.append(f"ewc: no Fisher for {len(missing)} tensor(s)")

    def record(self) -> dict[str, Any]:
        return {"fisher_file": FISHER_FILE, "fisher_examples": self.cfg.fisher_examples}

    def write(self, directory: Path) -> list[str]:
        from safetensors.torch import save_file

        save_file({k: v.cpu() for k, v in self.fisher.items()}, str(directory / FISHER_FILE))
        return [FISHER_FILE]


def empirical_fisher(
    model: Any, ctx: Any, task: TaskSpec, examples: Sequence[Example], limit: int
) -> dict[str, torch.Tensor]:
    """Mean squared gradient of the loss per trained tensor, one example at a time over
    the first ``limit`` examples (a seeded sample), scaled so the values average 1."""
    from vadapt.engine.evaluate import forward, to_device
    from vadapt.engine.train import training_dataset

    params = trainable(model)
    picked = list(examples)
    if len(picked) > limit:
        rng = np.random.default_rng(0)
        picked = [picked[i] for i in sorted(rng.choice(len(picked), limit, replace=False))]
    dataset = training_dataset(task, ctx, picked)
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, collate_fn=ctx.collator)
    sums = {n: torch.zeros_like(p, dtype=torch.float32) for n, p in params.items()}
    was = model.training
    model.eval()  # dropout off: the Fisher of the model as it predicts
    n = 0
    for batch in loader:
        batch = to_device(batch, ctx.device)
        model.zero_grad(set_to_none=True)
        ctx.loss_fn(forward(model, ctx, batch), batch).backward()
        for name, p in params.items():
            if p.grad is not None:
                sums[name] += p.grad.detach().float() ** 2
        n += 1
    model.zero_grad(set_to_none=True)
    model.train(was)
    total = sum(float(s.sum()) for s in sums.values())
    count = sum(s.numel() for s in sums.values())
    scale = count / total if total > 0 else 1.0
    return {k: (v * scale).cpu() for k, v in sums.items()}


class LwF(Strategy):
    """``lwf`` (Li & Hoiem 2016): the parent's outputs on the new data as soft targets —
    lwf_alpha * T^2 * KL(softmax(parent/T) || softmax(model/T)) over the parent's labels
    (classification, token classification); a squared difference for other heads."""

    name = "lwf"

    def start(self, model: Any, labels: Sequence[str]) -> None:
        self.teacher = None
        if self.parent is None:
            return
        self.teacher = copy.deepcopy(model)
        self.teacher.eval()
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        self.old = len(self.parent.labels)

    def penalty(self, model: Any, batch: dict[str, Any], logits: torch.Tensor) -> Any:
        if self.teacher is None:
            return None
        with torch.no_grad():
            target = self.teacher(batch).float()
        kind = HeadKind(self.task.head)
        t = self.cfg.lwf_temperature
        if kind in (HeadKind.CLASSIFICATION, HeadKind.TOKEN_CLASSIFICATION):
            s, q = logits[..., : self.old], target[..., : self.old]
            if kind == HeadKind.TOKEN_CLASSIFICATION:
                keep = batch["labels"].reshape(-1) != -100
                s, q = s.reshape(-1, self.old)[keep], q.reshape(-1, self.old)[keep]
            kl = F.kl_div(
                F.log_softmax(s / t, -1),
                F.log_softmax(q / t, -1),
                log_target=True,
                reduction="batchmean",
            )
            return self.cfg.lwf_alpha * t * t * kl
        return self.cfg.lwf_alpha * F.mse_loss(logits[..., : target.shape[-1]], target)

    def finish(self, model: Any, ctx: Any, examples: Sequence[Example]) -> None:
        self.teacher = None  # frees the copy


class Replay(Strategy):
    """``replay``: a reservoir buffer (Vitter's algorithm R) of ``replay_size`` examples
    drawn uniformly from every experience's training data so far; its examples join each
    experience's training set. Stored with the adapter as ``replay.json`` (array fields,
    such as images, in ``replay.safetensors``) — the examples themselves, so the adapter's
    files then hold raw training data (privacy: do not share such an adapter outside the
    data's audience)."""

    name = "replay"

    def __init__(self, cfg: Any, parent: ParentState | None, task: TaskSpec) -> None:
        super().__init__(cfg, parent, task)
        held = (parent.replay if parent is not None else None) or {"seen": 0, "examples": []}
        self.seen = int(held.get("seen", 0))
        self.buffer: list[Example] = list(held.get("examples", []))
        if parent is not None and parent.replay is None:
            self.notes.append(f"parent {parent.ref} stores no replay buffer: none rehearsed")

    def training_examples(self, examples: list[Example]) -> list[Example]:
        self.new = examples
        return [*examples, *self.buffer]

    def finish(self, model: Any, ctx: Any, examples: Sequence[Example]) -> None:
        rng = np.random.default_rng([self.seen, len(self.new)])
        size = self.cfg.replay_size
        for ex in self.new:
            self.seen += 1
            if len(self.buffer) < size:
                self.buffer.append(dict(ex))
            else:
                j = int(rng.integers(self.seen))
                if j < size:
                    self.buffer[j] = dict(ex)
        if self.seen < size:
            self.notes.append(
                f"replay buffer of {size} is larger than the {self.seen} examples seen: "
                f"it holds all {self.seen}"
            )

    def record(self) -> dict[str, Any]:
        return {
            "replay_file": REPLAY_FILE,
            "buffer": len(self.buffer),
            "seen": self.seen,
            "stores": "raw training examples (JSON; arrays in safetensors)",
        }

    def write(self, directory: Path) -> list[str]:
        return write_buffer(directory, self.seen, self.buffer)


def write_buffer(directory: Path, seen: int, buffer: Sequence[Example]) -> list[str]:
    """``replay.json`` (``{"seen", "examples"}``); array fields of the examples go to
    ``replay.safetensors`` as tensors named ``<index>.<field>``, the JSON holding
    ``{"__tensor__": name}`` in their place."""
    arrays: dict[str, np.ndarray] = {}
    examples = []
    for i, ex in enumerate(buffer):
        row = {}
        for key, value in ex.items():
            if isinstance(value, np.ndarray):
                arrays[f"{i}.{key}"] = np.ascontiguousarray(value)
                value = {TENSOR_REF: f"{i}.{key}"}
            row[key] = value
        examples.append(row)
    data = {"seen": seen, "examples": examples}
    (directory / REPLAY_FILE).write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    if not arrays:
        return [REPLAY_FILE]
    from safetensors.numpy import save_file

    save_file(arrays, str(directory / REPLAY_ARRAYS))
    return [REPLAY_FILE, REPLAY_ARRAYS]


class OLoRA(Strategy):
    """``olora`` (Wang et al. 2023, O-LoRA): each experience adds a new LoRA of the first
    experience's rank beside the earlier ones, which stay fixed; the new one's A matrix is
    pushed orthogonal to theirs, olora_lambda * sum ||A_new A_old^T||^2. The adapter is
    stored as one LoRA whose rank is the sum (its first rows/columns are the earlier
    experiences'; alpha grows with the rank so each part keeps its scale), so loading and
    serving need nothing new."""

    name = "olora"

    def __init__(self, cfg: Any, parent: ParentState | None, task: TaskSpec) -> None:
        super().__init__(cfg, parent, task)
        self.ranks: list[int] = list((parent.record.get("olora_ranks") if parent else None) or [])

    def method(self, method_cfg: Any, peft_config: Any) -> tuple[Any, Any]:
        if method_cfg.name != "lora":
            raise InvalidConfig(
                f"continual.strategy=olora adds LoRA components; the adapter's method is "
                f"{method_cfg.name!r}",
                fix="use method lora for olora, or another strategy",
            )
        if self.parent is None or peft_config is None:
            self.ranks = [method_cfg.r]
            self.old = 0
            return method_cfg, peft_config
        old = int(peft_config.r)
        step = self.ranks[0] if self.ranks else old
        if not self.ranks:
            self.ranks = [old]
        self.old = old
        self.ranks.append(step)
        r = old + step
        alpha = float(peft_config.lora_alpha) * r / old
        grown = copy.deepcopy(peft_config)
        grown.r, grown.lora_alpha = r, alpha
        return method_cfg.model_copy(update={"r": r, "alpha": alpha}), grown

    def load_adapter(self, model: Any, parent: ParentState) -> None:
        state = {k: v.detach().clone() for k, v in model.adaptation.adapter_state().items()}
        for key, given in parent.adapter.items():
            if "lora_A" in key:
                state[key][: given.shape[0]] = given
            elif "lora_B" in key:
                state[key][:, : given.shape[1]] = given
            else:
                state[key] = given
        model.adaptation.load_adapter_state(state, f"{parent.ref or 'parent'} weights")

    def start(self, model: Any, labels: Sequence[str]) -> None:
        self.frozen: dict[str, torch.Tensor] = {}
        self.pairs: list[torch.Tensor] = []
        if not self.old:
            return
        for name, p in trainable(model).items():
            if "lora_A" in name:
                self.frozen[name] = p.detach()[: self.old].clone()
                self.pairs.append(p)
            elif "lora_B" in name:
                self.frozen[name] = p.detach()[:, : self.old].clone()

    def penalty(self, model: Any, batch: dict[str, Any], logits: torch.Tensor) -> Any:
        if not self.pairs:
            return None
        terms = []
        for a in self.pairs:  # A is (r, in) for linear layers, (r, in, k, k) for convolutions
            m = a.reshape(a.shape[0], -1)
            terms.append((m[self.old :] @ m[: self.old].detach().T).pow(2).sum())
        return self.cfg.olora_lambda * torch.stack(terms).sum()

    @torch.no_grad()
    def after_step(self, model: Any) -> None:
        if not self.frozen:
            return
        params = dict(model.named_parameters())
        for name, value in self.frozen.items():
            if "lora_A" in name:
                params[name][: self.old] = value
            else:
                params[name][:, : self.old] = value

    def record(self) -> dict[str, Any]:
        return {"olora_ranks": self.ranks}


STRATEGIES: dict[str, type[Strategy]] = {s.name: s for s in (Strategy, Replay, EWC, LwF, L2, OLoRA)}


def make_strategy(cfg: Any, parent: ParentState | None, task: TaskSpec) -> Strategy:
    return STRATEGIES[cfg.strategy](cfg, parent, task)
