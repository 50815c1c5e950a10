# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Tokenisation once per split: packed ids, vectorised padding, a disk cache keyed by
texts + tokenizer + max_length."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import REVIEWS, base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt.engine import adapt
from vadapt.engine.data.tokens import TokenCache, tokenize

TEXTS = [*REVIEWS, ""]  # and an empty one


@pytest.fixture
def tok(tiny_bert_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_bert_dir))


@pytest.mark.parametrize("side", ["right", "left"])
def test_packed_batches_equal_the_tokenizers_own_padding(tok, side: str) -> None:
    tok.padding_side = side
    tokens = tokenize(tok, TEXTS, max_length=12)
    cache = TokenCache(tok, 12, None)
    for rows in ([0, 1, 2, 3, 4], [3, 0], [2], [1, 1, 4]):
        ids, mask = tokens.batch(rows, cache.pad_id, cache.left)
        want = tok(
            [TEXTS[i] for i in rows],
            padding=True,
            truncation=True,
            max_length=12,
            return_tensors="pt",
        )
        assert torch.equal(ids, want["input_ids"]), rows
        assert torch.equal(mask, want["attention_mask"]), rows
    assert tokens.lengths.max() == 12  # truncated like the tokenizer


def test_the_cache_is_reused_and_invalidated_by_data_tokenizer_or_max_length(
    tok, tmp_path: Path
) -> None:
    def hits(cache: TokenCache, texts=TEXTS) -> dict[str, int]:
        cache.get(texts)
        return {k: v for k, v in cache.hits.items() if v}

    first = TokenCache(tok, 16, tmp_path)
    assert hits(first) == {"tokenized": 1}
    assert hits(first) == {"tokenized": 1, "memory": 1}
    assert hits(TokenCache(tok, 16, tmp_path)) == {"disk": 1}  # a second run
    assert hits(TokenCache(tok, 8, tmp_path)) == {"tokenized": 1}  # max_length changed
    assert hits(TokenCache(tok, 16, tmp_path), TEXTS[:-1]) == {"tokenized": 1}  # data changed
    assert hits(TokenCache(tok, 16, tmp_path), [*TEXTS[:-1], "x"]) == {"tokenized": 1}
    tok.add_tokens(["crackers"])  # the tokenizer changed: "crackers" is now one token
    changed = TokenCache(tok, 16, tmp_path)
    assert hits(changed) == {"tokenized": 1}
    assert changed.get(TEXTS).lengths[1] < first.get(TEXTS).lengths[1]
    assert len(list(tmp_path.glob("*.npz"))) == 5


def test_a_damaged_cache_file_is_made_again(tok, tmp_path: Path) -> None:
    want = TokenCache(tok, 16, tmp_path).get(TEXTS)
    (entry,) = tmp_path.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:40])
    again = TokenCache(tok, 16, tmp_path)
    got = again.get(TEXTS)
    assert again.hits["tokenized"] == 1
    assert np.array_equal(got.ids, want.ids) and np.array_equal(got.offsets, want.offsets)
    assert TokenCache(tok, 16, tmp_path).get(TEXTS) is not None  # rewritten: now a disk hit


def test_requests_are_not_cached(tok, tmp_path: Path) -> None:
    cache = TokenCache(tok, 16, tmp_path)
    cache.get(TEXTS, store=False)
    assert not list(tmp_path.iterdir()) and not any(cache.hits.values())


def test_a_second_run_reads_every_split_from_the_cache(fx) -> None:
    first = adapt(base_config(), progress=False)  # two epochs: validation twice
    assert first.context.collator.tokens.hits == {"memory": 1, "disk": 0, "tokenized": 3}
    cached = Path(fx.root).parent / "cache" / "vadapt" / "tokens"
    assert len(list(cached.glob("*.npz"))) == 3
    second = adapt(base_config(), progress=False)
    assert second.context.collator.tokens.hits == {"memory": 1, "disk": 3, "tokenized": 0}
    assert second.metrics["test"] == first.metrics["test"]
    third = adapt(base_config(max_steps=2, max_length=20), progress=False)
    assert third.context.collator.tokens.hits["tokenized"] == 3
    off = adapt(base_config(max_steps=2, max_length=16, token_cache=False), progress=False)
    assert off.context.collator.tokens.hits["disk"] == 0
    assert len(list(cached.glob("*.npz"))) == 6


def test_bf16_batches_are_padded_to_a_multiple_of_eight(tok) -> None:
    tokens = tokenize(tok, TEXTS, max_length=32)
    ids, mask = tokens.batch([0, 1, 2], pad_id=0, multiple=8)
    assert ids.shape[1] % 8 == 0 and ids.shape[1] - 8 < tokens.lengths[[0, 1, 2]].max()
    assert mask.sum(1).tolist() == tokens.lengths[[0, 1, 2]].tolist()
    assert (ids[mask == 0] == 0).all()
