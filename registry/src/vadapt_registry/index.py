"""The SQLite index: a fast, rebuildable cache of the manifests.

The manifests on disk are the truth; ``index.sqlite`` (WAL) holds one row per adapter
with its manifest JSON so that listing 10,000 adapters reads one file. It can be
deleted at any time and rebuilt with `Registry.reindex`.

The rule when the two disagree (a manifest file edited, deleted or added by hand,
i.e. not through `Registry`):

* Listing reads only the cache: `Registry.list`, `summaries` and `get` (so ``vadapt
  registry list`` and ``show``) return what the index holds and never open manifest
  files, so they do not see a hand edit.
* `Registry.load` (and everything built on it: materialize, export, evaluate, predict,
  serve) reads the manifest file and refuses it with `CorruptAdapter` (fix: reindex)
  when its content differs from the indexed copy, so what is used is never something
  other than what ``show`` printed. A difference caused by a save of that version in
  flight is settled under the writers' lock first and is not refused.
* `Registry.verify` reports every disagreement as one finding naming the ref and the
  fix: a row whose manifest file is gone, a manifest file the index does not list,
  and a manifest file whose content differs from its row (naming the fields).
* `Registry.reindex` rebuilds the cache from the manifest files, so afterwards list,
  show and load agree with the files again. Saves and removals keep the index in step
  themselves (crash recovery replays their journal), so only edits made behind the
  registry's back need it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the manifest models (pydantic) load only where manifests are parsed
    from vadapt_registry.manifest import Manifest

INDEX_SCHEMA = 1
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS adapters (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    version_num INTEGER,
    vertical TEXT NOT NULL,
    task TEXT NOT NULL,
    method TEXT NOT NULL,
    backbone TEXT NOT NULL,
    created TEXT NOT NULL,
    parent TEXT,
    size INTEGER NOT NULL,
    manifest_path TEXT NOT NULL,
    manifest_json TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE INDEX IF NOT EXISTS adapters_vertical ON adapters(vertical, task);
CREATE INDEX IF NOT EXISTS adapters_backbone ON adapters(backbone);
CREATE TABLE IF NOT EXISTS files (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    filename TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (name, version, filename)
);
CREATE INDEX IF NOT EXISTS files_sha ON files(sha256);
CREATE TABLE IF NOT EXISTS names (
    name TEXT PRIMARY KEY,
    vertical TEXT NOT NULL,
    last_version INTEGER NOT NULL
);
PRAGMA user_version = {INDEX_SCHEMA};
"""
ORDER = "ORDER BY name, version_num IS NULL, version_num, created, version"


def connect(path: Path, *, timeout: float, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, timeout=timeout, isolation_level=None
        )
    else:
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")
        if conn.execute("PRAGMA user_version").fetchone()[0] != INDEX_SCHEMA:
            conn.execute("PRAGMA journal_mode=WAL")  # persistent: set once, when created
            conn.executescript(_SCHEMA)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _version_num(m: Manifest) -> int | None:
    return m.version if isinstance(m.version, int) else None


def upsert(conn: sqlite3.Connection, m: Manifest, manifest_path: str, manifest_json: str) -> None:
    delete(conn, m.name, m.version)
    conn.execute(
        "INSERT INTO adapters VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            m.name,
            str(m.version),
            _version_num(m),
            m.vertical,
            m.task,
            m.method.name,
            m.backbone.name,
            m.created,
            m.parent,
            m.size,
            manifest_path,
            manifest_json,
        ),
    )
    conn.executemany(
        "INSERT INTO files VALUES (?,?,?,?,?)",
        [(m.name, str(m.version), f, e.sha256, e.size) for f, e in sorted(m.files.items())],
    )
    conn.execute(
        "INSERT INTO names VALUES (?,?,?) ON CONFLICT(name) DO UPDATE SET "
        "last_version = max(last_version, excluded.last_version)",
        (m.name, m.vertical, _version_num(m) or 0),
    )


def delete(conn: sqlite3.Connection, name: str, version: int | str) -> None:
    conn.execute("DELETE FROM adapters WHERE name=? AND version=?", (name, str(version)))
    conn.execute("DELETE FROM files WHERE name=? AND version=?", (name, str(version)))


def clear(conn: sqlite3.Connection) -> None:
    for table in ("adapters", "files", "names"):
        conn.execute(f"DELETE FROM {table}")


def row(conn: sqlite3.Connection, name: str, version: int | str | None) -> tuple[str, str] | None:
    """(manifest_json, manifest_path) of name@version, or of the latest version when None."""
    if version is not None:
        cur = conn.execute(
            "SELECT manifest_json, manifest_path FROM adapters WHERE name=? AND version=?",
            (name, str(version)),
        )
    else:
        cur = conn.execute(
            "SELECT manifest_json, manifest_path FROM adapters WHERE name=? "
            "ORDER BY version_num IS NULL, version_num DESC, created DESC LIMIT 1",
            (name,),
        )
    r = cur.fetchone()
    return (r[0], r[1]) if r else None


def select(
    conn: sqlite3.Connection,
    columns: str,
    *,
    vertical: str | None = None,
    task: str | None = None,
    backbone: str | None = None,
    name: str | None = None,
) -> list[tuple]:
    where, args = [], []
    for col, val in (
        ("vertical", vertical),
        ("task", task),
        ("backbone", backbone),
        ("name", name),
    ):
        if val is not None:
            where.append(f"{col}=?")
            args.append(val)
    sql = f"SELECT {columns} FROM adapters"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return conn.execute(f"{sql} {ORDER}", args).fetchall()


def names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT name FROM adapters")]


def name_info(conn: sqlite3.Connection, name: str) -> tuple[str, int] | None:
    """(vertical, last integer version ever indexed) for a name."""
    r = conn.execute("SELECT vertical, last_version FROM names WHERE name=?", (name,)).fetchone()
    return (r[0], r[1]) if r else None


def max_version(conn: sqlite3.Connection, name: str) -> int:
    r = conn.execute("SELECT max(version_num) FROM adapters WHERE name=?", (name,)).fetchone()
    return int(r[0] or 0)


def versions(conn: sqlite3.Connection, name: str) -> Sequence[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT version FROM adapters WHERE name=? " + ORDER.replace("name, ", ""), (name,)
        )
    ]
