"""Does ``channels_last`` speed up EfficientNet-Lite0 on CPU? The default (NCHW) is the peer.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_channels_last.py [--steps 12] [--threads 2]

The driving plugin's backbone (EfficientNet-Lite0, bundled) with a linear head: a full
fine-tuning step (forward, backward, AdamW) and an inference batch, on batches of 16
images of 224 x 224, in the default memory format and in ``torch.channels_last`` (model
and inputs). Prints the median time of each after two warm-up steps and the ratio.
vadapt converts only if channels_last wins.
"""

from __future__ import annotations

import argparse
import statistics
import time


def run(channels_last: bool, steps: int, size: int) -> tuple[float, float]:
    import torch
    from vadapt.backbones.image import load_efficientnet_lite0

    torch.manual_seed(0)
    loaded = load_efficientnet_lite0()
    model, head = loaded.model, torch.nn.Linear(loaded.hidden_size, 4)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    x = torch.randn(16, 3, size, size).to(memory_format=fmt)
    y = torch.randint(0, 4, (16,))
    opt = torch.optim.AdamW([*model.parameters(), *head.parameters()], lr=1e-4)
    model.train()
    train = []
    for _ in range(steps + 2):
        t0 = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(head(model(x)), y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        train.append(time.perf_counter() - t0)
    model.eval()
    infer = []
    with torch.no_grad():
        for _ in range(steps + 2):
            t0 = time.perf_counter()
            head(model(x))
            infer.append(time.perf_counter() - t0)
    return statistics.median(train[2:]), statistics.median(infer[2:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", type=int, default=224)
    a = p.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    base = run(False, a.steps, a.size)
    last = run(True, a.steps, a.size)
    print(f"EfficientNet-Lite0, batch 16 x {a.size}px, {a.threads} thread(s), median of {a.steps}")
    for what, b, c in (("train step", base[0], last[0]), ("inference", base[1], last[1])):
        print(
            f"{what:<11} NCHW {b * 1000:7.0f} ms   channels_last {c * 1000:7.0f} ms   "
            f"ratio {b / c:.2f} (> 1: channels_last faster)"
        )


if __name__ == "__main__":
    main()
