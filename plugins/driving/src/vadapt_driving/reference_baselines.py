"""Honest, cheap reference results on the same test split as the adapter.

- ``majority``: always the most frequent training label.
- ``colour-hist-logreg``: a joint HSV colour histogram (8x4x4 bins, centre-weighted)
  + logistic regression. Colour alone separates sign families and light states.
- ``hog-logreg``: histograms of oriented gradients (8x8-pixel cells of a 32x32 grey
  crop, 9 bins, L2-normalised) + the colour histogram + logistic regression: the
  classic pre-deep-learning GTSRB recipe, made small.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from vadapt_driving.metrics import classification_metrics

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


def _scores(pred: np.ndarray, ref: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    from sklearn.metrics import f1_score

    out = {
        "accuracy": float((pred == ref).mean()),
        "macro_f1": float(
            f1_score(ref, pred, labels=list(range(len(labels))), average="macro", zero_division=0)
        ),
    }
    crit = classification_metrics(pred, ref, labels).get("driving.critical_recall_min")
    if crit is not None:
        out["driving.critical_recall_min"] = crit
    return out


def _logreg(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(set(train_y.tolist())) < 2:
        return np.full(len(test_x), train_y[0])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000))
    model.fit(train_x, train_y)
    return model.predict(test_x)


def compute(splits: Any, labels: Sequence[str]) -> dict[str, dict[str, float]]:
    labels = list(labels)
    index = {lab: i for i, lab in enumerate(labels)}
    train = [ex for ex in splits.train if ex["label"] in index]
    test = [ex for ex in splits.test if ex["label"] in index]
    if not train or not test:
        return {}
    ty = np.array([index[ex["label"]] for ex in train])
    ry = np.array([index[ex["label"]] for ex in test])
    top = Counter(ty.tolist()).most_common(1)[0][0]
    out = {"majority": _scores(np.full(len(ry), top), ry, labels)}
    hist_tr = np.stack([colour_histogram(ex["image"]) for ex in train])
    hist_te = np.stack([colour_histogram(ex["image"]) for ex in test])
    out["colour-hist-logreg"] = _scores(_logreg(hist_tr, ty, hist_te), ry, labels)
    hog_tr = np.hstack([np.stack([hog(ex["image"]) for ex in train]), hist_tr])
    hog_te = np.hstack([np.stack([hog(ex["image"]) for ex in test]), hist_te])
    out["hog-logreg"] = _scores(_logreg(hog_tr, ty, hog_te), ry, labels)
    return out
