"""Labelled-SYNTHETIC traffic-sign and traffic-light crops, drawn with PIL.

No traffic-sign or traffic-light images exist in any offline package, so the
runnable example data is generated: a clean drawing of the sign or signal head
(``signs.py``, ``lights.py``) is placed in a crop the way a detector would hand
it over (the object fills 50-90% of the crop, like GTSRB's ROI margins), on a
varied background (sky, overcast, foliage, buildings, dusk, night), with random
scale, in-plane rotation, yaw (horizontal foreshortening), offset, illumination,
colour cast, fading, shadow, distance blur and sensor noise. Everything is drawn
from one seeded ``numpy.random.Generator``: same seed, same images.

This is not real camera data. Every ``Splits.info`` built from it says
``synthetic: True`` and the reports carry that flag.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from vadapt_driving.lights import draw_light
from vadapt_driving.signs import draw_sign

SUPERSAMPLE = 3


def _noise_field(shape: tuple[int, int], rng: np.random.Generator, scale: int) -> np.ndarray:
    """Smooth value noise in [0, 1] of ``shape`` built from a coarse grid."""
    h, w = shape
    coarse = rng.random((max(2, h // scale), max(2, w // scale))).astype(np.float32)
    img = Image.fromarray((coarse * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


def _gradient(size: int, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    t = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None, None]
    return np.broadcast_to(top * (1 - t) + bottom * t, (size, size, 3)).copy()


def background(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A float32 HxWx3 scene background in [0, 255] and its kind."""
    kind = str(
        rng.choice(
            ["sky", "overcast", "foliage", "building", "dusk", "night"],
            p=[0.25, 0.2, 0.2, 0.17, 0.1, 0.08],
        )
    )
    if kind == "sky":
        bg = _gradient(
            size,
            np.array([60, 120, 215]) + rng.integers(-25, 25, 3),
            np.array([175, 205, 240]) + rng.integers(-25, 15, 3),
        )
        clouds = _noise_field((size, size), rng, max(4, size // 6)) ** 2
        bg = bg * (1 - clouds[..., None] * 0.7) + 245 * clouds[..., None] * 0.7
    elif kind == "overcast":
        g = rng.uniform(150, 215)
        bg = _gradient(size, np.array([g, g, g + 5]), np.array([g - 30, g - 30, g - 25]))
        bg += (_noise_field((size, size), rng, max(4, size // 5))[..., None] - 0.5) * 30
    elif kind == "foliage":
        base = np.array([50, 95, 40]) + rng.integers(-20, 25, 3)
        n1 = _noise_field((size, size), rng, max(3, size // 12))
        n2 = _noise_field((size, size), rng, max(2, size // 30))
        bg = base[None, None, :] * (0.5 + 0.8 * n1[..., None]) + (n2[..., None] - 0.5) * 50
        if rng.random() < 0.5:  # a patch of sky through the leaves
            sky = _noise_field((size, size), rng, max(4, size // 4)) > 0.7
            bg[sky] = np.array([170, 200, 235])
    elif kind == "building":
        wall = np.array(
            rng.choice([[150, 120, 100], [200, 195, 180], [110, 110, 115], [170, 90, 70]])
        )
        bg = (
            np.broadcast_to(wall + rng.integers(-20, 20, 3), (size, size, 3))
            .astype(np.float32)
            .copy()
        )
        bg += (_noise_field((size, size), rng, 2)[..., None] - 0.5) * 25
        step = int(size * rng.uniform(0.25, 0.45))
        win = np.array([60, 70, 85]) + rng.integers(-20, 40, 3)
        off = rng.integers(0, step, 2)
        for y in range(-step + off[0], size, step):
            for x in range(-step + off[1], size, step):
                bg[max(0, y) : max(0, y + step // 2), max(0, x) : max(0, x + step // 2)] = win
    elif kind == "dusk":
        bg = _gradient(
            size,
            np.array([70, 60, 110]) + rng.integers(-20, 20, 3),
            np.array([235, 140, 70]) + rng.integers(-30, 20, 3),
        )
    else:  # night
        bg = np.full((size, size, 3), 12.0) + rng.uniform(0, 25)
        for _ in range(int(rng.integers(0, 6))):  # street lamps, windows, headlights
            y, x = rng.integers(0, size, 2)
            r = rng.uniform(1, size * 0.06)
            yy, xx = np.ogrid[:size, :size]
            blob = np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * r * r))
            bg += blob[..., None] * np.array([255, 210, 140]) * rng.uniform(0.3, 1.0)
    return np.clip(bg, 0, 255).astype(np.float32), kind


def _light_object(
    obj: Image.Image, rng: np.random.Generator, kind: str, self_luminous: bool
) -> Image.Image:
    """Illumination, colour cast, fading and a shadow band on the object (alpha kept)."""
    rgb, alpha = obj.convert("RGB"), obj.getchannel("A")
    night = kind in ("night", "dusk")
    level = rng.uniform(0.25, 0.8) if night else rng.uniform(0.55, 1.35)
    if self_luminous and night:
        level = rng.uniform(0.6, 1.0)  # lamps stay bright at night
    rgb = ImageEnhance.Brightness(rgb).enhance(level)
    rgb = ImageEnhance.Color(rgb).enhance(rng.uniform(0.55, 1.15))  # sun-faded paint
    arr = np.asarray(rgb, dtype=np.float32)
    cast = 1.0 + rng.uniform(-0.12, 0.12, 3)  # white balance
    arr = arr * cast[None, None, :]
    if rng.random() < 0.35:  # a shadow band across the object (pole, branch)
        h, w = arr.shape[:2]
        yy, xx = np.mgrid[:h, :w]
        a = rng.uniform(0, np.pi)
        d = (xx - w / 2) * np.cos(a) + (yy - h / 2) * np.sin(a) - rng.uniform(-0.3, 0.3) * w
        band = np.abs(d) < rng.uniform(0.08, 0.3) * w
        arr[band] *= rng.uniform(0.35, 0.7)
    rgb = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    out = rgb.convert("RGBA")
    out.putalpha(alpha)
    return out


def compose(
    obj: Image.Image,
    size: int,
    rng: np.random.Generator,
    *,
    fill: tuple[float, float],
    self_luminous: bool = False,
    pole: bool = True,
) -> np.ndarray:
    """Place RGBA ``obj`` in a ``size`` x ``size`` photo-like crop; returns HxWx3 uint8."""
    big = size * SUPERSAMPLE
    bg, kind = background(big, rng)
    canvas = Image.fromarray(bg.astype(np.uint8)).convert("RGBA")
    obj = _light_object(obj, rng, kind, self_luminous)
    # yaw: horizontal foreshortening; then in-plane rotation
    target = rng.uniform(*fill) * big
    ow, oh = obj.size
    scale = target / max(ow, oh)
    squash = rng.uniform(0.72, 1.0)
    obj = obj.resize((max(2, int(ow * scale * squash)), max(2, int(oh * scale))), Image.LANCZOS)
    obj = obj.rotate(rng.normal(0, 5), resample=Image.BICUBIC, expand=True)
    ow, oh = obj.size
    cx = big / 2 + rng.uniform(-0.08, 0.08) * big
    cy = big / 2 + rng.uniform(-0.08, 0.08) * big
    x0, y0 = int(cx - ow / 2), int(cy - oh / 2)
    if pole and rng.random() < 0.7:
        d = ImageDraw.Draw(canvas)
        pw = max(2, int(big * rng.uniform(0.03, 0.06)))
        grey = int(rng.uniform(70, 170))
        d.rectangle((cx - pw / 2, cy, cx + pw / 2, big), fill=(grey, grey, grey + 5, 255))
    canvas.alpha_composite(obj, (max(0, x0), max(0, y0)), (max(0, -x0), max(0, -y0)))
    img = canvas.convert("RGB")
    blur = rng.uniform(0.0, 1.2) * SUPERSAMPLE  # distance / focus
    if blur > 0.3:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    img = img.resize((size, size), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.float32)
    gamma = rng.uniform(0.8, 1.25)
    arr = 255.0 * (arr / 255.0) ** gamma
    arr += rng.normal(0, rng.uniform(0.5, 5.0), arr.shape)  # sensor noise
    return np.clip(arr + 0.5, 0, 255).astype(np.uint8)


def render_sign(label: str, size: int, rng: np.random.Generator) -> np.ndarray:
    return compose(draw_sign(label).copy(), size, rng, fill=(0.55, 0.9))


def render_light(state: str, size: int, rng: np.random.Generator) -> np.ndarray:
    head = draw_light(state, rng)
    return compose(head, size, rng, fill=(0.6, 0.92), self_luminous=True, pole=False)


def generate(
    labels: tuple[str, ...], per_class: int, size: int, seed: int, kind: str
) -> list[dict]:
    """``per_class`` examples of every label, in a seeded order (``kind``: 'signs'|'lights')."""
    render = render_sign if kind == "signs" else render_light
    rng = np.random.default_rng(seed)
    out = [
        {"image": render(label, size, rng), "label": label, "source": "synthetic"}
        for _ in range(per_class)
        for label in labels
    ]
    return out
