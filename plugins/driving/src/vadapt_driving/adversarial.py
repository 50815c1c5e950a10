"""PGD on pixels (Madry et al., 2018) for the ``adversarial_step`` hook and robust accuracy.

The budget is given in **pixel units** (0-255), the way image attacks are usually
quoted (``epsilon: 4`` = every pixel may move by at most 4 grey levels), and
converted to the engine's normalised space: EfficientNet-Lite's input is
``(x - 127) / 128``, so one pixel level is ``1/128`` and valid inputs lie in
``[-127/128, 128/128]``. Options (``adversarial.options``):

    units: pixel | normalized   # how epsilon/alpha are given (default pixel)
    pixel_scale: 128.0          # normalised = pixel / pixel_scale
    pixel_offset: 127.0         # normalised = (pixel - pixel_offset) / pixel_scale
    random_start: true          # start from a random point in the eps-ball
    attack_in_eval_mode: true   # craft the attack with batch-norm statistics frozen

``epsilon`` defaults (when None) to 4 pixel levels; ``alpha`` (when None) to
``2.5 * epsilon / steps``. Torch is
imported inside the functions only: listing tasks stays torch-free.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from vadapt import InvalidConfig

DEFAULT_EPSILON_PIXELS = 4.0


class PGDOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    units: Literal["pixel", "normalized"] = Field(
        "pixel", description="Units of epsilon and alpha."
    )
    pixel_scale: float = Field(128.0, gt=0, description="Normalised = (pixel - offset) / scale.")
    pixel_offset: float = Field(127.0, description="Normalised = (pixel - offset) / scale.")
    random_start: bool = Field(True, description="Start PGD from a uniform point in the eps-ball.")
    attack_in_eval_mode: bool = Field(
        True, description="Craft the attack in eval mode (frozen BN)."
    )


class Budget(BaseModel):
    """A PGD budget in the normalised input space."""

    model_config = ConfigDict(frozen=True)

    eps: float
    alpha: float
    steps: int
    lo: float
    hi: float
    random_start: bool = True
    eval_mode: bool = True


def budget_from(config: Any) -> Budget:
    """Read ``epsilon``/``alpha``/``steps``/``options`` from an AdversarialConfig (or a dict)."""
    get = config.get if isinstance(config, Mapping) else (lambda k, d=None: getattr(config, k, d))
    raw = dict(get("options", None) or {})
    if isinstance(raw.get("driving"), Mapping):
        raw = dict(raw["driving"])
    try:
        opts = PGDOptions(**raw)
    except ValidationError as err:
        first = err.errors()[0]
        raise InvalidConfig(
            f"adversarial.options.{'.'.join(map(str, first['loc']))}: {first['msg']} "
            "(vadapt-driving)",
            fix=f"valid options: {', '.join(PGDOptions.model_fields)}",
        ) from None
    eps = get("epsilon", None)
    # None: 4 grey levels (the core's FGSM default, 0.03 normalised, is 3.84 levels)
    eps = (DEFAULT_EPSILON_PIXELS if opts.units == "pixel" else 0.03) if eps is None else float(eps)
    steps = max(1, int(get("steps", 1) or 1))
    alpha = float(get("alpha", 0.0) or 0.0)
    if eps <= 0:
        raise InvalidConfig(
            f"adversarial.epsilon must be > 0 for PGD, got {eps}",
            fix="set adversarial.epsilon, in pixel levels (e.g. 4)",
        )
    if alpha <= 0:
        alpha = 2.5 * eps / steps
    div = opts.pixel_scale if opts.units == "pixel" else 1.0
    return Budget(
        eps=eps / div,
        alpha=alpha / div,
        steps=steps,
        lo=(0.0 - opts.pixel_offset) / opts.pixel_scale,
        hi=(255.0 - opts.pixel_offset) / opts.pixel_scale,
        random_start=opts.random_start,
        eval_mode=opts.attack_in_eval_mode,
    )


def pgd(
    forward: Callable[[Any], Any],
    loss_of: Callable[[Any], Any],
    x: Any,
    budget: Budget,
    module: Any = None,
) -> Any:
    """``x_adv`` within ``budget.eps`` (L-inf) of ``x`` that raises ``loss_of(forward(x_adv))``."""
    import torch

    x = x.detach()
    was_training = bool(getattr(module, "training", False))
    if module is not None and budget.eval_mode:
        module.eval()
    try:
        delta = torch.zeros_like(x)
        if budget.random_start:
            delta = (torch.rand_like(x) * 2 - 1) * budget.eps
        delta = (torch.clamp(x + delta, budget.lo, budget.hi) - x).detach()
        for _ in range(budget.steps):
            delta.requires_grad_(True)
            loss = loss_of(forward(x + delta))
            (grad,) = torch.autograd.grad(loss, delta)
            delta = delta.detach() + budget.alpha * grad.sign()
            delta = torch.clamp(delta, -budget.eps, budget.eps)
            delta = (torch.clamp(x + delta, budget.lo, budget.hi) - x).detach()
    finally:
        if module is not None and budget.eval_mode and was_training:
            module.train()
    return (x + delta).detach()


def adversarial_loss(
    model: Any, batch: dict[str, Any], loss_fn: Callable[..., Any], config: Any
) -> Any:
    """The PGD loss term for one training batch (``model(batch)`` gives logits)."""
    if "pixel_values" not in batch:
        raise InvalidConfig(
            "vadapt-driving adversarial_step: the batch has no 'pixel_values' "
            f"(keys: {sorted(batch)})",
            fix="use an image backbone (efficientnet-lite0) for driving tasks",
        )
    budget = budget_from(config)
    x_adv = pgd(
        lambda x: model({**batch, "pixel_values": x}),
        lambda logits: loss_fn(logits, batch),
        batch["pixel_values"],
        budget,
        module=model,
    )
    return loss_fn(model({**batch, "pixel_values": x_adv}), batch)
