"""``zero-shot``: classify by similarity to the labels' descriptions, with no training.

The cosine head's rows are the embeddings of each label's templated description
(``TaskSpec.label_descriptions``, else the label's name; the manifest lists which labels
fell back), times a softmax scale: fitted on the labelled validation split when there is
one (least negative log-likelihood, the kit's grid), else ``DEFAULT_SCALE``. With
``prior`` the bias is ``-log p`` where ``p`` is the mean predicted label distribution over
up to ``prior_examples`` *unlabelled* training texts (their labels are never read): a
description that attracts every input is corrected for. A label described as ``""``
(out-of-scope) gets weight 0 and bias -30: never predicted.

Nothing of the backbone changes, so the adapter is its head alone and serves like any
``weights`` adapter. Like the ``zero-shot`` baseline, but a registry adapter of its own
that can be listed, evaluated, served, and compared with the few-shot methods.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import Field, field_validator

from vadapt.methods.native import NativeAdaptation
from vadapt.methods.options import MethodConfig
from vadapt.methods.registry import Method
from vadapt.methods.similarity import cosine_head, embed_texts, set_linear
from vadapt.types import Modality

DEFAULT_SCALE = 20.0
NEVER = -30.0
"""The bias of a label with no zero-shot probability (softmax weight e^-30)."""


class ZeroShotConfig(MethodConfig):
    name: Literal["zero-shot"] = Field("zero-shot", description="adaptation method")
    label_template: str = Field(
        "{description}",
        description="how a label's description is phrased before it is embedded; one "
        "{description} slot (e.g. 'A review that says: {description}')",
    )
    # Off by default: on review triage (full test, 1,000 reviews) it cost 2.3 macro-F1
    # points (0.687 -> 0.664) and 3.9 accuracy points; the labels' imbalance (66% 'great')
    # is real signal there, not a description's pull. Turn it on when one description
    # attracts everything (the manifest's `prior` shows the correction).
    prior: bool = Field(
        False,
        description="correct for the labels' prior, estimated on unlabelled training texts",
    )
    prior_examples: int = Field(
        512, ge=1, description="unlabelled training texts the prior is estimated on"
    )
    scale: float | None = Field(
        None,
        gt=0,
        description="softmax scale of the cosines; None = fitted on validation "
        f"(else {DEFAULT_SCALE})",
    )

    @field_validator("label_template")
    @classmethod
    def _one_slot(cls, v: str) -> str:
        import string

        slots = [f for _, f, _, _ in string.Formatter().parse(v) if f is not None]
        if slots != ["description"]:
            raise ValueError(f"must hold exactly one {{description}} slot, found {slots or 'none'}")
        return v


class Untrained(NativeAdaptation):
    """Nothing of the backbone trains or is stored."""

    def select(self, cfg: Any, loaded: Any) -> None:
        pass


def fit_zero_shot(**kw: Any) -> Any:
    """Write the head from the descriptions; evaluate validation once (if any)."""
    import numpy as np

    from vadapt.engine.train import TrainOutcome, validate_once

    model, ctx, task, cfg = kw["model"], kw["ctx"], kw["task"], kw["cfg"]
    mc, labels, out = cfg.method, ctx.labels, TrainOutcome()
    t0 = time.perf_counter()
    described = [i for i, lab in enumerate(labels) if task.describe(lab) != ""]
    texts = [mc.label_template.format(description=task.describe(labels[i])) for i in described]
    directions = embed_texts(model, ctx, texts).numpy()
    val = list(kw["val_examples"])
    scale = mc.scale or _fitted_scale(model, ctx, task, val, directions, described)
    bias = np.full(len(labels), NEVER)
    bias[described] = 0.0
    if mc.prior:
        bias[described] = -np.log(_prior(model, ctx, kw["train_examples"], directions, scale, mc))
    weight = np.zeros((len(labels), directions.shape[1]))
    weight[described] = scale * directions
    set_linear(model.head, weight, bias)
    out.train_seconds = time.perf_counter() - t0
    model.adaptation.resolved.update(
        scale=round(float(scale), 4),
        prior=[round(float(b), 4) for b in bias],
        undescribed_labels=task.undescribed(labels),
    )
    validate_once(kw, out)
    return out


def _fitted_scale(
    model: Any, ctx: Any, task: Any, val: list[Any], directions: Any, described: list[int]
) -> float:
    from vadapt.kit import references
    from vadapt.kit.baselines import fit_scale

    if not val:
        return DEFAULT_SCALE
    cos = embed_texts(model, ctx, [ex["text"] for ex in val], store=True).numpy() @ directions.T
    return fit_scale(cos, references(task, val, ctx.labels), described)


def _prior(
    model: Any, ctx: Any, train: Any, directions: Any, scale: float, mc: ZeroShotConfig
) -> Any:
    """Mean softmax over up to ``prior_examples`` training texts (a seeded sample)."""
    import numpy as np

    from vadapt.kit.baselines import softmax

    train = list(train)
    if not train:
        return np.full(directions.shape[0], 1.0 / directions.shape[0])
    rng = np.random.default_rng(0)
    pick = rng.permutation(len(train))[: mc.prior_examples]
    texts = [train[i]["text"] for i in sorted(pick)]
    cos = embed_texts(model, ctx, texts).numpy() @ directions.T
    return np.clip(softmax(scale * cos).mean(axis=0), 1e-6, None)


METHOD = Method(
    name="zero-shot",
    config=ZeroShotConfig,
    description="no training: similarity to each label's description (optionally prior-"
    "corrected on unlabelled texts); the head alone is stored",
    apply=Untrained,
    default_lr=1e-3,  # unused: nothing trains
    modalities=(Modality.TEXT,),
    serving="weights",
    head=cosine_head,
    fit=fit_zero_shot,
    needs_labels=False,
)
