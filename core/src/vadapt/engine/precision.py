"""Which arithmetic a run uses: ``train.precision`` resolved on the device at hand.

bf16 autocast halves the bytes every matmul moves; on a CPU with bf16 instructions
(AVX512-BF16, AMX) it is also 2-3x the matmul rate of fp32 (measured on the 2-core
workplace machine: 399 vs 135 GFLOP/s). On such a CPU PyTorch's fused SDPA attention
kernel is slow in bf16 (its backward took 37% of a MiniLM LoRA step), so attention runs
as plain bf16 matmuls there ("eager" attention): a step of 16 reviews x 96 tokens took
0.27 s against 0.52-0.66 s in fp32. Without bf16 instructions bf16 is emulated and
slower than fp32, which is why ``bf16-native`` asks the CPU first.
"""

from __future__ import annotations

from typing import Any


def native_bf16(device_type: str) -> bool:
    """True when ``device_type`` computes bf16 in hardware (CUDA with bf16, x86 AVX512-BF16/AMX)."""
    import torch

    if device_type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device_type != "cpu":
        return False
    caps = getattr(torch.cpu, "get_capabilities", lambda: {})()
    return bool(caps.get("avx512_bf16") or caps.get("amx_bf16"))


def resolve_precision(precision: str, device_type: str) -> str:
    """``"bf16"`` or ``"no"`` (Accelerate's names) for a ``train.precision`` on a device."""
    if precision == "bf16":
        return "bf16"
    if precision == "bf16-native":
        return "bf16" if native_bf16(device_type) else "no"
    if precision == "auto":
        return "bf16" if device_type == "cuda" else "no"
    return "no"


def autocast_dtype(mixed: str) -> Any:
    import torch

    return torch.bfloat16 if mixed == "bf16" else None


def prefer_eager_attention(model: Any, mixed: str, device_type: str) -> None:
    """bf16 on CPU: attention as plain matmuls (see the module doc). Same results as SDPA
    to fp rounding (max |diff| 4e-6 in fp32), so a base shared by fp32 adapters is unaffected."""
    if mixed != "bf16" or device_type != "cpu":
        return
    setter = getattr(model, "set_attn_implementation", None)
    if callable(setter):
        try:
            setter("eager")
        except (ValueError, NotImplementedError):  # the architecture has no eager path
            pass
