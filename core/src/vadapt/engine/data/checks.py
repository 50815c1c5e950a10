"""Data checks before the first training step, and label encoding.

Every problem names the split, the example index and the field, so the user can
find it in their file: empty splits, labels outside the label set, a label with no
training example, NaN/Inf anywhere in an example, missing or mistyped fields.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from vadapt_registry.errors import InvalidConfig

from vadapt.types import Example, HeadKind, Modality, Splits, TaskSpec

SPLITS = ("train", "validation", "test")


def _bad(split: str, i: int, fieldname: str, what: str, fix: str) -> InvalidConfig:
    return InvalidConfig(f"data split {split!r} example {i} field {fieldname!r}: {what}", fix=fix)


def _check_finite(value: Any, split: str, i: int, path: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _bad(
                split, i, path, f"is {value}", "drop or impute non-finite values before training"
            )
    elif isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise _bad(
                split,
                i,
                path,
                "holds NaN/Inf values",
                "drop or impute non-finite values before training",
            )
    elif isinstance(value, np.floating):
        _check_finite(float(value), split, i, path)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, split, i, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for j, v in enumerate(value):
            if isinstance(v, (float, np.floating, np.ndarray, dict, list, tuple)):
                _check_finite(v, split, i, f"{path}[{j}]")


def resolve_labels(task: TaskSpec, splits: Splits, tagging: str = "bio") -> tuple[str, ...]:
    """The label set: the task's, else the data's, else the training labels sorted.
    Token classification: the word tags of the task's entity types (``tagging``)."""
    if task.head in (HeadKind.REGRESSION, HeadKind.RANKING):
        return ()
    if task.head == HeadKind.TOKEN_CLASSIFICATION:
        from vadapt.kit.entities import tag_names

        return (
            tag_names(task.labels or splits.labels, tagging)
            if (task.labels or splits.labels)
            else ()
        )
    if task.labels:
        return tuple(task.labels)
    if splits.labels:
        return tuple(splits.labels)
    seen: set[str] = set()
    for ex in splits.train:
        lab = ex.get("label")
        for lab_i in lab if isinstance(lab, (list, tuple)) else [lab]:
            if lab_i is not None:
                seen.add(str(lab_i))
    return tuple(sorted(seen))


def check_examples(
    task: TaskSpec, split: str, examples: Sequence[Example], labels: Sequence[str]
) -> None:
    """Every example of ``split`` has the keys and types its task needs; finite values."""
    if len(examples) == 0:
        raise InvalidConfig(
            f"data split {split!r} of task {task.id!r} is empty",
            fix="provide examples for train, validation and test "
            "(check the data: section and files)",
        )
    label_set = set(labels)
    for i, ex in enumerate(examples):
        for key, value in ex.items():
            _check_finite(value, split, i, key)
        if task.head == HeadKind.RANKING and task.modality != Modality.IMAGE:
            _check_ranking(ex, split, i)
            continue
        _check_input(task, ex, split, i)
        if task.head == HeadKind.TOKEN_CLASSIFICATION:
            _check_entities(ex, labels, split, i)
            continue
        _check_label(task, ex.get("label"), label_set, split, i)


def _check_entities(ex: Example, tags: Sequence[str], split: str, i: int) -> None:
    from vadapt.kit.entities import check_entities, entity_types

    doc = f"{split}[{i}]" + (f" (id {ex['id']!r})" if "id" in ex else "")
    check_entities(doc, ex["text"], ex.get("entities", []), entity_types(tags))


def _check_input(task: TaskSpec, ex: Example, split: str, i: int) -> None:
    if task.modality == Modality.IMAGE:
        img = ex.get("image")
        if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
            raise _bad(
                split,
                i,
                "image",
                f"expected an HxWxC or HxW numpy array, got {type(img).__name__}",
                "the plugin's load_data must give uint8 numpy images",
            )
    elif not isinstance(ex.get("text"), str):
        raise _bad(
            split,
            i,
            "text",
            f"expected str, got {type(ex.get('text')).__name__}",
            "the plugin's load_data must give a 'text' string (serialise tabular rows)",
        )


def _check_ranking(ex: Example, split: str, i: int) -> None:
    q, c, pos = ex.get("query"), ex.get("candidates"), ex.get("positive")
    if not isinstance(q, str):
        raise _bad(
            split, i, "query", f"expected str, got {type(q).__name__}", "give each example a query"
        )
    if not isinstance(c, (list, tuple)) or not c or not all(isinstance(x, str) for x in c):
        raise _bad(
            split, i, "candidates", "expected a non-empty list of str", "list candidate texts"
        )
    if (
        isinstance(pos, bool)
        or not isinstance(pos, (int, np.integer))
        or not 0 <= int(pos) < len(c)
    ):
        raise _bad(
            split,
            i,
            "positive",
            f"{pos!r} is not an index into {len(c)} candidates",
            "set positive to the index of the relevant candidate",
        )


def _check_label(task: TaskSpec, lab: Any, label_set: set[str], split: str, i: int) -> None:
    if task.head == HeadKind.REGRESSION:
        if isinstance(lab, bool) or not isinstance(lab, (int, float, np.integer, np.floating)):
            raise _bad(
                split,
                i,
                "label",
                f"expected a number, got {lab!r}",
                "regression labels are numbers",
            )
        return
    if task.head == HeadKind.MULTILABEL:
        if not isinstance(lab, (list, tuple)):
            raise _bad(
                split,
                i,
                "label",
                f"expected a list of labels, got {lab!r}",
                "multilabel labels are lists",
            )
        unknown = [x for x in lab if str(x) not in label_set]
        if unknown:
            raise _bad(
                split,
                i,
                "label",
                f"{unknown} not in the label set {sorted(label_set)}",
                "fix the data or the task's labels",
            )
        return
    if lab is None or str(lab) not in label_set:
        raise _bad(
            split,
            i,
            "label",
            f"{lab!r} is not in the label set {sorted(label_set)}",
            "fix the data or the task's labels",
        )


def check_splits(
    task: TaskSpec, splits: Splits, labels: Sequence[str], *, only: Sequence[str] = SPLITS
) -> None:
    kinds = (HeadKind.CLASSIFICATION, HeadKind.MULTILABEL, HeadKind.TOKEN_CLASSIFICATION)
    if task.head in kinds and not labels:
        raise InvalidConfig(
            f"task {task.id!r} has no labels (neither the task nor the data names any)",
            fix="the plugin must set TaskSpec.labels or Splits.labels",
        )
    for split in only:
        check_examples(task, split, getattr(splits, split), labels)
    if "train" in only and task.head in (HeadKind.CLASSIFICATION, HeadKind.MULTILABEL):
        counts = dict.fromkeys(labels, 0)
        for ex in splits.train:
            lab = ex["label"]
            for x in lab if isinstance(lab, (list, tuple)) else [lab]:
                counts[str(x)] += 1
        empty = [k for k, n in counts.items() if n == 0 and k not in splits.untrained_labels]
        if empty:
            raise InvalidConfig(
                f"data split 'train' of task {task.id!r} has no example of label(s) {empty}",
                fix="add training examples for every label, or remove the label from the label set",
            )


def data_fingerprint(splits: Splits) -> str:
    """sha256 over the canonicalised examples of every split (arrays by shape, dtype, bytes)."""
    import hashlib
    import json

    h = hashlib.sha256()

    def canon(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return {
                "__ndarray__": [
                    list(v.shape),
                    str(v.dtype),
                    hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest(),
                ]
            }
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, dict):
            return {str(k): canon(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [canon(x) for x in v]
        if isinstance(v, (str, int, float, bool)) or v is None:
            return v
        return repr(v)

    for split in SPLITS:
        h.update(split.encode() + b"\0")
        for ex in getattr(splits, split):
            h.update(json.dumps(canon(ex), sort_keys=True, ensure_ascii=False).encode() + b"\n")
    return "sha256:" + h.hexdigest()
