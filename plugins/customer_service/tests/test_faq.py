"""FAQ files become ranking examples; retrieval baselines score the same test queries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cs_testdata import FAQ, write_jsonl
from vadapt import InvalidConfig
from vadapt_customer_service.faq import load_faq
from vadapt_customer_service.tasks import FaqData


def test_csv_rows_become_ranking_examples(faq_csv: Path) -> None:
    splits = load_faq(FaqData(path=str(faq_csv)))
    answers = {a for _, a in FAQ}
    assert sum(splits.sizes().values()) == len(FAQ)
    for ex in [*splits.train, *splits.validation, *splits.test]:
        assert set(ex["candidates"]) == answers
        assert dict(FAQ)[ex["query"]] == ex["candidates"][ex["positive"]]


def test_large_faq_samples_candidates_with_the_right_answer(tmp_path: Path) -> None:
    rows = [
        {"question": f"question number {i}?", "answer": f"answer number {i}"} for i in range(40)
    ]
    splits = load_faq(FaqData(path=str(write_jsonl(tmp_path / "f.jsonl", rows)), max_candidates=8))
    for ex in splits.test:
        assert len(ex["candidates"]) == 8
        assert ex["candidates"][ex["positive"]] == ex["query"].replace("question", "answer")[:-1]


def test_empty_answer_names_line(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("question,answer\nHow?,Like this.\nWhy?,\n", encoding="utf-8")
    with pytest.raises(InvalidConfig, match=r"faq\.csv:3: empty 'answer'"):
        load_faq(FaqData(path=str(path)))


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("q,answer\nHow?,Like this.\n", encoding="utf-8")
    with pytest.raises(InvalidConfig, match=r"missing the 'question' column.*question_field"):
        load_faq(FaqData(path=str(path)))


def test_kit_majority_is_the_exact_random_ranking_and_tfidf_beats_it(faq_csv: Path, hooks) -> None:
    from vadapt.engine.scoring import compute_baselines
    from vadapt_customer_service.tasks import task_specs

    faq = {t.id: t for t in task_specs()}["customer-service/faq"]
    splits = load_faq(FaqData(path=str(faq_csv), test_fraction=0.4))
    out, _ = compute_baselines(hooks, faq, splits, (), encode=None)
    n = len(splits.test[0]["candidates"])
    assert out["majority"]["hr@1"] == pytest.approx(1 / n)
    assert out["majority"]["mrr"] == pytest.approx(np.sum(1 / np.arange(1, n + 1)) / n)
    assert out["tfidf-logreg"]["mrr"] > out["majority"]["mrr"]
    assert "zero-shot" not in out  # needs the backbone's encoder
