"""Reading users' CSV / JSONL files with errors that name the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vadapt import InvalidConfig


def existing(path: str, field: str, task: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise InvalidConfig(
            f"{task}: data.{field} {str(p)!r} does not exist or is not a file",
            fix=f"set data.{field} to an existing CSV/JSONL file",
        )
    return p


def read_table(path: str, field: str, task: str, encoding: str = "utf-8") -> Any:
    """A CSV (``.csv``/``.tsv``) or JSONL (``.jsonl``/``.json``) file as a DataFrame."""
    import pandas as pd

    p = existing(path, field, task)
    suffix = p.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson", ".json"):
            frame = pd.read_json(p, lines=suffix != ".json", encoding=encoding)
        elif suffix in (".csv", ".tsv", ".txt"):
            frame = pd.read_csv(p, sep="\t" if suffix == ".tsv" else ",", encoding=encoding)
        else:
            raise InvalidConfig(
                f"{task}: data.{field} {str(p)!r} has suffix {suffix!r}; expected .csv/.tsv/.jsonl",
                fix="rename the file or convert it to CSV/JSONL",
            )
    except InvalidConfig:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidConfig(
            f"{task}: cannot parse data.{field} {str(p)!r}: {' '.join(str(exc).split())[:160]}",
            fix="check it is CSV with a header row or JSONL (one object per line)",
        ) from None
    if frame.empty:
        raise InvalidConfig(
            f"{task}: data.{field} {str(p)!r} has no rows", fix="point it at a non-empty file"
        )
    return frame


def require_column(frame: Any, column: str, field: str, path: str, task: str) -> None:
    if column not in frame.columns:
        raise InvalidConfig(
            f"{task}: column {column!r} (data.{field}) not found in {path!r}; "
            f"columns are {list(frame.columns)[:12]}",
            fix=f"set data.{field} to one of those columns",
        )
