"""A stream's result as tables (scores per strategy; each strategy's matrix) and as a
PNG of heatmaps, one per strategy."""

from __future__ import annotations

from typing import Any

MISSING = "—"
COLUMNS = (
    ("average_accuracy", "ACC"),
    ("backward_transfer", "BWT"),
    ("forgetting", "forgetting"),
    ("forward_transfer", "FWT"),
    ("newest", "newest"),
)


def score_rows(result: Any) -> tuple[list[str], list[list[str]]]:
    """One row per strategy: ACC, BWT, forgetting, FWT, the newest experience (mean ±
    std over seeds)."""
    headers = ["strategy", *(label for _, label in COLUMNS), "seconds"]
    summary = result.summary()
    rows = []
    for s in result.strategies():
        by = summary.get(s, {})
        secs = [r.seconds for r in result.runs if r.strategy == s]
        rows.append([s, *(_cell(by.get(k)) for k, _ in COLUMNS), f"{sum(secs) / len(secs):.0f}"])
    return headers, rows


def matrix_rows(result: Any, strategy: str) -> tuple[list[str], list[list[str]]]:
    """R[i][j] (mean over seeds): a row per experience trained, a column per test."""
    headers = ["after \\ test", *result.experiences]
    m = result.mean_matrix(strategy)
    return headers, [
        [name, *(MISSING if v is None else f"{v:.3f}" for v in row)]
        for name, row in zip(result.experiences, m, strict=True)
    ]


def _cell(stat: tuple[float, float, int] | None) -> str:
    if stat is None:
        return MISSING
    mean, std, runs = stat
    return f"{mean:+.3f}" if runs == 1 else f"{mean:+.3f} ± {std:.3f}"


def plot_matrices(result: Any, path: str) -> str:
    """One heatmap of R[i][j] per strategy, annotated, on a shared colour scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = result.strategies()
    t = len(result.experiences)
    fig, axes = plt.subplots(
        1, len(names), figsize=(1.2 + 0.9 * t * len(names), 0.8 + 0.7 * t), dpi=100, squeeze=False
    )
    grids = [
        np.array([[np.nan if v is None else v for v in row] for row in result.mean_matrix(s)])
        for s in names
    ]
    finite = np.concatenate([g[np.isfinite(g)] for g in grids]) if grids else np.array([0.0])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    image = None
    for k, (ax, name, grid) in enumerate(zip(axes[0], names, grids, strict=True)):
        image = ax.imshow(grid, vmin=lo, vmax=hi, cmap="viridis")
        for i in range(t):
            for j in range(t):
                text = MISSING if np.isnan(grid[i, j]) else f"{grid[i, j]:.2f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white")
        ax.set_title(name, fontsize=9)
        ax.set_xticks(range(t), result.experiences, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(t), result.experiences if k == 0 else [], fontsize=7)
        ax.set_xlabel("tested on", fontsize=8)
    axes[0][0].set_ylabel("after training on", fontsize=8)
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label=f"test {result.metric}")
    fig.suptitle(f"{result.task} stream {result.stream!r} ({result.seeds} seed(s))", fontsize=10)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return str(path)
