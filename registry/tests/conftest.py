"""Fixtures for the registry tests: a fresh registry, tiny adapters, drafts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save
from vadapt_registry import ManifestDraft, Registry

PREFIX = "base_model.model.encoder.layer.0.attention.self.query."
FP = "sha256:" + hashlib.sha256(b"tiny-backbone").hexdigest()


def _draft(name: str = "intent", vertical: str = "customer-service", **kw: object) -> ManifestDraft:
    fields: dict[str, object] = {
        "name": name,
        "vertical": vertical,
        "task": f"{vertical}/intent",
        "method": {
            "name": "lora",
            "config": {"r": 4, "lora_alpha": 8, "target_modules": ["query", "value"]},
        },
        "backbone": {"name": "tiny", "fingerprint": FP},
        "labels": ["billing", "refund", "other"],
        "training": {"lr": 1e-3, "epochs": 2, "seed": 0},
        "metrics": {"validation": {"accuracy": 0.9}, "test": {"accuracy": 0.88}},
        "plugins": {"vadapt-customer-service": "0.1.0"},
        "vadapt_version": "0.1.0",
    }
    fields.update(kw)
    return ManifestDraft.model_validate(fields)


def _files(seed: int = 0, size: int = 16) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    weights = save(
        {
            PREFIX + "lora_A.weight": rng.standard_normal((4, size), dtype=np.float32),
            PREFIX + "lora_B.weight": rng.standard_normal((size, 4), dtype=np.float32),
        }
    )
    head = save(
        {
            "head.weight": rng.standard_normal((3, size), dtype=np.float32),
            "head.bias": np.zeros(3, np.float32),
        }
    )
    config = b'{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["query", "value"]}'
    return {
        "adapter_model.safetensors": weights,
        "adapter_config.json": config,
        "head.safetensors": head,
    }


@pytest.fixture
def make_draft() -> Callable[..., ManifestDraft]:
    return _draft


@pytest.fixture
def make_files() -> Callable[..., dict[str, bytes]]:
    return _files


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "registry"


@pytest.fixture
def reg(root: Path) -> Registry:
    return Registry(root, lock_timeout=30.0)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the registry except the lock and the sqlite side files."""
    out = {}
    for p in sorted(root.rglob("*")):
        if (
            p.is_file()
            and p.name not in ("registry.lock",)
            and not p.name.startswith("index.sqlite")
        ):
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


@pytest.fixture
def take_snapshot() -> Callable[[Path], dict[str, bytes]]:
    return snapshot
