"""Reading the file layouts recommender data ships in, and rejecting bad rows clearly."""

from __future__ import annotations

import pytest
from vadapt import InvalidConfig
from vadapt_recsys.config import NextItemData
from vadapt_recsys.io import load_files, read_items
from vadapt_recsys.text import item_text, query_text


def cfg(**kw) -> NextItemData:
    return NextItemData.model_validate(kw)


def test_ml100k_layout_reads_latin1_titles_years_and_genre_flags(ml100k):
    items, inter, _ = load_files(cfg(**ml100k))
    assert len(items) == 30 and len(inter) == 24 * 9
    assert items["1"].title == "Star Wars" and items["1"].year == "1977"
    assert items["1"].genres == ("Action", "Adventure", "Romance", "Sci-Fi", "War")
    assert items["18"].title == "Misérables, Les"  # read as latin-1
    assert item_text(items["18"]) == "Les Misérables (1995) | Drama, Musical"
    assert item_text(items["5"]) == "The Terminator (1984) | Action, Sci-Fi, Thriller"
    assert items["7"].title == "Independence Day (ID4)"


def test_atomic_layout_reads_typed_header_and_space_separated_genres(atomic):
    items, inter, source = load_files(cfg(**atomic))
    assert items["3"].title == "Return of the Jedi" and items["3"].year == "1983"
    assert items["3"].genres == ("Action", "Adventure", "Romance", "Sci-Fi", "War")
    assert len(inter) == 24 * 9 and inter[0].user == "1"
    assert "ml-tiny.inter" in source


def test_csv_with_custom_columns_and_iso_times(tmp_path, files):
    inter_path, items_path = files.csv(tmp_path)
    c = cfg(
        interactions=str(inter_path),
        items=str(items_path),
        user_column="uid",
        item_column="sku",
        time_column="when",
    )
    items, inter, _ = load_files(c)
    assert items["21"].title == "Pulp Fiction" and items["21"].year == "1994"
    rows = files.interactions()
    assert inter[0].time == pytest.approx(rows[0][3])


def test_csv_without_an_item_table_uses_title_columns_in_the_rows(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(
        "userId,movieId,title,year,genres,timestamp\n"
        "1,10,Heat,1995,Action|Crime,100\n1,11,Fargo,1996,Crime,200\n2,10,Heat,1995,Action|Crime,300\n"
    )
    items, inter, _ = load_files(cfg(interactions=str(path)))
    assert items["10"].genres == ("Action", "Crime") and len(inter) == 3


def test_duplicate_user_item_time_row_names_file_and_both_lines(tmp_path, files):
    rows = files.interactions()
    rows.insert(5, rows[2])
    inter, item = files.atomic(tmp_path, rows)
    with pytest.raises(InvalidConfig) as err:
        load_files(cfg(interactions=str(inter), items=str(item)))
    msg = str(err.value)
    assert f"{inter}:7" in msg and "duplicate (user, item, time)" in msg and f"{inter}:4" in msg
    assert "\n" not in msg


def test_unknown_item_id_names_file_line_and_item_table(tmp_path, files):
    rows = files.interactions()
    rows[3] = (rows[3][0], 999, 4, rows[3][3])
    inter, item = files.atomic(tmp_path, rows)
    with pytest.raises(
        InvalidConfig, match=r"ml-tiny\.inter:5: item id '999' is not in the item table"
    ):
        load_files(cfg(interactions=str(inter), items=str(item)))


def test_missing_mapped_column_lists_the_columns(tmp_path, files):
    inter, item = files.csv(tmp_path)
    with pytest.raises(
        InvalidConfig,
        match=r"no column 'customer' .*data.user_column.*\['uid', 'sku', 'stars', 'when'\]",
    ):
        load_files(cfg(interactions=str(inter), items=str(item), user_column="customer"))


def test_bad_time_and_short_rows_name_the_line(tmp_path, files):
    inter, item = files.ml100k(tmp_path)
    with open(inter, "a") as fh:
        fh.write("3\t4\t5\tyesterday\n")
    with pytest.raises(InvalidConfig, match=r"u\.data:217: time 'yesterday'"):
        load_files(cfg(interactions=str(inter), items=str(item)))
    inter.write_text("1\t2\n")
    with pytest.raises(InvalidConfig, match=r"u\.data:1: row has 2 fields"):
        load_files(cfg(interactions=str(inter), items=str(item)))


def test_repeated_item_in_item_table_is_rejected(tmp_path, files):
    _, item = files.atomic(tmp_path)
    with open(item, "a") as fh:
        fh.write("3\tAgain\t2000\tDrama\n")
    with pytest.raises(
        InvalidConfig, match=r"ml-tiny\.item:32: item id '3' repeats the row at line 4"
    ):
        read_items(str(item), cfg())


def test_missing_file_and_unknown_layout_are_config_errors(tmp_path):
    with pytest.raises(InvalidConfig, match="does not exist"):
        load_files(cfg(interactions=str(tmp_path / "nope.csv"), items=str(tmp_path / "i.csv")))
    odd = tmp_path / "ratings.parquet"
    odd.write_text("x")
    with pytest.raises(InvalidConfig, match=r"set data\.format"):
        load_files(cfg(interactions=str(odd), items=str(odd)))


def test_query_text_lists_history_newest_first():
    assert query_text(["B (2000) | Drama", "A (1990) | Comedy"]) == (
        "Recently watched: B (2000) | Drama; A (1990) | Comedy"
    )
