"""Tiny recommender files in the layouts users point at (tests write them under tmp_path).

MovieLens-100K (``u.data``/``u.item``), RecBole atomic (``.inter``/``.item``) and
a header CSV. The data is small but structured: three taste groups (sci-fi,
romance, crime), each user mostly watching one group, so ranking code has
something real to find. vadapt's pytest plugin (``vadapt.testing``) is
auto-loaded through its ``pytest11`` entry point.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# (title with year as MovieLens-100K writes it, genres) — three taste groups of ten.
MOVIES = [
    ("Star Wars (1977)", "Action|Adventure|Romance|Sci-Fi|War"),
    ("Contact (1997)", "Drama|Sci-Fi"),
    ("Return of the Jedi (1983)", "Action|Adventure|Romance|Sci-Fi|War"),
    ("Alien (1979)", "Action|Horror|Sci-Fi|Thriller"),
    ("Terminator, The (1984)", "Action|Sci-Fi|Thriller"),
    ("Blade Runner (1982)", "Film-Noir|Sci-Fi"),
    ("Independence Day (ID4) (1996)", "Action|Sci-Fi|War"),
    ("Men in Black (1997)", "Action|Adventure|Comedy|Sci-Fi"),
    ("Aliens (1986)", "Action|Sci-Fi|Thriller|War"),
    ("Twelve Monkeys (1995)", "Drama|Sci-Fi"),
    ("Sleepless in Seattle (1993)", "Comedy|Romance"),
    ("While You Were Sleeping (1995)", "Comedy|Romance"),
    ("Pretty Woman (1990)", "Comedy|Romance"),
    ("Sense and Sensibility (1995)", "Drama|Romance"),
    ("Emma (1996)", "Drama|Romance"),
    ("Four Weddings and a Funeral (1994)", "Comedy|Romance"),
    ("Much Ado About Nothing (1993)", "Comedy|Romance"),
    ("Misérables, Les (1995)", "Drama|Musical"),
    ("Truth About Cats & Dogs, The (1996)", "Comedy|Romance"),
    ("Piano, The (1993)", "Drama|Romance"),
    ("Pulp Fiction (1994)", "Crime|Drama"),
    ("Godfather, The (1972)", "Action|Crime|Drama"),
    ("Fargo (1996)", "Crime|Drama|Thriller"),
    ("Usual Suspects, The (1995)", "Crime|Thriller"),
    ("Reservoir Dogs (1992)", "Crime|Thriller"),
    ("Heat (1995)", "Action|Crime|Thriller"),
    ("Seven (Se7en) (1995)", "Crime|Thriller"),
    ("GoodFellas (1990)", "Crime|Drama"),
    ("L.A. Confidential (1997)", "Crime|Film-Noir|Mystery|Thriller"),
    ("Casino (1995)", "Crime|Drama"),
]
GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
T0 = 880_000_000


def interactions(
    n_users: int = 24, per_user: int = 9, seed: int = 0
) -> list[tuple[int, int, int, int]]:
    """(user, item, rating, time) rows, users 1.., items 1..30; 80% in the user's group."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(1, n_users + 1):
        group = (u - 1) % 3
        own = list(range(group * 10 + 1, group * 10 + 11))
        other = [i for i in range(1, 31) if i not in own]
        n_own = min(len(own), round(per_user * 0.8))
        items = list(rng.permutation(own)[:n_own]) + list(
            rng.permutation(other)[: per_user - n_own]
        )
        items = [int(i) for i in rng.permutation(items)]
        for k, item in enumerate(items):
            rows.append((u, item, int(rng.integers(1, 6)), T0 + 1000 * u + 10 * k))
    return rows


def spread_over(
    rows: list[tuple[int, int, int, int]], starts: list[str]
) -> list[tuple[int, int, int, int]]:
    """The rows with user u's interactions moved to period ``(u - 1) % len(starts)``,
    each period starting at an ISO date: data for a time stream."""
    from datetime import datetime

    t0s = [int(datetime.fromisoformat(s).timestamp()) for s in starts]
    return [(u, i, r, t - T0 + t0s[(u - 1) % len(t0s)]) for u, i, r, t in rows]


def write_ml100k(
    folder: Path, rows: list[tuple[int, int, int, int]] | None = None
) -> tuple[Path, Path]:
    rows = interactions() if rows is None else rows
    data = folder / "u.data"
    shuffled = list(rows)
    np.random.default_rng(1).shuffle(shuffled)  # u.data is not in time order
    data.write_text("".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in shuffled))
    lines = []
    for n, (title, genres) in enumerate(MOVIES, start=1):
        flags = ["1" if g in genres.split("|") else "0" for g in GENRES]
        year = title[-5:-1]
        url = "http://us.imdb.com/M/title-exact?" + title.replace(" ", "%20")
        lines.append("|".join([str(n), title, f"01-Jan-{year}", "", url, *flags]))
    item = folder / "u.item"
    item.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return data, item


def write_atomic(
    folder: Path, rows: list[tuple[int, int, int, int]] | None = None, name: str = "ml-tiny"
) -> tuple[Path, Path]:
    rows = interactions() if rows is None else rows
    inter = folder / f"{name}.inter"
    body = "".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in rows)
    inter.write_text("user_id:token\titem_id:token\trating:float\ttimestamp:float\n" + body)
    item = folder / f"{name}.item"
    lines = ["item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq"]
    for n, (title, genres) in enumerate(MOVIES, start=1):
        lines.append(f"{n}\t{title[:-7]}\t{title[-5:-1]}\t{genres.replace('|', ' ')}")
    item.write_text("\n".join(lines) + "\n")
    return inter, item


def write_csv(
    folder: Path, rows: list[tuple[int, int, int, int]] | None = None
) -> tuple[Path, Path]:
    """Custom column names (uid, sku, when as ISO dates) to exercise the column mapping."""
    from datetime import UTC, datetime

    rows = interactions() if rows is None else rows
    inter = folder / "events.csv"
    lines = ["uid,sku,stars,when"]
    for u, i, r, t in rows:
        lines.append(f"{u},{i},{r},{datetime.fromtimestamp(t, UTC).isoformat()}")
    inter.write_text("\n".join(lines) + "\n")
    items = folder / "movies.csv"
    out = ["movieId,title,genres"]
    for n, (title, genres) in enumerate(MOVIES, start=1):
        out.append(f'{n},"{title}",{genres}')
    items.write_text("\n".join(out) + "\n")
    return inter, items
