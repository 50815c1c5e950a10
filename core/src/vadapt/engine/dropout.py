"""Dropout on the CPU without ``bernoulli_``: a fifth of a training step given back.

Profiling a LoRA step of review triage on 2 cores (``torch.profiler``, 40 steps) put
``aten::bernoulli_`` first: 26% of the step's CPU time, ahead of every matmul. The
frozen backbone still runs its dropouts in training (as in HF Trainer and the papers'
recipes), and ``torch.nn.functional.dropout`` on the CPU draws one Bernoulli sample per
element through a scalar generator loop. Here the mask comes from 64-bit random words
(one ``random_()`` draw feeds four elements, 16 bits each), compared against the rate
in units of 1/65536: a step of 16 x 128 x 384 hidden states drops out in 1.8 ms
instead of 6.7, an attention-probability tensor in 10 ms instead of 22.

Semantics are dropout's: each element is kept independently with probability
``1 - p`` and scaled by the inverse of it, from torch's seeded default generator (so
runs stay reproducible under ``train.seed``), with ``p`` rounded to 1/65536 (0.1 drops
0.100006 of the elements; the scale uses the rounded rate, so the expectation is
exact). Off the CPU, or outside training, it is ``torch.nn.functional.dropout``.

:func:`use_fast_dropout` swaps a model's ``nn.Dropout`` modules for :class:`FastDropout`
and, where attention is eager, the attention for a registered copy whose probability
dropout is this one. Review triage, LoRA, 60 steps on 2 cores: 36.8 -> 43.8 samples/s in
bf16, 24.9 -> 27.6 in fp32 (``bench/bench_fast_dropout.py``).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn

_LEVELS = 1 << 16


def fast_dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """``F.dropout(x, p, training)`` with a mask from 16-bit random words on the CPU."""
    if not training or p <= 0.0 or not x.is_cpu or x.numel() == 0:
        return nn.functional.dropout(x, p, training)
    if p >= 1.0:
        return x * 0.0
    level = min(max(round(p * _LEVELS), 1), _LEVELS - 1)
    n = x.numel()
    words = torch.empty((n + 3) // 4, dtype=torch.int64).random_(-(2**63), 2**63 - 1)
    bits = words.view(torch.int16)[:n].view(x.shape)  # uniform over [-32768, 32767]
    drop = bits < level - _LEVELS // 2
    return x.masked_fill(drop, 0.0).mul_(_LEVELS / (_LEVELS - level))


class FastDropout(nn.Dropout):
    """``nn.Dropout`` drawing its mask with :func:`fast_dropout` (same ``p``, same state)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.inplace:  # rare; keep torch's in-place contract
            return super().forward(x)
        return fast_dropout(x, self.p, self.training)


def use_fast_dropout(model: nn.Module) -> int:
    """Swap the dropouts inside ``model`` for :class:`FastDropout`, and the attention of
    the transformers models inside it for one with fast probability dropout; returns how
    many dropout modules were swapped."""
    from transformers import PreTrainedModel

    swapped = 0
    for module in model.modules():
        if type(module) is nn.Dropout:  # exact type: subclasses may do more
            module.__class__ = FastDropout
            swapped += 1
        elif isinstance(module, PreTrainedModel):
            _fast_attention(module)
    return swapped


def _fast_attention(model: Any) -> None:
    """An eager-attention model (bf16 on the CPU, see ``precision``) gets ``vadapt-eager``:
    the same matmuls with :func:`fast_dropout` on the probabilities (43.8 vs 39.4
    samples/s on review triage). SDPA models keep SDPA: its fused kernel with its own
    dropout beats eager matmuls with this one in fp32 (27.6 vs 26.0)."""
    if getattr(model.config, "_attn_implementation", None) != "eager":
        return
    _register()
    try:
        model.set_attn_implementation("vadapt-eager")
    except (ValueError, NotImplementedError, KeyError):  # an architecture that refuses it
        pass


@functools.cache
def _register() -> None:
    """``vadapt-eager`` in transformers' attention and mask registries (once a process)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS

    AttentionInterface.register("vadapt-eager", eager_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register("vadapt-eager", ALL_MASK_ATTENTION_FUNCTIONS["eager"])


def eager_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """transformers' ``eager_attention_forward`` (BERT's; grouped-query heads repeated as
    Llama's ``repeat_kv`` does), restated because its dropout call sits between the
    softmax and the second matmul: the one change is :func:`fast_dropout` there."""
    if scaling is None:
        scaling = query.size(-1) ** -0.5
    if key.shape[1] != query.shape[1]:  # grouped-query attention
        groups = query.shape[1] // key.shape[1]
        key = key.repeat_interleave(groups, dim=1)
        value = value.repeat_interleave(groups, dim=1)
    weights = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        weights = weights + attention_mask[:, :, :, : key.shape[-2]]
    weights = nn.functional.softmax(weights, dim=-1, dtype=torch.float32).to(query.dtype)
    weights = fast_dropout(weights, dropout, module.training)
    out = torch.matmul(weights, value).transpose(1, 2).contiguous()
    return out, weights
