"""Serving several LoRA adapters on one MiniLM: switch+predict latency, printing ratios.

    .venv/bin/python bench/bench_serving.py [--resident 2 8 32 64] [--requests 200] [--cap 8]

Peer (named): peft alone, all adapters resident and unbounded — ``PeftModel.from_pretrained``
+ ``load_adapter`` for each materialised registry adapter, then per request ``set_adapter``
+ tokenise + forward + mean-pool + the adapter's head + softmax.
Ours: ``vadapt.serving.AdapterPool.predict(ref, [example])`` — registry-verified loading,
the engine's own inference path (collator, DataLoader, checks), LRU residency.

For each N adapters and a uniformly random request order (every request names a random
adapter, one example each) it prints median and mean latency per request for:
  peer            N resident
  pool            max_resident=N (all resident after warm-up: the same residency as the peer)
  pool cap        max_resident=--cap (< N: misses load from the registry, LRU evicts)
plus ``set_adapter`` alone at N resident (the switch cost that grows with residency), the
pool answering one adapter repeatedly (no switch) to separate switch cost from the engine's
per-request inference overhead, and, where N > cap, skewed traffic (``--hot-share`` of the
requests to ``--hot`` adapters, the rest to any): the peer vs the capped pool.

The adapters: one LoRA (r=8, query/value) trained 2 steps on a synthetic two-class text
task (the bench's own in-code plugin; latency does not depend on what the weights learnt),
and N-1 copies with perturbed weights saved as separate registry adapters (distinct blobs).
torch runs on 1 thread. Each request is timed in CPU time of this process (the ratios use
it) and wall time; on a shared machine the wall time mostly measures the neighbours.
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import shutil
import statistics
import tempfile
import time
import types
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TEXTS = [
    "my order arrived broken and nobody answers the phone",
    "great coffee, fresh and delivered on time",
    "the refund still has not reached my account after two weeks",
    "love these snacks, will buy again",
    "the box was crushed and the bars were stale",
    "excellent customer support, they fixed it in a day",
]


def bench_plugin() -> types.ModuleType:
    """A text task on MiniLM with synthetic sentences (labelled as such)."""
    from pydantic import BaseModel, ConfigDict
    from vadapt import Splits, TaskSpec, hookimpl

    class Data(BaseModel):
        model_config = ConfigDict(extra="forbid")
        n: int = 32

    mod = types.ModuleType("bench_serving_plugin")

    @hookimpl
    def register_tasks():  # type: ignore[no-untyped-def]
        yield TaskSpec(
            id="bench/text",
            modality="text",
            head="classification",
            labels=("pos", "neg"),
            description="synthetic sentences for the serving benchmark",
            default_backbone="minilm",
            data_model=Data,
        )

    @hookimpl
    def load_data(task, config):  # type: ignore[no-untyped-def]
        if task.vertical != "bench":
            return None
        rows = [
            {"text": f"{TEXTS[i % len(TEXTS)]} #{i}", "label": ("pos", "neg")[i % 2]}
            for i in range(config.n)
        ]
        return Splits(
            train=rows,
            validation=rows[:8],
            test=rows[8:16],
            info={"synthetic": True, "intended_use": "latency benchmark only"},
        )

    mod.register_tasks = register_tasks  # type: ignore[attr-defined]
    mod.load_data = load_data  # type: ignore[attr-defined]
    return mod


def make_adapters(root: Path, n: int, tmp: Path) -> list[str]:
    from safetensors.torch import load, save
    from vadapt.engine import adapt
    from vadapt_registry import Registry

    cfg = {
        "task": "bench/text",
        "method": {"name": "lora", "r": 8},
        "train": {"epochs": 1, "max_steps": 2, "batch_size": 8, "threads": 1, "max_length": 32},
        # two steps need not beat majority: latency does not depend on what was learnt
        "output": {"name": "bench-a0", "registry": str(root), "allow_below_baseline": True},
    }
    cfg["train"]["log_dir"] = str(tmp / "logs")
    first = adapt(cfg, progress=False).ref
    reg = Registry(root)
    stored = reg.load(first)
    draft = stored.manifest.model_dump(mode="json")
    for key in ("schema_version", "writer", "version", "created", "files"):
        draft.pop(key)
    refs = [first]
    for i in range(1, n):
        files = {}
        for fname, data in stored.files.items():
            if fname.endswith(".safetensors"):
                data = save(
                    {k: v * (1 + 0.01 * i) for k, v in load(data).items()},
                    metadata={"format": "pt"},
                )
            files[fname] = data
        refs.append(reg.save({**draft, "name": f"bench-a{i}"}, files).ref)
    return refs


class PeftPeer:
    """peft alone: every adapter resident in one PeftModel, heads as nn.Linear."""

    def __init__(self, root: Path, refs: list[str], tmp: Path) -> None:
        import torch
        from peft import PeftModel
        from safetensors.torch import load
        from transformers import AutoModel, AutoTokenizer
        from vadapt.backbones.text import minilm_path
        from vadapt_registry import Registry

        reg = Registry(root)
        self.tok = AutoTokenizer.from_pretrained(str(minilm_path()))
        base = AutoModel.from_pretrained(str(minilm_path()))
        self.heads: dict[str, Any] = {}
        self.model: Any = None
        t = time.perf_counter()
        for i, ref in enumerate(refs):
            d = reg.materialize(ref, tmp / f"peer-{i}")
            name = f"a{i:04d}"
            if self.model is None:
                self.model = PeftModel.from_pretrained(base, str(d), adapter_name=name)
            else:
                self.model.load_adapter(str(d), adapter_name=name)
            hs = load((d / "head.safetensors").read_bytes())
            w = hs["1.weight"]  # the engine's default head: Dropout + Linear
            head = torch.nn.Sequential(
                torch.nn.Dropout(0.1), torch.nn.Linear(w.shape[1], w.shape[0])
            )
            head.load_state_dict(hs)
            self.heads[ref] = (name, head.eval())
        self.load_seconds = time.perf_counter() - t
        self.model.eval()

    def predict(self, ref: str, text: str) -> Any:
        import torch

        name, head = self.heads[ref]
        self.model.set_adapter(name)
        with torch.no_grad():
            enc = self.tok(
                [text], padding=True, truncation=True, max_length=32, return_tensors="pt"
            )
            h = self.model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).float()
            return torch.softmax(head((h * m).sum(1) / m.sum(1)), -1)


def timed(fn: Any, plan: list[tuple[str, str]]) -> dict[str, list[float]]:
    """Per request: CPU time of this process (torch on 1 thread) and wall time, in ms."""
    cpu, wall = [], []
    for ref, text in plan:
        c, t = time.process_time(), time.perf_counter()
        fn(ref, text)
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
    return {"cpu": cpu, "wall": wall}


def med(t: dict[str, list[float]], kind: str = "cpu") -> float:
    return statistics.median(t[kind])


def fmt(t: dict[str, list[float]]) -> str:
    return (
        f"cpu median {med(t):6.2f} mean {statistics.fmean(t['cpu']):6.2f} ms | "
        f"wall median {med(t, 'wall'):6.2f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--resident", type=int, nargs="+", default=[2, 8, 32, 64])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--cap", type=int, default=8)
    ap.add_argument("--hot", type=int, default=6, help="adapters in the skewed scenario's hot set")
    ap.add_argument("--hot-share", type=float, default=0.9, help="share of requests to them")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from vadapt.plugins import create_host, reset_host
    from vadapt.serving import AdapterPool

    host = create_host(load_entrypoints=False)
    host.register(bench_plugin(), "bench", distribution="bench", version="0")
    reset_host(host)
    tmp = Path(tempfile.mkdtemp(prefix="vadapt-bench-serving-"))
    atexit.register(shutil.rmtree, tmp, True)  # the registry of N adapters is scratch
    root = tmp / "registry"
    t = time.perf_counter()
    refs = make_adapters(root, max(args.resident), tmp)
    print(f"made {len(refs)} LoRA adapters on MiniLM in {time.perf_counter() - t:.1f} s")
    print("times per request; ratios are of CPU medians (wall time counts the neighbours)")
    rng = random.Random(0)
    summary = []
    hot_summary: list[Any] = []
    for n in args.resident:
        plan = [(rng.choice(refs[:n]), rng.choice(TEXTS)) for _ in range(args.requests)]
        peer = PeftPeer(root, refs[:n], tmp / f"peer{n}")
        for ref, text in plan[:10]:
            peer.predict(ref, text)  # warm-up
        peer_t = timed(peer.predict, plan)
        check = AdapterPool(root, max_resident=n)
        for ref, text in plan[:20]:  # the peer computes what the pool computes
            want = peer.predict(ref, text)[0].tolist()
            got = check.predict(ref, [{"text": text}])[0]["scores"]
            assert max(abs(a - b) for a, b in zip(want, got.values(), strict=True)) < 1e-4
        check.close()
        names = [peer.heads[r][0] for r in refs[:n]]
        switch = timed(
            lambda r, x, m=peer.model: m.set_adapter(r), [(names[i % n], "") for i in range(200)]
        )
        peer_load = peer.load_seconds
        hot_plan = [
            (
                rng.choice(refs[: args.hot])
                if rng.random() < args.hot_share
                else rng.choice(refs[:n]),
                x,
            )
            for _, x in plan
        ]
        peer_hot = timed(peer.predict, hot_plan) if n > args.cap else None
        del peer

        pool = AdapterPool(root, max_resident=n)
        t = time.perf_counter()
        for ref in refs[:n]:
            pool.predict(ref, [{"text": TEXTS[0]}])
        pool_load = time.perf_counter() - t
        pool_t = timed(lambda r, x, p=pool: p.predict(r, [{"text": x}]), plan)
        same_t = timed(lambda r, x, p=pool: p.predict(refs[0], [{"text": x}]), plan[:100])
        pool.close()
        print(f"\nN={n} adapters, {args.requests} requests to random adapters, 1 example each")
        print(f"  peer: peft, {n:>2} resident          {fmt(peer_t)}")
        print(
            f"  pool: max_resident={n:<3}          {fmt(pool_t)}  "
            f"pool/peer {med(pool_t) / med(peer_t):.2f}x"
        )
        capped_t = None
        if n > args.cap:
            capped = AdapterPool(root, max_resident=args.cap)
            for ref, text in plan[:10]:
                capped.predict(ref, [{"text": text}])
            hits0, ev0 = capped.stats.hits, capped.stats.evictions
            capped_t = timed(lambda r, x, p=capped: p.predict(r, [{"text": x}]), plan)
            hit = (capped.stats.hits - hits0) / len(plan)
            print(
                f"  pool: max_resident={args.cap:<3}          {fmt(capped_t)}  "
                f"pool/peer {med(capped_t) / med(peer_t):.2f}x (mean "
                f"{statistics.fmean(capped_t['cpu']) / statistics.fmean(peer_t['cpu']):.2f}x); "
                f"hit rate {hit:.0%}, {capped.stats.evictions - ev0} evictions"
            )
            capped.close()
            capped = AdapterPool(root, max_resident=args.cap)
            for ref, text in hot_plan[:10]:
                capped.predict(ref, [{"text": text}])
            hits0 = capped.stats.hits
            hot_t = timed(lambda r, x, p=capped: p.predict(r, [{"text": x}]), hot_plan)
            hit = (capped.stats.hits - hits0) / len(hot_plan)
            capped.close()
            assert peer_hot is not None
            print(
                f"  skewed: {args.hot_share:.0%} of requests to {args.hot} hot adapters, the rest "
                f"to any of the {n}:"
            )
            print(f"  peer: peft, {n:>2} resident          {fmt(peer_hot)}")
            print(
                f"  pool: max_resident={args.cap:<3}          {fmt(hot_t)}  "
                f"pool/peer {med(hot_t) / med(peer_hot):.2f}x (mean "
                f"{statistics.fmean(hot_t['cpu']) / statistics.fmean(peer_hot['cpu']):.2f}x); "
                f"hit rate {hit:.0%}"
            )
            hot_summary.append((n, peer_hot, hot_t))
        print(f"  pool: one adapter, no switch      {fmt(same_t)}")
        print(f"  peft set_adapter alone, {n:>2} resident {fmt(switch)}")
        print(
            f"  loading {n} adapters: peer {peer_load:.2f} s, pool {pool_load:.2f} s (incl. base)"
        )
        summary.append((n, peer_t, pool_t, capped_t, switch))
    print(
        "\nsummary, CPU median ms per request: N | peer | pool (all resident) | ratio | "
        f"pool (max_resident {args.cap}) | ratio | set_adapter alone"
    )
    for n, peer_t, pool_t, capped_t, switch in summary:
        cap = (
            f"{med(capped_t):7.2f} | {med(capped_t) / med(peer_t):5.2f}x"
            if capped_t
            else "      - |     -"
        )
        print(
            f"  {n:>3} | {med(peer_t):6.2f} | {med(pool_t):6.2f} | "
            f"{med(pool_t) / med(peer_t):5.2f}x | {cap} | {med(switch):.2f}"
        )

    if hot_summary:
        print(
            f"skewed traffic ({args.hot_share:.0%} to {args.hot} adapters), CPU mean ms per "
            f"request: N | peer (all resident) | pool (max_resident {args.cap}) | ratio"
        )
        for n, peer_hot, hot_t in hot_summary:
            pm, om = statistics.fmean(peer_hot["cpu"]), statistics.fmean(hot_t["cpu"])
            print(f"  {n:>3} | {pm:6.2f} | {om:6.2f} | {om / pm:5.2f}x")


if __name__ == "__main__":
    main()
