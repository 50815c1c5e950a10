"""The medical quality runs (not part of CI): brca vs logistic regression, and the
SYNTHETIC imaging set end to end through the registry.

    VADAPT_HOME=/tmp/medq HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
        python plugins/medical/scripts/quality.py brca [--set key=value ...] --out results.json

Each run is the task's recipe (``TaskSpec.defaults``) plus what ``RUNS`` and ``--set``
add (threads, the synthetic data, the adapter name); it prints and appends one JSON
line: the config, the adapter's test metrics, the baselines on the same split, the
wall time.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

RUNS: dict[str, dict[str, Any]] = {
    "brca": {
        "task": "medical/tumor-diagnosis",
        "train": {"threads": 1},
        "output": {"name": "brca-quality"},
    },
    "synthetic-imaging": {
        "task": "medical/imaging",
        "data": {"synthetic": True, "synthetic_n": 600, "synthetic_size": 32},
        "train": {"threads": 1},
        "output": {"name": "synthetic-imaging-quality"},
    },
    "synthetic-multilabel": {
        "task": "medical/imaging-multilabel",
        "data": {"synthetic": True, "synthetic_n": 600, "synthetic_size": 32},
        "train": {"threads": 1},
        "output": {"name": "synthetic-multilabel-quality"},
    },
}


def _set(cfg: dict[str, Any], item: str) -> None:
    key, _, raw = item.partition("=")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    node = cfg
    *parents, leaf = key.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value


ML_KEYS = (
    "accuracy",
    "macro_f1",
    "auroc",
    "auroc_micro",
    "medical.sensitivity_at_95_specificity",
    "ece",
)
KEYS = (
    "accuracy",
    "macro_f1",
    "auroc",
    "medical.sensitivity",
    "medical.specificity",
    "medical.sensitivity_at_95_specificity",
    "ece",
)


def report(path: str) -> str:
    """A markdown table per run: the adapter next to its baselines, same test split."""
    out = []
    for line in open(path):
        row = json.loads(line)
        keys = ML_KEYS if "auroc_micro" in row["test"] else KEYS
        cols = [k.removeprefix("medical.") for k in keys]
        out.append(f"#### {row['run']} — `{row['ref']}` ({row['seconds']:.0f} s)\n")
        out.append("| model | " + " | ".join(cols) + " |")
        out.append("|---" * (len(cols) + 1) + "|")
        rows = [("adapter (test)", row["test"]), *sorted(row["baselines"].items())]
        for name, m in rows:
            cells = [f"{m[k]:.4f}" if k in m else "—" for k in keys]
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        ev = row.get("registry_evaluate_test", {})
        k0 = "auroc"
        same = abs(ev.get(k0, float("nan")) - row["test"][k0]) < 1e-6
        out.append(
            f"\nRe-evaluated from the registry (`evaluate_adapter`): {k0} "
            f"{ev.get(k0, float('nan')):.4f} ({'identical' if same else 'DIFFERENT'}).\n"
        )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", choices=[*sorted(RUNS), "report"])
    ap.add_argument("--results", default=None, help="report: the JSONL the runs appended to")
    ap.add_argument("--set", action="append", default=[], dest="sets")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if a.run == "report":
        print(report(a.results))
        return
    cfg = json.loads(json.dumps(RUNS[a.run]))
    for item in a.sets:
        _set(cfg, item)
    from vadapt.engine import adapt, evaluate_adapter

    t0 = time.perf_counter()
    res = adapt(cfg, progress=False)
    wall = time.perf_counter() - t0
    row: dict[str, Any] = {
        "run": a.run,
        "config": cfg,
        "ref": res.ref,
        "seconds": round(wall, 1),
        "test": res.metrics.get("test", {}),
        "validation": res.metrics.get("validation", {}),
        "baselines": res.baselines,
    }
    t1 = time.perf_counter()
    row["registry_evaluate_test"] = evaluate_adapter(res.ref, split="test")
    row["registry_evaluate_seconds"] = round(time.perf_counter() - t1, 1)
    line = json.dumps(row, default=str)
    print(line)
    if a.out:
        with open(a.out, "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
