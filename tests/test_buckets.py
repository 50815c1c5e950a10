# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Length-grouped batches (``train.group_by_length``): less padding, same examples, seeded."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, fx, tiny_bert_dir  # noqa: F401
from vadapt import InvalidConfig
from vadapt.engine import adapt
from vadapt.engine.data.buckets import LengthGroupedBatches

_R = random.Random(0)
LENGTHS = [_R.randint(5, 128) for _ in range(1000)]


def batches(seed: int, lengths=LENGTHS, bs: int = 16, mega: int = 8) -> list[list[int]]:
    g = torch.Generator()
    g.manual_seed(seed)
    return list(LengthGroupedBatches(lengths, bs, g, mega=mega))


def padded_tokens(bs_list: list[list[int]], lengths=LENGTHS) -> int:
    return sum(max(lengths[i] for i in b) * len(b) for b in bs_list)


def test_every_example_once_per_epoch_in_len_batches() -> None:
    got = batches(0)
    assert sorted(i for b in got for i in b) == list(range(len(LENGTHS)))
    g = torch.Generator()
    assert len(got) == len(LengthGroupedBatches(LENGTHS, 16, g, mega=8)) == 63  # 7x128 + 104
    assert sorted(len(b) for b in got) == [8] + [16] * 62  # only the last mega-batch's tail


def test_seeded_shuffle_and_less_padding_than_random_batches() -> None:
    assert batches(0) == batches(0) and batches(0) != batches(1)
    perm = torch.randperm(len(LENGTHS), generator=torch.Generator().manual_seed(0)).tolist()
    plain = [perm[i : i + 16] for i in range(0, len(perm), 16)]
    assert padded_tokens(batches(0)) < 0.7 * padded_tokens(plain)
    # batch order is shuffled, not longest-first across the epoch
    firsts = [max(LENGTHS[i] for i in b) for b in batches(0)]
    assert firsts != sorted(firsts, reverse=True)


def test_grouped_training_matches_plain_training_on_a_tiny_task(fx) -> None:
    """The same data and steps, batched differently: metrics within 0.15 accuracy (48
    training sentences, 16 test; the tiny task is learnt either way)."""
    plain = adapt(base_config(epochs=3), progress=False)
    cfg = base_config(epochs=3, group_by_length=True)
    cfg["output"]["name"] = "grouped"
    grouped = adapt(cfg, progress=False)
    assert grouped.steps == plain.steps
    a, b = plain.metrics["test"]["accuracy"], grouped.metrics["test"]["accuracy"]
    assert abs(a - b) <= 0.15, (a, b)
    assert grouped.manifest.training["config"]["train"]["group_by_length"] is True


def test_grouping_a_ranking_task_is_refused_in_one_line(fx) -> None:
    with pytest.raises(InvalidConfig, match=r"group_by_length .* not single texts"):
        adapt(base_config("fx/rank", group_by_length=True, max_steps=1), progress=False)


def test_inference_batches_by_length_and_answers_in_input_order(fx) -> None:
    """predict/evaluate sort texts by length before batching; every answer still belongs
    to its own input (compared with one-at-a-time predictions, which pad nothing)."""
    from vadapt.engine import predict
    from vadapt.engine.evaluate import _length_order
    from vadapt.types import HeadKind

    res = adapt(base_config(max_steps=4), progress=False)
    words = "great food was really fresh and the box"
    inputs = [{"text": " ".join(words.split()[: 1 + (7 * i) % 8])} for i in range(20)]
    tokens = res.context.collator.tokenized(inputs, store=False)
    order = _length_order(HeadKind.CLASSIFICATION, inputs, tokens)
    assert list(order) != list(range(20))  # really reordered
    assert list(tokens.lengths[order]) == sorted(tokens.lengths)
    together = predict(res.ref, inputs)
    alone = [predict(res.ref, [x])[0] for x in inputs]
    for a, b in zip(together, alone, strict=True):
        assert a["label"] == b["label"]
        assert all(abs(a["scores"][k] - b["scores"][k]) < 1e-4 for k in a["scores"])
    assert list(_length_order(HeadKind.RANKING, inputs, tokens)) == list(range(20))
    assert list(_length_order(HeadKind.CLASSIFICATION, inputs[:3], None)) == [0, 1, 2]
