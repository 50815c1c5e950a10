"""Encoder zero-shot throughput: vadapt's ``zero-shot`` adapter against a bare
transformers loop doing the same computation (the peer), on the real review texts.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_fewshot.py [--n 512] [--threads 2]

Both embed the test reviews of ``customer-service/review-triage`` with MiniLM (max_length
128, the task's recipe) and take the cosine to each label description: vadapt through
``vadapt.engine.evaluate.infer`` (packed tokens, batches of similar length, the task's
precision), the peer tokenising each batch of 64 in input order with padding and
mean-pooling in fp32 (what a hand-written zero-shot classifier does). Prints texts/s of
each and the ratio; the goal is >= 100 texts/s on 2 cores. Predictions must agree.
"""

from __future__ import annotations

import argparse
import time


def vadapt_side(n: int, threads: int) -> tuple[float, list[str], list[str], list[str], tuple]:
    from vadapt.engine import adapt
    from vadapt.engine.evaluate import infer

    cfg = {
        "task": "customer-service/review-triage",
        "method": {"name": "zero-shot", "prior": False, "scale": 20.0},
        "data": {"max_validation_examples": 20},
        "train": {"threads": threads},
        "output": {"save": False},
    }
    res = adapt(cfg, progress=False)
    from vadapt.hooks import hooks

    task = hooks().task(cfg["task"])
    texts = [ex["text"] for ex in hooks().load_data(task, task.data_model()).test[:n]]
    examples = [{"text": t, "label": "other"} for t in texts]
    infer(res.model, res.context, examples[:64])  # warm-up
    t0 = time.perf_counter()
    probs, _ = infer(res.model, res.context, examples)
    seconds = time.perf_counter() - t0
    labels = [res.context.labels[i] for i in probs.argmax(1)]
    descriptions = [task.describe(lab) for lab in res.context.labels]
    return len(texts) / seconds, labels, texts, descriptions, tuple(res.context.labels)


def peer_side(
    texts: list[str], descriptions: list[str], labels: tuple[str, ...]
) -> tuple[float, list[str]]:
    import torch
    from transformers import AutoModel, AutoTokenizer
    from vadapt.backbones.text import minilm_path

    path = minilm_path()
    tok, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()

    def embed(batch: list[str]) -> torch.Tensor:
        enc = tok(batch, padding=True, truncation=True, max_length=128, return_tensors="pt")
        out = model(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).float()
        return torch.nn.functional.normalize((out * m).sum(1) / m.sum(1), dim=-1)

    with torch.no_grad():
        d = embed(descriptions)
        embed(texts[:64])  # warm-up
        t0 = time.perf_counter()
        picks = [embed(texts[i : i + 64]) @ d.T for i in range(0, len(texts), 64)]
        seconds = time.perf_counter() - t0
    out = torch.cat(picks).argmax(1).tolist()
    return len(texts) / seconds, [labels[i] for i in out]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=512, help="test reviews scored")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    ours, ours_labels, texts, descriptions, labels = vadapt_side(args.n, args.threads)
    theirs, their_labels = peer_side(texts, descriptions, labels)
    agree = sum(a == b for a, b in zip(ours_labels, their_labels, strict=True)) / len(texts)
    print(f"zero-shot over {len(texts)} reviews, {args.threads} threads")
    print(f"  vadapt zero-shot adapter     {ours:8.1f} texts/s")
    print(f"  bare transformers loop (peer) {theirs:7.1f} texts/s")
    print(
        f"  ratio {ours / theirs:.2f}x; predictions agree on {agree:.1%}; goal >= 100 texts/s: "
        f"{'met' if ours >= 100 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
