# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""CPU dropout from 16-bit random words: dropout's statistics and gradient, seeded; the
swapped modules and eager attention compute what transformers' do."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt.engine import adapt
from vadapt.engine.dropout import FastDropout, fast_dropout, use_fast_dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_drops_at_rate_p_and_keeps_the_expectation(p: float) -> None:
    n = 400_000
    torch.manual_seed(0)
    y = fast_dropout(torch.ones(n), p)
    dropped = (y == 0).float().mean().item()
    assert dropped == pytest.approx(p, abs=0.005)  # binomial sd <= 0.0008
    assert y.mean().item() == pytest.approx(1.0, abs=5 * (p / (1 - p) / n) ** 0.5)  # 5 sd
    kept = y[y != 0]
    assert torch.allclose(kept, kept[0].expand_as(kept))  # one scale for every kept element


def test_independent_elements_not_a_pattern() -> None:
    """Neighbours share a 64-bit word: their drops must still be independent."""
    torch.manual_seed(0)
    y = fast_dropout(torch.ones(400_000), 0.5).view(-1, 4) == 0
    both = (y[:, 0] & y[:, 1]).float().mean().item()
    assert both == pytest.approx(0.25, abs=0.005)
    assert y[:, 3].float().mean().item() == pytest.approx(0.5, abs=0.005)  # the word's top bits


def test_gradient_is_the_mask_times_the_scale_and_runs_are_seeded() -> None:
    x = torch.randn(64, 48, requires_grad=True)
    torch.manual_seed(3)
    y = fast_dropout(x, 0.2)
    y.sum().backward()
    kept = y.detach() != 0
    assert torch.allclose(x.grad[kept], torch.full_like(x.grad[kept], x.grad[kept][0].item()))
    assert (x.grad[~kept] == 0).all()
    torch.manual_seed(3)
    assert torch.equal(fast_dropout(x.detach(), 0.2), y.detach())


def test_identity_outside_training_and_at_zero() -> None:
    x = torch.randn(10, 10)
    assert torch.equal(fast_dropout(x, 0.3, training=False), x)
    assert torch.equal(fast_dropout(x, 0.0), x)
    assert (fast_dropout(x, 1.0) == 0).all()


def _bert(tiny_bert_dir: Path, attention: str):
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(tiny_bert_dir), attn_implementation=attention)
    return model


def test_a_swapped_bert_computes_what_eager_bert_does(tiny_bert_dir) -> None:
    reference = _bert(tiny_bert_dir, "eager").eval()
    fast = _bert(tiny_bert_dir, "eager")
    n = sum(type(m) is nn.Dropout for m in fast.modules())
    assert use_fast_dropout(fast) == n > 0
    assert all(type(m) is not nn.Dropout for m in fast.modules())
    assert any(isinstance(m, FastDropout) for m in fast.modules())
    assert fast.config._attn_implementation == "vadapt-eager"
    fast.eval()
    ids = torch.tensor([[101, 7, 8, 9, 102], [101, 5, 102, 0, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        want = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        got = fast(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.allclose(got[mask.bool()], want[mask.bool()], atol=1e-5)
    fast.train()  # dropout on: outputs vary, padding still masked out of attention
    with torch.no_grad():
        a = fast(input_ids=ids, attention_mask=mask).last_hidden_state
        b = fast(input_ids=ids, attention_mask=mask).last_hidden_state
    assert not torch.allclose(a, b) and torch.isfinite(a).all()


def test_sdpa_models_keep_sdpa(tiny_bert_dir) -> None:
    model = _bert(tiny_bert_dir, "sdpa")
    use_fast_dropout(model)
    assert model.config._attn_implementation == "sdpa"


def test_training_with_and_without_it(fx) -> None:
    for fast in (True, False):
        res = adapt(base_config(fast_dropout=fast), progress=False)
        assert res.manifest.training["config"]["train"]["fast_dropout"] is fast
        kinds = {type(m) for m in res.model.modules()}
        assert (FastDropout in kinds) is fast and (nn.Dropout in kinds) is not fast
