"""Token-classification inputs: documents -> word-aligned, overlapping token windows.

Each document is tokenised once (fast tokenizer, character offsets). Every word
(:func:`vadapt.kit.entities.words`) is labelled on its first word piece; the other pieces
and the special tokens get -100 (ignored by the loss). A document longer than
``max_length`` tokens is cut into windows of ``max_length`` (special tokens included)
that share ``stride`` tokens with the next one. Every token is *owned* by one window —
the one it sits furthest from an edge in (the boundary is the middle of each overlap) —
and a word's prediction is read from the window that owns its first piece, so words
near a cut still see context on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from vadapt_registry.errors import InvalidConfig

from vadapt.kit.entities import OUTSIDE, document_tags, entity_types, scheme_of, words

IGNORE = -100


@dataclass
class Windows:
    """The windows of a list of documents (row i = window i)."""

    ids: list[np.ndarray]  # token ids with special tokens
    labels: list[np.ndarray]  # tag id on each owned-or-not first piece, IGNORE elsewhere
    word_at: list[np.ndarray]  # word index at each first piece this window owns, else -1
    doc: np.ndarray  # window -> document
    n_words: list[int] = field(default_factory=list)  # per document
    offsets: list[list[tuple[int, int]]] = field(default_factory=list)  # per document

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(x) for x in self.ids], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> int:
        return i

    def __getitems__(self, indices: list[int]) -> WindowRows:
        return WindowRows(np.asarray(indices, dtype=np.int64), self)


@dataclass(frozen=True)
class WindowRows:
    index: np.ndarray
    windows: Windows


def special_tokens(tok: Any) -> tuple[list[int], list[int]]:
    """The ids the tokenizer puts before and after a text ([CLS] / [SEP], or a BOS)."""
    bare = tok("a", add_special_tokens=False)["input_ids"]
    full = tok("a")["input_ids"]
    for i in range(len(full) - len(bare) + 1):
        if full[i : i + len(bare)] == bare:
            return list(full[:i]), list(full[i + len(bare) :])
    return [], []


def encode_windows(
    examples: Sequence[dict[str, Any]],
    tok: Any,
    tags: Sequence[str],
    max_length: int,
    stride: int,
) -> Windows:
    """``examples``' texts as windows; gold tags from their ``entities`` when present."""
    prefix, suffix = special_tokens(tok)
    room = max_length - len(prefix) - len(suffix)
    if room < 8:
        raise InvalidConfig(
            f"train.max_length={max_length} leaves {room} tokens per window",
            fix="set train.max_length to 32 or more for token-classification tasks",
        )
    stride = min(stride, room // 2)
    index = {t: i for i, t in enumerate(tags)}
    types, scheme = entity_types(tags), scheme_of(tags)
    texts = [ex["text"] for ex in examples]
    enc = tok(texts, add_special_tokens=False, return_offsets_mapping=True) if texts else None
    out = Windows([], [], [], np.zeros(0, dtype=np.int64))
    docs: list[int] = []
    for d, ex in enumerate(examples):
        assert enc is not None
        offsets = words(ex["text"])
        gold = document_tags(ex, types, scheme) if ex.get("entities") is not None else None
        word = _first_pieces(ex["text"], enc["offset_mapping"][d], offsets)
        target = np.full(len(word), IGNORE, dtype=np.int64)
        if gold is not None:
            first = word >= 0
            target[first] = [index[gold[w]] for w in word[first]]
        for lo, hi, own_lo, own_hi in _cuts(len(word), room, stride):
            ids = np.asarray(enc["input_ids"][d][lo:hi], dtype=np.int64)
            owned = word[lo:hi].copy()
            pos = np.arange(lo, hi)
            owned[(pos < own_lo) | (pos >= own_hi)] = -1
            pad_l, pad_r = np.full(len(prefix), -1), np.full(len(suffix), -1)
            ign_l, ign_r = np.full(len(prefix), IGNORE), np.full(len(suffix), IGNORE)
            out.ids.append(np.concatenate([prefix, ids, suffix]).astype(np.int64))
            out.labels.append(np.concatenate([ign_l, target[lo:hi], ign_r]).astype(np.int64))
            out.word_at.append(np.concatenate([pad_l, owned, pad_r]).astype(np.int64))
            docs.append(d)
        out.n_words.append(len(offsets))
        out.offsets.append(offsets)
    out.doc = np.asarray(docs, dtype=np.int64)
    return out


def _first_pieces(
    text: str, token_offsets: Sequence[tuple[int, int]], offsets: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Per token: the index of the word it is the first piece of, else -1."""
    ends = np.array([e for _, e in offsets], dtype=np.int64)
    out = np.full(len(token_offsets), -1, dtype=np.int64)
    last = -1
    for t, (s, e) in enumerate(token_offsets):
        piece = text[s:e]
        s += len(piece) - len(piece.lstrip())  # byte-level BPE offsets include the space
        w = int(np.searchsorted(ends, s, side="right"))
        if e <= s or w >= len(offsets) or offsets[w][0] > s:
            continue  # a special or whitespace-only token
        if w != last:
            out[t], last = w, w
    return out


def _cuts(n: int, room: int, stride: int) -> list[tuple[int, int, int, int]]:
    """(start, end, owned start, owned end) of each window over ``n`` tokens."""
    step = room - stride
    starts = [0]
    while starts[-1] + room < n:
        starts.append(starts[-1] + step)
    ends = [min(s + room, n) for s in starts]
    bounds = [0] + [(starts[k + 1] + ends[k]) // 2 for k in range(len(starts) - 1)] + [n]
    return [
        (s, e, bounds[k], bounds[k + 1]) for k, (s, e) in enumerate(zip(starts, ends, strict=True))
    ]


def collate_windows(rows: WindowRows, pad_id: int) -> dict[str, Any]:
    """Right-padded ``input_ids``, ``attention_mask``, ``labels`` (IGNORE on padding)."""
    w, idx = rows.windows, rows.index
    width = max(len(w.ids[i]) for i in idx)
    ids = np.full((len(idx), width), pad_id, dtype=np.int64)
    labels = np.full((len(idx), width), IGNORE, dtype=np.int64)
    mask = np.zeros((len(idx), width), dtype=np.int64)
    for r, i in enumerate(idx):
        n = len(w.ids[i])
        ids[r, :n], labels[r, :n], mask[r, :n] = w.ids[i], w.labels[i], 1
    return {
        "input_ids": torch.from_numpy(ids),
        "attention_mask": torch.from_numpy(mask),
        "labels": torch.from_numpy(labels),
        "windows": idx,
    }


def stitch(windows: Windows, index: np.ndarray, probs: np.ndarray, out: list[np.ndarray]) -> None:
    """Write the owned first pieces' tag probabilities of a batch into ``out`` (one
    (words, tags) array per document, initialised by :func:`empty_predictions`)."""
    for r, i in enumerate(index):
        at = windows.word_at[i]
        pos = np.flatnonzero(at >= 0)
        out[windows.doc[i]][at[pos]] = probs[r, pos]


def empty_predictions(windows: Windows, tags: Sequence[str]) -> list[np.ndarray]:
    """Per document, every word ``O`` with probability 1 (a word the tokenizer dropped
    keeps it)."""
    o = list(tags).index(OUTSIDE)
    out = []
    for n in windows.n_words:
        p = np.zeros((n, len(tags)), dtype=np.float32)
        p[:, o] = 1.0
        out.append(p)
    return out
