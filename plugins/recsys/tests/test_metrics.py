"""Ranking metrics: the kit's against the old rule, coverage, popularity, full ranking."""

from __future__ import annotations

import math

import numpy as np
import pytest
import vadapt_recsys
from vadapt.kit import score
from vadapt.kit.scoring import expected_rank_metrics
from vadapt_recsys.catalogue import Catalogue
from vadapt_recsys.config import NextItemData
from vadapt_recsys.data import next_item_splits
from vadapt_recsys.full import cosine_scorer, full_ranking
from vadapt_recsys.metrics import sampled_metrics
from vadapt_recsys.tasks import NEXT_ITEM


def ex(items, pos, cat=None):
    out = {"candidates": [f"t{i}" for i in items], "candidate_items": list(items), "positive": pos}
    if cat is not None:
        out["catalogue"] = cat
    return out


# Fixed score arrays (ties, a constant list, a perfect and a worst one) and what the
# plugin's own tie-aware rule (expected_position_metrics, deleted when the kit took it
# over) gave on them: the kit's ranking score must give the same numbers.
FIXED = [
    [0.9, 0.1, 0.5, 0.3],
    [0.2, 0.2, 0.2, 0.7, 0.2],
    [0.0] * 12,
    [1, 2, 2, 2, 0, 3, 2, 1, 2, 2, 2, 2, 2, 0],
    [-1.0, 0.5, 0.25, 0.5, 0.5, -2.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.1, 0.5],
    list(np.linspace(1, 0, 25)),
    [3.0, 1.0, 2.0],
]
FIXED_POSITIVES = [2, 0, 5, 3, 1, 20, 1]
OLD_PLUGIN_VALUES = {  # (hit@k, ndcg@k) per k; mrr does not depend on k
    "mrr": 0.2810876050757003,
    "hr@1": 0.02619047619047619,
    "ndcg@1": 0.02619047619047619,
    "hr@5": 0.6230158730158729,
    "ndcg@5": 0.3392986899151133,
    "hr@10": 0.8333333333333334,
    "ndcg@10": 0.4063941753262835,
}


def kit(scores, positives):
    return score(NEXT_ITEM, [np.asarray(s, dtype=float) for s in scores], np.array(positives), ())


def test_kit_ranking_equals_the_old_plugin_rule_on_fixed_arrays():
    m = kit(FIXED, FIXED_POSITIVES)
    assert set(m) == set(OLD_PLUGIN_VALUES)
    for name, value in OLD_PLUGIN_VALUES.items():
        assert m[name] == pytest.approx(value, abs=1e-12), name


def test_hand_computed_rank_three():
    m = expected_rank_metrics(greater=2, ties=0, ks=(10,))
    assert (m["hr@10"], m["ndcg@10"], m["mrr"]) == (
        1.0,
        pytest.approx(1 / math.log2(4)),
        pytest.approx(1 / 3),
    )


def test_constant_scores_get_the_random_expectation_not_a_lucky_rank():
    m = kit([np.zeros(101)], [37])
    assert m["hr@10"] == pytest.approx(10 / 101)
    assert m["mrr"] == pytest.approx(sum(1 / r for r in range(1, 102)) / 101)


def test_evaluate_adds_only_recsys_keys_beside_the_kit():
    items = [str(j) for j in range(20)]
    examples = [ex(items, 4), ex(items, 9)]
    perfect = [np.eye(20)[4], np.eye(20)[9]]
    m = vadapt_recsys.evaluate(predictions=perfect, references=np.array([4, 9]), examples=examples)
    assert set(m) == {"recsys.coverage@10"}  # no catalogue: no popularity; no kit key
    assert kit(perfect, [4, 9])["ndcg@10"] == 1.0


def test_references_override_example_positive():
    items = [str(j) for j in range(5)]
    top = sampled_metrics([np.array([0, 0, 0, 1.0, 0])], [ex(items, 0)], references=np.array([3]))
    assert top == {"recsys.coverage@10": 1.0}


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
    assert {"recsys.full.ndcg@10", "recsys.full.popularity@10"} <= set(m)
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
