"""Customer-message noise: seeded, configurable, label-preserving, and validated."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from vadapt import InvalidConfig
from vadapt_customer_service.noise import NEIGHBOURS, NoiseOptions, augment_examples, noisy

TEXT = "Hello I would like to know when my new card will arrive at home"


def cfg(**options):
    return SimpleNamespace(enabled=True, options=options)


def test_keyboard_neighbours_are_adjacent_keys() -> None:
    assert set(NEIGHBOURS["s"]) == set("awedxz")
    assert "p" not in NEIGHBOURS["q"]


def test_same_seed_same_noise_and_rates_zero_change_nothing() -> None:
    opts = NoiseOptions(p_example=1, typo_rate=0.2, drop_rate=0.2, swap_rate=0.2, case_prob=0.5)
    a = noisy(TEXT, opts, np.random.default_rng(5))
    assert a == noisy(TEXT, opts, np.random.default_rng(5))
    assert a != TEXT
    off = NoiseOptions(typo_rate=0, drop_rate=0, swap_rate=0, case_prob=0)
    assert noisy(TEXT, off, np.random.default_rng(5)) == TEXT


def test_typos_keep_length_and_use_neighbours() -> None:
    opts = NoiseOptions(typo_rate=1.0, drop_rate=0, swap_rate=0, case_prob=0)
    out = noisy("card", opts, np.random.default_rng(0))
    assert len(out) == 4 and all(o in NEIGHBOURS[c] for c, o in zip("card", out, strict=True))


def test_drop_never_empties_a_message() -> None:
    opts = NoiseOptions(drop_rate=1.0, typo_rate=0, swap_rate=0, case_prob=0)
    assert noisy(TEXT, opts, np.random.default_rng(0)) in TEXT.split()


def test_augment_keeps_labels_and_noises_only_the_query_of_pairs() -> None:
    ex = [{"query": TEXT, "candidates": ["a", "b"], "positive": 1}]
    out = augment_examples("pairs", ex, np.random.default_rng(0), cfg(p_example=1, typo_rate=0.5))
    assert out[0]["candidates"] == ["a", "b"] and out[0]["positive"] == 1
    assert out[0]["query"] != TEXT
    text = [{"text": TEXT, "label": "card_arrival"}]
    out = augment_examples("text", text, np.random.default_rng(0), cfg(p_example=1))
    assert out[0]["label"] == "card_arrival" and text[0]["text"] == TEXT  # input untouched


def test_nested_options_are_strict_and_errors_name_the_option() -> None:
    with pytest.raises(InvalidConfig, match=r"augment\.options\.customer-service\.typo_rte"):
        augment_examples(
            "text", [], np.random.default_rng(0), cfg(**{"customer-service": {"typo_rte": 1}})
        )
    with pytest.raises(InvalidConfig, match=r"augment\.options\.typo_rate"):
        augment_examples("text", [], np.random.default_rng(0), cfg(typo_rate=2.0))
    # flat options belonging to other plugins are left alone
    augment_examples("text", [], np.random.default_rng(0), cfg(mixup=0.3))
