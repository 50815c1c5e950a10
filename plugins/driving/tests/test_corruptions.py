"""The plugin's corruption re-exports and its augment options."""

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


def test_the_kit_corruptions_are_the_plugins(images: list[np.ndarray]) -> None:
    """They moved to vadapt.kit.corruptions (tested there); the plugin re-exports them."""
    from vadapt.kit import corruptions as kit

    assert CORRUPTIONS is kit.CORRUPTIONS and corrupt is kit.corrupt
    assert corrupted_copies is kit.corrupted_copies
    assert corrupt(images[0], "fog", 2, np.random.default_rng(0)).shape == images[0].shape


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
