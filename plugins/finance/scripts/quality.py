"""Quality runs of vadapt-finance on the bundled real data; prints a markdown report.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false OMP_NUM_THREADS=1 \\
      .venv/bin/python plugins/finance/scripts/quality.py [credit|smarket|sp500 ...] > report.md

Each run is one ``vadapt.engine.adapt`` call with the config printed beside its
result; every baseline is computed by the plugin's ``baselines`` hook on the same
test split. Adapters go to a throw-away registry under /tmp unless VADAPT_HOME is set.
Not run by CI (it trains a real backbone for minutes to an hour on CPU).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any

RUNS: dict[str, dict[str, Any]] = {
    # percentile words (the default), one epoch (time-boxed on a loaded CPU); see RESULTS.md
    "credit-1epoch": {
        "task": "finance/credit-default",
        "method": {"name": "lora", "r": 8, "alpha": 16},
        "train": {"epochs": 1, "batch_size": 32, "lr": 2e-3, "max_length": 64, "threads": 1,
                  "class_weights": "balanced", "seed": 0},
        "data": {"dataset": "islr-default", "quantiles": 100},
    },
    # the first run: decile words, same learning rate, 2 epochs
    "credit-deciles": {
        "task": "finance/credit-default",
        "method": {"name": "lora", "r": 8, "alpha": 16},
        "train": {"epochs": 2, "batch_size": 32, "lr": 2e-3, "max_length": 64, "threads": 1,
                  "class_weights": "balanced", "seed": 0, "patience": 2},
        "data": {"dataset": "islr-default", "quantiles": 10},
    },
    "smarket": {
        "task": "finance/market-direction",
        "method": {"name": "lora", "r": 8, "alpha": 16},
        "train": {"epochs": 5, "batch_size": 32, "lr": 1e-3, "max_length": 96, "threads": 1,
                  "seed": 0, "patience": 2},
        "data": {"dataset": "smarket"},
    },
    "sp500": {
        "task": "finance/market-direction",
        "method": {"name": "lora", "r": 8, "alpha": 16},
        "train": {"epochs": 2, "batch_size": 32, "lr": 1e-3, "max_length": 96, "threads": 1,
                  "seed": 0, "patience": 1},
        "data": {"dataset": "sp500", "window": 5, "horizon": 1, "train_start": "2005-01-01"},
    },
}  # fmt: skip

SHOW = {
    "finance/credit-default": [
        "accuracy", "macro_f1", "finance.auroc", "finance.ks", "finance.brier",
        "finance.calibration_error", "finance.precision_at_10pct", "finance.recall_at_10pct",
    ],
    "finance/market-direction": [
        "accuracy", "macro_f1", "finance.hit_rate", "finance.long_fraction",
        "finance.strategy_return", "finance.buy_hold_return", "finance.excess_return",
    ],
}  # fmt: skip


def table(task: str, rows: dict[str, dict[str, float]]) -> str:
    cols = SHOW[task]
    out = ["| model | " + " | ".join(c.removeprefix("finance.") for c in cols) + " |"]
    out.append("|---" * (len(cols) + 1) + "|")
    for name, m in rows.items():
        cells = [f"{m[c]:.4f}" if c in m else "–" for c in cols]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def run(name: str) -> str:
    from vadapt.engine import adapt

    cfg = {**RUNS[name], "output": {"name": f"quality-{name}", "notes": "finance quality run"}}
    t0 = time.time()
    res = adapt(cfg, progress=False)
    wall = time.time() - t0
    task = cfg["task"]
    rows = {f"adapter (LoRA, {res.steps} steps)": res.metrics["test"], **res.baselines}
    sets = " ".join(
        f"--set {sec}.{k}={v}" for sec in ("method", "train", "data") for k, v in cfg[sec].items()
    )
    lines = [
        f"### {name}: `{task}`",
        "",
        f"`vadapt adapt {task} {sets}` (wall {wall / 60:.1f} min, "
        f"{res.samples_per_second:.1f} train samples/s, "
        f"{res.trainable_parameters:,} trainable of {res.total_parameters:,} parameters; "
        f"ref `{res.ref}`)",
        "",
        table(task, rows),
        "",
        "validation: "
        + json.dumps(
            {k: round(v, 4) for k, v in res.metrics["validation"].items() if k in SHOW[task]}
        ),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    names = argv or list(RUNS)
    os.environ.setdefault("VADAPT_HOME", tempfile.mkdtemp(prefix="vadapt-finance-quality-"))
    for name in names:
        print(run(name), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
