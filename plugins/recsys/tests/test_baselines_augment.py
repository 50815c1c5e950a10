"""Baselines on tiny structured data, and history augmentation."""

from __future__ import annotations

import numpy as np
import pytest
from vadapt import InvalidConfig
from vadapt.kit import Predictions, score
from vadapt.kit.baselines import majority, zero_shot
from vadapt_recsys.augmentation import augment_examples, augment_history
from vadapt_recsys.baseline_models import FULL, ItemKNN, all_baselines
from vadapt_recsys.config import ColdStartData, NextItemData
from vadapt_recsys.data import cold_start_splits, next_item_splits
from vadapt_recsys.metrics import sampled_metrics
from vadapt_recsys.tasks import COLD_START, NEXT_ITEM


def test_item_knn_scores_co_watched_items_above_others():
    knn = ItemKNN({"a": ("1", "2", "3"), "b": ("1", "2"), "c": ("4", "5"), "d": ("4", "5", "6")})
    s = knn({"seen": ["1"]}, ["2", "3", "4", "9"])
    assert s[0] > s[1] > 0 and s[2] == 0 and s[3] == 0


def scored(task, splits, preds):
    """A baseline's Predictions on test, scored as the core does: kit + evaluate hook."""
    refs = np.array([e["positive"] for e in splits.test])
    return {**score(task, preds.test, refs, ()), **sampled_metrics(preds.test, splits.test, refs)}


def test_next_item_baselines_are_predictions_plus_full_catalogue_entries(ml100k):
    splits = next_item_splits(NextItemData(**ml100k, negatives=10))
    calls = []

    def encode(texts):
        calls.append(len(texts))
        rng = np.random.default_rng(len(texts))
        x = rng.normal(size=(len(texts), 8))
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    out = all_baselines(splits, encode)
    own = ("most-popular", "item-knn", "genre-profile")
    assert set(out) == {*own, *(n + FULL for n in (*own, "zero-shot"))}
    assert sum(calls) == len(splits.test[0]["catalogue"]) + len(splits.test)
    for name in own:
        preds = out[name]
        assert isinstance(preds, Predictions) and len(preds.validation) == len(splits.validation)
        assert [len(p) for p in preds.test] == [len(e["candidates"]) for e in splits.test]
        m = scored(NEXT_ITEM, splits, preds)
        assert {"ndcg@10", "hr@10", "mrr", "recsys.coverage@10"} <= set(m)
        assert all(0.0 <= v <= 1.0 for v in m.values())
    full = {n: m for n, m in out.items() if n.endswith(FULL)}
    for metrics in full.values():
        assert {"recsys.full.ndcg@10", "recsys.full.mrr", "recsys.full.coverage@10"} <= set(metrics)
    # the taste groups are real structure: co-occurrence beats random vectors
    knn, rand = full["item-knn.full"], full["zero-shot.full"]
    assert knn["recsys.full.ndcg@10"] > rand["recsys.full.ndcg@10"]
    pop = {k: v["recsys.full.popularity@10"] for k, v in full.items()}
    assert pop["most-popular.full"] == max(pop.values()) and pop["most-popular.full"] > 0.6


def test_cold_start_id_baselines_are_exactly_random(atomic):
    splits = cold_start_splits(ColdStartData(**atomic, cold_fraction=0.6, negatives=5))
    out = all_baselines(splits, None)
    n = len(splits.test[0]["catalogue"])
    random = majority(COLD_START, splits, ())
    for name in ("most-popular", "item-knn"):
        m = scored(COLD_START, splits, out[name])
        expected = np.mean(
            [min(10, len(e["candidates"])) / len(e["candidates"]) for e in splits.test]
        )
        assert m["hr@10"] == pytest.approx(expected)
        assert m["ndcg@10"] == pytest.approx(scored(COLD_START, splits, random)["ndcg@10"])
        assert out[name + FULL]["recsys.full.hr@10"] == pytest.approx(min(10, n) / n, abs=0.2)
    assert "zero-shot" + FULL not in out


def train_example():
    hist = [f"m{i}" for i in range(8)]
    return {
        "query": "q", "candidates": ["pos"], "positive": 0, "user": "1", "item": "x",
        "candidate_items": ["x"], "history_items": [str(i) for i in range(8)], "history": hist,
    }  # fmt: skip


def test_augment_keeps_target_and_is_seeded():
    examples = [train_example() for _ in range(50)]
    cfg = {"options": {"crop": 0.5, "mask": 0.5, "reorder": 0.5}}
    a = augment_examples(examples, np.random.default_rng(3), cfg)
    b = augment_examples(examples, np.random.default_rng(3), cfg)
    assert a == b and examples[0]["history"][0] == "m0"
    assert any(e["query"] != examples[0]["query"] for e in a)
    for e in a:
        assert e["candidates"] == ["pos"] and e["positive"] == 0 and e.keys() == examples[0].keys()
        assert e["query"].startswith("Recently watched: ") and len(e["history"]) == len(
            e["history_items"]
        )


def test_each_operation_does_what_it_says():
    texts, ids = [f"m{i}" for i in range(10)], [str(i) for i in range(10)]

    def only(**kw):
        return {
            "crop": 0.0,
            "mask": 0.0,
            "reorder": 0.0,
            "crop_ratio": 0.5,
            "mask_ratio": 0.3,
            "reorder_ratio": 0.4,
            "mask_token": "[MASK]",
            **kw,
        }

    rng = np.random.default_rng(0)
    cropped, _ = augment_history(texts, ids, rng, only(crop=1.0))
    start = texts.index(cropped[0])
    assert cropped == texts[start : start + 5]
    masked, mids = augment_history(texts, ids, rng, only(mask=1.0))
    assert masked.count("[MASK]") == 3 and mids.count("") == 3
    shuffled, _ = augment_history(texts, ids, rng, only(reorder=1.0))
    assert sorted(shuffled) == sorted(texts)
    moved = [i for i, (a, b) in enumerate(zip(shuffled, texts, strict=True)) if a != b]
    assert not moved or moved[-1] - moved[0] < 4  # within one window of 4
    same, _ = augment_history(texts, ids, rng, only())
    assert same == texts


def test_bad_augment_option_is_a_config_error():
    with pytest.raises(InvalidConfig, match=r"augment.options.mask = 2"):
        augment_examples([train_example()], np.random.default_rng(0), {"options": {"mask": 2}})


def test_the_kits_zero_shot_is_the_frozen_bi_encoder_cosine(ml100k):
    splits = next_item_splits(NextItemData(**ml100k, negatives=10))

    def encode(texts):
        x = np.array([[len(t), sum(map(ord, t)) % 97, 1.0] for t in texts])
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    preds = zero_shot(NEXT_ITEM, splits, (), encode)
    for e, s in zip(splits.test, preds.test, strict=True):
        assert s == pytest.approx(encode(e["candidates"]) @ encode([e["query"]])[0])
