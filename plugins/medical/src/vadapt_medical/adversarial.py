"""FGSM / PGD on pixels for the imaging tasks, with epsilon in intensity units.

Radiologists think in grey levels, so ``adversarial.epsilon`` here is a
perturbation of at most epsilon grey levels on the 0-255 scale (default 4, about
1.6% of the range; ``adversarial.alpha`` likewise, default epsilon/steps*2.5 for
PGD, epsilon for FGSM). The engine feeds the model ``pixel_values`` normalised as
``(x - 127) / 128`` (``vadapt.backbones.image.ImageTransform``, EfficientNet-Lite's
scaling), so one grey level is 1/128 in model units: the attack works in model
units with ``eps = epsilon / 128`` and clips to the valid range
``[(0 - 127) / 128, (255 - 127) / 128]`` so every adversarial image is still a
displayable 8-bit image. ``adversarial.options``:

    units        "intensity" (default) or "normalized" (epsilon/alpha already in model units)
    pixel_mean   127.0  — the engine's normalisation, for other backbones
    pixel_scale  128.0
    attack       "auto" (default: FGSM for steps=1, PGD otherwise), "fgsm" or "pgd"
    random_start True for PGD: start from a uniform point in the epsilon ball
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vadapt import InvalidConfig

DEFAULT_EPSILON = 4.0  # grey levels


def _opts(config: Any) -> dict[str, Any]:
    options = dict(getattr(config, "options", None) or {})
    nested = options.pop("medical", None)
    if isinstance(nested, dict):
        options.update(nested)
    return options


def pixel_attack(
    model: Any, batch: dict[str, Any], loss_fn: Callable[..., Any], config: Any
) -> Any:
    import torch

    opts = _opts(config)
    units = opts.get("units", "intensity")
    if units not in ("intensity", "normalized"):
        raise InvalidConfig(
            f"adversarial.options.units={units!r} (plugin medical)",
            fix="use 'intensity' or 'normalized'",
        )
    mean = float(opts.get("pixel_mean", 127.0))
    scale = float(opts.get("pixel_scale", 128.0))
    to_model = 1.0 if units == "normalized" else 1.0 / scale
    steps = int(getattr(config, "steps", 1) or 1)
    attack = opts.get("attack", "auto")
    if attack not in ("auto", "fgsm", "pgd"):
        raise InvalidConfig(
            f"adversarial.options.attack={attack!r} (plugin medical)", fix="use auto, fgsm or pgd"
        )
    if attack == "fgsm":
        steps = 1
    pgd = attack == "pgd" or (attack == "auto" and steps > 1)
    eps_units = getattr(config, "epsilon", None) or DEFAULT_EPSILON
    eps = float(eps_units) * to_model
    alpha_units = getattr(config, "alpha", None)
    alpha = float(alpha_units) * to_model if alpha_units else (2.5 * eps / steps if pgd else eps)
    lo, hi = (0.0 - mean) / scale, (255.0 - mean) / scale

    x0 = batch["pixel_values"].detach()
    x = x0.clone()
    if pgd and opts.get("random_start", True):
        noise = (torch.rand_like(x0) * 2 - 1) * eps  # torch's RNG, seeded by the engine
        x = (x0 + noise).clamp(lo, hi)
    for _ in range(max(steps, 1)):
        x.requires_grad_(True)
        loss = loss_fn(model({**batch, "pixel_values": x}), batch)
        (grad,) = torch.autograd.grad(loss, x)
        with torch.no_grad():
            x = x + alpha * grad.sign()
            x = torch.max(torch.min(x, x0 + eps), x0 - eps).clamp(lo, hi)
        x = x.detach()
    # The returned term trains the model (gradients flow to its weights, not to x).
    return loss_fn(model({**batch, "pixel_values": x}), batch)
