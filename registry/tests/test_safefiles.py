"""Malformed, hostile and pickled adapter files are refused fast and never unpickled."""

from __future__ import annotations

import io
import json
import pickle
import struct
import time
import zipfile

import numpy as np
import pytest
from safetensors.numpy import save
from vadapt_registry import CorruptAdapter, Registry, UnsafeFile, assert_finite, check_safetensors


def best_per_call(fn, *, batches: int = 5, per_batch: int = 40) -> float:
    """Seconds per call, best batch of several (like timeit): robust to a busy machine."""
    best = float("inf")
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(per_batch):
            try:
                fn()
            except CorruptAdapter:
                pass
        best = min(best, (time.perf_counter() - start) / per_batch)
    return best


def raw(
    header: object,
    data: bytes = b"",
    *,
    length: int | None = None,
    header_bytes: bytes | None = None,
) -> bytes:
    hb = header_bytes if header_bytes is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(hb) if length is None else length) + hb + data


def t(dtype: str, shape: list, begin: int, end: int) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


GOOD = save({"a": np.ones((2, 3), np.float32), "b": np.arange(4, dtype=np.int64)})

MALFORMED = {
    "empty file": b"",
    "shorter than the length prefix": b"\x10\x00\x00",
    "header length beyond the file": raw({}, length=1000),
    "header length over the cap": struct.pack("<Q", 2**40) + b"{}",
    "header length zero": raw(None, header_bytes=b""),
    "invalid JSON": raw(None, header_bytes=b'{"a": {"dtype": '),
    "non-UTF-8 header": raw(None, header_bytes=b'{"\xff\xfe": 1}'),
    "header is a list": raw(None, header_bytes=b"[1, 2, 3]"),
    "header is not an object": raw(None, header_bytes=b'"x"'),
    "missing data_offsets": raw({"a": {"dtype": "F32", "shape": [1]}}, b"\0" * 4),
    "extra key in entry": raw({"a": {**t("F32", [1], 0, 4), "evil": 1}}, b"\0" * 4),
    "unknown dtype": raw({"a": t("F8_E4M3", [4], 0, 4)}, b"\0" * 4),
    "object dtype": raw({"a": t("O", [1], 0, 8)}, b"\0" * 8),
    "negative dim": raw({"a": t("F32", [-1], 0, 4)}, b"\0" * 4),
    "float dim": raw({"a": t("F32", [1.0], 0, 4)}, b"\0" * 4),
    "bool dim": raw({"a": t("F32", [True], 0, 4)}, b"\0" * 4),
    "offsets out of range": raw({"a": t("F32", [4], 0, 16)}, b"\0" * 8),
    "negative offset": raw({"a": t("F32", [1], -4, 0)}, b"\0" * 4),
    "offsets reversed": raw({"a": t("F32", [0], 4, 0)}, b"\0" * 4),
    "overlapping offsets": raw({"a": t("F32", [2], 0, 8), "b": t("F32", [2], 4, 12)}, b"\0" * 12),
    "gap between tensors": raw({"a": t("F32", [1], 0, 4), "b": t("F32", [1], 8, 12)}, b"\0" * 12),
    "bytes not covered": raw({"a": t("F32", [1], 0, 4)}, b"\0" * 12),
    "dtype/shape mismatch": raw({"a": t("F32", [3], 0, 8)}, b"\0" * 8),
    "shape overflow": raw({"a": t("F32", [2**62, 2**62], 0, 4)}, b"\0" * 4),
    "truncated data": GOOD[:-5],
    "metadata not str->str": raw({"__metadata__": {"k": 1}, "a": t("F32", [1], 0, 4)}, b"\0" * 4),
    "pickle renamed .safetensors": pickle.dumps({"a": 1}, protocol=4),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_safetensors_rejected_under_1ms(case: str) -> None:
    data = MALFORMED[case]
    with pytest.raises(CorruptAdapter):
        check_safetensors(data, name=case)
    per_case = best_per_call(lambda: check_safetensors(data))
    assert per_case < 1e-3, f"{case}: {per_case * 1e6:.0f} µs per rejection"


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_safetensors_rejected_from_path(tmp_path, case: str) -> None:
    p = tmp_path / "adapter_model.safetensors"
    p.write_bytes(MALFORMED[case])
    with pytest.raises(CorruptAdapter):
        check_safetensors(p)


def test_valid_file_passes_fast() -> None:
    info = check_safetensors(GOOD)
    assert set(info.tensors) == {"a", "b"}
    assert best_per_call(lambda: check_safetensors(GOOD)) < 1e-3


def _million_empty_tensors() -> bytes:
    body = ",".join(
        f'"t{i}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}' for i in range(1_000_000)
    )
    return raw(None, header_bytes=("{" + body + "}").encode())


def test_million_empty_tensor_header_rejected_under_10ms(tmp_path) -> None:
    data = _million_empty_tensors()
    assert len(data) > 40_000_000
    p = tmp_path / "slow.safetensors"
    p.write_bytes(data)
    for source in (data, p):
        check = lambda source=source: check_safetensors(source)  # noqa: E731
        with pytest.raises(CorruptAdapter, match="cap"):
            check()
        per = best_per_call(check, batches=4, per_batch=5)
        assert per < 10e-3, f"{per * 1e3:.2f} ms"


def test_dense_header_under_size_cap_rejected_by_tensor_count_under_10ms() -> None:
    n = 120_000
    body = ",".join(f'"{i}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}' for i in range(n))
    data = raw(None, header_bytes=("{" + body + "}").encode())
    assert len(data) < 8 * 1024 * 1024
    with pytest.raises(CorruptAdapter, match="cap of 50000 tensors"):
        check_safetensors(data)
    per = best_per_call(lambda: check_safetensors(data), batches=4, per_batch=5)
    assert per < 10e-3, f"{per * 1e3:.2f} ms"


def _zip_pickle() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"w": 1}, protocol=2))
    return buf.getvalue()


PICKLES = {f"protocol {p}": pickle.dumps({"w": [1.0, 2.0]}, protocol=p) for p in range(6)}
PICKLES["torch zip format"] = _zip_pickle()


@pytest.fixture
def no_unpickling(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("something tried to unpickle")

    for attr in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, attr, boom)


@pytest.mark.parametrize("kind", sorted(PICKLES))
@pytest.mark.parametrize(
    "fname",
    [
        "adapter_model.bin",
        "model.pt",
        "x.pth",
        "x.pkl",
        "x.ckpt",
        "adapter_model.safetensors",
        "head.weights",
        "adapter_config.json",
    ],
)
def test_pickle_refused_in_every_form(
    tmp_path, make_draft, no_unpickling, kind: str, fname: str
) -> None:
    reg = Registry(tmp_path / "r")
    with pytest.raises(CorruptAdapter) as err:
        reg.save(make_draft(), {fname: PICKLES[kind]})
    assert fname in str(err.value)
    assert not (tmp_path / "r").exists()  # refused before touching the disk


@pytest.mark.parametrize("ext", [".bin", ".pt", ".pth", ".pkl", ".ckpt"])
def test_pickle_extensions_refused_even_with_safe_content(make_draft, reg, ext: str) -> None:
    with pytest.raises(UnsafeFile, match="pickle"):
        reg.save(make_draft(), {"weights" + ext: GOOD})


def _bf16(values: list[int]) -> bytes:
    arr = np.array(values, dtype="<u2").tobytes()
    return raw({"lora.bf16": t("BF16", [len(values)], 0, len(arr))}, arr)


NONFINITE = {
    "F32 NaN": (
        "encoder.layer.3.lora_B.weight",
        save(
            {
                "ok": np.ones(2, np.float32),
                "encoder.layer.3.lora_B.weight": np.array([1.0, np.nan], np.float32),
            }
        ),
    ),
    "F32 Inf": ("w", save({"w": np.array([np.inf], np.float32)})),
    "F16 -Inf": ("h", save({"h": np.array([1, -np.inf], np.float16)})),
    "F64 NaN": ("d", save({"d": np.array([np.nan])})),
    "BF16 NaN": ("lora.bf16", _bf16([0x3F80, 0x7FC0])),
    "BF16 Inf": ("lora.bf16", _bf16([0xFF80])),
}


@pytest.mark.parametrize("case", sorted(NONFINITE))
def test_nonfinite_refused_at_save_naming_the_tensor(make_draft, reg, case: str) -> None:
    tensor, data = NONFINITE[case]
    with pytest.raises(CorruptAdapter, match=tensor.replace(".", r"\.")):
        assert_finite(data)
    with pytest.raises(CorruptAdapter, match=tensor.replace(".", r"\.")):
        reg.save(make_draft(), {"adapter_model.safetensors": data})
    assert reg.list() == []


def test_bf16_finite_passes() -> None:
    assert_finite(_bf16([0x3F80, 0x0000, 0x8000, 0x7F7F]))


@pytest.mark.parametrize("low, high", [(0x80, 0x02), (0x80, 0x05), (ord("("), 0x01)])
def test_valid_file_whose_length_looks_like_pickle_magic_is_accepted(
    reg, make_draft, low, high
) -> None:
    n = low + (high << 8)
    header = json.dumps({"w": t("F32", [1], 0, 4)}).encode()
    data = struct.pack("<Q", n) + header.ljust(n, b" ") + struct.pack("<f", 0.5)[:3] + b"."
    check_safetensors(data)
    m = reg.save(make_draft(), {"adapter_model.safetensors": data})
    assert reg.load(m.ref).files["adapter_model.safetensors"] == data
