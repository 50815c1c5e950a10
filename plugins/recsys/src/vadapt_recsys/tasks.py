"""The tasks this plugin offers (cheap to build: no data, no torch)."""

from __future__ import annotations

from vadapt import Experience, HeadKind, Modality, Stream, TaskSpec

from vadapt_recsys.config import ColdStartData, NextItemData

# Each task's recipe (TaskSpec.defaults) is the config of its RESULTS.md headline row, as
# scripts/quality.py built it (RESULTS.md repeats each in a ```yaml recipe``` block;
# tests/test_quality_script.py checks the documented command still yields it). Left out:
# train.threads (a machine setting: the runs used 1) and values equal to the defaults'
# None. The rows pinned train.lr, so the recipes do; it survives a `--method` change.
_DATA = {
    "max_users": 200,
    "history_length": 5,
    "train_targets_per_user": 6,
    "train_negatives": 0,
    "validation_users": 60,
    "validation_negatives": 20,
    "profile_genres": 3,
}
_TRAIN = {"epochs": 1, "batch_size": 32, "max_length": 128, "patience": 2}
_METHOD = {"name": "lora", "r": 8}

NEXT_ITEM_RECIPE = {  # RESULTS.md "next-item — run 3" (200 users, popularity word, lr 1e-3)
    "data": {**_DATA, "item_popularity": True},
    "method": _METHOD,
    "train": {**_TRAIN, "lr": 0.001},
}
COLD_START_RECIPE = {  # RESULTS.md "recsys/cold-start" (200 users, lr 5e-4)
    "data": {**_DATA, "item_popularity": False, "cold_fraction": 0.2},
    "method": _METHOD,
    "train": {**_TRAIN, "lr": 0.0005},
}
HEADLINE = ("ndcg@10", "hr@10", "mrr")
"""Kit metrics over the target + sampled negatives; ``ndcg@10`` is the watched one."""
BASELINES = ("majority", "zero-shot")
"""The kit's constant score (random ranking) and un-adapted bi-encoder cosine; the
plugin's own (most-popular, item-knn, genre-profile, full catalogue) come from the hook."""

PERIODS = (  # (name, since, until); users with >= 5 ratings inside the period, in the bundled data
    ("1996-1999", "1996-01-01", "2000-01-01", "203 users, 1,992 films"),
    ("2000-2004", "2000-01-01", "2005-01-01", "174 users, 4,681 films"),
    ("2005-2009", "2005-01-01", "2010-01-01", "152 users, 4,324 films"),
    ("2010-2016", "2010-01-01", "2017-01-01", "199 users, 5,735 films"),
)
NEXT_ITEM_STREAMS = {
    "periods": Stream(
        kind="time",
        experiences=tuple(
            Experience(name, data={"since": since, "until": until}, description=note)
            for name, since, until, note in PERIODS
        ),
        description="MovieLens ratings period by period: each experience is the leave-one-out "
        "task over the interactions of its years only, so users, their histories and the "
        "films they watch move on with time.",
    )
}

NEXT_ITEM = TaskSpec(
    id="recsys/next-item",
    modality=Modality.PAIRS,
    head=HeadKind.RANKING,
    description=(
        "Rank the next movie a user watches: users as the text of their recent history, items as "
        "text (title, year, genres); leave-one-out by time, 100 sampled negatives "
        "(bundled: MovieLens ratings, 671 users, 9,066 movies)"
    ),
    default_backbone="minilm",
    metric="ndcg@10",
    data_model=NextItemData,
    headline=HEADLINE,
    baselines=BASELINES,
    defaults=NEXT_ITEM_RECIPE,
    streams=NEXT_ITEM_STREAMS,
)

COLD_START = TaskSpec(
    id="recsys/cold-start",
    modality=Modality.PAIRS,
    head=HeadKind.RANKING,
    description=(
        "Rank items never seen in training (known by their text only) for users; "
        "the foundation model against ID-based recommenders that cannot score new items"
    ),
    default_backbone="minilm",
    metric="ndcg@10",
    data_model=ColdStartData,
    headline=HEADLINE,
    baselines=BASELINES,
    defaults=COLD_START_RECIPE,
)

TASKS = (NEXT_ITEM, COLD_START)
