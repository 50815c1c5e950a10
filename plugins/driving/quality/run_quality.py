"""Quality run: clean / corruption / PGD-robust accuracy of four adapters on GENERATED data.

Trains one adapter per variant — plain, + corruption augmentation, + PGD adversarial
training, + both — on the labelled-SYNTHETIC generated set, then scores each with
``vadapt_driving.robustness.evaluate_robustness`` on the same test images, the same
seeded corruptions and the same PGD budget. The augmentation draws from 7 of the 10
corruptions; snow, motion_blur and jpeg are held out, so the report separates
corruptions seen in training from unseen ones.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
        .venv/bin/python plugins/driving/quality/run_quality.py \
        --out plugins/driving/quality/results-lights.json

Options left unset take the task's recipe (``TaskSpec.defaults``: the settings behind
RESULTS.md's rows, ``vadapt adapt TASK --dry-run`` shows them). Everything is seeded;
``train.threads=1`` unless ``--threads``. Results are SYNTHETIC-data numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

HELD_OUT = ("snow", "motion_blur", "jpeg")
SEEN = ("fog", "rain", "brightness", "contrast", "defocus_blur", "occlusion", "gaussian_noise")


def variants(eps: float, train_steps: int) -> dict[str, dict]:
    aug = {"enabled": True, "options": {"corruptions": list(SEEN), "p": 0.5}}
    adv = {"enabled": True, "epsilon": eps, "steps": train_steps, "weight": 1.0}
    return {
        "plain": {},
        "augment": {"augment": aug},
        "adversarial": {"adversarial": adv},
        "augment+adversarial": {"augment": aug, "adversarial": adv},
    }


def _given(**values: object) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def base_config(args: argparse.Namespace) -> dict:
    """The command-line settings; what is not given comes from the task's recipe."""
    data = _given(
        image_size=args.image_size,
        train_per_class=args.train_per_class,
        eval_per_class=args.eval_per_class,
    )
    train = _given(epochs=args.epochs, image_size=args.image_size, lr=args.lr, threads=args.threads)
    cfg: dict = {"task": args.task, "data": data, "train": train}
    if args.method:
        cfg["method"] = {"name": args.method}
    return cfg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="driving/traffic-lights")
    recipe = "default: the task's recipe"
    ap.add_argument("--image-size", type=int, help=f"data and train image size ({recipe})")
    ap.add_argument("--train-per-class", type=int, help=recipe)
    ap.add_argument("--eval-per-class", type=int, help=recipe)
    ap.add_argument("--epochs", type=int, help=recipe)
    ap.add_argument("--method", help=recipe)
    ap.add_argument("--lr", type=float, help=recipe)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--epsilon", type=float, default=2.0, help="PGD budget in pixel levels (0-255)")
    ap.add_argument("--train-pgd-steps", type=int, default=2)
    ap.add_argument("--eval-pgd-steps", type=int, default=5)
    ap.add_argument(
        "--extra-epsilons",
        type=float,
        nargs="*",
        default=[],
        help="also report PGD robust accuracy at these budgets (pixel levels)",
    )
    ap.add_argument("--only", nargs="*", help="run only these variants")
    ap.add_argument("--registry", default=None, help="registry root (default: a temp folder)")
    ap.add_argument("--out", required=True, help="JSON file for the results")
    args = ap.parse_args()

    registry = args.registry or tempfile.mkdtemp(prefix="vadapt-driving-quality-")
    os.environ["VADAPT_HOME"] = registry
    from vadapt.engine import adapt
    from vadapt_driving.robustness import evaluate_robustness

    base = base_config(args)
    out: dict = {"synthetic": True, "args": vars(args), "registry": registry, "runs": {}}
    out_path = Path(args.out)
    for name, extra in variants(args.epsilon, args.train_pgd_steps).items():
        if args.only and name not in args.only:
            continue
        t0 = time.time()
        cfg = {**base, **extra, "output": {"name": f"quality-{name.replace('+', '-')}"}}
        res = adapt(cfg, progress=False)
        t1 = time.time()
        rob = evaluate_robustness(
            res.ref,
            threads=args.threads,
            pgd_config={"epsilon": args.epsilon, "steps": args.eval_pgd_steps, "options": {}},
            extra_epsilons=args.extra_epsilons,
        )
        t2 = time.time()
        seen = [rob[f"driving.corruption.{c}.accuracy"] for c in SEEN]
        unseen = [rob[f"driving.corruption.{c}.accuracy"] for c in HELD_OUT]
        row = {
            "ref": res.ref,
            "config": cfg,
            "train_s": round(t1 - t0, 1),
            "eval_s": round(t2 - t1, 1),
            "test": dict(res.metrics["test"]),
            "baselines": res.baselines,
            "robustness": rob,
            "clean_accuracy": rob["accuracy"],
            "mca": rob["driving.mean_corruption_accuracy"],
            "mca_seen": sum(seen) / len(seen),
            "mca_held_out": sum(unseen) / len(unseen),
            "robust_accuracy": rob["driving.robust_accuracy"],
            "robust_curve": {
                k.rsplit(".", 1)[1]: v
                for k, v in rob.items()
                if k.startswith("driving.robust_accuracy.eps")
            },
        }
        out["runs"][name] = row
        print(
            f"{name:22s} clean {row['clean_accuracy']:.3f}  mCA {row['mca']:.3f} "
            f"(seen {row['mca_seen']:.3f}, held-out {row['mca_held_out']:.3f})  "
            f"PGD {row['robust_accuracy']:.3f}  train {row['train_s']}s eval {row['eval_s']}s",
            flush=True,
        )
        out_path.write_text(json.dumps(out, indent=1, sort_keys=True, default=str))


if __name__ == "__main__":
    main()
