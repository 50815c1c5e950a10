"""PGD on pixels: the budget is in pixel units, respected, and the attack hurts."""

from __future__ import annotations

import pytest
from vadapt import InvalidConfig
from vadapt_driving.adversarial import adversarial_loss, budget_from, pgd


def test_pixel_budget_converts_to_normalised_space() -> None:
    b = budget_from({"epsilon": 8, "steps": 4, "alpha": None, "options": {}})
    assert b.eps == pytest.approx(8 / 128)
    assert b.alpha == pytest.approx(2.5 * 8 / 4 / 128)
    assert b.lo == pytest.approx(-127 / 128) and b.hi == pytest.approx(128 / 128)
    n = budget_from(
        {"epsilon": 0.05, "steps": 1, "alpha": 0.05, "options": {"units": "normalized"}}
    )
    assert n.eps == pytest.approx(0.05)
    with pytest.raises(InvalidConfig, match=r"adversarial\.options\.unit"):
        budget_from({"epsilon": 1, "options": {"unit": "pixel"}})


def test_pgd_stays_in_budget_and_valid_range_and_raises_the_loss() -> None:
    import torch
    from vadapt.testing.models import cross_entropy_loss, tiny_batch, tiny_model

    torch.manual_seed(0)
    model = tiny_model("image", 3)
    batch = tiny_batch("image", 3, batch_size=8)
    batch["pixel_values"] = batch["pixel_values"] * 2 - 1  # normalised-looking inputs
    budget = budget_from({"epsilon": 16, "steps": 5, "options": {}})
    x = batch["pixel_values"]
    x_adv = pgd(
        lambda z: model({**batch, "pixel_values": z}),
        lambda logits: cross_entropy_loss(logits, batch),
        x,
        budget,
        module=model,
    )
    assert (x_adv - x).abs().max() <= budget.eps + 1e-6
    assert x_adv.min() >= budget.lo - 1e-6 and x_adv.max() <= budget.hi + 1e-6
    with torch.no_grad():
        clean = cross_entropy_loss(model(batch), batch)
        adv = cross_entropy_loss(model({**batch, "pixel_values": x_adv}), batch)
    assert adv > clean
    model.train()
    loss = adversarial_loss(
        model, batch, cross_entropy_loss, {"epsilon": 4, "steps": 2, "options": {}}
    )
    assert loss.requires_grad and model.training  # train mode restored after the attack


def test_batch_without_pixels_is_refused() -> None:
    with pytest.raises(InvalidConfig, match="pixel_values"):
        adversarial_loss(None, {"input_ids": 1}, None, {"epsilon": 1})


def test_epsilon_none_defaults_to_four_pixel_levels() -> None:
    b = budget_from({"epsilon": None, "steps": 2, "alpha": None, "options": {}})
    assert b.eps == pytest.approx(4 / 128) and b.alpha == pytest.approx(5 / 128)
