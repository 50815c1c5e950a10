"""A few-shot result as a table (mean ± std per k) and as a learning-curve PNG."""

from __future__ import annotations

from typing import Any

MISSING = "—"


def table_rows(result: Any, metric: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Headers and rows: one row per method/baseline, one column per k, then the
    full-data reference as its own row."""
    summary = result.summary(metric)
    headers = ["k per class", *(str(k) for k in result.shots)]
    rows = []
    kinds = {p.name: p.kind for p in result.points}
    for name, by_k in summary.items():
        label = name if kinds.get(name) == "method" else f"{name} (baseline)"
        rows.append([label, *(_cell(by_k.get(k)) for k in result.shots)])
    ref = result.reference
    if ref is not None and (metric or result.metric) == ref["metric"]:
        rows.append(
            [f"full-data lora ({ref['ref']})", *([f"{ref['value']:.3f}"] * len(result.shots))]
        )
    return headers, rows


def _cell(stat: tuple[float, float, int] | None) -> str:
    if stat is None:
        return MISSING
    mean, std, runs = stat
    return f"{mean:.3f}" if runs == 1 else f"{mean:.3f} ± {std:.3f}"


def plot_curve(result: Any, path: str) -> str:
    """The metric against k (symlog x, so k = 0 shows), one line per method or baseline
    with ±1 std bands, the full-data LoRA as a dashed line; written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    kinds = {p.name: p.kind for p in result.points}
    for name, by_k in result.summary().items():
        ks = sorted(by_k)
        mean = [by_k[k][0] for k in ks]
        std = [by_k[k][1] for k in ks]
        style = "-o" if kinds.get(name) == "method" else ":s"
        if len(ks) == 1:  # zero-shot: a level line across the curve
            ax.axhline(mean[0], linestyle="-.", linewidth=1.2, label=f"{name} (k=0)")
            continue
        (line,) = ax.plot(ks, mean, style, label=name, markersize=4)
        lo = [m - s for m, s in zip(mean, std, strict=True)]
        hi = [m + s for m, s in zip(mean, std, strict=True)]
        ax.fill_between(ks, lo, hi, color=line.get_color(), alpha=0.15)
    if result.reference is not None:
        ref = result.reference
        ax.axhline(ref["value"], color="black", linestyle="--", linewidth=1, label="full-data lora")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xticks(list(result.shots), [str(k) for k in result.shots])
    ax.set_xlabel("labelled examples per class (k)")
    ax.set_ylabel(f"test {result.metric}")
    ax.set_title(f"{result.task}: {result.seeds} seeds, test n={result.test_size}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)
