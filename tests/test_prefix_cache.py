# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""``freeze``'s frozen-prefix cache: states recorded once per example, replayed in later
epochs, identical to running the frozen layers; off where it would change the result."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import REVIEWS, base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt.engine import adapt
from vadapt.engine.data.tokens import TokenCache, TokenRows, tokenize
from vadapt.methods.prefix_cache import PrefixCache

TEXTS = [*REVIEWS, "would buy again"]


def _bert(tiny_bert_dir: Path):
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(tiny_bert_dir)).eval()
    return model, AutoTokenizer.from_pretrained(str(tiny_bert_dir))


def test_replayed_states_equal_the_frozen_layers_and_skip_them(tiny_bert_dir) -> None:
    model, tok = _bert(tiny_bert_dir)
    tokens = tokenize(tok, TEXTS, max_length=24)
    pad = TokenCache(tok, 24, None).pad_id
    layers = model.encoder.layer
    cache = PrefixCache(layers[1], [layers[0]], max_bytes=2**20)
    cache.active = True
    calls = []
    layers[0].attention.register_forward_hook(lambda *_: calls.append(1))  # its real work

    def run(rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        ids, mask = tokens.batch(rows, pad)
        with torch.no_grad(), cache.around(TokenRows(tokens, np.array(rows)), mask):
            out = model(input_ids=ids, attention_mask=mask).last_hidden_state
        return out, mask

    for rows in ([0, 1, 2], [3, 4]):  # every row recorded once (the first epoch)
        run(rows)
    assert cache.stats["recorded"] == 2 and len(calls) == 2
    for rows in ([2, 0], [4, 1, 3], [1]):  # other batches, other padded widths
        got, mask = run(rows)
        ids, _ = tokens.batch(rows, pad)
        with torch.no_grad():
            want = model(input_ids=ids, attention_mask=mask).last_hidden_state
        real = mask.bool()
        assert torch.allclose(got[real], want[real], atol=1e-5), rows
    assert cache.stats["replayed"] == 3
    assert len(calls) == 2 + 3  # the reference forwards only: replays skipped layer 0
    assert cache.stats["bytes"] == tokens.offsets[-1] * 32 * 4


def test_a_split_over_the_budget_runs_uncached(tiny_bert_dir) -> None:
    model, tok = _bert(tiny_bert_dir)
    tokens = tokenize(tok, TEXTS, max_length=24)
    layers = model.encoder.layer
    cache = PrefixCache(layers[1], [layers[0]], max_bytes=100)
    cache.active = True
    for _ in range(2):
        ids, mask = tokens.batch([0, 1], 0)
        with torch.no_grad(), cache.around(TokenRows(tokens, np.array([0, 1])), mask):
            model(input_ids=ids, attention_mask=mask)
    assert cache.stats["skipped"] == 1 and cache.stats["replayed"] == 0
    assert cache.stats["bytes"] == 0


def _freeze(**method) -> dict:
    cfg = base_config(epochs=3, lr=2e-3)
    cfg["method"] = {"name": "freeze", "layers": 1, **method}
    return cfg


def test_a_cached_freeze_run_trains_the_same_model_as_an_uncached_one(fx) -> None:
    cached = adapt(_freeze(), progress=False)
    stats = cached.prefix_cache
    assert stats["replayed"] > 0 and stats["skipped"] == 0
    assert stats["recorded"] == 48 // 8 + 1  # train batches + the validation batch, once each
    # the same frozen function, nothing cached: every split is over the budget
    uncached = adapt(_freeze(cache_prefix_gb=1e-9), progress=False)
    assert uncached.prefix_cache["replayed"] == 0 and uncached.prefix_cache["skipped"] >= 2
    for split in ("test", "validation"):
        for key, value in cached.metrics[split].items():
            assert value == pytest.approx(uncached.metrics[split][key], abs=1e-4), (split, key)
    assert cached.manifest.method.config["resolved"]["cache_prefix"] is True
    assert cached.manifest.training["engine"]["prefix_cache"] == stats


def test_the_cache_is_off_with_augmentation_and_can_be_turned_off(fx) -> None:
    cfg = _freeze()
    cfg["augment"] = {"enabled": True}
    augmented = adapt(cfg, progress=False)
    assert augmented.prefix_cache["replayed"] == augmented.prefix_cache["recorded"] == 0
    off = adapt(_freeze(cache_prefix=False), progress=False)
    assert off.prefix_cache is None
