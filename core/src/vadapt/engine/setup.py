"""Shared by training and loading: backbone + method + head -> AdaptModel, and contexts."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from vadapt_registry.errors import InvalidConfig

from vadapt.config import AdaptConfig, MethodConfig
from vadapt.engine.data.collate import Collator
from vadapt.engine.evaluate import EvalContext
from vadapt.engine.model import AdaptModel, make_loss_fn
from vadapt.types import BackboneInfo, BackboneSpec, HeadKind, LoadedBackbone, Modality, TaskSpec


def set_threads(threads: int | None) -> None:
    """``train.threads`` for intra-op (matmul) and inter-op (parallel ops) pools alike."""
    if threads:
        import torch

        torch.set_num_threads(threads)
        if torch.get_num_interop_threads() != threads:
            try:
                torch.set_num_interop_threads(threads)
            except RuntimeError:  # torch allows it once, before any inter-op work ran
                pass
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def quiet_libraries() -> None:
    """transformers' per-load progress bars and deprecation chatter are noise in our output."""
    import warnings

    warnings.filterwarnings(
        "ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning
    )
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover
        pass


def load_backbone(spec: BackboneSpec, cfg: AdaptConfig) -> LoadedBackbone:
    quiet_libraries()
    return configure_backbone(spec.loader(), cfg)


def configure_backbone(loaded: LoadedBackbone, cfg: AdaptConfig) -> LoadedBackbone:
    """``loaded`` with its preprocessor set as ``cfg`` needs (image size).

    The preprocessor is a copy when it changes, so one loaded base can serve adapters
    trained with different settings (``vadapt.serving``); the model is shared.
    """
    if loaded.modality == Modality.IMAGE and hasattr(loaded.preprocessor, "size"):
        import copy
        import dataclasses

        min_size = int(loaded.extra.get("min_image_size", 1))
        if cfg.train.image_size < min_size:
            raise InvalidConfig(
                f"train.image_size={cfg.train.image_size} is too small for backbone "
                f"{loaded.architecture or cfg.backbone!r}: it needs at least {min_size} pixels",
                fix=f"set train.image_size to {min_size} or more",
            )

        pre = copy.copy(loaded.preprocessor)
        pre.size = cfg.train.image_size
        return dataclasses.replace(loaded, preprocessor=pre)
    return loaded


def build_model(
    task: TaskSpec,
    spec: BackboneSpec,
    loaded: LoadedBackbone,
    method_cfg: MethodConfig,
    labels: Sequence[str],
    cfg: AdaptConfig,
    hooks: Any,
    *,
    peft_config: Any = None,
    adaptation: Any = None,
) -> AdaptModel:
    """``adaptation``: an already prepared method (``vadapt.serving`` passes one that shares
    its base with other adapters); else the method is applied to ``loaded`` here."""
    from vadapt.methods import apply_method, get_method
    from vadapt.methods.peft_methods import peft_adaptation

    if adaptation is None:
        if peft_config is not None:
            adaptation = peft_adaptation(method_cfg, loaded, peft_config)
        else:
            adaptation = apply_method(method_cfg, loaded)
    info = BackboneInfo(
        name=spec.name,
        modality=loaded.modality,
        hidden_size=loaded.hidden_size,
        architecture=loaded.architecture,
    )
    bind = getattr(adaptation, "bind", None)
    if bind is not None:
        bind(task, labels, cfg)
    method = get_method(method_cfg.name)
    if method.head is not None:
        head = method.head(task, info, labels, cfg)
    else:
        head = hooks.build_head(task, info, labels, cfg)
    for p in head.parameters():
        p.requires_grad_(True)
    return AdaptModel(task, adaptation, head, temperature=cfg.train.temperature)


def class_weights(task: TaskSpec, targets: np.ndarray, n: int, mode: str) -> Any:
    if mode != "balanced" or task.head != HeadKind.CLASSIFICATION:
        return None
    import torch

    counts = np.bincount(targets, minlength=n).astype(np.float64)
    w = len(targets) / (n * np.maximum(counts, 1.0))
    return torch.tensor(w, dtype=torch.float32)


def make_context(
    task: TaskSpec,
    loaded: LoadedBackbone,
    labels: Sequence[str],
    cfg: AdaptConfig,
    device: Any,
    *,
    target_norm: tuple[float, float] = (0.0, 1.0),
    weights: Any = None,
    autocast_dtype: Any = None,
    adaptation: Any = None,
) -> EvalContext:
    """``adaptation``: the model's, when its method formats the texts (a prompt)."""
    from vadapt.cachedir import cache_dir

    tokens_dir = cache_dir("tokens") if cfg.train.token_cache else None
    fmt = getattr(adaptation, "format_text", None)
    max_length = cfg.train.max_length
    if fmt is not None:  # the method cuts the text itself; the prompt around it stays whole
        max_length = getattr(adaptation, "max_tokens", None) or max_length
    collator = Collator(
        task,
        loaded.preprocessor,
        max_length,
        target_norm,
        tokens_dir,
        fmt,
        tags=labels if task.head == HeadKind.TOKEN_CLASSIFICATION else (),
        stride=cfg.train.stride,
    )
    return EvalContext(
        task=task,
        labels=tuple(labels),
        collator=collator,
        loss_fn=make_loss_fn(task, weights),
        batch_size=cfg.train.eval_batch_size or 2 * cfg.train.batch_size,
        device=device,
        target_norm=target_norm,
        temperature=cfg.train.temperature,
        autocast_dtype=autocast_dtype,
    )
