"""The kit's image corruptions: shape-preserving, seeded, getting worse with severity."""

from __future__ import annotations

import numpy as np
import pytest
from vadapt.kit.corruptions import CORRUPTIONS, corrupt, corrupted_copies


def _image(seed: int, size: int = 48) -> np.ndarray:
    """A gradient with a bright square and a dark disc: edges for blurs, flat areas for noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    img = np.stack([x * 4, y * 4, (x + y) * 2], -1).astype(float)
    a, b = rng.integers(4, size // 2, 2)
    img[a : a + size // 3, b : b + size // 3] = 230
    img[(y - size * 0.7) ** 2 + (x - size * 0.3) ** 2 < (size / 6) ** 2] = 20
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def images() -> list[np.ndarray]:
    return [_image(k) for k in range(4)]


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
    exs = [{"image": _image(k, 24), "label": "ab"[k % 2]} for k in range(4)]
    a = corrupted_copies(exs, "fog", 4, seed=0)
    b = corrupted_copies(exs, "fog", 4, seed=0)
    assert all(np.array_equal(x["image"], y["image"]) for x, y in zip(a, b, strict=True))
    assert all(
        x["corruption"] == "fog" and x["severity"] == 4 and x["label"] == e["label"]
        for x, e in zip(a, exs, strict=True)
    )
