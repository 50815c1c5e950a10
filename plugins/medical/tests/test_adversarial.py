"""Pixel FGSM/PGD: epsilon in grey levels, converted with the engine's (x-127)/128."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")

from vadapt.testing.models import cross_entropy_loss, tiny_model  # noqa: E402
from vadapt_medical.adversarial import pixel_attack  # noqa: E402


def _batch():
    g = torch.Generator().manual_seed(0)
    raw = torch.randint(0, 256, (4, 3, 16, 16), generator=g).float()
    return {"pixel_values": (raw - 127) / 128, "labels": torch.tensor([0, 1, 2, 0])}


def _capture(model):
    seen = []
    orig = model.forward

    def forward(batch):
        seen.append(batch["pixel_values"].detach().clone())
        return orig(batch)

    model.forward = forward
    return seen


@pytest.mark.parametrize("steps", [1, 5])
def test_perturbation_stays_within_epsilon_grey_levels_and_valid_pixels(steps):
    model = tiny_model("image", 3)
    seen = _capture(model)
    batch = _batch()
    cfg = SimpleNamespace(epsilon=4.0, alpha=None, steps=steps, options={})
    loss = pixel_attack(model, batch, cross_entropy_loss, cfg)
    x_adv = seen[-1]
    delta_grey = (x_adv - batch["pixel_values"]).abs().max().item() * 128
    assert 0 < delta_grey <= 4.0 + 1e-4
    assert x_adv.min() >= -127 / 128 - 1e-6 and x_adv.max() <= 128 / 128 + 1e-6
    assert loss.requires_grad and loss.dim() == 0


def test_attack_raises_the_loss_and_trains_the_weights():
    torch.manual_seed(0)
    model = tiny_model("image", 3)
    batch = _batch()
    clean = cross_entropy_loss(model(batch), batch).item()
    cfg = SimpleNamespace(epsilon=8.0, alpha=None, steps=3, options={})
    adv = pixel_attack(model, batch, cross_entropy_loss, cfg)
    assert adv.item() > clean
    adv.backward()
    assert model.conv.weight.grad is not None and model.conv.weight.grad.abs().sum() > 0


def test_normalized_units_option():
    model = tiny_model("image", 3)
    seen = _capture(model)
    batch = _batch()
    cfg = SimpleNamespace(epsilon=0.01, alpha=None, steps=1, options={"units": "normalized"})
    pixel_attack(model, batch, cross_entropy_loss, cfg)
    assert (seen[-1] - batch["pixel_values"]).abs().max().item() <= 0.01 + 1e-6
