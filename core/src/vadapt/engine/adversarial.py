"""The built-in adversarial terms: FGM on token embeddings, FGSM on pixels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


def fgm_text(
    model: Any, batch: dict[str, Any], loss_fn: Callable[..., Any], epsilon: float, config: Any
) -> Any:
    """Fast Gradient Method (Miyato et al.): perturb the embedding output along its gradient.

    ``r = epsilon * g / ||g||`` per example; ``steps > 1`` iterates (PGD-style, step
    ``alpha``, projected back to the epsilon ball). Returns the loss on the perturbed input.
    """
    emb = model.input_embeddings()
    state: dict[str, Any] = {"delta": None, "captured": None}

    def hook(_m: Any, _i: Any, out: torch.Tensor) -> torch.Tensor:
        if state["delta"] is None:
            out = out.detach().requires_grad_(True)
            state["captured"] = out
            return out
        return out + state["delta"]

    handle = emb.register_forward_hook(hook)
    try:
        loss = loss_fn(model(batch), batch)
        x = state["captured"]
        steps = max(1, int(config.steps))
        alpha = config.alpha or epsilon / steps
        delta = torch.zeros_like(x)
        for _ in range(steps):
            (grad,) = torch.autograd.grad(loss, x if state["delta"] is None else state["delta"])
            norm = grad.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, *([1] * (grad.dim() - 1)))
            delta = (delta + alpha * grad / norm).detach()
            dn = delta.flatten(1).norm(dim=1).clamp(min=1e-12).view_as(norm)
            delta = delta * torch.clamp(epsilon / dn, max=1.0)
            state["delta"] = delta.requires_grad_(True)
            loss = loss_fn(model(batch), batch)
        return loss
    finally:
        handle.remove()


def fgsm_image(
    model: Any, batch: dict[str, Any], loss_fn: Callable[..., Any], epsilon: float, config: Any
) -> Any:
    """Fast Gradient Sign Method on the (normalised) pixels; ``steps > 1`` gives PGD."""
    x0 = batch["pixel_values"].detach()
    steps = max(1, int(config.steps))
    alpha = config.alpha or epsilon / steps
    x = x0.clone()
    for _ in range(steps):
        x.requires_grad_(True)
        loss = loss_fn(model({**batch, "pixel_values": x}), batch)
        (grad,) = torch.autograd.grad(loss, x)
        x = (x0 + (x.detach() + alpha * grad.sign() - x0).clamp(-epsilon, epsilon)).detach()
    return loss_fn(model({**batch, "pixel_values": x}), batch)
