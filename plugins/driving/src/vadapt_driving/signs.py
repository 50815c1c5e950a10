"""Traffic-sign classes (the GTSRB table) and a PIL painter for the ones we can draw.

The label names follow GTSRB's 43 ClassIds in order, so a model trained on the
generated signs and one trained on real GTSRB share label names. The painter
draws each sign at high resolution on a transparent canvas (RGBA); the scene
composer (``synth.py``) then places it in a photo-like crop.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont, ImageOps

# GTSRB ClassId -> label name (index == ClassId).
GTSRB_CLASSES: tuple[str, ...] = (
    "speed-limit-20",
    "speed-limit-30",
    "speed-limit-50",
    "speed-limit-60",
    "speed-limit-70",
    "speed-limit-80",
    "end-of-speed-limit-80",
    "speed-limit-100",
    "speed-limit-120",
    "no-passing",
    "no-passing-over-3-5t",
    "right-of-way-at-next-intersection",
    "priority-road",
    "yield",
    "stop",
    "no-vehicles",
    "no-vehicles-over-3-5t",
    "no-entry",
    "general-caution",
    "dangerous-curve-left",
    "dangerous-curve-right",
    "double-curve",
    "bumpy-road",
    "slippery-road",
    "road-narrows-on-the-right",
    "road-work",
    "traffic-signals",
    "pedestrians",
    "children-crossing",
    "bicycles-crossing",
    "beware-of-ice-snow",
    "wild-animals-crossing",
    "end-of-all-speed-and-passing-limits",
    "turn-right-ahead",
    "turn-left-ahead",
    "ahead-only",
    "go-straight-or-right",
    "go-straight-or-left",
    "keep-right",
    "keep-left",
    "roundabout-mandatory",
    "end-of-no-passing",
    "end-of-no-passing-over-3-5t",
)

SAFETY_CRITICAL_SIGNS: tuple[str, ...] = ("stop", "yield", "no-entry")

RED = (200, 20, 30)
WHITE = (245, 245, 240)
BLACK = (20, 20, 20)
BLUE = (20, 70, 170)
YELLOW = (245, 190, 20)
GREY = (120, 120, 120)

CANVAS = 256  # drawing resolution; the composer downsamples


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow >= 10.1 ships a scalable default font, so no system font is needed.
    return ImageFont.load_default(size=size)


def _text(draw: ImageDraw.ImageDraw, text: str, box: float, fill, cy: float = 0.5) -> None:
    """Centre ``text`` so that it fits a ``box``-wide region of the canvas."""
    size = int(CANVAS * 0.5)
    font = _font(size)
    while size > 8:
        font = _font(size)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        if right - left <= box * CANVAS and bottom - top <= box * CANVAS * 0.7:
            break
        size = int(size * 0.9)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = CANVAS / 2 - (left + right) / 2
    y = CANVAS * cy - (top + bottom) / 2
    draw.text((x, y), text, font=font, fill=fill)


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    return img, ImageDraw.Draw(img)


def _disc(d: ImageDraw.ImageDraw, r: float, fill) -> None:
    c = CANVAS / 2
    d.ellipse((c - r, c - r, c + r, c + r), fill=fill)


def _ring_sign(ring=RED, inner=WHITE) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """Round prohibitory sign: thin white rim, red ring, white face."""
    img, d = _canvas()
    R = CANVAS * 0.48
    _disc(d, R, WHITE)
    _disc(d, R * 0.94, ring)
    _disc(d, R * 0.74, inner)
    return img, d


def _blue_disc() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img, d = _canvas()
    R = CANVAS * 0.48
    _disc(d, R, WHITE)
    _disc(d, R * 0.94, BLUE)
    return img, d


def _triangle(up: bool = True) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """Warning triangle (point up) or yield (point down): white rim, red band, white face."""
    img, d = _canvas()

    def tri(scale: float) -> list[tuple[float, float]]:
        c, h = CANVAS / 2, CANVAS * 0.46 * scale
        pts = [
            (c + h * math.cos(a), c + 0.1 * CANVAS * (1 if up else -1) * scale + h * math.sin(a))
            for a in (
                (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)
                if up
                else (math.pi / 2, -math.pi / 6, -5 * math.pi / 6)
            )
        ]
        return pts

    d.polygon(tri(1.04), fill=WHITE)
    d.polygon(tri(1.0), fill=RED)
    d.polygon(tri(0.62), fill=WHITE)
    return img, d


def _arrow(
    d: ImageDraw.ImageDraw,
    angle_deg: float,
    fill=WHITE,
    length: float = 0.5,
    cx: float = 0.5,
    cy: float = 0.5,
    width: float = 0.09,
) -> None:
    """A straight arrow through (cx, cy) pointing at ``angle_deg`` (0 = up, clockwise)."""
    a = math.radians(angle_deg)
    ux, uy = math.sin(a), -math.cos(a)
    px, py = -uy, ux
    L, W = length * CANVAS, width * CANVAS
    c = (cx * CANVAS, cy * CANVAS)
    tail = (c[0] - ux * L / 2, c[1] - uy * L / 2)
    neck = (c[0] + ux * (L / 2 - 1.6 * W), c[1] + uy * (L / 2 - 1.6 * W))
    tip = (c[0] + ux * L / 2, c[1] + uy * L / 2)
    d.polygon(
        [
            (tail[0] + px * W / 2, tail[1] + py * W / 2),
            (neck[0] + px * W / 2, neck[1] + py * W / 2),
            (neck[0] + px * W * 1.4, neck[1] + py * W * 1.4),
            tip,
            (neck[0] - px * W * 1.4, neck[1] - py * W * 1.4),
            (neck[0] - px * W / 2, neck[1] - py * W / 2),
            (tail[0] - px * W / 2, tail[1] - py * W / 2),
        ],
        fill=fill,
    )


def speed_limit(kmh: int) -> Image.Image:
    img, d = _ring_sign()
    _text(d, str(kmh), 0.52 if kmh < 100 else 0.6, BLACK)
    return img


def stop() -> Image.Image:
    img, d = _canvas()
    c = CANVAS / 2

    def octagon(r: float) -> list[tuple[float, float]]:
        return [
            (
                c + r * math.cos(math.pi / 8 + k * math.pi / 4),
                c + r * math.sin(math.pi / 8 + k * math.pi / 4),
            )
            for k in range(8)
        ]

    d.polygon(octagon(CANVAS * 0.49), fill=WHITE)
    d.polygon(octagon(CANVAS * 0.45), fill=RED)
    _text(d, "STOP", 0.66, WHITE)
    return img


def yield_sign() -> Image.Image:
    return _triangle(up=False)[0]


def no_entry() -> Image.Image:
    img, d = _canvas()
    R = CANVAS * 0.48
    _disc(d, R, WHITE)
    _disc(d, R * 0.95, RED)
    c = CANVAS / 2
    d.rectangle((c - R * 0.7, c - R * 0.17, c + R * 0.7, c + R * 0.17), fill=WHITE)
    return img


def priority_road() -> Image.Image:
    img, d = _canvas()
    c = CANVAS / 2

    def diamond(r: float) -> list[tuple[float, float]]:
        return [(c, c - r), (c + r, c), (c, c + r), (c - r, c)]

    d.polygon(diamond(CANVAS * 0.49), fill=BLACK)
    d.polygon(diamond(CANVAS * 0.46), fill=WHITE)
    d.polygon(diamond(CANVAS * 0.30), fill=YELLOW)
    return img


def general_caution() -> Image.Image:
    img, d = _triangle(up=True)
    c = CANVAS / 2
    d.rectangle((c - 8, c - 22, c + 8, c + 28), fill=BLACK)
    d.ellipse((c - 9, c + 36, c + 9, c + 54), fill=BLACK)
    return img


def traffic_signals() -> Image.Image:
    img, d = _triangle(up=True)
    c = CANVAS / 2
    d.rectangle((c - 14, c - 28, c + 14, c + 58), fill=BLACK)
    for k, col in enumerate(((220, 30, 30), (240, 190, 20), (30, 180, 60))):
        y = c - 14 + k * 29
        d.ellipse((c - 10, y - 10, c + 10, y + 10), fill=col)
    return img


def _bent_arrow(
    d: ImageDraw.ImageDraw, x0: float, y_bottom: float, y_bend: float, r: float, width: int, fill
) -> None:
    """An arrow going up from (x0, y_bottom), bending right with radius ``r`` at ``y_bend``."""
    d.line([(x0, y_bottom), (x0, y_bend)], fill=fill, width=width)
    d.arc((x0, y_bend - r, x0 + 2 * r, y_bend + r), start=180, end=270, fill=fill, width=width)
    top = y_bend - r + width / 2 - 1
    d.line([(x0 + r, top), (x0 + r + width * 0.4, top)], fill=fill, width=width)
    tip = x0 + r + width * 2.2
    d.polygon(
        [
            (tip, top),
            (x0 + r + width * 0.3, top - width * 1.3),
            (x0 + r + width * 0.3, top + width * 1.3),
        ],
        fill=fill,
    )


def dangerous_curve_right() -> Image.Image:
    img, d = _triangle(up=True)
    c = CANVAS / 2
    _bent_arrow(d, c - 30, c + 58, c + 10, 26, 11, BLACK)
    return img


def no_passing() -> Image.Image:
    img, d = _ring_sign()
    c = CANVAS / 2
    for dx, col in ((-26, RED), (26, BLACK)):
        d.rounded_rectangle((c + dx - 20, c - 34, c + dx + 20, c + 30), radius=10, fill=col)
        d.rectangle((c + dx - 12, c - 24, c + dx + 12, c - 8), fill=WHITE)
    return img


def no_vehicles() -> Image.Image:
    return _ring_sign()[0]


def end_of_all_limits() -> Image.Image:
    img, d = _canvas()
    R = CANVAS * 0.48
    _disc(d, R, (90, 90, 90))
    _disc(d, R * 0.95, WHITE)
    c = CANVAS / 2
    for off in (-24, -8, 8, 24):
        d.line(
            [(c - R * 0.7 + off, c + R * 0.7 + off), (c + R * 0.7 + off, c - R * 0.7 + off)],
            fill=(60, 60, 60),
            width=5,
        )
    return img


def ahead_only() -> Image.Image:
    img, d = _blue_disc()
    _arrow(d, 0, length=0.62, width=0.1)
    return img


def turn_ahead(direction: str) -> Image.Image:
    img, d = _blue_disc()
    c = CANVAS / 2
    _bent_arrow(d, c - 42, c + 80, c + 10, 34, 22, WHITE)
    return img if direction == "right" else ImageOps.mirror(img)


def keep(direction: str) -> Image.Image:
    img, d = _blue_disc()
    _arrow(d, 135 if direction == "right" else 225, length=0.58, width=0.1)
    return img


def roundabout() -> Image.Image:
    img, d = _blue_disc()
    for k in range(3):
        a = 90 + 120 * k
        _arrow(
            d,
            a + 90,
            length=0.28,
            width=0.07,
            cx=0.5 + 0.2 * math.cos(math.radians(a - 90)),
            cy=0.5 + 0.2 * math.sin(math.radians(a - 90)),
        )
    return img


# Signs the generator draws, by GTSRB label name.
PAINTERS: dict[str, Callable[[], Image.Image]] = {
    "speed-limit-20": lambda: speed_limit(20),
    "speed-limit-30": lambda: speed_limit(30),
    "speed-limit-50": lambda: speed_limit(50),
    "speed-limit-60": lambda: speed_limit(60),
    "speed-limit-70": lambda: speed_limit(70),
    "speed-limit-80": lambda: speed_limit(80),
    "speed-limit-100": lambda: speed_limit(100),
    "speed-limit-120": lambda: speed_limit(120),
    "no-passing": no_passing,
    "priority-road": priority_road,
    "yield": yield_sign,
    "stop": stop,
    "no-vehicles": no_vehicles,
    "no-entry": no_entry,
    "general-caution": general_caution,
    "dangerous-curve-right": dangerous_curve_right,
    "traffic-signals": traffic_signals,
    "end-of-all-speed-and-passing-limits": end_of_all_limits,
    "turn-right-ahead": lambda: turn_ahead("right"),
    "turn-left-ahead": lambda: turn_ahead("left"),
    "ahead-only": ahead_only,
    "keep-right": lambda: keep("right"),
    "keep-left": lambda: keep("left"),
    "roundabout-mandatory": roundabout,
}
# Generated label order follows GTSRB ClassId order.
DRAWABLE_SIGNS: tuple[str, ...] = tuple(c for c in GTSRB_CLASSES if c in PAINTERS)

_CACHE: dict[str, Image.Image] = {}


def draw_sign(label: str) -> Image.Image:
    """The clean RGBA drawing of sign ``label`` (cached; callers must copy before editing)."""
    if label not in _CACHE:
        _CACHE[label] = PAINTERS[label]()
    return _CACHE[label]
