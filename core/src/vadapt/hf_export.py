"""``vadapt registry export REF DIR --format hf``: a directory ready for ``huggingface-cli upload``.

It holds the adapter's verified files as the registry materialises them (peft adapters:
``adapter_config.json`` and ``adapter_model.safetensors``, which ``PeftModel.
from_pretrained`` reads; native methods: ``weights.safetensors``), the head
(``head.safetensors``), ``vadapt-manifest.json``, and a model card ``README.md`` whose
YAML metadata says ``base_model`` (the backbone's Hub id where it has one),
``library_name: peft`` for peft methods, tags (vadapt, vertical, task, method), the
licence, and a ``model-index`` with every test metric and each baseline's — built with
``huggingface_hub.ModelCardData`` and read back with ``huggingface_hub.ModelCard`` before
anything is written, offline. The files are written byte for byte (their sha256s are
the manifest's), so peft's ``adapter_config.json`` keeps the local base path it was
trained with; ``base_model`` in the card names the Hub model. User text in the card body
(notes, intended use) is HTML-escaped: the Hub renders it.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from vadapt_registry.errors import CorruptAdapter, InvalidConfig, VadaptError

PEFT_METHODS = ("lora", "ia3", "prompt-tuning")
PIPELINES = {"classification": "text-classification", "multilabel": "text-classification",
             "regression": "text-classification", "token-classification": "token-classification",
             "ranking": "sentence-similarity"}  # fmt: skip


def _hub_id(m: Any, hooks: Any) -> str | None:
    try:
        return hooks.backbone(m.backbone.name).hub_id or None
    except VadaptError:  # a backbone whose plugin is not installed here: leave it out
        return None


def card_data(m: Any, hub_id: str | None) -> Any:
    """The card's metadata: base model, library, tags, licence, model-index."""
    from huggingface_hub import EvalResult, ModelCardData

    head = (m.training.get("engine") or {}).get("head", "classification")
    task_type = PIPELINES.get(head, "text-classification")
    results = [
        EvalResult(
            task_type=task_type,
            task_name=m.task,
            dataset_type=m.task,
            dataset_name=f"{m.task} test split",
            dataset_split="test",
            metric_type=metric,
            metric_value=float(value),
            metric_name=f"test {metric}",
        )
        for metric, value in sorted(m.metrics.test.items())
        if value is not None and not metric.startswith(("class.", "label.")) and metric != "loss"
    ]
    license_ = m.license if m.license and m.license.replace("-", "").isalnum() else "other"
    return ModelCardData(
        base_model=hub_id,
        library_name="peft" if m.method.name in PEFT_METHODS else None,
        tags=["vadapt", m.vertical, m.task.replace("/", "-"), m.method.name],
        license=license_.lower(),
        model_name=m.ref,
        eval_results=results or None,
    )


def card_body(m: Any) -> str:
    """The card's prose: what it is, baselines, use, how to load it."""
    esc = html.escape
    rows = [f"| this adapter | {_cells(m.metrics.test, m)} |"]
    rows += [f"| {esc(name)} | {_cells(vals or {}, m)} |" for name, vals in m.baselines.items()]
    keys = _keys(m)
    return "\n".join(
        [
            f"# {esc(m.ref)}",
            "",
            f"A `{esc(m.method.name)}` adapter of `{esc(m.backbone.name)}` for the vadapt task "
            f"`{esc(m.task)}`, exported from a vadapt registry (manifest in "
            "`vadapt-manifest.json`, every file's sha256 in it).",
            "",
            "## Test metrics beside the baselines (same split, same scoring)",
            "",
            "| | " + " | ".join(keys) + " |",
            "|---|" + "---|" * len(keys),
            *rows,
            "",
            "## Intended use",
            "",
            esc(m.intended_use or "Not stated."),
            "",
            "## Notes",
            "",
            esc(m.notes or "None."),
            "",
            "## Load it",
            "",
            "```bash",
            f"vadapt registry import ... && vadapt predict {m.ref} --input inputs.jsonl",
            "```",
            "",
        ]
    )


def _keys(m: Any) -> list[str]:
    from vadapt.cli.card import card_headline

    return card_headline(m) or sorted(m.metrics.test)[:3]


def _cells(vals: dict[str, Any], m: Any) -> str:
    return " | ".join("-" if vals.get(k) is None else f"{vals[k]:.4f}" for k in _keys(m))


def export_hf(ref: str, directory: Path, *, registry: Any = None, hooks: Any = None) -> Path:
    """Write ``ref`` as a Hub-ready directory; the directory."""
    from huggingface_hub import ModelCard

    from vadapt.engine.save import open_registry
    from vadapt.hooks import hooks as default_hooks

    reg = open_registry(registry, None)
    m = reg.get(ref)
    hub_id = _hub_id(m, hooks or default_hooks())
    data = card_data(m, hub_id)
    content = f"---\n{data.to_yaml()}\n---\n\n{card_body(m)}"
    parsed = ModelCard(content)  # offline: the metadata must read back as written
    wanted = len(data.eval_results or [])
    if len(parsed.data.eval_results or []) != wanted or parsed.data.model_name != m.ref:
        raise CorruptAdapter(
            f"{m.ref}: the model card's metadata does not read back", fix="report this"
        )
    out = Path(directory).expanduser()
    if out.exists() and any(out.iterdir()) and not (out / "vadapt-manifest.json").is_file():
        raise InvalidConfig(f"{out} holds other files", fix="pass an empty or new directory")
    reg.materialize(m.ref, out)  # the files byte for byte: their sha256s match the manifest
    (out / "README.md").write_text(content, encoding="utf-8")
    return out
