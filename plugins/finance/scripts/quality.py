"""Quality runs of vadapt-finance on the bundled real data; prints a markdown report.

    flock /tmp/vadapt-heavy.lock env HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
      OMP_NUM_THREADS=2 .venv/bin/python plugins/finance/scripts/quality.py [credit ...] > report.md

Each run is one ``vadapt.engine.adapt`` call: the task's recipe (``TaskSpec.defaults``,
printed in RESULTS.md) plus the overrides in ``RUNS``; the CLI equivalent is printed
beside the result. Every baseline (``TaskSpec.baselines`` and the plugin's own) is
scored on the same test split by the same code. ``train.threads`` is taken from
OMP_NUM_THREADS. Runs below the majority baseline are saved tagged (the gate's
verdict is printed) so their numbers can be reported. Adapters go to a throw-away
registry under /tmp unless VADAPT_HOME is set. Not run by CI (it trains a real
backbone for minutes to an hour on CPU).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any

RUNS: dict[str, dict[str, Any]] = {
    # the recipe: percentile words, one epoch
    "credit": {"task": "finance/credit-default"},
    # the first run: decile words, 2 epochs
    "credit-deciles": {
        "task": "finance/credit-default",
        "train": {"epochs": 2, "patience": 2},
        "data": {"quantiles": 10},
    },
    # the recipe: ISLR Smarket, textbook split
    "smarket": {"task": "finance/market-direction"},
    "sp500": {
        "task": "finance/market-direction",
        "train": {"epochs": 2, "patience": 1},
        "data": {"dataset": "sp500", "window": 5, "horizon": 1, "train_start": "2005-01-01"},
    },
}

SHOW = {
    "finance/credit-default": [
        "accuracy", "macro_f1", "auroc", "finance.ks", "brier", "ece",
        "finance.precision_at_10pct", "finance.recall_at_10pct",
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

    spec = RUNS[name]
    task = spec["task"]
    sets = [
        f"--set {sec}.{k}={v}" for sec in ("train", "data") for k, v in spec.get(sec, {}).items()
    ]
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    cfg = {
        **spec,
        "train": {**spec.get("train", {}), "threads": threads},
        "output": {"name": f"quality-{name}", "notes": "finance quality run",
                   "allow_below_baseline": True},
    }  # fmt: skip
    t0 = time.time()
    res = adapt(cfg, progress=False)
    wall = time.time() - t0
    rows = {f"adapter (LoRA, {res.steps} steps)": res.metrics["test"], **res.baselines}
    gate = res.gate or {}
    lines = [
        f"### {name}: `{task}`",
        "",
        f"`vadapt adapt {task} {' '.join(sets)} --set train.threads={threads}` "
        f"(wall {wall / 60:.1f} min, {res.samples_per_second:.1f} train samples/s, "
        f"{res.trainable_parameters:,} trainable of {res.total_parameters:,} parameters; "
        f"ref `{res.ref}`; gate on {gate.get('metric')}: "
        f"{'passed' if gate.get('passed') else 'REFUSED (saved tagged below-baseline)'})",
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
