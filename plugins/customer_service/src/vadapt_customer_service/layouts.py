"""Readers for the file layouts customer-service data comes in.

- CSV with a header (BANKING77: ``text,category``; FAQ: ``question,answer``)
- JSONL, one object per line (``{"text": ..., "label": ...}``)
- CLINC150's JSON (``data_full.json``): ``train``/``val``/``test`` and
  ``oos_train``/``oos_val``/``oos_test``, each a list of ``[text, intent]``

Every record keeps where it came from (``file:line`` or ``file: key[index]``)
so that a bad value is reported with its place and the fix, never as a
traceback from deep inside training.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from vadapt import InvalidConfig

CLINC_KEYS = ("train", "val", "test", "oos_train", "oos_val", "oos_test")


@dataclass(frozen=True)
class Record:
    """One row of a user's file: its fields (as strings) and where it is."""

    fields: dict[str, str]
    where: str


def detect_format(path: Path, declared: str) -> str:
    """``csv`` | ``jsonl`` | ``clinc``: ``declared``, else from the extension and first bytes."""
    if declared != "auto":
        return declared
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        head = path.read_text(encoding="utf-8-sig", errors="replace")[:4096].lstrip()
        return (
            "clinc"
            if head.startswith("{") and any(f'"{k}"' in head for k in CLINC_KEYS)
            else "jsonl"
        )
    raise InvalidConfig(
        f"{path}: cannot tell the file layout from the extension {suffix or '(none)'!r}",
        fix="name it .csv, .jsonl or .json, or set data.format to csv, jsonl or clinc",
    )


def read_csv(path: Path) -> tuple[list[str], list[Record]]:
    """Header and records; ``where`` is ``file:line`` of the record's first line."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            header = next(reader, None)
            if not header:
                raise InvalidConfig(f"{path}: the file is empty", fix="add a header line and rows")
            header = [h.strip() for h in header]
            records: list[Record] = []
            start = reader.line_num + 1
            for row in reader:
                where = f"{path}:{start}"
                start = reader.line_num + 1
                if not row or all(not cell.strip() for cell in row):
                    continue  # blank line
                if len(row) != len(header):
                    raise InvalidConfig(
                        f"{where}: {len(row)} fields where the header has {len(header)} "
                        f"({', '.join(header)})",
                        fix="quote fields that contain the delimiter, or fix the row",
                    )
                records.append(Record(dict(zip(header, row, strict=True)), where))
    except UnicodeDecodeError as exc:
        raise InvalidConfig(
            f"{path}: not UTF-8 text ({exc.reason})", fix="save it as UTF-8"
        ) from None
    except csv.Error as exc:
        raise InvalidConfig(f"{path}: malformed CSV ({exc})", fix="check the quoting") from None
    return header, records


def read_jsonl(path: Path) -> list[Record]:
    records: list[Record] = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise InvalidConfig(
            f"{path}: not UTF-8 text ({exc.reason})", fix="save it as UTF-8"
        ) from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidConfig(
                f"{where}: not valid JSON ({exc.msg})", fix="write one JSON object per line"
            ) from None
        if not isinstance(obj, dict):
            raise InvalidConfig(
                f"{where}: expected a JSON object, got {type(obj).__name__}",
                fix='write one object per line, e.g. {"text": "...", "label": "..."}',
            )
        records.append(Record({k: _as_text(v) for k, v in obj.items()}, where))
    return records


def read_clinc(path: Path) -> dict[str, list[Record]]:
    """CLINC150 ``data_full.json`` (or ``data_small``/``data_imbalanced``/``data_oos_plus``)."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InvalidConfig(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg})",
            fix="check the file is CLINC150's JSON",
        ) from None
    if not isinstance(obj, dict) or "train" not in obj:
        raise InvalidConfig(
            f"{path}: expected CLINC150's JSON object with keys {', '.join(CLINC_KEYS)}",
            fix="use data_full.json from the CLINC150 release, or set data.format",
        )
    out: dict[str, list[Record]] = {}
    for key in CLINC_KEYS:
        items = obj.get(key, [])
        if not isinstance(items, list):
            raise InvalidConfig(f"{path}: {key} must be a list of [text, intent] pairs")
        rows = []
        for i, item in enumerate(items):
            where = f"{path}: {key}[{i}]"
            if not (isinstance(item, list) and len(item) == 2):
                raise InvalidConfig(
                    f"{where}: expected [text, intent], got {json.dumps(item)[:60]}",
                    fix="each entry must be a two-element list",
                )
            rows.append(Record({"text": _as_text(item[0]), "label": _as_text(item[1])}, where))
        out[key] = rows
    return out


def _as_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def pick_field(
    available: list[str],
    wanted: str | None,
    defaults: tuple[str, ...],
    what: str,
    source: str,
    option: str,
) -> str:
    """The column/key to read: ``wanted`` if given, else the first default present."""
    if wanted is not None:
        if wanted not in available:
            raise InvalidConfig(
                f"{source}: no {what} column {wanted!r} (found: {', '.join(available) or 'none'})",
                fix=f"set data.{option} to one of the columns",
            )
        return wanted
    for name in defaults:
        if name in available:
            return name
    raise InvalidConfig(
        f"{source}: missing the {what} column; expected one of {', '.join(defaults)} "
        f"(found: {', '.join(available) or 'none'})",
        fix=f"rename the column or set data.{option}",
    )
