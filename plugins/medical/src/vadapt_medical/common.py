"""Helpers shared by the medical loaders: seeded stratified splits and provenance notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

NOT_FOR_CLINICAL_USE = (
    "NOT FOR CLINICAL DECISIONS: research and engineering use only; this adapter is not a "
    "medical device, has not been clinically validated, and must not be used to diagnose, "
    "treat or triage patients."
)


def intended_use(what: str) -> str:
    return f"Research and benchmarking of {what}. {NOT_FOR_CLINICAL_USE}"


def stratified_indices(
    strata: Sequence[Any], *, val_fraction: float, test_fraction: float, seed: int
) -> tuple[list[int], list[int], list[int]]:
    """Seeded stratified train/validation/test indices.

    Each stratum (a label, or a label-combination string for multi-label data) is
    shuffled with its own draw from one seeded generator and cut by the fractions,
    rounding so every stratum with at least 3 members lands in all three splits.
    Each split is then shuffled with the same generator, so source files sorted by
    class (dslabs brca lists benign rows first) do not yield class-sorted splits,
    and "the first N examples" of a split is a fair sample.
    """
    rng = np.random.default_rng(seed)
    by: dict[str, list[int]] = {}
    for i, s in enumerate(strata):
        by.setdefault(str(s), []).append(i)
    train: list[int] = []
    val: list[int] = []
    test: list[int] = []
    for key in sorted(by):
        idx = np.array(by[key])
        rng.shuffle(idx)
        n = len(idx)
        n_test = round(n * test_fraction)
        n_val = round(n * val_fraction)
        if n >= 3:  # a stratum of 3+ reaches every split that is asked for
            n_test = max(n_test, 1) if test_fraction > 0 else 0
            n_val = max(n_val, 1) if val_fraction > 0 else 0
        # keep at least one training example per stratum: shrink validation, then test
        n_test = min(n_test, max(n - 1, 0))
        n_val = max(0, min(n_val, n - 1 - n_test))
        test.extend(idx[:n_test].tolist())
        val.extend(idx[n_test : n_test + n_val].tolist())
        train.extend(idx[n_test + n_val :].tolist())
    tr, va, te = (rng.permutation(np.array(s, dtype=int)).tolist() for s in (train, val, test))
    return tr, va, te


def label_counts(examples: Sequence[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ex in examples:
        labels = ex["label"] if isinstance(ex["label"], list) else [ex["label"]]
        for lab in labels:
            counts[str(lab)] = counts.get(str(lab), 0) + 1
    return dict(sorted(counts.items()))
