"""Ranking metrics against hand-computed values, ties, coverage, popularity, full ranking."""

from __future__ import annotations

import math

import numpy as np
import pytest
from vadapt_recsys.catalogue import Catalogue
from vadapt_recsys.config import NextItemData
from vadapt_recsys.data import next_item_splits
from vadapt_recsys.full import cosine_scorer, full_ranking
from vadapt_recsys.metrics import expected_position_metrics, sampled_metrics


def ex(items, pos, cat=None):
    out = {"candidates": [f"t{i}" for i in items], "candidate_items": list(items), "positive": pos}
    if cat is not None:
        out["catalogue"] = cat
    return out


def test_hand_computed_rank_three():
    hit, ndcg, rr = expected_position_metrics(greater=2, ties=0, k=10)
    assert (hit, ndcg, rr) == (1.0, pytest.approx(1 / math.log2(4)), pytest.approx(1 / 3))
    assert expected_position_metrics(10, 0, 10)[:2] == (0.0, 0.0)


def test_constant_scores_get_the_random_expectation_not_a_lucky_rank():
    examples = [ex([str(j) for j in range(101)], 37)]
    m = sampled_metrics([np.zeros(101)], examples)
    assert m["recsys.hr@10"] == pytest.approx(10 / 101)
    assert m["recsys.mrr"] == pytest.approx(sum(1 / r for r in range(1, 102)) / 101)


def test_perfect_and_worst_scorers():
    items = [str(j) for j in range(20)]
    examples = [ex(items, 4), ex(items, 9)]
    perfect = [np.eye(20)[4], np.eye(20)[9]]
    m = sampled_metrics(perfect, examples)
    assert m["recsys.hr@10"] == m["recsys.ndcg@10"] == m["recsys.mrr"] == 1.0
    worst = [-np.eye(20)[4], -np.eye(20)[9]]
    m = sampled_metrics(worst, examples)
    assert m["recsys.hr@10"] == 0.0 and m["recsys.mrr"] == pytest.approx(1 / 20)


def test_references_override_example_positive():
    items = [str(j) for j in range(5)]
    m = sampled_metrics([np.array([0, 0, 0, 1.0, 0])], [ex(items, 0)], references=np.array([3]))
    assert m["recsys.mrr"] == 1.0


def test_coverage_and_popularity_bias_of_the_top_k():
    ids = tuple(str(j) for j in range(12))
    pop = {str(j): j for j in range(12)}  # item 11 most popular
    cat = Catalogue("c", ids, tuple(f"t{i}" for i in ids), pop, {})
    by_pop = [np.arange(12.0), np.arange(12.0)]
    m = sampled_metrics(by_pop, [ex(ids, 0, cat), ex(ids, 1, cat)])
    assert m["recsys.coverage@10"] == pytest.approx(10 / 12)
    assert m["recsys.popularity@10"] == pytest.approx(np.mean([j / 11 for j in range(2, 12)]))
    anti = [-np.arange(12.0)] * 2
    assert sampled_metrics(anti, [ex(ids, 0, cat), ex(ids, 1, cat)])["recsys.popularity@10"] < 0.5


def test_full_ranking_masks_history_but_never_the_target(ml100k):
    splits = next_item_splits(NextItemData(**ml100k, negatives=5))
    cat = splits.test[0]["catalogue"]

    def cheat(examples, catalogue):
        """Scores the user's history highest and the target just below."""
        for e in examples:
            s = np.zeros(len(catalogue))
            s[catalogue.mask(e["seen"])] = 10.0
            s[catalogue.index[e["item"]]] = 5.0
            yield s

    m = full_ranking(cheat, splits.test)
    assert m["recsys.full.hr@10"] == 1.0 and m["recsys.full.mrr"] == 1.0
    assert m["recsys.full.coverage@10"] <= 1.0 and len(cat) == 30


def test_cosine_scorer_on_identical_texts_finds_the_target(ml100k):
    splits = next_item_splits(NextItemData(**ml100k, negatives=5))
    target_text = {e["query"]: e["catalogue"].text_of(e["item"]) for e in splits.test}

    vocab = {t: n for n, t in enumerate(splits.test[0]["catalogue"].texts)}

    def encode(texts):
        out = np.full((len(texts), len(vocab)), 0.01)
        for n, t in enumerate(texts):
            out[n, vocab[target_text.get(t, t)]] = 1.0  # a user "looks like" their next item
        return out

    m = full_ranking(cosine_scorer(encode), splits.test)
    assert m["recsys.full.hr@10"] == 1.0
