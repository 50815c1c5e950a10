"""Explanation throughput: ``vadapt.engine.explain`` (integrated gradients, 32 steps)
against in-process ``predict`` of the same adapter on the same texts (the peer: what one
answer costs without an explanation).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_explain.py [--n 24] [--steps 32] [--threads 2]

A LoRA adapter of ``customer-service/review-triage`` (MiniLM, the task's 128 tokens) is
trained for a few steps into a temporary registry — its quality does not matter for
speed — then both sides run on the first N test reviews. Prints texts/s of each, the
ratio (how many predictions one explanation costs) and the goal, >= 5 texts/s on 2 cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--steps", type=int, default=32)
    ap.add_argument("--internal-batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    from vadapt.engine import adapt
    from vadapt.engine.explain import explain
    from vadapt.engine.load import load_adapter, predict, split_examples
    from vadapt.hooks import hooks

    root = tempfile.mkdtemp(prefix="bench-explain-")
    res = adapt(
        {
            "task": "customer-service/review-triage",
            "data": {"max_validation_examples": 20},
            "train": {"max_steps": 4, "threads": args.threads},
            "output": {"registry": root, "allow_below_baseline": True},
        },
        progress=False,
    )
    lm = load_adapter(res.ref, registry=root, threads=args.threads)
    texts = [ex["text"] for ex in split_examples(lm, hooks(), "test")[: args.n]]
    examples = [{"text": t} for t in texts]

    predict(res.ref, examples[:4], loaded=lm)  # warm-up
    t0 = time.perf_counter()
    predict(res.ref, examples, loaded=lm)
    peer = len(texts) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    explain(res.ref, texts, steps=args.steps, internal_batch_size=args.internal_batch_size,
            loaded=lm)  # fmt: skip
    ours = len(texts) / (time.perf_counter() - t0)
    print(f"explain ({args.steps} steps, internal batch {args.internal_batch_size}): "
          f"{ours:.2f} texts/s")  # fmt: skip
    print(f"predict (peer, in-process):  {peer:.2f} texts/s")
    print(f"ratio explain/predict: {ours / peer:.4f} "
          f"(one explanation costs {peer / ours:.0f} predictions)")  # fmt: skip
    print(f"goal >= 5 texts/s: {'met' if ours >= 5 else 'not met'}")


if __name__ == "__main__":
    main()
