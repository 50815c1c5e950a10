"""Weather and sensor corruptions in the spirit of ImageNet-C (Hendrycks & Dietterich, 2019).

Each corruption takes an HxWxC uint8 image, a severity 1-5 and a seeded
``numpy.random.Generator`` and returns a new uint8 image of the same shape.
Spatial parameters (blur radii, streak lengths, flake sizes) are given for a
64-pixel crop and scale with the image, so severity means the same thing at
32 px and at 224 px. The severity ladders follow ImageNet-C where it has the
corruption (contrast, brightness, JPEG quality, noise); fog, rain, snow and
occlusion are simplified re-implementations (no ImageMagick / Wand).

They live in the kit for every image task (``vadapt robustness`` scores an image
adapter under each); the driving plugin, where they started, re-exports them and adds
its test-split option (``data.test_corruption``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

from vadapt.kit.perturb import stable_seed

Array = np.ndarray


def _f(image: Array) -> Array:
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[..., None]
    return img.astype(np.float32)


def _out(x: Array, like: Array) -> Array:
    x = np.clip(x + 0.5, 0, 255).astype(np.uint8)
    return x[..., 0] if np.asarray(like).ndim == 2 else x


def _scale(image: Array) -> float:
    return min(image.shape[:2]) / 64.0


def _smooth_noise(shape: tuple[int, int], rng: np.random.Generator) -> Array:
    """Fractal (1/f) noise in [0, 1]: octaves of bilinear-upsampled white noise."""
    h, w = shape
    total = np.zeros(shape, np.float32)
    amp, norm, cells = 1.0, 0.0, 2
    while cells <= max(h, w):
        coarse = rng.random((cells, cells)).astype(np.float32)
        up = np.asarray(Image.fromarray(coarse, mode="F").resize((w, h), Image.BILINEAR))
        total += amp * up
        norm += amp
        amp *= 0.55
        cells *= 2
    total /= norm
    return (total - total.min()) / (np.ptp(total) + 1e-6)


def _convolve(x: Array, kernel: Array) -> Array:
    kernel = kernel / kernel.sum()
    return np.stack(
        [ndimage.convolve(x[..., c], kernel, mode="nearest") for c in range(x.shape[2])], -1
    )


# -- the corruptions ------------------------------------------------------------------------


def fog(image: Array, severity: int, rng: np.random.Generator) -> Array:
    x = _f(image)
    density = (0.35, 0.48, 0.6, 0.72, 0.84)[severity - 1]
    haze = 0.35 + 0.65 * _smooth_noise(x.shape[:2], rng)
    t = (density * haze)[..., None]  # transmission loss
    airlight = rng.uniform(190, 235)
    return _out(x * (1 - t) + airlight * t, image)


def rain(image: Array, severity: int, rng: np.random.Generator) -> Array:
    x = _f(image)
    h, w = x.shape[:2]
    s = _scale(x)
    count = int((40, 80, 130, 190, 260)[severity - 1] * s * s)
    length = (4, 6, 8, 10, 12)[severity - 1] * s
    alpha = (0.35, 0.45, 0.55, 0.6, 0.65)[severity - 1]
    tilt = rng.uniform(-0.35, 0.35)
    layer = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(layer)
    xs, ys = rng.uniform(-0.2 * w, 1.2 * w, count), rng.uniform(-length, h, count)
    for x0, y0 in zip(xs, ys, strict=True):
        ln = length * rng.uniform(0.6, 1.3)
        d.line(
            [(x0, y0), (x0 + tilt * ln, y0 + ln)],
            fill=int(255 * rng.uniform(0.6, 1.0)),
            width=max(1, round(0.5 * s)),
        )
    streaks = (
        np.asarray(layer.filter(ImageFilter.GaussianBlur(0.4 * s)), np.float32)[..., None] / 255
    )
    dim = 1.0 - 0.06 * severity  # overcast dimming
    return _out(x * dim * (1 - alpha * streaks) + 210 * alpha * streaks, image)


def snow(image: Array, severity: int, rng: np.random.Generator) -> Array:
    x = _f(image)
    h, w = x.shape[:2]
    s = _scale(x)
    density = (0.03, 0.05, 0.08, 0.11, 0.15)[severity - 1]
    whiten = (0.1, 0.18, 0.26, 0.34, 0.42)[severity - 1]
    flakes = (rng.random((h, w)) < density).astype(np.float32)
    flakes = ndimage.grey_dilation(flakes, size=(max(1, round(s)),) * 2)
    angle = rng.uniform(-60, 60)
    flakes = ndimage.gaussian_filter(flakes, 0.5 * s)
    length = max(1, int((1, 2, 3, 3, 4)[severity - 1] * s))
    flakes = _convolve(flakes[..., None], _line_kernel(length, angle))[..., 0]
    flakes = np.clip(flakes * 2.5, 0, 1)[..., None]
    gray = x.mean(axis=2, keepdims=True)
    x = (1 - whiten) * x + whiten * np.maximum(x, gray * 1.5 + 30)
    return _out(x * (1 - flakes) + 250 * flakes, image)


def brightness(image: Array, severity: int, rng: np.random.Generator) -> Array:
    x = _f(image) / 255.0
    c = (0.1, 0.2, 0.3, 0.4, 0.5)[severity - 1]  # ImageNet-C: add to HSV value
    v = x.max(axis=2, keepdims=True)
    new_v = np.clip(v + c, 0, 1)
    return _out(x * (new_v / np.maximum(v, 1e-3)) * 255.0 + (v < 1e-3) * new_v * 255.0, image)


def contrast(image: Array, severity: int, rng: np.random.Generator) -> Array:
    x = _f(image)
    c = (0.4, 0.3, 0.2, 0.1, 0.05)[severity - 1]  # ImageNet-C
    mean = x.mean(axis=(0, 1), keepdims=True)
    return _out((x - mean) * c + mean, image)


def _line_kernel(length: int, angle_deg: float) -> Array:
    size = 2 * length + 1
    k = np.zeros((size, size), np.float32)
    a = np.radians(angle_deg)
    for t in np.linspace(-length, length, 4 * size):
        k[round(length + t * np.sin(a)), round(length + t * np.cos(a))] = 1.0
    return k


def motion_blur(image: Array, severity: int, rng: np.random.Generator) -> Array:
    x = _f(image)
    length = max(1, round((1.5, 2.5, 3.5, 4.5, 6.0)[severity - 1] * _scale(x)))
    return _out(_convolve(x, _line_kernel(length, rng.uniform(-45, 45))), image)


def defocus_blur(image: Array, severity: int, rng: np.random.Generator) -> Array:
    x = _f(image)
    r = (1.0, 1.5, 2.0, 3.0, 4.0)[severity - 1] * _scale(x)
    n = int(np.ceil(r))
    yy, xx = np.mgrid[-n : n + 1, -n : n + 1]
    disk = ((xx**2 + yy**2) <= r * r + 0.5).astype(np.float32)
    out = _convolve(x, disk)
    return _out(ndimage.gaussian_filter(out, sigma=(0.3 * _scale(x), 0.3 * _scale(x), 0)), image)


def jpeg(image: Array, severity: int, rng: np.random.Generator) -> Array:
    quality = (25, 18, 15, 10, 7)[severity - 1]  # ImageNet-C
    img = np.asarray(image)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("L" if img.ndim == 2 else "RGB"), dtype=np.uint8).copy()


def occlusion(image: Array, severity: int, rng: np.random.Generator) -> Array:
    """A leaf, sticker or dirt patch over part of the (centred) object."""
    x = _f(image)
    h, w = x.shape[:2]
    area = (0.06, 0.12, 0.18, 0.26, 0.35)[severity - 1]
    aspect = rng.uniform(0.5, 2.0)
    bh = int(np.clip(np.sqrt(area * h * w / aspect), 2, h))
    bw = int(np.clip(area * h * w / max(bh, 1), 2, w))
    cy = rng.uniform(0.3, 0.7) * h
    cx = rng.uniform(0.3, 0.7) * w
    y0, x0 = int(np.clip(cy - bh / 2, 0, h - bh)), int(np.clip(cx - bw / 2, 0, w - bw))
    kind = rng.integers(3)
    if kind == 0:  # solid sticker / paint
        patch = np.broadcast_to(rng.uniform(0, 255, x.shape[2]), (bh, bw, x.shape[2]))
    elif kind == 1:  # leaf-like textured green/brown
        base = np.array([60, 90, 30] if rng.random() < 0.5 else [110, 75, 35], np.float32)[
            : x.shape[2]
        ]
        patch = base * (0.6 + 0.8 * _smooth_noise((bh, bw), rng)[..., None])
    else:  # dirt: darken and blur the region
        patch = ndimage.gaussian_filter(x[y0 : y0 + bh, x0 : x0 + bw], (1.5, 1.5, 0)) * 0.35
    mask = Image.new("L", (bw, bh), 0)
    ImageDraw.Draw(mask).ellipse(
        (0, 0, bw - 1, bh - 1), fill=255
    ) if rng.random() < 0.5 else ImageDraw.Draw(mask).rectangle((0, 0, bw - 1, bh - 1), fill=255)
    m = np.asarray(mask, np.float32)[..., None] / 255
    x[y0 : y0 + bh, x0 : x0 + bw] = x[y0 : y0 + bh, x0 : x0 + bw] * (1 - m) + patch * m
    return _out(x, image)


def gaussian_noise(image: Array, severity: int, rng: np.random.Generator) -> Array:
    x = _f(image)
    sigma = (0.08, 0.12, 0.18, 0.26, 0.38)[severity - 1] * 255  # ImageNet-C
    return _out(x + rng.normal(0, sigma, x.shape), image)


CORRUPTIONS: dict[str, Callable[[Array, int, np.random.Generator], Array]] = {
    "fog": fog,
    "rain": rain,
    "snow": snow,
    "brightness": brightness,
    "contrast": contrast,
    "motion_blur": motion_blur,
    "defocus_blur": defocus_blur,
    "jpeg": jpeg,
    "occlusion": occlusion,
    "gaussian_noise": gaussian_noise,
}
SEVERITIES = (1, 2, 3, 4, 5)


def corrupt(image: Array, name: str, severity: int, rng: np.random.Generator) -> Array:
    """Apply corruption ``name`` at ``severity`` (1-5) to an HxW[xC] uint8 image."""
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; choose from {sorted(CORRUPTIONS)}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be 1-5, got {severity!r}")
    return CORRUPTIONS[name](np.asarray(image), int(severity), rng)


def corrupted_copies(
    examples: Sequence[dict[str, Any]], name: str, severity: int, seed: int
) -> list[dict[str, Any]]:
    """Every example corrupted with ``name``@``severity``; the same inputs give the same images."""
    rng = np.random.default_rng(stable_seed(seed, name, severity))
    return [
        {
            **ex,
            "image": corrupt(ex["image"], name, severity, rng),
            "corruption": name,
            "severity": severity,
        }
        for ex in examples
    ]
