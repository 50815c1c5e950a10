"""``freeze`` with its frozen-prefix cache against the same run recomputing the frozen layers.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_freeze_cache.py [--n 1200] [--epochs 3]

Review triage (customer-service plugin, MiniLM, ``method: freeze, layers: 2``, length-
grouped batches of 16 at 128 tokens, 2 threads), three runs, each its own subprocess:

- ``cached``: the default (``cache_prefix: true``): the frozen four layers run in eval mode
  and their outputs are recorded in epoch 1 and replayed afterwards (validation too);
- ``recomputed``: the same frozen function, nothing cached (``cache_prefix_gb`` too small
  for any split), i.e. the peer: identical arithmetic, frozen layers run every step;
- ``dropout``: ``cache_prefix: false``, the frozen layers run with dropout every step
  (vadapt's behaviour before the cache), for the quality comparison.

Prints training samples/s (evaluation excluded), whole-run seconds (with validation each
epoch and the test pass), the ratio cached/recomputed, and test accuracy/macro-F1 of each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

VARIANTS = {
    "cached": {},
    "recomputed": {"cache_prefix_gb": 1e-9},
    "dropout": {"cache_prefix": False},
}


def worker(a: argparse.Namespace) -> dict[str, float]:
    from vadapt.engine import adapt

    t = time.perf_counter()
    res = adapt(
        {
            "task": "customer-service/review-triage",
            "backbone": "minilm",
            "method": {"name": "freeze", "layers": 2, **VARIANTS[a.variant]},
            "train": {
                "epochs": a.epochs,
                "batch_size": 16,
                "max_length": 128,
                "group_by_length": True,
                "precision": "fp32",
                "patience": 0,
                "threads": a.threads,
                "max_train_examples": a.n,
            },
            "output": {"save": False},
        },
        progress=False,
    )
    return {
        "samples_per_second": res.samples_per_second,
        "seconds": time.perf_counter() - t,
        "accuracy": res.metrics["test"]["accuracy"],
        "macro_f1": res.metrics["test"]["macro_f1"],
        "cache": res.prefix_cache,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1200, help="training reviews")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--variant", choices=list(VARIANTS), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.variant:
        print(json.dumps(worker(a)))
        return
    print(
        f"freeze layers=2, {a.n} reviews x {a.epochs} epochs, batch 16, 128 tokens, "
        f"{a.threads} thread(s), fp32"
    )
    res = {}
    for v in VARIANTS:
        cmd = [
            sys.executable,
            __file__,
            "--variant",
            v,
            "--n",
            str(a.n),
            "--epochs",
            str(a.epochs),
            "--threads",
            str(a.threads),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        res[v] = json.loads(out.strip().splitlines()[-1])
        r = res[v]
        print(
            f"  {v:<10} {r['samples_per_second']:6.1f} samples/s  {r['seconds']:6.1f} s whole "
            f"run  test accuracy {r['accuracy']:.3f}  macro-F1 {r['macro_f1']:.3f}  "
            f"cache {r['cache']}"
        )
    c, u = res["cached"], res["recomputed"]
    print(
        f"cached / recomputed: {c['samples_per_second'] / u['samples_per_second']:.2f}x "
        f"training samples/s, {u['seconds'] / c['seconds']:.2f}x whole run"
    )


if __name__ == "__main__":
    main()
