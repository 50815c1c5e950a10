"""Corruptions: shape-preserving, seeded, getting worse with severity; augment options."""

from __future__ import annotations

import numpy as np
import pytest
from vadapt import InvalidConfig
from vadapt_driving.augmentation import augment_examples, options_from
from vadapt_driving.corruptions import CORRUPTIONS, corrupt, corrupted_copies
from vadapt_driving.synth import generate


@pytest.fixture(scope="module")
def images() -> list[np.ndarray]:
    return [
        ex["image"] for ex in generate(("stop", "speed-limit-50", "keep-right"), 2, 48, 1, "signs")
    ]


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corruption_keeps_shape_and_dtype_and_is_seeded(
    name: str, images: list[np.ndarray]
) -> None:
    img = images[0]
    a = corrupt(img, name, 3, np.random.default_rng(1))
    b = corrupt(img, name, 3, np.random.default_rng(1))
    assert a.shape == img.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, img)
    grey = corrupt(img[..., 0], name, 2, np.random.default_rng(1))
    assert grey.shape == img.shape[:2]


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_severity_five_damages_more_than_severity_one(name: str, images: list[np.ndarray]) -> None:
    def damage(sev: int) -> float:
        rng = np.random.default_rng(0)
        return float(
            np.mean(
                [np.abs(corrupt(im, name, sev, rng).astype(float) - im).mean() for im in images]
            )
        )

    assert damage(5) > damage(1) * 1.3


def test_corrupted_copies_are_reproducible_and_labelled() -> None:
    exs = generate(("red", "green"), 2, 24, 0, "lights")
    a = corrupted_copies(exs, "fog", 4, seed=0)
    b = corrupted_copies(exs, "fog", 4, seed=0)
    assert all(np.array_equal(x["image"], y["image"]) for x, y in zip(a, b, strict=True))
    assert all(
        x["corruption"] == "fog" and x["severity"] == 4 and x["label"] == e["label"]
        for x, e in zip(a, exs, strict=True)
    )


def test_augment_options_are_validated_with_the_field_named() -> None:
    assert options_from({"options": {"driving": {"p": 0.2}}}).p == 0.2
    with pytest.raises(InvalidConfig, match=r"augment\.options\.corruptions.*hail"):
        options_from({"options": {"corruptions": ["fog", "hail"]}})
    with pytest.raises(InvalidConfig, match=r"augment\.options\.sevrity"):
        options_from({"options": {"sevrity": [1]}})


def test_augment_corrupts_the_requested_share_only() -> None:
    exs = generate(("red", "green"), 20, 16, 0, "lights")
    opts = options_from({"options": {"p": 0.5, "corruptions": ["contrast"], "severities": [5]}})
    out = augment_examples(exs, np.random.default_rng(0), opts)
    changed = sum(not np.array_equal(a["image"], b["image"]) for a, b in zip(exs, out, strict=True))
    assert 8 <= changed <= 32
    assert [a["label"] for a in out] == [b["label"] for b in exs]
    none = augment_examples(exs, np.random.default_rng(0), options_from({"options": {"p": 0.0}}))
    assert all(a is b for a, b in zip(exs, none, strict=True))
