"""The tasks this plugin offers (cheap to build: no data, no torch)."""

from __future__ import annotations

from vadapt import HeadKind, Modality, TaskSpec

from vadapt_recsys.config import ColdStartData, NextItemData

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
    metric="recsys.ndcg@10",
    metric_mode="max",
    data_model=NextItemData,
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
    metric="recsys.ndcg@10",
    metric_mode="max",
    data_model=ColdStartData,
)

TASKS = (NEXT_ITEM, COLD_START)
TASK_IDS = frozenset(t.id for t in TASKS)
