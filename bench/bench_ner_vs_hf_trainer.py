"""Token classification: vadapt's loop against HF ``Trainer`` +
``AutoModelForTokenClassification`` + peft, like for like, on real MedMentions text.

Data: sentences of the MedMentions abstracts of ``medical/ner`` (fetched once from the
``medcat`` sdist, ``vadapt.kit.sources``; offline: ``$VADAPT_SOURCES_DIR``), each short
enough for one window, with their grouped entities. Both sides train on exactly the same
token ids and word-piece labels (vadapt's ``encode_windows`` makes them; HF gets them as
``input_ids`` / ``labels`` with ``DataCollatorForTokenClassification``), MiniLM with LoRA
r=8 alpha 16 on query,value, the same batch size, epochs, learning-rate schedule,
threads and precision. Each run is its own subprocess; they alternate for ``--rounds``
and the median is kept. Prints samples/s, tokens/s (real tokens, no padding) and the
ratio vadapt/HF (target >= 1.0).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_ner_vs_hf_trainer.py --n 1024 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import types

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SENTENCE = re.compile(r"[^.!?]+[.!?]?")


def sentences(n: int) -> list[dict]:
    """The first ``n`` sentences (train split order) with the entities inside them."""
    from vadapt_medical.ner import NerData, load

    out = []
    for doc in load(NerData()).train:
        for m in SENTENCE.finditer(doc["text"]):
            s, e = m.span()
            if e - s < 20:
                continue
            ents = [
                {"start": x["start"] - s, "end": x["end"] - s, "label": x["label"]}
                for x in doc["entities"]
                if x["start"] >= s and x["end"] <= e
            ]
            out.append({"text": doc["text"][s:e], "entities": ents})
            if len(out) == n:
                return out
    return out


def _tags() -> tuple[str, ...]:
    from vadapt.kit.entities import tag_names
    from vadapt_medical.ner import TYPES

    return tag_names(TYPES)


def worker_vadapt(a: argparse.Namespace) -> dict[str, float]:
    from vadapt import Splits, TaskSpec, hookimpl
    from vadapt.engine import adapt
    from vadapt.plugins import create_host, reset_host
    from vadapt_medical.ner import TYPES

    data = sentences(a.n + 64)
    mod = types.ModuleType("bench_plugin")

    @hookimpl
    def register_tasks():  # type: ignore[no-untyped-def]
        yield TaskSpec(
            id="bench/ner",
            modality="text",
            head="token-classification",
            labels=TYPES,
            description="bench",
            metric="f1",
        )

    @hookimpl
    def load_data(task, config):  # type: ignore[no-untyped-def]
        return Splits(train=data[: a.n], validation=data[a.n : a.n + 32], test=data[a.n + 32 :])

    mod.register_tasks, mod.load_data = register_tasks, load_data
    host = create_host(load_entrypoints=False)
    host.register(mod, "bench")
    reset_host(host)
    res = adapt(
        {
            "task": "bench/ner",
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
            "output": {"save": False},
        },
        progress=False,
    )
    return {"samples_per_second": res.samples_per_second, "train_seconds": res.train_seconds}


def worker_hf(a: argparse.Namespace) -> dict[str, float]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        Trainer,
        TrainingArguments,
    )
    from transformers.utils import logging as hf_logging
    from vadapt.backbones.text import minilm_path
    from vadapt.engine.data.windows import encode_windows

    hf_logging.set_verbosity_error()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    tags = _tags()
    path = str(minilm_path())
    tok = AutoTokenizer.from_pretrained(path)
    win = encode_windows(sentences(a.n), tok, tags, a.length, 32)  # the same ids and labels
    items = [
        {"input_ids": ids.tolist(), "labels": lab.tolist()}
        for ids, lab in zip(win.ids, win.labels, strict=True)
    ]
    model = AutoModelForTokenClassification.from_pretrained(path, num_labels=len(tags))
    model = get_peft_model(
        model,
        LoraConfig(task_type="TOKEN_CLS", r=8, lora_alpha=16, target_modules=["query", "value"]),
    )
    steps = a.epochs * ((len(items) + a.batch - 1) // a.batch)
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
            train_sampling_strategy="group_by_length" if a.group else "random",
            bf16=a.precision != "fp32",
        )
        collate = DataCollatorForTokenClassification(tok)
        trainer = Trainer(model=model, args=args, train_dataset=items, data_collator=collate)
        t0 = time.perf_counter()
        trainer.train()
        dt = time.perf_counter() - t0
    return {"samples_per_second": len(items) * a.epochs / dt, "train_seconds": dt}


def run(a: argparse.Namespace, side: str) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--worker", side, *sys.argv[1:]]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"{side} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1024, help="training sentences")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--length", type=int, default=128, help="max tokens per window")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--group", action="store_true", help="both sides group batches by length")
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    p.add_argument("--worker", choices=("vadapt", "hf"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        fn = worker_vadapt if a.worker == "vadapt" else worker_hf
        print(json.dumps(fn(a)))
        return
    tokens = _real_tokens(a)
    runs: dict[str, list[float]] = {"vadapt": [], "hf": []}
    for _ in range(a.rounds):
        for side in runs:
            runs[side].append(run(a, side)["samples_per_second"])
    v, h = (statistics.median(runs[s]) for s in ("vadapt", "hf"))
    print(
        f"{a.n} MedMentions sentences, LoRA r=8 on MiniLM, batch {a.batch}, {a.precision}, "
        f"{a.threads} threads, {a.epochs} epoch(s), median of {a.rounds} rounds"
    )
    print(f"  mean real tokens per sentence: {tokens:.1f}")
    for side, s in (("vadapt", v), ("HF Trainer + peft", h)):
        print(f"  {side:<20} {s:7.2f} samples/s  {s * tokens:8.0f} tokens/s")
    print(f"  ratio vadapt / HF    {v / h:.3f}x  (target >= 1.0)")


def _real_tokens(a: argparse.Namespace) -> float:
    from transformers import AutoTokenizer
    from vadapt.backbones.text import minilm_path
    from vadapt.engine.data.windows import encode_windows

    tok = AutoTokenizer.from_pretrained(str(minilm_path()))
    win = encode_windows(sentences(a.n), tok, _tags(), a.length, 32)
    return float(win.lengths.mean())


if __name__ == "__main__":
    main()
