"""customer-service/faq: retrieve the right answer for a customer's question.

A FAQ file (CSV or JSONL, one ``question,answer`` per row; an answer may have
several phrasings of its question) becomes ranking examples
``{"query": question, "candidates": [answers...], "positive": index}``. The
engine trains the backbone as a bi-encoder with in-batch negatives; at
evaluation every query ranks the FAQ's answers (all of them, or the right one
and ``max_candidates - 1`` others drawn with the seed when the FAQ is large).
Questions are split (seeded) into train/validation/test; the answer pool is
the whole FAQ, as in deployment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from vadapt import InvalidConfig, Splits
from vadapt.kit import require_file

from vadapt_customer_service.layouts import (
    Record,
    detect_format,
    read_csv,
    read_jsonl,
)
from vadapt_customer_service.tasks import FAQ, FaqData


def _rows(path: Path, config: FaqData) -> list[tuple[str, str, str]]:
    fmt = detect_format(path, config.format)
    if fmt == "clinc":
        fmt = "jsonl"
    records: list[Record]
    if fmt == "csv":
        columns, records = read_csv(path)
        for field, option in (
            (config.question_field, "question_field"),
            (config.answer_field, "answer_field"),
        ):
            if field not in columns:
                raise InvalidConfig(
                    f"{path}: missing the {field!r} column (found: {', '.join(columns) or 'none'})",
                    fix=f"add it or set data.{option}",
                )
    else:
        records = read_jsonl(path)
    out = []
    seen: set[tuple[str, str]] = set()
    for r in records:
        q, a = r.fields.get(config.question_field), r.fields.get(config.answer_field)
        for value, field, option in (
            (q, config.question_field, "question_field"),
            (a, config.answer_field, "answer_field"),
        ):
            if value is None:
                raise InvalidConfig(
                    f"{r.where}: missing {field!r}", fix=f"add it or set data.{option}"
                )
            if not value.strip():
                raise InvalidConfig(
                    f"{r.where}: empty {field!r}", fix="fill it in or remove the row"
                )
        q, a = " ".join(str(q).split()), " ".join(str(a).split())
        if (q, a) not in seen:  # exact duplicates would leak from train into test
            seen.add((q, a))
            out.append((q, a, r.where))
    return out


def load_faq(config: FaqData) -> Splits:
    path = require_file(config.path, "path", FAQ, kinds="CSV/JSONL")
    rows = _rows(path, config)
    answers = sorted({a for _, a, _ in rows})
    if len(answers) < 2:
        raise InvalidConfig(
            f"{path}: the FAQ has {len(answers)} distinct answer(s); ranking needs 2+",
            fix="add question,answer rows",
        )
    if len(rows) < 5:
        raise InvalidConfig(
            f"{path}: {len(rows)} questions are too few to train and test on",
            fix="add at least 5 question,answer rows",
        )
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(rows))
    n_test = max(1, round(config.test_fraction * len(rows)))
    n_val = max(1, round(config.validation_fraction * len(rows)))
    parts = {
        "test": [rows[i] for i in order[:n_test]],
        "validation": [rows[i] for i in order[n_test : n_test + n_val]],
        "train": [rows[i] for i in order[n_test + n_val :]],
    }
    if config.max_train_examples is not None:
        parts["train"] = parts["train"][: config.max_train_examples]
    if config.max_validation_examples is not None:
        parts["validation"] = parts["validation"][: config.max_validation_examples]
    if config.max_test_examples is not None:
        parts["test"] = parts["test"][: config.max_test_examples]
    index = {a: i for i, a in enumerate(answers)}
    full_pool = len(answers) <= config.max_candidates

    def example(q: str, a: str) -> dict[str, Any]:
        if full_pool:
            return {"query": q, "candidates": answers, "positive": index[a]}
        others = [i for i in rng.permutation(len(answers)) if i != index[a]][
            : config.max_candidates - 1
        ]
        cands = [answers[i] for i in others]
        pos = int(rng.integers(0, len(cands) + 1))
        cands.insert(pos, a)
        return {"query": q, "candidates": cands, "positive": pos}

    splits = {name: [example(q, a) for q, a, _ in part] for name, part in parts.items()}
    return Splits(
        **splits,
        info={
            "source": str(path),
            "synthetic": False,
            "answers": len(answers),
            "questions": len(rows),
            "split": f"questions split at random (seed {config.seed}): "
            f"test {config.test_fraction:.0%}, "
            f"validation {config.validation_fraction:.0%}; candidates per query: "
            + (
                "all answers" if full_pool else f"{config.max_candidates} (right one + seeded draw)"
            ),
            "intended_use": "Suggest the FAQ answer for a customer's question; show the top few "
            "to an agent or the customer.",
        },
    )
