"""The driving tasks' own reference baselines, as predictions the core scores like the adapter.

``majority`` and ``frozen-probe`` are the kit's (``TaskSpec.baselines``); these two are
classic image features the kit lacks, each fitted on the training split and predicting
probabilities on validation and test (``vadapt.kit.Predictions``):

- ``colour-hist-logreg``: a joint HSV colour histogram (8x4x4 bins, centre-weighted)
  + logistic regression. Colour alone separates sign families and light states.
- ``hog-logreg``: histograms of oriented gradients (8x8-pixel cells of a 32x32 grey
  crop, 9 bins, L2-normalised) + the colour histogram + logistic regression: the
  classic pre-deep-learning GTSRB recipe, made small.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image
from vadapt.kit import Predictions
from vadapt.kit.baselines import fit_linear

FEATURE_SIZE = 32


def _resized(image: np.ndarray) -> np.ndarray:
    img = Image.fromarray(np.asarray(image, dtype=np.uint8))
    return np.asarray(
        img.convert("RGB").resize((FEATURE_SIZE, FEATURE_SIZE), Image.BILINEAR), np.float32
    )


def colour_histogram(image: np.ndarray) -> np.ndarray:
    rgb = _resized(image)
    hsv = np.asarray(Image.fromarray(rgb.astype(np.uint8)).convert("HSV"), np.float32) / 256.0
    yy, xx = np.mgrid[:FEATURE_SIZE, :FEATURE_SIZE] / (FEATURE_SIZE - 1) - 0.5
    weight = np.exp(-(xx**2 + yy**2) / (2 * 0.25**2)).ravel()  # the object sits in the middle
    h = np.minimum((hsv[..., 0] * 8).astype(int), 7).ravel()
    s = np.minimum((hsv[..., 1] * 4).astype(int), 3).ravel()
    v = np.minimum((hsv[..., 2] * 4).astype(int), 3).ravel()
    hist = np.bincount(h * 16 + s * 4 + v, weights=weight, minlength=128)
    return hist / (hist.sum() + 1e-9)


def hog(image: np.ndarray, cell: int = 8, bins: int = 9) -> np.ndarray:
    grey = _resized(image).mean(axis=2)
    gy, gx = np.gradient(grey)
    mag = np.hypot(gx, gy)
    ang = (np.degrees(np.arctan2(gy, gx)) % 180.0) / (180.0 / bins)
    idx = np.minimum(ang.astype(int), bins - 1)
    n = FEATURE_SIZE // cell
    feats = np.zeros((n, n, bins), np.float32)
    for i in range(n):
        for j in range(n):
            sl = (slice(i * cell, (i + 1) * cell), slice(j * cell, (j + 1) * cell))
            feats[i, j] = np.bincount(idx[sl].ravel(), weights=mag[sl].ravel(), minlength=bins)
    feats = feats.ravel()
    return feats / (np.linalg.norm(feats) + 1e-6)


def _features(examples: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(colour histogram, HOG + colour histogram) rows of ``examples``."""
    if not examples:
        return np.zeros((0, 0)), np.zeros((0, 0))  # no rows: nothing is predicted
    hist = np.stack([colour_histogram(ex["image"]) for ex in examples])
    return hist, np.hstack([np.stack([hog(ex["image"]) for ex in examples]), hist])


def compute(task: Any, splits: Any, labels: Sequence[str]) -> dict[str, Predictions]:
    """``colour-hist-logreg`` and ``hog-logreg`` predictions on validation and test: the
    kit's linear fit (standardised features, C=0.5) on each feature set."""
    if not splits.train or not splits.test:
        return {}
    feats = [_features(part) for part in (splits.train, splits.validation, splits.test)]
    out = {}
    for k, name in enumerate(("colour-hist-logreg", "hog-logreg")):
        xs = (feats[0][k], feats[1][k], feats[2][k])
        preds = fit_linear(task, xs, splits, labels, grid=(0.5,), standardise=True)
        if preds is not None:
            out[name] = preds
    return out
