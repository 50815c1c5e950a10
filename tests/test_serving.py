# ruff: noqa: F811  (pytest fixtures imported from engine_helpers)
"""Several adapters served on one base (vadapt.serving): the pool answers exactly as the
engine's single-adapter ``predict``; residency is capped (LRU); a bad request fails alone.

Adapters are trained once per module on the tiny in-code BERT and CNN of engine_helpers
(a few optimiser steps each: the test is about serving, not quality). References come from
``vadapt.engine.predict(ref, examples)``, which loads a fresh backbone per call.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import types
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_helpers import base_config, image_examples, install, tiny_bert_dir  # noqa: F401
from vadapt import CorruptAdapter, IncompatibleBaseModel, NotFound

TEXT_METHODS = {
    "t-lora": {"name": "lora", "r": 8},
    "t-lora4": {"name": "lora", "r": 4, "alpha": 8.0, "target_modules": ["query"]},
    "t-full": {"name": "full"},
    "t-bottle": {"name": "bottleneck"},
    "t-ia3": {"name": "ia3"},
    "t-prompt": {"name": "prompt-tuning", "num_virtual_tokens": 4},
    "t-bitfit": {"name": "bitfit"},
    "t-freeze": {"name": "freeze", "layers": 1},
}
IMAGE_METHODS = {"i-lora": {"name": "lora", "r": 4}}
FOUR = ["t-lora", "t-lora4", "t-full", "t-bottle"]  # two peft slots + plain swaps + hooks


def _texts(n: int, seed: int) -> list[dict[str, Any]]:
    from engine_helpers import text_examples

    return [{"text": ex["text"]} for ex in text_examples(n, seed)]


@pytest.fixture(scope="module")
def served(tiny_bert_dir, tmp_path_factory):
    """Registry with the adapters above, their engine predictions as references."""
    from vadapt import plugins
    from vadapt.engine import adapt, predict

    tmp = tmp_path_factory.mktemp("serving")
    root = tmp / "registry"
    mp = pytest.MonkeyPatch()
    mp.setenv("VADAPT_HOME", str(root))
    mp.setenv("XDG_CACHE_HOME", str(tmp / "cache"))
    previous = plugins._HOST
    install(tiny_bert_dir)
    texts = _texts(24, 7)
    images = [{"image": ex["image"]} for ex in image_examples(6, 5)]
    refs, expected = {}, {}
    try:
        for seed, (name, method) in enumerate({**TEXT_METHODS, **IMAGE_METHODS}.items()):
            image = name.startswith("i-")
            cfg = base_config(
                "fx/image" if image else "fx/text",
                epochs=1,
                max_steps=1,
                seed=seed,  # each adapter its own head init and data order: they must differ
                log_dir=str(tmp / "logs"),
                **({"image_size": 16} if image else {}),
            )
            cfg["method"] = dict(method)
            cfg["data"] = {"n_train": 8, "n_eval": 4}
            cfg["output"].update({"name": name})
            res = adapt(cfg, progress=False)
            refs[name] = res.ref
            expected[name] = predict(res.ref, images if image else texts)
        yield types.SimpleNamespace(
            root=root, refs=refs, expected=expected, texts=texts, images=images
        )
    finally:
        plugins.reset_host(previous)
        mp.undo()


def _same(got: dict[str, Any], want: dict[str, Any]) -> bool:
    if got["label"] != want["label"] or set(got["scores"]) != set(want["scores"]):
        return False
    return all(abs(got["scores"][k] - want["scores"][k]) <= 1e-5 for k in want["scores"])


def _inputs(served, name: str) -> list[dict[str, Any]]:
    return served.images if name.startswith("i-") else served.texts


def _in_model(pool) -> int:
    return sum(len(b["in_model"]) for b in pool.describe())


def _run(pool, served, names: list[str], n: int, seed: int, check=None) -> int:
    """n interleaved single-example requests; returns how many differ from the references."""
    rng = random.Random(seed)
    differ = 0
    for _ in range(n):
        name = rng.choice(names)
        i = rng.randrange(len(_inputs(served, name)))
        [got] = pool.predict(served.refs[name], [_inputs(served, name)[i]])
        differ += not _same(got, served.expected[name][i])
        if check:
            check(pool)
    return differ


def test_the_served_adapters_really_differ(served):
    """An identity test over identical adapters would prove nothing: every pair of the
    adapters the tests interleave answers differently on the same inputs."""
    names = [*FOUR, "t-ia3", "t-prompt", "t-bitfit", "t-freeze"]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            gap = max(
                abs(x["scores"][k] - y["scores"][k])
                for x, y in zip(served.expected[a], served.expected[b], strict=True)
                for k in x["scores"]
            )
            assert gap > 1e-3, f"{a} and {b} give the same scores (max gap {gap:.2g})"


def test_requests_do_not_toggle_train_and_eval_mode(served, monkeypatch):
    """.eval()/.train() walk every submodule: with many resident adapters that was most of
    a request. A resident model stays in eval mode and is not re-toggled per request.
    (peft >= 0.22's ``set_adapter`` sets the mode of the activated adapter's own LoRA
    layers, leaf modules: that is not a walk of the model and is allowed.)"""
    import torch
    from vadapt.serving import AdapterPool

    pool = AdapterPool(served.root, max_resident=8)
    for name in FOUR:  # loading sets eval mode, once per adapter
        pool.predict(served.refs[name], [_inputs(served, name)[0]])
    calls = []
    original = torch.nn.Module.train
    monkeypatch.setattr(
        torch.nn.Module,
        "train",
        lambda self, mode=True: calls.append(self) or original(self, mode),
    )
    assert _run(pool, served, FOUR, 40, seed=1) == 0  # switching between resident adapters
    walks = sorted({type(m).__name__ for m in calls if next(m.children(), None) is not None})
    assert walks == [], f"modules with submodules toggled per request: {walks}"


def test_1000_interleaved_requests_match_single_adapter_runs(served):
    from vadapt.serving import AdapterPool

    pool = AdapterPool(served.root, max_resident=8)
    assert _run(pool, served, FOUR, 1000, seed=0) == 0
    s = pool.stats
    assert (s.requests, s.loads, s.evictions, s.failures) == (1000, 4, 0, 0)
    assert s.hits == 996 and s.switches > 300  # interleaved: a base changes adapter often
    # one base per family: the lora base holds both LoRA adapters, the plain base full+bottleneck
    fams = {b["family"].split(":")[0]: b for b in pool.describe()}
    assert set(fams) == {"lora", "plain"} and s.bases_loaded == 2
    assert len(fams["lora"]["in_model"]) == 2


def test_resident_adapters_are_capped_lru(served):
    from vadapt.serving import AdapterPool

    pool = AdapterPool(served.root, max_resident=2)
    r = served.refs

    def capped(p):
        assert len(p.resident()) <= 2 and _in_model(p) <= 2

    assert _run(pool, served, FOUR, 80, seed=1, check=capped) == 0
    s = pool.stats
    assert s.max_resident_seen == 2 and s.evictions > 0
    assert s.evictions == s.loads - len(pool.resident())
    # least recently used goes first
    pool.close()
    for name in ("t-lora", "t-lora4", "t-lora"):
        pool.predict(r[name], served.texts[:1])
    pool.predict(r["t-full"], served.texts[:1])
    assert pool.resident() == [r["t-lora"], r["t-full"]]


def test_every_method_and_two_backbones_pooled_with_evictions(served):
    from vadapt.serving import AdapterPool

    pool = AdapterPool(served.root, max_resident=3)
    names = list(TEXT_METHODS) + list(IMAGE_METHODS)
    assert _run(pool, served, names, 60, seed=2) == 0
    assert pool.stats.evictions > 0 and pool.stats.failures == 0
    backbones = {b["backbone"] for b in pool.describe()}
    assert backbones == {"tiny-bert", "tiny-cnn"}
    # a batch of examples answers like the engine too
    got = pool.predict(served.refs["t-prompt"], served.texts)
    assert all(_same(g, w) for g, w in zip(got, served.expected["t-prompt"], strict=True))


def _copy_adapter(root: Path, src: str, name: str, *, head_extra: bool = False) -> str:
    """Save a copy of ``src`` as ``name`` with slightly different weights (distinct blobs)."""
    from safetensors.torch import load, save
    from vadapt_registry import Registry

    reg = Registry(root)
    stored = reg.load(src)
    files = {}
    for fname, data in stored.files.items():
        if fname.endswith(".safetensors"):
            tensors = {k: v * 1.01 for k, v in load(data).items()}
            if head_extra and fname == "head.safetensors":
                tensors["stray"] = tensors[next(iter(tensors))].clone()
            data = save(tensors, metadata={"format": "pt"})
        files[fname] = data
    draft = stored.manifest.model_dump(mode="json")
    for key in ("schema_version", "writer", "version", "created", "files"):
        draft.pop(key)
    draft["name"] = name
    return reg.save(draft, files).ref


def _flip_byte(root: Path, ref: str, fname: str) -> None:
    from vadapt_registry import Registry

    reg = Registry(root)
    path = reg.blob_path(reg.get(ref).files[fname].sha256)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def test_unknown_corrupt_and_mismatched_adapters_fail_only_their_own_requests(served):
    from vadapt.serving import AdapterPool

    r = served.refs
    corrupt = _copy_adapter(served.root, r["t-lora"], "t-doomed")
    _flip_byte(served.root, corrupt, "adapter_model.safetensors")
    # valid files that fail after the method weights are in the base (head check):
    # the pool must undo them (peft slot deleted; plain base weights restored)
    bad_peft = _copy_adapter(served.root, r["t-lora4"], "t-badhead", head_extra=True)
    bad_plain = _copy_adapter(served.root, r["t-full"], "t-badfull", head_extra=True)
    pool = AdapterPool(served.root, max_resident=3)
    plan = ["t-lora", corrupt, "t-full", "no-such-adapter", bad_peft, "t-bottle", bad_plain]
    plan += ["t-lora4", "t-full", "t-lora", "no-such-adapter@3", corrupt, "t-full", "t-bottle"]
    failures = 0
    for i, name in enumerate(plan * 3):
        ex = i % len(served.texts)
        if name in r:
            [got] = pool.predict(r[name], [served.texts[ex]])
            assert _same(got, served.expected[name][ex]), (i, name)
            continue
        with pytest.raises((CorruptAdapter, NotFound, IncompatibleBaseModel)) as err:
            pool.predict(name, [served.texts[ex]])
        msg = str(err.value)
        assert "\n" not in msg and "fix:" in msg, msg
        failures += 1
    assert pool.stats.failures == failures == 6 * 3
    assert all("vadaptslot" in s for b in pool.describe() for s in b["in_model"])
    assert len(pool.resident()) <= 3 and _in_model(pool) <= 3


def test_serve_requests_answers_in_order_with_per_request_errors(served):
    from vadapt.serving import AdapterPool
    from vadapt.serving.batch import parse_request, serve_requests

    r = served.refs
    corrupt = _copy_adapter(served.root, r["t-ia3"], "t-doomed2")
    _flip_byte(served.root, corrupt, "head.safetensors")
    lines, want = [], []
    for i in range(40):
        name = ["t-lora", "t-lora", "t-bitfit", "t-lora4"][i % 4]
        lines.append(json.dumps({"adapter": r[name], "example": served.texts[i % 24], "id": i}))
        want.append(served.expected[name][i % 24])
    bad = {
        3: json.dumps({"adapter": corrupt, "example": {"text": "x"}}),
        9: json.dumps({"adapter": "t-ghost", "example": {"text": "x"}}),
        14: json.dumps({"adapter": r["t-lora"], "example": {"txt": "typo"}}),
        20: "{not json",
        27: json.dumps({"adapter": r["t-lora"], "exmaple": {"text": "x"}}),
    }
    for i, line in bad.items():
        lines[i] = line
    reqs = [parse_request(t, n) for n, t in enumerate(lines, 1)]
    pool = AdapterPool(served.root, max_resident=2)
    rows = list(serve_requests(pool, reqs, batch_size=4))
    assert len(rows) == 40
    for i, row in enumerate(rows):
        if i in bad:
            assert set(row) >= {"error", "error_type"} and "\n" not in row["error"], row
            assert f"line {i + 1}" in row["error"]
        else:
            assert "error" not in row and row["id"] == i and _same(row, want[i]), (i, row)
    assert rows[3]["error_type"] == "CorruptAdapter" and rows[9]["error_type"] == "NotFound"
    assert "field 'text'" in rows[14]["error"] and "exmaple" in rows[27]["error"]


def test_latest_version_is_resolved_per_request(served):
    from vadapt.serving import AdapterPool

    pool = AdapterPool(served.root, max_resident=4)
    name = "t-moving"
    first = _copy_adapter(served.root, served.refs["t-lora"], name)
    a = pool.predict(name, served.texts[:3])
    second = _copy_adapter(served.root, first, name)
    b = pool.predict(name, served.texts[:3])
    assert pool.resident() == [first, second]
    assert pool.predict(first, served.texts[:3]) == a and a != b


def test_pool_restricted_to_one_backbone_refuses_others(served):
    from vadapt.serving import AdapterPool

    pool = AdapterPool(served.root, backbone="tiny-cnn", max_resident=2)
    with pytest.raises(IncompatibleBaseModel, match="this pool serves 'tiny-cnn'"):
        pool.predict(served.refs["t-lora"], served.texts[:1])
    [got] = pool.predict(served.refs["i-lora"], served.images[:1])
    assert _same(got, served.expected["i-lora"][0])


def test_threads_share_one_pool(served):
    from vadapt.serving import AdapterPool

    pool = AdapterPool(served.root, max_resident=2)
    differ: list[int] = []
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        try:
            differ.append(_run(pool, served, FOUR, 25, seed=seed))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and differ == [0, 0, 0, 0]
    assert pool.stats.requests == 100 and pool.stats.max_resident_seen <= 2


def test_cli_serve_batch(served, tmp_path, capsys):
    from vadapt.cli import main

    r = served.refs
    reqs = tmp_path / "requests.jsonl"
    rows = [{"adapter": r[n], "example": served.texts[i]} for i, n in enumerate(FOUR * 3)]
    rows.insert(5, {"adapter": "nobody", "example": {"text": "x"}})
    reqs.write_text("".join(json.dumps(x) + "\n" for x in rows) + "\n")
    out = tmp_path / "answers.jsonl"
    main(["serve-batch", "-i", str(reqs), "-o", str(out), "--registry", str(served.root),
          "--max-resident", "2"])  # fmt: skip
    answers = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(answers) == 13 and answers[5]["error_type"] == "NotFound"
    for i, (row, ans) in enumerate(zip(rows, answers, strict=True)):
        if i == 5:
            continue
        name = next(n for n in FOUR if r[n] == row["adapter"])
        j = served.texts.index(row["example"])
        assert ans["ref"] == r[name] and _same(ans, served.expected[name][j])
    assert "answered 12 of 13 requests (1 failed)" in capsys.readouterr().err
