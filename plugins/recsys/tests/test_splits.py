"""Leave-one-out and cold-start splits: what is held out, what the examples carry."""

from __future__ import annotations

import copy
from collections import Counter, defaultdict

import pytest
from vadapt import InvalidConfig
from vadapt_recsys.catalogue import Catalogue
from vadapt_recsys.config import ColdStartData, NextItemData
from vadapt_recsys.data import cold_start_splits, next_item_splits


def by_time(rows):
    seqs = defaultdict(list)
    for u, i, _, _t in sorted(rows, key=lambda r: r[3]):
        seqs[str(u)].append(str(i))
    return seqs


def test_leave_one_out_holds_out_each_users_last_two_by_time(ml100k, files):
    splits = next_item_splits(NextItemData(**ml100k, negatives=10, history_length=3))
    seqs = by_time(files.interactions())
    assert len(splits.test) == len(splits.validation) == 24
    for ex in splits.test:
        seq = seqs[ex["user"]]
        assert ex["item"] == seq[-1]
        assert ex["history_items"] == seq[-4:-1][::-1]  # newest first, 3 items
        assert ex["seen"] == seq[:-1]
        assert ex["candidates"][ex["positive"]] == ex["catalogue"].text_of(seq[-1])
        assert len(ex["candidates"]) == 11 and len(set(ex["candidate_items"])) == 11
        assert not set(ex["candidate_items"]) - {seq[-1]} & set(seq), "a negative the user saw"
    for ex in splits.validation:
        assert ex["item"] == seqs[ex["user"]][-2]
    for ex in splits.train:
        seq = seqs[ex["user"]]
        t = len(seq) - 1 - seq[::-1].index(ex["item"])
        assert t < len(seq) - 2, "a training target leaks the validation or test item"
        assert ex["history_items"] == seq[max(0, t - 3) : t][::-1]
        assert len(ex["candidates"]) == 1 and ex["positive"] == 0 and "catalogue" not in ex


def test_examples_are_ranking_shaped_and_the_positive_moves(ml100k):
    splits = next_item_splits(NextItemData(**ml100k, negatives=10))
    assert len({ex["positive"] for ex in splits.test}) > 3
    q = splits.test[0]["query"]
    assert q.startswith("Likes: ") and ". Recently watched: " in q
    assert splits.info["users"] == 24 and splits.info["items"] == 30
    assert "leave-one-out" in splits.info["protocol"] and splits.info["synthetic"] is False


def test_splits_are_reproducible_and_the_seed_matters(ml100k):
    a = next_item_splits(NextItemData(**ml100k, negatives=10))
    b = next_item_splits(NextItemData(**ml100k, negatives=10))
    c = next_item_splits(NextItemData(**ml100k, negatives=10, seed=1))
    strip = lambda s: [{k: v for k, v in ex.items() if k != "catalogue"} for ex in s.test]  # noqa: E731
    assert strip(a) == strip(b) and strip(a) != strip(c)


def test_time_ties_keep_file_order(tmp_path, files):
    rows = [(1, i, 3, 100) for i in (5, 3, 9, 1)] + [(2, i, 3, 50 + i) for i in (1, 2, 3, 4)]
    inter, item = files.atomic(tmp_path, rows)
    splits = next_item_splits(
        NextItemData(interactions=str(inter), items=str(item), min_interactions=4, negatives=3)
    )
    test = {ex["user"]: ex["item"] for ex in splits.test}
    assert test == {"1": "1", "2": "4"}


def test_max_users_and_validation_cap_subsample_reproducibly(ml100k):
    cfg = NextItemData(
        **ml100k, max_users=10, validation_users=4, negatives=5, validation_negatives=2
    )
    s = next_item_splits(cfg)
    assert len(s.test) == 10 and len(s.validation) == 4
    assert {len(e["candidates"]) for e in s.test} == {6} and {
        len(e["candidates"]) for e in s.validation
    } == {3}
    assert {ex["user"] for ex in s.validation} <= {ex["user"] for ex in s.test}


def test_too_few_interactions_is_a_clear_error(tmp_path, files):
    inter, item = files.atomic(tmp_path, [(1, 1, 3, 1), (1, 2, 3, 2)])
    with pytest.raises(InvalidConfig, match="no user has at least 5 interactions"):
        next_item_splits(NextItemData(interactions=str(inter), items=str(item)))


def test_a_period_keeps_only_its_interactions(tmp_path, files):
    from recsys_testdata import spread_over

    starts = ["1998-01-01", "2008-01-01"]
    inter, item = files.atomic(tmp_path, spread_over(files.interactions(), starts))
    paths = {"interactions": str(inter), "items": str(item), "negatives": 5}
    whole = next_item_splits(NextItemData(**paths))
    first = next_item_splits(NextItemData(**paths, until="2000-01-01"))
    second = next_item_splits(NextItemData(**paths, since="2008-01-01", until="2009-01-01"))
    odd = {str(u) for u in range(1, 25, 2)}  # user u lands in period (u - 1) % 2
    assert {ex["user"] for ex in first.test} == odd
    assert {ex["user"] for ex in second.test} == {str(u) for u in range(2, 25, 2)}
    assert len(whole.test) == 24 and first.info["period"] == "before 2000-01-01"
    with pytest.raises(
        InvalidConfig, match="no interactions in the period 2001-01-01 to 2002-01-01"
    ):
        next_item_splits(NextItemData(**paths, since="2001-01-01", until="2002-01-01"))
    with pytest.raises(InvalidConfig, match=r"is not before data\.until"):
        next_item_splits(NextItemData(**paths, since="2009-01-01", until="2008-01-01"))
    with pytest.raises(InvalidConfig, match=r"data\.since 'soon' is not an ISO date"):
        next_item_splits(NextItemData(**paths, since="soon"))


def test_catalogue_is_shared_not_copied():
    cat = Catalogue("c", ("1",), ("a",), {}, {})
    ex = {"catalogue": cat}
    assert copy.deepcopy(ex)["catalogue"] is cat and copy.copy(cat) is cat
    assert "items=1" in repr(cat)


def test_cold_start_items_never_reach_training(atomic):
    cfg = ColdStartData(**atomic, cold_fraction=0.4, negatives=5, cold_min_users=2)
    splits = cold_start_splits(cfg)
    val_items = set(splits.validation[0]["catalogue"].item_ids)
    test_items = set(splits.test[0]["catalogue"].item_ids)
    assert val_items and test_items and not val_items & test_items
    cold = val_items | test_items
    assert len(cold) == 12  # 40% of 30 eligible items
    texts = {splits.test[0]["catalogue"].text_of(i) for i in cold}
    for ex in splits.train:
        assert ex["item"] not in cold and not set(ex["history_items"]) & cold
        assert not set(ex["candidates"]) & texts
    for ex in splits.test:
        assert ex["item"] in test_items and set(ex["candidate_items"]) <= test_items
    for ex in splits.validation:
        assert ex["item"] in val_items and set(ex["candidate_items"]) <= val_items
    pop = splits.test[0]["catalogue"].popularity
    assert all(pop.get(i, 0) == 0 for i in cold)
    assert "held out of training" in splits.info["protocol"]


def test_cold_start_negatives_are_capped_by_the_held_out_pool(atomic):
    splits = cold_start_splits(ColdStartData(**atomic, cold_fraction=0.2, negatives=100))
    for ex in splits.test:
        assert len(ex["candidates"]) <= 3 and ex["candidate_items"][ex["positive"]] == ex["item"]


def test_user_text_has_favourite_genres_and_items_may_carry_popularity(ml100k):
    plain = next_item_splits(NextItemData(**ml100k, negatives=5, profile_genres=2))
    ex = plain.test[0]
    cat = ex["catalogue"]
    counts = Counter(g for i in ex["seen"] for g in cat.item_genres[i])
    assert ex["profile"] == [
        g for g, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
    ]
    assert ex["query"].startswith(
        f"Likes: {ex['profile'][0]}, {ex['profile'][1]}. Recently watched: "
    )
    tagged = next_item_splits(NextItemData(**ml100k, negatives=5, item_popularity=True))
    top = max(cat.popularity, key=lambda i: (cat.popularity[i], i))
    assert tagged.test[0]["catalogue"].text_of(top).endswith(" | very popular")  # top 10% of 30
    assert not any(t.endswith("popular") or "blockbuster" in t for t in cat.texts)
    bare = next_item_splits(NextItemData(**ml100k, negatives=5, profile_genres=0))
    assert bare.test[0]["query"].startswith("Recently watched: ")
