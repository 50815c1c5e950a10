"""Safe reading of adapter files: safetensors header pre-check, finite check, pickle refusal.

`check_safetensors` validates a safetensors file *before* anything else parses it:
the 8-byte header length, caps on header size and tensor count (checked on the raw
bytes before JSON parsing, so a header built to be slow is refused in microseconds),
the JSON itself, a dtype allow-list, shape × itemsize == byte span, offsets inside the
buffer, and tensors that tile the data section exactly (no overlap, no gap, no tail).
Nothing here ever unpickles: pickles are recognised by extension and magic bytes and
refused.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vadapt_registry.errors import CorruptAdapter

DEFAULT_MAX_HEADER_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_TENSORS = 50_000

#: dtype -> item size in bytes. No F8/F4 and no object dtypes: adapters never need them.
DTYPE_SIZES: dict[str, int] = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U64": 8,
    "U32": 4,
    "U16": 2,
    "U8": 1,
    "BOOL": 1,
}
_MIN_ENTRY = len('"":{"dtype":"U8","shape":[],"data_offsets":[0,0]}') - 1
_FLOAT_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16"}
"""numpy dtype names; numpy itself loads only when a file is checked (not on listings)."""

PICKLE_SUFFIXES = frozenset(
    {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".npz"}
)


_TEXT_SUFFIXES = frozenset({".json", ".jsonl", ".txt", ".md", ".yaml", ".yml", ".csv", ".tsv"})


class UnsafeFile(CorruptAdapter):
    """A file that could execute code when loaded (a pickle in any disguise)."""


@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    begin: int  # offset into the data section
    end: int


@dataclass(frozen=True)
class SafetensorsInfo:
    header_len: int
    data_len: int
    tensors: dict[str, TensorInfo] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def data_start(self) -> int:
        return 8 + self.header_len


def _bad(what: str, why: str) -> CorruptAdapter:
    return CorruptAdapter(
        f"{what} is not a valid safetensors file: {why}",
        fix="re-export the weights with safetensors.save_file; never store pickles",
    )


def pickle_reason(data: bytes | memoryview, filename: str = "") -> str | None:
    """Why ``data``/``filename`` looks like a pickle (or torch zip archive), else None."""
    suffix = Path(filename).suffix.lower() if filename else ""
    if suffix in PICKLE_SUFFIXES:
        return f"its extension {suffix!r} is a pickle/torch format"
    head = bytes(data[:4])
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "it starts with pickle protocol magic"
    if head == b"PK\x03\x04":
        return "it is a zip archive (torch.save format holds a pickle)"
    if head[:1] in (b"(", b"]", b"}", b"c") and bytes(data[-1:]) == b".":
        # protocol 0/1 pickles: opcode stream ending with STOP ('.')
        if suffix not in _TEXT_SUFFIXES:
            return "it looks like a protocol-0/1 pickle"
    return None


def refuse_pickle(data: bytes | memoryview, filename: str, what: str | None = None) -> None:
    why = pickle_reason(data, filename)
    if why:
        raise UnsafeFile(
            f"refusing {what or filename!r}: {why}; vadapt never unpickles",
            fix="save weights with safetensors (adapter_model.safetensors) and configs as JSON",
        )


def _read_prefix(path: Path, max_header_bytes: int) -> tuple[bytes, int]:
    """Read the 8-byte length and (capped) header of a file; return (prefix, file size)."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        first = fh.read(8)
        if len(first) < 8:
            return first, size
        (n,) = struct.unpack("<Q", first)
        if n > max_header_bytes or n > size - 8:
            return first, size  # the checks below reject it without reading more
        return first + fh.read(n), size


def check_safetensors(
    source: bytes | bytearray | memoryview | str | os.PathLike[str],
    *,
    name: str | None = None,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
    max_tensors: int = DEFAULT_MAX_TENSORS,
) -> SafetensorsInfo:
    """Validate a safetensors file's structure without trusting anything in it.

    ``source`` is the whole file as bytes, or a path (only the header is read).
    Raises `CorruptAdapter` (or `UnsafeFile` for pickles) naming ``name`` and the cause.
    """
    what, prefix, total = _source(source, name, max_header_bytes)
    n = _header_length(prefix, total, what, max_header_bytes)
    header, metadata = _parse_header(prefix, n, what, max_tensors)
    data_len = total - 8 - n
    tensors = {t: _tensor_entry(t, entry, data_len, what) for t, entry in header.items()}
    _check_coverage(tensors, data_len, what)
    return SafetensorsInfo(header_len=n, data_len=data_len, tensors=tensors, metadata=metadata)


def _source(
    source: bytes | bytearray | memoryview | str | os.PathLike[str],
    name: str | None,
    max_header_bytes: int,
) -> tuple[str, memoryview, int]:
    """(name for errors, the bytes holding at least the header, the file's total size)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf = memoryview(source)
        return name or "safetensors data", buf, len(buf)
    path = Path(source)
    prefix_bytes, total = _read_prefix(path, max_header_bytes)
    return name or str(path), memoryview(prefix_bytes), total


def _header_length(prefix: memoryview, total: int, what: str, max_header_bytes: int) -> int:
    """The 8-byte little-endian header length, checked against the cap and the file size."""
    if total < 8:
        refuse_pickle(prefix, "", what)
        raise _bad(what, f"truncated: {total} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack_from("<Q", prefix, 0)
    if n > max_header_bytes:
        refuse_pickle(prefix, "", what)
        raise _bad(what, f"header length {n} exceeds the cap of {max_header_bytes} bytes")
    if n > total - 8:
        refuse_pickle(prefix, "", what)
        raise _bad(what, f"truncated: header length {n} but only {total - 8} bytes follow")
    if n < 2:
        raise _bad(what, f"header length {n} is too small for a JSON object")
    if prefix[8:9] != b"{":
        raise _bad(what, "header does not start with '{'")
    return n


def _parse_header(
    prefix: memoryview, n: int, what: str, max_tensors: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """(tensor entries, ``__metadata__``) of the JSON header, the tensor cap enforced."""
    # Cheap cap on the raw bytes before json parses anything: every tensor entry is a
    # JSON object of at least _MIN_ENTRY bytes, so only a header long enough to exceed
    # the cap has its '{' counted (vectorised, ~1 ms for 8 MB, no copy).
    if n > max_tensors * _MIN_ENTRY:
        import numpy as np

        braces = int(np.count_nonzero(np.frombuffer(prefix, np.uint8, count=n, offset=8) == 0x7B))
        if braces - 1 > max_tensors:
            raise _bad(
                what,
                f"header holds {braces - 1} objects, more than the cap of {max_tensors} tensors",
            )
    raw = bytes(prefix[8 : 8 + n])
    try:
        header = json.loads(raw.rstrip(b" ").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _bad(what, f"header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise _bad(what, "header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise _bad(what, "__metadata__ must map strings to strings")
    if len(header) > max_tensors:
        raise _bad(
            what, f"header declares {len(header)} tensors, more than the cap of {max_tensors}"
        )
    return header, metadata


def _tensor_entry(tname: str, entry: Any, data_len: int, what: str) -> TensorInfo:
    """One header entry: known dtype, integer shape, offsets inside the data, exact size."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise _bad(what, f"tensor {tname!r} must have exactly dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPE_SIZES:
        raise _bad(what, f"tensor {tname!r} has dtype {dtype!r}, not in {sorted(DTYPE_SIZES)}")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise _bad(what, f"tensor {tname!r} has an invalid shape {shape!r}")
    ints = isinstance(offsets, list) and all(type(o) is int for o in offsets)
    if not ints or len(offsets) != 2:
        raise _bad(what, f"tensor {tname!r} has invalid data_offsets {offsets!r}")
    begin, end = offsets
    if not 0 <= begin <= end <= data_len:
        raise _bad(
            what, f"tensor {tname!r} offsets [{begin}, {end}] are outside the {data_len}-byte data"
        )
    expected = math.prod(shape) * DTYPE_SIZES[dtype]
    if end - begin != expected:
        raise _bad(
            what,
            f"tensor {tname!r} spans {end - begin} bytes but dtype {dtype} × shape {shape} "
            f"needs {expected}",
        )
    return TensorInfo(dtype, tuple(shape), begin, end)


def _check_coverage(tensors: dict[str, TensorInfo], data_len: int, what: str) -> None:
    """The tensors tile the data section exactly: no overlap, no gap, nothing left over."""
    pos = 0
    for tname, info in sorted(tensors.items(), key=lambda kv: (kv[1].begin, kv[1].end)):
        if info.begin != pos:
            kind = "overlaps the previous tensor" if info.begin < pos else "leaves a gap before it"
            raise _bad(what, f"tensor {tname!r} at offset {info.begin} {kind} (expected {pos})")
        pos = info.end
    if pos != data_len:
        raise _bad(what, f"tensors cover {pos} bytes but the data section holds {data_len}")


def _nonfinite_count(info: TensorInfo, raw: memoryview) -> int:
    import numpy as np

    if info.dtype in _FLOAT_DTYPES:
        arr = np.frombuffer(raw, dtype=np.dtype(_FLOAT_DTYPES[info.dtype]).newbyteorder("<"))
        return int(arr.size - np.count_nonzero(np.isfinite(arr)))
    if info.dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2")
        return int(np.count_nonzero((bits & 0x7F80) == 0x7F80))
    return 0


def assert_finite(
    source: bytes | bytearray | memoryview | str | os.PathLike[str],
    *,
    name: str | None = None,
    info: SafetensorsInfo | None = None,
) -> SafetensorsInfo:
    """Raise `CorruptAdapter` naming the first tensor holding NaN or Inf.

    Runs `check_safetensors` first unless ``info`` (from a previous check of the same
    bytes) is given. Integer and bool tensors are finite by construction.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf = memoryview(source)
        what = name or "safetensors data"
    else:
        buf = memoryview(Path(source).read_bytes())
        what = name or str(source)
    if info is None:
        info = check_safetensors(buf, name=what)
    start = info.data_start
    for tname in sorted(info.tensors):
        t = info.tensors[tname]
        bad = _nonfinite_count(t, buf[start + t.begin : start + t.end])
        if bad:
            raise CorruptAdapter(
                f"{what}: tensor {tname!r} holds {bad} NaN/Inf value(s)",
                fix="training diverged or the weights were damaged; retrain or restore the file",
            )
    return info


def check_file(data: bytes | memoryview, filename: str, *, what: str | None = None) -> None:
    """All content checks the registry applies to one adapter file held in memory."""
    label = what or filename
    if Path(filename).suffix.lower() in PICKLE_SUFFIXES:
        refuse_pickle(data, filename, label)
    if filename.endswith(".safetensors"):
        # Structure first: a valid header length can begin with bytes that look like
        # pickle magic (e.g. 0x80 0x02), so magic only names the cause of a failure.
        try:
            assert_finite(data, name=label)
        except CorruptAdapter:
            refuse_pickle(data, "", label)
            raise
        return
    refuse_pickle(data, filename, label)
    if filename.endswith(".json"):
        try:
            json.loads(bytes(data).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise CorruptAdapter(f"{label} is not valid UTF-8 JSON ({exc})") from None
