"""Traffic-light states and a PIL painter for signal heads.

States: ``red``, ``yellow``, ``green``, ``off`` (all lamps dark, e.g. a failed or
flashing-off signal), and optionally the arrow lamps ``red-left`` and
``green-left``. A head is painted on a transparent canvas; ``synth.py`` puts it
in a scene. Lit lamps glow; dark lamps can still catch a sun reflection (the
"phantom" effect that makes ``off`` genuinely hard).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

LIGHT_STATES: tuple[str, ...] = ("red", "yellow", "green", "off")
ARROW_STATES: tuple[str, ...] = ("red-left", "green-left")
SAFETY_CRITICAL_LIGHTS: tuple[str, ...] = ("red", "red-left")

LAMP_COLOURS = {
    "red": (255, 45, 30),
    "yellow": (255, 175, 0),
    "green": (40, 235, 160),  # signal green is bluish
}
HOUSINGS = ((25, 25, 25), (40, 42, 40), (70, 70, 60), (190, 160, 30), (30, 60, 35))


def _arrow_mask(size: int) -> Image.Image:
    m = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(m)
    c, w = size / 2, size * 0.16
    d.rectangle((c - size * 0.05, c - w / 2, c + size * 0.34, c + w / 2), fill=255)
    d.polygon(
        [
            (c - size * 0.36, c),
            (c - size * 0.02, c - size * 0.3),
            (c - size * 0.02, c + size * 0.3),
        ],
        fill=255,
    )
    return m


def draw_light(state: str, rng: np.random.Generator, height: int = 240) -> Image.Image:
    """Paint one signal head (vertical, 3 lamps) showing ``state``; RGBA, ``height`` tall."""
    width = int(height * rng.uniform(0.36, 0.44))
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    housing = HOUSINGS[int(rng.integers(len(HOUSINGS)))]
    jitter = rng.integers(-12, 13, size=3)
    housing = tuple(int(np.clip(h + j, 0, 255)) for h, j in zip(housing, jitter, strict=True))
    d.rounded_rectangle(
        (0, 0, width - 1, height - 1), radius=int(width * 0.18), fill=(*housing, 255)
    )
    if rng.random() < 0.5:  # back plate border
        d.rounded_rectangle(
            (0, 0, width - 1, height - 1),
            radius=int(width * 0.18),
            outline=(230, 230, 230, 255),
            width=max(2, width // 25),
        )
    lamp_r = width * 0.33
    glow = Image.new("RGBA", img.size, (0, 0, 0, 0))
    gd = ImageDraw.Draw(glow)
    for k, colour_name in enumerate(("red", "yellow", "green")):
        cy = height * (k + 0.5) / 3
        cx = width / 2
        box = (cx - lamp_r, cy - lamp_r, cx + lamp_r, cy + lamp_r)
        colour = LAMP_COLOURS[colour_name]
        lit = state == colour_name or state == f"{colour_name}-left"
        arrow = state.endswith("-left") and lit
        dark = tuple(int(c * 0.16 + 18) for c in colour)
        d.ellipse(box, fill=(*dark, 255))
        if lit:
            core = tuple(int(min(255, c * 0.75 + 70)) for c in colour)
            if arrow:
                size = int(2 * lamp_r)
                mask = _arrow_mask(size)
                lamp = Image.new("RGBA", (size, size), (*core, 255))
                img.paste(lamp, (int(cx - lamp_r), int(cy - lamp_r)), mask)
                gd.bitmap((int(cx - lamp_r), int(cy - lamp_r)), mask, fill=(*colour, 200))
            else:
                d.ellipse(box, fill=(*core, 255))
                inner = lamp_r * 0.45
                d.ellipse(
                    (cx - inner, cy - inner, cx + inner, cy + inner),
                    fill=(*tuple(int(min(255, c * 0.4 + 160)) for c in colour), 255),
                )
                gd.ellipse(box, fill=(*colour, 200))
        elif rng.random() < 0.15:  # sun phantom on a dark lamp
            s = lamp_r * rng.uniform(0.2, 0.45)
            ox, oy = rng.uniform(-0.3, 0.3, size=2) * lamp_r
            d.ellipse(
                (cx + ox - s, cy + oy - s, cx + ox + s, cy + oy + s),
                fill=(*tuple(int(c * 0.3 + 90) for c in colour), 255),
            )
        # visor (hood) above each lamp
        d.arc(
            (cx - lamp_r * 1.15, cy - lamp_r * 1.15, cx + lamp_r * 1.15, cy + lamp_r * 1.15),
            start=200,
            end=340,
            fill=(*tuple(max(0, h - 15) for h in housing), 255),
            width=max(2, int(lamp_r * 0.22)),
        )
    if state != "off":
        halo = glow.filter(ImageFilter.GaussianBlur(radius=lamp_r * 0.5))
        img = Image.alpha_composite(img, halo)
        rgb = ImageChops.add(img.convert("RGB"), halo.convert("RGB"), scale=1.6)
        img = Image.merge("RGBA", (*rgb.split(), img.getchannel("A")))
    return img
