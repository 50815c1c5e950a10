"""Texts tokenised once, cached on disk, and padded per batch without per-example Python.

:func:`tokenize` runs the fast tokenizer once over a whole split (truncated, special
tokens added, not padded) and packs the ids into one flat array plus offsets.
:meth:`Tokens.batch` pads any subset of rows to its longest member with numpy
fancy indexing: the step loop does no tokenizer call and no Python loop per example.

:class:`TokenCache` keys a split by sha256 over (the texts, the tokenizer's full
serialisation, ``max_length``, the format version): a second run over the same data
reads ``<cache>/tokens/<key>.npz`` instead of tokenising, and any change of data,
tokenizer or ``max_length`` is a different key (old entries are simply not read).
Entries are written atomically (temp file + rename); an unreadable one is re-made.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "vadapt-tokens-1"
MEMO = 8
"""Tokenised splits kept in memory per cache (train, validation, test, ...)."""


@dataclass(frozen=True)
class Tokens:
    """Token ids of N texts: text ``i`` is ``ids[offsets[i]:offsets[i + 1]]``."""

    ids: np.ndarray  # int32, flat
    offsets: np.ndarray  # int64, N + 1

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def batch(
        self, rows: Any, pad_id: int, left: bool = False, multiple: int = 1
    ) -> tuple[Any, Any]:
        """``input_ids`` and ``attention_mask`` of ``rows``, padded to the longest of them
        (rounded up to a multiple of ``multiple``)."""
        import torch

        rows = np.asarray(rows, dtype=np.int64)
        starts, lens = self.offsets[rows], self.lengths[rows]
        width = -(-int(lens.max()) // multiple) * multiple if len(rows) else 0
        pos = np.arange(width)[None, :]
        if left:
            pos = pos - (width - lens)[:, None]
        mask = (pos >= 0) & (pos < lens[:, None])
        if len(self.ids):
            flat = np.clip(starts[:, None] + pos, 0, len(self.ids) - 1)
            ids = np.where(mask, self.ids[flat], pad_id)
        else:
            ids = np.full(mask.shape, pad_id)
        return torch.from_numpy(ids.astype(np.int64)), torch.from_numpy(mask.astype(np.int64))


@dataclass(frozen=True)
class TokenRows:
    """Which rows of which tokenised split a batch holds (the collator sets it on text
    batches as ``batch["rows"]``; ``freeze``'s prefix cache keys its states by it)."""

    tokens: Tokens
    index: np.ndarray


def tokenize(tokenizer: Any, texts: Sequence[str], max_length: int) -> Tokens:
    """One fast-tokenizer pass over ``texts``: truncated, special tokens, no padding."""
    enc = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    lengths = np.fromiter((len(ids) for ids in enc), dtype=np.int64, count=len(enc))
    offsets = np.zeros(len(enc) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.fromiter((t for ids in enc for t in ids), dtype=np.int32, count=int(offsets[-1]))
    return Tokens(flat, offsets)


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """sha256 over everything that decides the ids: the fast tokenizer's JSON
    (vocabulary, normaliser, pre-tokeniser, post-processor), its class, truncation side.

    The JSON's ``truncation``/``padding`` entries are the state of the last call (HF sets
    them per call), not settings: they are left out, and max_length is keyed apart."""
    h = hashlib.sha256(type(tokenizer).__qualname__.encode())
    h.update(str(getattr(tokenizer, "truncation_side", "right")).encode())
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        spec = json.loads(backend.to_str())
        spec.pop("truncation", None)
        spec.pop("padding", None)
        h.update(json.dumps(spec, sort_keys=True).encode())
    else:  # a slow tokenizer: its vocabulary and special tokens
        h.update(repr(sorted(tokenizer.get_vocab().items())).encode())
        h.update(repr(getattr(tokenizer, "all_special_tokens", [])).encode())
    return h.hexdigest()


def texts_fingerprint(texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


class TokenCache:
    """Tokenised splits for one tokenizer and ``max_length``: memory, then disk, then tokenise."""

    def __init__(self, tokenizer: Any, max_length: int, directory: Path | None) -> None:
        self.tokenizer, self.max_length, self.directory = tokenizer, max_length, directory
        self._fingerprint: str | None = None
        self._memo: OrderedDict[str, Tokens] = OrderedDict()
        self.hits = {"memory": 0, "disk": 0, "tokenized": 0}

    @property
    def pad_id(self) -> int:
        pad = getattr(self.tokenizer, "pad_token_id", None)
        return int(pad) if pad is not None else 0

    @property
    def left(self) -> bool:
        return getattr(self.tokenizer, "padding_side", "right") == "left"

    def key(self, texts: Sequence[str]) -> str:
        if self._fingerprint is None:
            self._fingerprint = tokenizer_fingerprint(self.tokenizer)
        parts = (FORMAT, self._fingerprint, str(self.max_length), texts_fingerprint(texts))
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def get(self, texts: Sequence[str], store: bool = True) -> Tokens:
        """``texts`` tokenised; ``store=False`` (one-off inputs: requests, augmented
        epochs) neither reads nor writes the cache."""
        if not store:
            return tokenize(self.tokenizer, texts, self.max_length)
        key = self.key(texts)
        if key in self._memo:
            self._memo.move_to_end(key)
            self.hits["memory"] += 1
            return self._memo[key]
        tokens = self._read(key, len(texts))
        if tokens is None:
            tokens = tokenize(self.tokenizer, texts, self.max_length)
            self.hits["tokenized"] += 1
            self._write(key, tokens)
        else:
            self.hits["disk"] += 1
        self._memo[key] = tokens
        while len(self._memo) > MEMO:
            self._memo.popitem(last=False)
        return tokens

    def _path(self, key: str) -> Path | None:
        return self.directory / f"{key}.npz" if self.directory is not None else None

    def _read(self, key: str, n: int) -> Tokens | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                tokens = Tokens(z["ids"].astype(np.int32), z["offsets"].astype(np.int64))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # damaged: re-make
            return None
        off = tokens.offsets
        ok = off.ndim == 1 and len(off) == n + 1 and off[0] == 0 and off[-1] == len(tokens.ids)
        return tokens if ok and bool(np.all(np.diff(off) >= 0)) else None

    def _write(self, key: str, tokens: Tokens) -> None:
        path = self._path(key)
        if path is None:
            return
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, ids=tokens.ids, offsets=tokens.offsets)
            os.replace(tmp, path)
        except OSError:  # a read-only or full cache only costs the next run a tokenisation
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
