"""Test-only plugin and tiny backbones for the engine tests (imported by tests/test_engine_*.py).

``make_plugin(tiny_bert_dir)`` returns a module of hookimpls registering:

- backbones ``tiny-bert`` (a 2-layer, 32-wide BERT saved as a normal HF directory, with
  MiniLM's tokenizer) and ``tiny-cnn`` (two conv blocks, image features of width 16);
- tasks ``fx/text`` (classification), ``fx/stream`` (continual streams over a domain
  shift and new classes), ``fx/multi`` (multilabel), ``fx/reg`` (regression),
  ``fx/rank`` (ranking), ``fx/image`` (image classification), ``fx/spot`` (a bright
  patch to find), ``fx/diverge`` (a head that
  turns NaN after a few training steps), ``fx/text-data-labels`` (labels from the data);
- an ``evaluate`` hook (``fx.positive_rate``), an ``augment`` hook that marks texts, an
  ``adversarial_step`` hook for ``fx/image`` only when ``options.plugin_attack`` is set.

The data are deterministic word-list sentences: the label is decided by which words occur,
so a tiny model learns them in a few steps.
"""

from __future__ import annotations

import json
import random
import shutil
import types
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict
from vadapt import BackboneSpec, Experience, LoadedBackbone, Splits, Stream, TaskSpec, hookimpl
from vadapt.plugins import create_host, reset_host

POS = ["great", "excellent", "wonderful", "delicious", "fresh", "love"]
NEG = ["awful", "terrible", "stale", "rotten", "broken", "hate"]
POS_B = ["sunny", "warm", "bright", "calm", "clear", "mild"]
NEG_B = ["stormy", "cold", "grey", "windy", "foggy", "icy"]
FILL = ["the", "food", "was", "really", "and", "box", "snack", "taste"]

CALLS: dict[str, int] = {}


class FxData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal[
        "ok",
        "empty_val",
        "nan_feature",
        "unknown_label",
        "missing_class",
        "reorder",
        "drop_label",
        "overlap",
    ] = "ok"
    domain: Literal["a", "b", "mixed", "flip", "none"] = "a"  # fx/stream only
    path: str | None = None  # fx/stream: a JSONL file of examples instead of a domain
    n_train: int = 48
    n_eval: int = 16
    seed: int = 0


def _sentence(r: random.Random, words: list[str]) -> str:
    body = [r.choice(FILL) for _ in range(4)] + [r.choice(words), r.choice(words)]
    r.shuffle(body)
    return " ".join(body)


def text_examples(
    n: int, seed: int, words: tuple[list[str], list[str]] = (POS, NEG), names=("pos", "neg")
) -> list[dict[str, Any]]:
    r = random.Random(seed)
    out = []
    for i in range(n):
        lab = i % 2
        out.append({"text": _sentence(r, words[lab]), "label": names[lab], "id": i})
    return out


def stream_examples(domain: str, n: int, seed: int) -> list[dict[str, Any]]:
    """fx/stream: domain ``a`` (food words), ``b`` (weather words, the same labels) and
    ``mixed`` (``a`` plus ``b`` labelled up/down: new classes), ``flip`` (``a`` with its
    labels swapped: a concept drift that makes forgetting certain)."""
    if domain == "a":
        return text_examples(n, seed)
    if domain == "flip":
        return text_examples(n, seed, names=("neg", "pos"))
    if domain == "b":
        return text_examples(n, seed + 100, (POS_B, NEG_B))
    if domain == "none":
        return []
    up = text_examples(n, seed + 100, (POS_B, NEG_B), ("up", "down"))
    return text_examples(n, seed) + [{**ex, "id": ex["id"] + n} for ex in up]


def entity_examples(examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """fx/tokens: each positive word is a POS entity, each negative word a NEG one, and
    ``really`` right before one belongs to it (a two-word entity)."""
    import re

    out = []
    for ex in examples:
        text, ents = ex["text"], []
        for m in re.finditer(r"(really )?(\w+)", text):
            kind = "POS" if m.group(2) in POS else "NEG" if m.group(2) in NEG else None
            if kind is not None:
                ents.append({"start": m.start(), "end": m.end(), "label": kind})
        out.append({"text": text, "entities": ents, "id": ex["id"]})
    return out


def spot_examples(n: int, seed: int, size: int = 16) -> list[dict[str, Any]]:
    """Dark noise; ``spot`` images carry one bright 4x4 patch at a random place (kept in
    ``patch`` as row, column), so an explanation has somewhere to look."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        img = np.clip(rng.normal(70, 20, size=(size, size, 3)), 0, 255).astype(np.uint8)
        ex: dict[str, Any] = {"image": img, "label": "plain"}
        if i % 2 == 0:
            r, c = (int(v) for v in rng.integers(0, size - 4, size=2))
            img[r : r + 4, c : c + 4] = 240
            ex.update(label="spot", patch=[r, c])
        out.append(ex)
    return out


def image_examples(n: int, seed: int, size: int = 16) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        lab = "bright" if i % 2 == 0 else "dark"
        base = 190 if lab == "bright" else 60
        img = np.clip(rng.normal(base, 25, size=(size, size, 3)), 0, 255).astype(np.uint8)
        out.append({"image": img, "label": lab})
    return out


def rank_examples(n: int, seed: int) -> list[dict[str, Any]]:
    r = random.Random(seed)
    topics = {
        "refund": "money back for a returned order",
        "shipping": "delivery time of a parcel",
        "password": "reset the login credentials",
        "invoice": "billing document for a purchase",
        "warranty": "repair guarantee for a product",
    }
    keys = list(topics)
    out = []
    for i in range(n):
        k = keys[i % len(keys)]
        cands = [topics[x] for x in keys]
        r.shuffle(cands)
        out.append(
            {
                "query": f"question about {k} {r.choice(FILL)}",
                "candidates": cands,
                "positive": cands.index(topics[k]),
            }
        )
    return out


def _tiny_cnn_loader() -> LoadedBackbone:
    import torch
    import torch.nn as nn
    from vadapt.backbones.image import ImageTransform

    class TinyCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(123)
            self.stem = nn.Conv2d(3, 8, 3, padding=1)
            self.blocks = nn.ModuleList(
                [
                    nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU()),
                    nn.Sequential(nn.Conv2d(16, 16, 1), nn.BatchNorm2d(16), nn.ReLU()),
                ]
            )

        def forward(self, pixel_values: Any) -> Any:
            x = torch.relu(self.stem(pixel_values))
            for b in self.blocks:
                x = b(x)
            return x.mean(dim=(2, 3))

    return LoadedBackbone(
        model=TinyCNN(),
        preprocessor=ImageTransform(16),
        hidden_size=16,
        modality="image",
        architecture="tinycnn",
        layers_path="blocks",
    )


def write_tiny_bert(path: Path, seed: int = 0) -> Path:
    """A 2-layer BERT with MiniLM's tokenizer, saved as an HF directory."""
    import torch
    from transformers import BertConfig, BertModel
    from vadapt.backbones.text import minilm_path

    torch.manual_seed(seed)
    cfg = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    path.mkdir(parents=True, exist_ok=True)
    BertModel(cfg).save_pretrained(str(path))
    src = minilm_path()
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (src / name).is_file():
            shutil.copy(src / name, path / name)
    return path


def hf_text_backbone(name: str, path: Path, description: str) -> BackboneSpec:
    """A text backbone loaded from a saved HF directory, fingerprinted by its files."""
    from vadapt.backbones.text import hf_files, load_hf_text

    return BackboneSpec(
        name=name,
        modality="text",
        description=description,
        loader=lambda: load_hf_text(path),
        files=lambda: hf_files(path),
    )


def make_plugin(tiny_bert: Path) -> types.ModuleType:
    mod = types.ModuleType("fx_plugin")

    @hookimpl
    def register_backbones():  # type: ignore[no-untyped-def]
        yield hf_text_backbone("tiny-bert", tiny_bert, "tiny test BERT")
        here = Path(__file__)
        yield BackboneSpec(
            name="tiny-cnn",
            modality="image",
            description="tiny test CNN",
            loader=_tiny_cnn_loader,
            files=lambda: [str(here)],
        )

    @hookimpl
    def register_tasks():  # type: ignore[no-untyped-def]
        kw = {"default_backbone": "tiny-bert", "data_model": FxData}
        yield TaskSpec(
            id="fx/text",
            modality="text",
            head="classification",
            labels=("pos", "neg"),
            description="text classification",
            **kw,
        )
        yield TaskSpec(
            id="fx/text-data-labels",
            modality="text",
            head="classification",
            description="labels from the data",
            **kw,
        )
        yield TaskSpec(
            id="fx/multi",
            modality="text",
            head="multilabel",
            labels=("pos", "neg", "food"),
            description="multilabel",
            metric="macro_f1",
            **kw,
        )
        yield TaskSpec(
            id="fx/reg",
            modality="text",
            head="regression",
            description="regression",
            metric="mse",
            metric_mode="min",
            **kw,
        )
        yield TaskSpec(
            id="fx/rank",
            modality="pairs",
            head="ranking",
            description="ranking",
            metric="mrr",
            **kw,
        )
        yield TaskSpec(
            id="fx/diverge",
            modality="text",
            head="classification",
            labels=("pos", "neg"),
            description="head turns NaN",
            **kw,
        )
        yield TaskSpec(
            id="fx/tokens",
            modality="text",
            head="token-classification",
            labels=("POS", "NEG"),
            description="entity tagging: each positive / negative word, or 'really' + one",
            baselines=("dictionary",),
            **kw,
        )
        yield TaskSpec(
            id="fx/gen",
            modality="text",
            head="generation",
            description="not supported yet",
            **kw,
        )
        yield TaskSpec(
            id="fx/stream",
            modality="text",
            head="classification",
            description="continual streams: a domain shift and new classes",
            streams={
                "domains": Stream(
                    "domain", (Experience("a", {"domain": "a"}), Experience("b", {"domain": "b"}))
                ),
                "classes": Stream(
                    "class",
                    (
                        Experience("food", {"domain": "mixed"}, ("pos", "neg")),
                        Experience("weather", {"domain": "mixed"}, ("up", "down")),
                    ),
                ),
                "hollow": Stream(
                    "domain",
                    (Experience("a", {"domain": "a"}), Experience("x", {"domain": "none"})),
                ),
            },
            **kw,
        )
        yield TaskSpec(
            id="fx/image",
            modality="image",
            head="classification",
            labels=("bright", "dark"),
            description="image classification",
            default_backbone="tiny-cnn",
            data_model=FxData,
        )
        yield TaskSpec(
            id="fx/spot",
            modality="image",
            head="classification",
            labels=("spot", "plain"),
            description="a bright patch somewhere, or none",
            default_backbone="tiny-cnn",
            data_model=FxData,
        )

    @hookimpl
    def load_data(task, config):  # type: ignore[no-untyped-def]
        n, m, s = config.n_train, config.n_eval, config.seed
        if task.id == "fx/image":
            tr, va, te = image_examples(n, s), image_examples(m, s + 1), image_examples(m, s + 2)
        elif task.id == "fx/spot":
            tr, va, te = spot_examples(n, s), spot_examples(m, s + 1), spot_examples(m, s + 2)
        elif task.id == "fx/rank":
            tr, va, te = rank_examples(n, s), rank_examples(m, s + 1), rank_examples(m, s + 2)
        elif task.id == "fx/stream" and config.path:
            rows = [json.loads(line) for line in Path(config.path).read_text().splitlines()]
            tr, va, te = rows[: -2 * m], rows[-2 * m : -m], rows[-m:]
        elif task.id == "fx/stream":
            d = config.domain
            tr, va, te = (stream_examples(d, k, s + i) for i, k in enumerate((n, m, m)))
        else:
            tr, va, te = text_examples(n, s), text_examples(m, s + 1), text_examples(m, s + 2)
            if task.id == "fx/multi":
                for ex in tr + va + te:
                    ex["label"] = [ex["label"], "food"] if "food" in ex["text"] else [ex["label"]]
            if task.id == "fx/reg":
                for ex in tr + va + te:
                    ex["label"] = 3.0 if ex["label"] == "pos" else -1.0
            if task.id == "fx/tokens":
                tr, va, te = (entity_examples(x) for x in (tr, va, te))
                if config.mode == "overlap":
                    first = tr[1]["entities"][0]
                    tr[1]["entities"].append({**first, "start": first["start"] + 1})
        labels = None
        if config.mode == "empty_val":
            va = []
        elif config.mode == "nan_feature":
            tr[3]["features"] = [1.0, float("nan")]
        elif config.mode == "unknown_label":
            te[2]["label"] = "meh"
        elif config.mode == "missing_class":
            tr = [ex for ex in tr if ex["label"] != "neg"]
            labels = ("pos", "neg")
        elif config.mode == "reorder":
            labels = ("pos", "neg")
        elif config.mode == "drop_label":
            for split in (tr, va, te):
                for ex in split:
                    if ex["label"] == "neg":
                        ex["label"] = "bad"
        if task.id == "fx/text-data-labels" and labels is None:
            labels = ("bad", "pos") if config.mode == "drop_label" else ("neg", "pos")
        return Splits(
            train=tr,
            validation=va,
            test=te,
            labels=labels,
            info={"source": "engine test fixture", "synthetic": True, "intended_use": "tests only"},
        )

    @hookimpl
    def build_head(task, backbone, labels):  # type: ignore[no-untyped-def]
        if task.id != "fx/diverge":
            return None
        import torch.nn as nn

        class NaNAfter(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.lin = nn.Linear(backbone.hidden_size, len(labels))
                self.calls = 0

            def forward(self, x: Any) -> Any:
                if self.training:
                    self.calls += 1
                    if self.calls > 2:
                        return self.lin(x) * float("nan")
                return self.lin(x)

        return NaNAfter()

    @hookimpl
    def evaluate(task, predictions, references, split):  # type: ignore[no-untyped-def]
        if task.head != "classification":
            return None
        CALLS[f"evaluate.{split}"] = CALLS.get(f"evaluate.{split}", 0) + 1
        return {"fx.positive_rate": float((np.asarray(predictions).argmax(1) == 0).mean())}

    @hookimpl
    def augment(task, examples, rng, config):  # type: ignore[no-untyped-def]
        if "text" not in examples[0]:
            return None
        CALLS["augment"] = CALLS.get("augment", 0) + 1
        mark = config.options.get("mark", "zz")
        return [
            {**ex, "text": ex["text"] + f" {mark}"} if rng.random() < 0.5 else ex for ex in examples
        ]

    @hookimpl
    def adversarial_step(task, model, batch, loss_fn, config):  # type: ignore[no-untyped-def]
        if task.id != "fx/image" or not config.options.get("plugin_attack"):
            return None
        CALLS["adversarial"] = CALLS.get("adversarial", 0) + 1
        x = batch["pixel_values"] + 0.1
        return loss_fn(model({**batch, "pixel_values": x}), batch)

    @hookimpl
    def baselines(task, splits, labels, encode):  # type: ignore[no-untyped-def]
        if task.id != "fx/text":
            return None
        emb = encode([ex["text"] for ex in splits.test[:4]])
        CALLS["baselines.encode_rows"] = int(emb.shape[0])
        norms = np.linalg.norm(emb, axis=1)
        return {"encode-norm": {"mean": float(norms.mean())}}

    for name, fn in list(locals().items()):
        if callable(fn) and hasattr(fn, "vadapt_impl"):
            setattr(mod, name, fn)
    return mod


def install(tiny_bert: Path) -> Any:
    """A fresh process-wide host with the built-ins and the fixture plugin."""
    host = create_host(load_entrypoints=False)
    rec = host.register(make_plugin(tiny_bert), "fx", distribution="vadapt-fx", version="0.0.1")
    assert rec.status == "ok", rec.error
    reset_host(host)
    return host


REVIEWS = (
    "great food",
    "the box arrived crushed and the crackers tasted stale, never again",
    "ok",
    "fresh and tasty, my kids love these and I order a case every month",
)
"""Reviews of very different token lengths, for packing, padding and caching tests."""


def base_config(task: str = "fx/text", **train: Any) -> dict[str, Any]:
    t = {"epochs": 2, "batch_size": 8, "threads": 1, "max_length": 24, "patience": 0, "lr": 5e-3}
    t.update(train)
    # tiny models trained for a few steps rarely beat the majority; the gate has its own tests
    return {"task": task, "train": t, "output": {"allow_below_baseline": True}}


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_bert(tmp_path_factory.mktemp("tiny-bert") / "tiny-bert")


@pytest.fixture
def fx(tiny_bert_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Fixture plugin installed process-wide; an empty registry at $VADAPT_HOME; logs in tmp."""
    from vadapt import plugins

    root = tmp_path / "vadapt-home"
    root.mkdir()
    monkeypatch.setenv("VADAPT_HOME", str(root))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VADAPT_CACHE_DIR", raising=False)
    previous = plugins._HOST
    CALLS.clear()
    host = install(tiny_bert_dir)
    yield types.SimpleNamespace(host=host, root=root, tiny_bert=tiny_bert_dir, calls=CALLS)
    plugins.reset_host(previous)


def write_tiny_llama(path: Path, seed: int = 0, tied: bool = True) -> Path:
    """A 2-layer Llama causal LM (tied embeddings unless ``tied=False``) with MiniLM's
    vocabulary, saved as an HF directory; its tokenizer starts a text with [CLS] (as a
    BOS) and appends nothing."""
    import torch
    from tokenizers import processors
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    from vadapt.backbones.text import minilm_path

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=30522,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=tied,
        pad_token_id=0,
    )
    path.mkdir(parents=True, exist_ok=True)
    LlamaForCausalLM(cfg).save_pretrained(str(path))
    tok = PreTrainedTokenizerFast(
        tokenizer_file=str(minilm_path() / "tokenizer.json"),
        pad_token="[PAD]",
        unk_token="[UNK]",
        bos_token="[CLS]",
    )
    tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A", special_tokens=[("[CLS]", 101)]
    )
    tok.save_pretrained(str(path))
    return path


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama(tmp_path_factory.mktemp("tiny-llama") / "tiny-llama")


@pytest.fixture
def lm_fx(fx: Any, tiny_llama_dir: Path) -> Any:
    """``fx`` with backbone ``tiny-llama`` registered too (decoder methods)."""
    rec = fx.host.register(llama_plugin(tiny_llama_dir), "fx-llama", distribution="vadapt-fx")
    assert rec.status == "ok", rec.error
    return fx


def llama_plugin(tiny_llama: Path) -> types.ModuleType:
    """Registers backbone ``tiny-llama`` (next to the fixture plugin's)."""
    mod = types.ModuleType("fx_llama_plugin")

    @hookimpl
    def register_backbones():  # type: ignore[no-untyped-def]
        yield hf_text_backbone("tiny-llama", tiny_llama, "tiny test causal LM")

    mod.register_backbones = register_backbones  # type: ignore[attr-defined]
    return mod
