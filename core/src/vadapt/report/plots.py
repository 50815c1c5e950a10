"""The report card's figures (matplotlib, Agg), each a small PNG held in memory.

:func:`figures` draws every figure a report's measurements and the manifest's
training history allow and returns ``{file name: PNG bytes}``; a section with nothing
to draw has no figure.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

DPI = 96
MAX_CONFUSION_LABELS = 25


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    _plt().close(fig)
    return buf.getvalue()


def figures(report: dict[str, Any], history: Sequence[dict[str, Any]]) -> dict[str, bytes]:
    """Every figure that applies: ``curves.png``, ``confusion.png``, ``reliability.png``,
    ``regression.png``, ``robustness.png``, ``adversarial.png``, ``words.png``,
    ``features.png`` (tabular rows read as text), ``deletion.png``."""
    pred = report.get("predictions", {})
    rob = report.get("robustness", {})
    adv = report.get("adversarial", {})
    exp = report.get("explanations", {})
    makers: dict[str, tuple[bool, Callable[[], bytes]]] = {
        "curves.png": (bool(history), lambda: curves(history, report["metric"])),
        "confusion.png": (
            pred.get("kind") == "classification" and len(report["labels"]) <= MAX_CONFUSION_LABELS,
            lambda: confusion(pred["confusion"], report["labels"]),
        ),
        "reliability.png": ("reliability" in pred, lambda: reliability(pred["reliability"])),
        "regression.png": (pred.get("kind") == "regression", lambda: regression(pred)),
        "robustness.png": ("rows" in rob, lambda: robustness(rob)),
        "adversarial.png": ("rows" in adv, lambda: adversarial(adv)),
        "words.png": (bool(exp.get("top_words")), lambda: words(exp["top_words"])),
        "features.png": (bool(exp.get("top_features")), lambda: words(exp["top_features"])),
        "deletion.png": (
            "deletion" in exp,
            lambda: deletion(exp["deletion"], "pixels" if exp.get("kind") == "image" else "words"),
        ),
    }
    return {name: make() for name, (applies, make) in makers.items() if applies}


def curves(history: Sequence[dict[str, Any]], metric: str) -> bytes:
    """Training loss and validation loss by step; the task's metric on a second axis."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    steps = [r["step"] for r in history]
    for key, label in (("train_loss", "training loss"), ("loss", "validation loss")):
        pts = [(s, r[key]) for s, r in zip(steps, history, strict=True) if r.get(key) is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), marker="o", ms=3, label=label)
    ax.set(xlabel="optimizer step", ylabel="loss")
    pts = [(s, r[metric]) for s, r in zip(steps, history, strict=True) if r.get(metric) is not None]
    if pts:
        twin = ax.twinx()
        twin.plot(*zip(*pts, strict=True), color="tab:green", marker="s", ms=3, ls="--")
        twin.set_ylabel(f"validation {metric}", color="tab:green")
    ax.legend(fontsize=8, loc="best")
    return _png(fig)


def confusion(matrix: Sequence[Sequence[int]], labels: Sequence[str]) -> bytes:
    """Row-normalised confusion matrix (true label by row) with the counts written in."""
    import numpy as np

    plt = _plt()
    m = np.asarray(matrix, dtype=float)
    norm = m / np.maximum(m.sum(1, keepdims=True), 1)
    side = min(7.0, 2.2 + 0.45 * len(labels))
    fig, ax = plt.subplots(figsize=(side + 0.8, side))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ticks = range(len(labels))
    ax.set_xticks(ticks, [str(x)[:18] for x in labels], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(ticks, [str(x)[:18] for x in labels], fontsize=8)
    ax.set(xlabel="predicted", ylabel="true")
    if len(labels) <= 12:
        for i in ticks:
            for j in ticks:
                color = "white" if norm[i, j] > 0.6 else "black"
                ax.text(j, i, int(m[i, j]), ha="center", va="center", fontsize=7, color=color)
    fig.colorbar(im, ax=ax, fraction=0.046, label="share of the true label")
    return _png(fig)


def reliability(curves: dict[str, Sequence[dict[str, float]]]) -> bytes:
    """Accuracy against confidence per bin, raw and tempered, beside the diagonal."""
    from vadapt.kit.calibration import plot_reliability

    buf = io.BytesIO()
    plot_reliability(curves, buf, title="reliability on test")
    return buf.getvalue()


def regression(section: dict[str, Any]) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.2, 4.0))
    t, p = section["true"], section["predicted"]
    ax.scatter(t, p, s=6, alpha=0.5)
    lo, hi = min(min(t), min(p)), max(max(t), max(p))
    ax.plot([lo, hi], [lo, hi], color="0.6", ls="--", lw=1)
    ax.set(xlabel="true", ylabel="predicted", title=f"test (MAE {section['mae']:.3g})")
    return _png(fig)


def robustness(section: dict[str, Any]) -> bytes:
    """The task's metric per perturbation, one bar per severity, the clean score as a line."""
    import numpy as np

    plt = _plt()
    metric, rows = section["metric"], section["rows"]
    names = list(dict.fromkeys(r["perturbation"] for r in rows))
    levels = list(dict.fromkeys(r["severity"] for r in rows))
    width = 0.8 / len(levels)
    fig, ax = plt.subplots(figsize=(max(4.5, 0.7 * len(names) + 2), 3.2))
    for k, level in enumerate(levels):
        cells = {r["perturbation"]: r[metric] for r in rows if r["severity"] == level}
        xs = np.arange(len(names)) + (k - (len(levels) - 1) / 2) * width
        ax.bar(xs, [cells.get(n, np.nan) for n in names], width, label=f"severity {level}")
    clean = section["clean"][metric]
    ax.axhline(clean, color="black", lw=1, ls="--", label="clean")
    values = [r[metric] for r in rows if r.get(metric) is not None] + [clean]
    span = max(values) - min(values)
    ax.set_ylim(max(0.0, min(values) - max(0.05, 0.5 * span)), max(values) + 0.25 * max(span, 0.02))
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"test {metric}")
    ax.legend(fontsize=7, ncols=len(levels) + 1, loc="upper center", frameon=False)
    return _png(fig)


def adversarial(section: dict[str, Any]) -> bytes:
    """The task's metric against the attack's radius, the clean score as a line."""
    plt = _plt()
    metric = section["metric"]
    fig, ax = plt.subplots(figsize=(4.4, 3.0))
    xs = [r["epsilon"] for r in section["rows"]]
    ax.plot(xs, [r[metric] for r in section["rows"]], marker="o", label=section["attack"])
    ax.axhline(section["clean"][metric], color="black", lw=1, ls="--", label="clean")
    ax.set(xscale="log", xlabel=f"epsilon ({section['unit']})", ylabel=f"test {metric}")
    ax.set_xticks(xs, [f"{x:g}" for x in xs])
    ax.minorticks_off()
    ax.legend(fontsize=8)
    return _png(fig)


def words(top: dict[str, list[dict[str, Any]]]) -> bytes:
    """Per predicted class (up to six), its most attributed words (or features) as bars."""
    plt = _plt()
    classes = [c for c, ws in top.items() if ws][:6]
    cols = min(3, len(classes))
    rows = -(-len(classes) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 2.4 * rows), squeeze=False)
    for ax, label in zip(axes.flat, classes, strict=False):
        ws = top[label][::-1]
        ax.barh([w["word"][:22] for w in ws], [w["attribution"] for w in ws], color="tab:orange")
        ax.set_title(f"predicted {label}"[:30], fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(classes) :]:
        ax.axis("off")
    return _png(fig)


def deletion(curve: dict[str, Any], unit: str = "words") -> bytes:
    """p(predicted label) as the most attributed words (pixels) are deleted, against random."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.4, 3.2))
    xs = [100 * x for x in curve["fractions"]]
    ax.plot(
        xs, curve["top"], marker="o", ms=3, label=f"attributed first (AUC {curve['top_auc']:.3f})"
    )
    ax.plot(xs, curve["random"], marker="o", ms=3, label=f"random (AUC {curve['random_auc']:.3f})")
    ax.set(xlabel=f"% of {unit} deleted", ylabel="p(predicted label)", ylim=(0, 1.02))
    ax.legend(fontsize=8)
    return _png(fig)


SHEET_ORDER = (
    "curves.png", "confusion.png", "reliability.png", "regression.png", "robustness.png",
    "adversarial.png", "features.png", "words.png", "deletion.png",
)  # fmt: skip


def contact_sheet(pngs: dict[str, bytes], *, width: int = 360, columns: int = 3) -> bytes:
    """The card's main figures (and up to three heatmaps) on one small PNG, ``columns``
    across at ``width`` pixels each, 256 colours: for a README or a RESULTS page."""
    from PIL import Image

    def tile(data: bytes, w: int) -> Any:
        im = Image.open(io.BytesIO(data)).convert("RGB")
        return im.resize((w, round(im.height * w / im.width)), Image.LANCZOS)

    tiles = [tile(pngs[n], width) for n in SHEET_ORDER if n in pngs]
    heat = [tile(pngs[n], width // 3) for n in sorted(pngs) if n.startswith("heatmap-")][:3]
    if heat:  # three overlays side by side in one tile
        strip = Image.new("RGB", (width, max(h.height for h in heat)), "white")
        for k, h in enumerate(heat):
            strip.paste(h, (k * (width // 3), 0))
        tiles.append(strip)
    if not tiles:
        raise ValueError("the card has no figures")
    rows = [tiles[i : i + columns] for i in range(0, len(tiles), columns)]
    heights = [max(t.height for t in row) for row in rows]
    sheet = Image.new("RGB", (width * min(columns, len(tiles)), sum(heights)), "white")
    y = 0
    for row, h in zip(rows, heights, strict=True):
        for k, tile in enumerate(row):
            sheet.paste(tile, (k * width, y))
        y += h
    buf = io.BytesIO()
    sheet.quantize(256).save(buf, format="PNG", optimize=True)
    return buf.getvalue()
