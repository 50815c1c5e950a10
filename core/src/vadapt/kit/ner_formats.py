"""Readers of the published layouts of entity-annotated text (torch-free).

Each returns documents as token-classification examples: ``{"id", "text", "entities":
[{"start", "end", "label"}]}`` with character offsets (``end`` exclusive). ``label_of``
maps a source annotation to the task's entity type, or ``None`` to leave it out.

- MedCAT trainer JSON (``{"projects": [{"documents": [{"text", "annotations": [{"start",
  "end", "cui", "type_id"?, ...}]}]}]}``): annotations a reviewer marked ``deleted``,
  ``killed`` or not ``correct`` are left out.
- PubTator (``PMID|t|title``, ``PMID|a|abstract``, then ``PMID<TAB>start<TAB>end<TAB>
  mention<TAB>type[<TAB>id]`` lines; documents separated by blank lines): the text is the
  title, a space, the abstract, as PubTator's offsets count it.
- CoNLL BIO (one ``token ... tag`` line per token, the tag last; blank line between
  sentences; ``-DOCSTART-`` lines start a document): the text is the tokens joined by
  single spaces, so offsets refer to that text.
- JSONL: one example per line, already in the form above.

``label_of`` receives the MedCAT annotation itself (``cui``, ``type_id``...), PubTator's
``{"type", "id", "mention"}``, or ``{"type": label}`` for JSONL and CoNLL entities.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vadapt.kit.data import DataError
from vadapt.kit.entities import OUTSIDE, tag_spans

LabelOf = Callable[[dict[str, Any]], str | None]


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"{path}: not readable as JSON ({type(exc).__name__}: {exc})"[:300],
            fix="point data.path at a MedCAT trainer export (JSON)",
        ) from None


def read_medcat(path: str | Path, label_of: LabelOf) -> list[dict[str, Any]]:
    """Documents of a MedCAT trainer export, every project's in order."""
    path = Path(path)
    data = _load_json(path)
    projects = data.get("projects") if isinstance(data, dict) else None
    if not isinstance(projects, list):
        raise DataError(
            f"{path}: no 'projects' list, so not a MedCAT trainer export",
            fix='export from MedCAT trainer ({"projects": [{"documents": [...]}]})',
        )
    out = []
    for p, project in enumerate(projects):
        for d, doc in enumerate(project.get("documents") or []):
            where = f"{path}: project {p} document {d}"
            if not isinstance(doc.get("text"), str):
                raise DataError(f"{where} has no 'text' string")
            ents = [
                _medcat_entity(a, label_of, where) for a in doc.get("annotations") or [] if _kept(a)
            ]
            out.append(
                {
                    "id": str(doc.get("name") or doc.get("id") or f"{p}-{d}"),
                    "text": doc["text"],
                    "entities": [e for e in ents if e is not None],
                }
            )
    return out


def _kept(a: dict[str, Any]) -> bool:
    return not a.get("deleted") and not a.get("killed") and a.get("correct", True) is not False


def _medcat_entity(a: Any, label_of: LabelOf, where: str) -> dict[str, Any] | None:
    if not isinstance(a, dict) or "start" not in a or "end" not in a:
        raise DataError(f"{where}: annotation {str(a)[:80]} lacks start/end")
    label = label_of(a)
    return None if label is None else {"start": a["start"], "end": a["end"], "label": label}


def read_pubtator(path: str | Path, label_of: LabelOf | None = None) -> list[dict[str, Any]]:
    """Documents of a PubTator file; ``label_of`` gets ``{"type", "id", "mention"}``."""
    path = Path(path)
    docs: dict[str, dict[str, Any]] = {}
    title: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        head = line.split("|", 2)
        if len(head) == 3 and head[1] in ("t", "a"):
            pmid, part, text = head
            if part == "t":
                title[pmid] = text
            else:
                docs[pmid] = {"id": pmid, "text": f"{title.get(pmid, '')} {text}", "entities": []}
            continue
        cols = line.split("\t")
        if len(cols) < 5 or cols[0] not in docs:
            raise DataError(
                f"{path}:{n}: expected 'PMID|t|', 'PMID|a|' or 'PMID<TAB>start<TAB>end<TAB>"
                "mention<TAB>type' after its abstract",
                fix="check the file is PubTator format",
            )
        ann = {"type": cols[4], "id": cols[5] if len(cols) > 5 else "", "mention": cols[3]}
        label = label_of(ann) if label_of else cols[4]
        if label is not None:
            ent = {"start": _int(cols[1], path, n), "end": _int(cols[2], path, n), "label": label}
            docs[cols[0]]["entities"].append(ent)
    return list(docs.values())


def read_conll(path: str | Path) -> list[dict[str, Any]]:
    """Sentences of a CoNLL BIO file as documents (one per sentence)."""
    path = Path(path)
    out: list[dict[str, Any]] = []
    tokens: list[str] = []
    tags: list[str] = []

    def flush() -> None:
        if tokens:
            out.append(_conll_document(f"{path.name}:{len(out)}", tokens, tags))
        tokens.clear()
        tags.clear()

    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        cols = line.split()
        if not cols or cols[0] == "-DOCSTART-":
            flush()
            continue
        if len(cols) < 2:
            raise DataError(f"{path}:{n}: expected 'token ... tag', got {line[:60]!r}")
        tag = cols[-1]
        if tag != OUTSIDE and tag[:2] not in ("B-", "I-", "E-", "S-"):
            raise DataError(f"{path}:{n}: tag {tag!r} is not O, B-x, I-x, E-x or S-x")
        tokens.append(cols[0])
        tags.append(tag)
    flush()
    return out


def _conll_document(doc_id: str, tokens: list[str], tags: list[str]) -> dict[str, Any]:
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t) + 1
    ents = [
        {"start": starts[lo], "end": starts[hi - 1] + len(tokens[hi - 1]), "label": label}
        for lo, hi, label in tag_spans(tags)
    ]
    return {"id": doc_id, "text": " ".join(tokens), "entities": ents}


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """One ``{"text", "entities"}`` object per line."""
    path = Path(path)
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise DataError(f"{path}:{n}: expected an object with a 'text' string")
        out.append(
            {"id": str(row.get("id", n)), "text": row["text"], "entities": row.get("entities", [])}
        )
    return out


def _int(value: str, path: Path, line: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise DataError(f"{path}:{line}: offset {value!r} is not an integer") from None


def _relabel(docs: list[dict[str, Any]], label_of: LabelOf | None) -> list[dict[str, Any]]:
    """JSONL / CoNLL entities through ``label_of`` (it gets ``{"type": label}``)."""
    if label_of is None:
        return docs
    for doc in docs:
        ents = []
        for e in doc["entities"]:
            label = label_of({"type": e.get("label")}) if isinstance(e, dict) else None
            if label is not None:
                ents.append({**e, "label": label})
        doc["entities"] = ents
    return docs


def read_entities(path: str | Path, label_of: LabelOf | None = None) -> list[dict[str, Any]]:
    """By suffix: ``.json`` MedCAT trainer export, ``.jsonl`` examples, ``.pubtator`` /
    ``.txt`` PubTator, ``.conll`` / ``.bio`` / ``.tsv`` CoNLL BIO."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return read_medcat(path, label_of or (lambda a: a.get("type_id") or a.get("cui")))
    if suffix in (".jsonl", ".ndjson"):
        return _relabel(read_jsonl(path), label_of)
    if suffix in (".pubtator", ".txt"):
        return read_pubtator(path, label_of)
    if suffix in (".conll", ".bio", ".tsv", ".iob"):
        return _relabel(read_conll(path), label_of)
    raise DataError(
        f"{path}: unknown annotation layout {suffix!r}",
        fix="use .json (MedCAT trainer), .jsonl, .pubtator or .conll",
    )
