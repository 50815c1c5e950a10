"""The built-in adversarial perturbations: FGM/PGD on token embeddings, FGSM/PGD on pixels.

Training adds the loss on the perturbed input (``fgm_text``, ``fgsm_image``: the
``adversarial_step`` default); evaluation scores the predictions on it
(``adversarial_logits``: ``vadapt robustness --adversarial`` and report cards).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch


@contextmanager
def no_weight_grads(model: Any) -> Iterator[None]:
    """Gradients at the inputs only: no weight gradient is computed (a third less
    backward work), and every ``requires_grad`` flag is restored after."""
    params = [p for p in model.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


@contextmanager
def _embedding_offset(model: Any) -> Iterator[dict[str, Any]]:
    """While held, the embedding output is captured (first forward) or offset by
    ``state["delta"]`` (later forwards)."""
    state: dict[str, Any] = {"delta": None, "captured": None}

    def hook(_m: Any, _i: Any, out: torch.Tensor) -> torch.Tensor:
        if state["delta"] is None:
            out = out.detach().requires_grad_(True)
            state["captured"] = out
            return out
        return out + state["delta"]

    handle = model.input_embeddings().register_forward_hook(hook)
    try:
        yield state
    finally:
        handle.remove()


def _text_attack(
    model: Any,
    batch: dict[str, Any],
    loss_fn: Callable[..., Any],
    epsilon: float,
    steps: int,
    alpha: float | None,
    state: dict[str, Any],
) -> None:
    """Leave in ``state["delta"]`` the per-example L2 perturbation of the embeddings:
    ``epsilon * g / ||g||`` (FGM, Miyato et al.), or ``steps`` steps of ``alpha``
    projected back to the epsilon ball (PGD)."""
    loss = loss_fn(model(batch), batch)
    x = state["captured"]
    steps = max(1, int(steps))
    alpha = alpha or epsilon / steps
    delta = torch.zeros_like(x)
    for i in range(steps):
        (grad,) = torch.autograd.grad(loss, x if state["delta"] is None else state["delta"])
        norm = grad.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, *([1] * (grad.dim() - 1)))
        delta = (delta + alpha * grad / norm).detach()
        dn = delta.flatten(1).norm(dim=1).clamp(min=1e-12).view_as(norm)
        delta = delta * torch.clamp(epsilon / dn, max=1.0)
        state["delta"] = delta.requires_grad_(True)
        if i < steps - 1:
            loss = loss_fn(model(batch), batch)


def fgm_text(
    model: Any, batch: dict[str, Any], loss_fn: Callable[..., Any], epsilon: float, config: Any
) -> Any:
    """Fast Gradient Method on the embedding output; ``steps > 1`` iterates (PGD-style,
    step ``alpha``, projected back to the epsilon ball). Returns the loss on the
    perturbed input."""
    with _embedding_offset(model) as state:
        _text_attack(model, batch, loss_fn, epsilon, config.steps, config.alpha, state)
        return loss_fn(model(batch), batch)


def _pixel_attack(
    model: Any,
    batch: dict[str, Any],
    loss_fn: Callable[..., Any],
    epsilon: float,
    steps: int,
    alpha: float | None,
) -> torch.Tensor:
    """FGSM (one step) or PGD on the (normalised) pixels within an L-inf ball."""
    x0 = batch["pixel_values"].detach()
    steps = max(1, int(steps))
    alpha = alpha or epsilon / steps
    x = x0.clone()
    for _ in range(steps):
        x.requires_grad_(True)
        loss = loss_fn(model({**batch, "pixel_values": x}), batch)
        (grad,) = torch.autograd.grad(loss, x)
        x = (x0 + (x.detach() + alpha * grad.sign() - x0).clamp(-epsilon, epsilon)).detach()
    return x


def fgsm_image(
    model: Any, batch: dict[str, Any], loss_fn: Callable[..., Any], epsilon: float, config: Any
) -> Any:
    """Fast Gradient Sign Method on the (normalised) pixels; ``steps > 1`` gives PGD."""
    x = _pixel_attack(model, batch, loss_fn, epsilon, config.steps, config.alpha)
    return loss_fn(model({**batch, "pixel_values": x}), batch)


def adversarial_logits(
    model: Any,
    batch: dict[str, Any],
    loss_fn: Callable[..., Any],
    epsilon: float,
    steps: int = 1,
    alpha: float | None = None,
) -> torch.Tensor:
    """The logits on the batch perturbed against its own targets: FGM (``steps`` 1) or
    PGD on the token embeddings of a text batch, FGSM or PGD on an image batch's pixels."""
    with torch.enable_grad(), no_weight_grads(model):
        if "pixel_values" in batch:
            x = _pixel_attack(model, batch, loss_fn, epsilon, steps, alpha)
            with torch.no_grad():
                return model({**batch, "pixel_values": x}).float()
        with _embedding_offset(model) as state:
            _text_attack(model, batch, loss_fn, epsilon, steps, alpha, state)
            with torch.no_grad():
                return model(batch).float()
