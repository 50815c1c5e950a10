"""vadapt's CPU dropout (``train.fast_dropout``) against torch's ``F.dropout``, side by side.

(a) The op: one dropout of a 16 x 128 x 384 hidden-state tensor and of a
    16 x 12 x 128 x 128 attention-probability tensor, p = 0.1, forward only, ms per call.
(b) Training: review triage's LoRA recipe for ``--steps`` optimizer steps, each variant
    its own subprocess, alternating for ``--rounds``; median training samples/s and the
    ratio fast / torch. Not run by CI.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_fast_dropout.py --precision bf16-native
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def op_times(threads: int) -> None:
    import torch
    from vadapt.engine.dropout import fast_dropout

    torch.set_num_threads(threads)
    for shape in ((16, 128, 384), (16, 12, 128, 128)):
        x = torch.randn(*shape)
        for name, fn in (
            ("torch F.dropout", torch.nn.functional.dropout),
            ("vadapt", fast_dropout),
        ):
            fn(x, 0.1, True)
            t = time.perf_counter()
            for _ in range(20):
                fn(x, 0.1, True)
            ms = (time.perf_counter() - t) / 20 * 1e3
            print(f"(a) {shape!s:<20} {name:<16} {ms:7.2f} ms")


def worker(a: argparse.Namespace) -> None:
    from vadapt.engine import adapt

    train = {"max_steps": a.steps, "threads": a.threads, "precision": a.precision}
    train |= {"fast_dropout": a.variant == "fast", "eval_every": 10**6}
    res = adapt(
        {"task": "customer-service/review-triage", "train": train, "output": {"save": False}},
        progress=False,
    )
    print("RESULT " + json.dumps({"samples_per_second": res.samples_per_second}))


def run(a: argparse.Namespace, variant: str) -> float:
    cmd = [sys.executable, __file__, "--worker", variant, "--steps", str(a.steps)]
    cmd += ["--threads", str(a.threads), "--precision", a.precision]
    env = {**os.environ, "OMP_NUM_THREADS": str(a.threads)}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        sys.exit(f"{variant} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(line[7:])["samples_per_second"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--precision", choices=["fp32", "bf16-native"], default="bf16-native")
    p.add_argument("--worker", choices=["fast", "torch"], dest="variant", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.variant:
        worker(a)
        return
    op_times(a.threads)
    runs: dict[str, list[float]] = {"fast": [], "torch": []}
    for _ in range(a.rounds):
        for variant in runs:
            runs[variant].append(run(a, variant))
    fast, peer = (statistics.median(runs[v]) for v in ("fast", "torch"))
    print(
        f"(b) review triage LoRA, {a.steps} steps, {a.precision}, {a.threads} threads: "
        f"fast_dropout {fast:.2f} samples/s, torch dropout {peer:.2f} "
        f"(runs {runs}); ratio {fast / peer:.3f}"
    )


if __name__ == "__main__":
    main()
