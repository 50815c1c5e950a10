"""Augmentations keep images plausible, labels and keys intact, and are seeded."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from vadapt import InvalidConfig
from vadapt_medical import augmentations as aug


def _cfg(**options):
    return SimpleNamespace(enabled=True, options=options)


def _asymmetric(shape=(16, 16)):
    img = np.zeros(shape, dtype=np.uint8)
    img[:, :4] = 200  # bright left edge: a horizontal flip moves it right
    return img


OFF = {"max_rotation": 0, "contrast": 0, "brightness": 0, "noise_sigma": 0}


def test_no_flips_unless_the_data_allows_them(rng):
    img = _asymmetric()
    outs = [aug.augment_image(img, rng, dict(OFF)) for _ in range(20)]
    assert all(np.array_equal(o, img) for o in outs)
    flipped = [aug.augment_image(img, rng, {**OFF, "flip": "horizontal"}) for _ in range(40)]
    assert any(np.array_equal(o, img[:, ::-1]) for o in flipped)
    assert all(np.array_equal(o, img) or np.array_equal(o, img[:, ::-1]) for o in flipped)


def test_image_jitter_is_small_and_keeps_shape_and_dtype(rng):
    img = np.full((32, 32, 3), 120, dtype=np.uint8)
    img[8:24, 8:24] = 200
    for _ in range(20):
        out = aug.augment_image(img, rng, {"p": 1.0})
        assert out.shape == img.shape and out.dtype == np.uint8
        # defaults: +-10 grey levels, +-10% contrast, sigma 3 noise, <=10 degrees
        assert abs(float(out.mean()) - float(img.mean())) < 25
    with pytest.raises(InvalidConfig, match="flip"):
        aug.augment_image(img, rng, {"flip": "diagonal"})


def test_grey_hxwx1_images_stay_hxwx1(rng):
    img = np.full((12, 12, 1), 90, dtype=np.uint8)
    assert aug.augment_image(img, rng, {"p": 1.0}).shape == (12, 12, 1)


def test_abbreviations_expand_and_contract(rng):
    text = "The pt has HTN and shortness of breath; BP stable."
    always = aug.swap_abbreviations(text, rng, 1.0)
    assert always == "The patient has hypertension and SOB; blood pressure stable."
    assert aug.swap_abbreviations(text, rng, 0.0) == text
    # no partial-word matches: 'PEx' / 'opt' / 'BPM' stay
    assert aug.swap_abbreviations("opt BPM PEx", rng, 1.0) == "opt BPM PEx"


def test_field_dropout_keeps_a_subset_of_fields_in_order(rng):
    text = ", ".join(f"f{i} {i}.5" for i in range(30))
    out = aug.drop_fields(text, rng, 0.3)
    fields = out.split(", ")
    original = text.split(", ")
    assert 0 < len(fields) < 30
    assert [original.index(f) for f in fields] == sorted(original.index(f) for f in fields)
    assert aug.drop_fields("a 1, b 2", rng, 1.0) in ("a 1", "b 2")


def test_augment_dispatch_is_seeded_and_keeps_labels():
    exs = [{"text": "radius mean 1, texture mean 2, area mean 3", "label": "benign", "row": 1}]
    a = aug.augment(
        "medical/tumor-diagnosis", "tabular", exs, np.random.default_rng(5), _cfg(field_dropout=0.5)
    )
    b = aug.augment(
        "medical/tumor-diagnosis", "tabular", exs, np.random.default_rng(5), _cfg(field_dropout=0.5)
    )
    assert a == b and a[0]["label"] == "benign" and a[0].keys() == exs[0].keys()
    nested = aug.augment(
        "medical/clinical-text",
        "text",
        [{"text": "pt", "label": "x"}],
        np.random.default_rng(0),
        _cfg(medical={"abbreviation_p": 1.0}),
    )
    assert nested[0]["text"] == "patient"
