"""Tabular rows read as text: feature spans and per-feature attributions."""

from __future__ import annotations

import pytest
from vadapt.kit.entities import words
from vadapt.kit.fields import describe, feature_attributions, field_spans

SCHEMA = describe([("student", "student"), ("balance", "card balance")], "; ")


def test_spans_cover_each_feature_and_sum_its_words():
    text = "student: no; card balance: 1,073 dollars (percentile 87)"
    spans = field_spans(text, SCHEMA)
    assert [text[s["start"] : s["end"]] for s in spans] == [
        "student: no",
        "card balance: 1,073 dollars (percentile 87)",
    ]
    ws = [{"start": a, "end": b, "attribution": 1.0} for a, b in words(text)]
    ws[1]["attribution"] = 5.0  # the second word of the row sits in "student: no"
    got = feature_attributions(ws, spans)
    n_student = sum(1 for a, _ in words(text) if a < spans[0]["end"])
    assert got[0]["feature"] == "student"
    assert got[0]["attribution"] == pytest.approx(n_student - 1 + 5.0)
    in_balance = sum(1 for a, _ in words(text) if a >= spans[1]["start"])  # ";" is in neither
    assert got[1]["attribution"] == pytest.approx(in_balance)


@pytest.mark.parametrize(
    "text",
    ["a free-text review; not a row", "student: no", "card balance: 3; student: no"],
)
def test_texts_not_serialised_with_the_schema_get_no_features(text):
    assert field_spans(text, SCHEMA) is None


def test_a_schema_needs_a_separator():
    with pytest.raises(ValueError, match="separator"):
        describe([("a", "a")], "")
