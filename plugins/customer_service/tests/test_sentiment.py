"""customer-service/sentiment: the VADER loader on a tiny sdist-shaped archive built here
(a nested hutto_ICWSM_2014.tar.gz inside, found through $VADAPT_SOURCES_DIR), the nested
extraction, per-domain splits, the 'domains' stream and the baselines. Nothing is
downloaded."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections import Counter

import numpy as np
import pytest
from cs_testdata import VADER_FILES, tar_gz, write_vader_folder, write_vader_sdist
from vadapt import InvalidConfig, Stream
from vadapt.kit.data import DataError
from vadapt_customer_service import sentiment
from vadapt_customer_service.sentiment import extract_nested, load_sentiment
from vadapt_customer_service.tasks import (
    SENTIMENT,
    SENTIMENT_DOMAINS,
    SentimentData,
    data_config,
    task_specs,
)

TASK = {t.id: t for t in task_specs()}[SENTIMENT]
PER_DOMAIN = {"train": 14, "validation": 2, "test": 3}  # 12 positive + 7 negative kept


@pytest.fixture
def archive(tmp_path, monkeypatch):
    """The fixture sdist in $VADAPT_SOURCES_DIR, pinned by its own sha256; a fresh cache."""
    path = write_vader_sdist(tmp_path / "src" / "vaderSentiment-3.3.2.tar.gz")
    pinned = dataclasses.replace(
        sentiment.VADER, sha256=hashlib.sha256(path.read_bytes()).hexdigest()
    )
    monkeypatch.setattr(sentiment, "VADER", pinned)
    monkeypatch.setenv("VADAPT_SOURCES_DIR", str(path.parent))
    monkeypatch.setenv("VADAPT_CACHE_DIR", str(tmp_path / "cache"))
    return path


def test_ground_truth_is_parsed_unescaped_binarised_and_deduplicated(archive):
    splits = load_sentiment(SentimentData(domain="tweets"))
    assert splits.sizes() == PER_DOMAIN
    rows = [*splits.train, *splits.validation, *splits.test]
    assert Counter(ex["label"] for ex in rows) == {"positive": 12, "negative": 7}
    by_id = {ex["id"]: ex for ex in rows}
    assert by_id["tweets-0"]["text"] == "tweets fish & chips <3 so good"  # html.unescape
    assert by_id["tweets-0"]["rating"] == 2.5 and by_id["tweets-0"]["domain"] == "tweets"
    assert not any("\r" in ex["text"] or "&amp;" in ex["text"] for ex in rows)
    assert "tweets-dup" not in by_id and "tweets-n0" in by_id  # the first copy is kept
    assert not {"tweets-z1", "tweets-z2", "tweets-z3"} & set(by_id)  # 0.5, -0.2, 0: neutral
    counts = splits.info["domains"]["tweets"]
    assert counts["rated"] == 23 and counts["neutral_dropped"] == 3
    assert counts["duplicates_dropped"] == 1 and counts["kept"] == 19
    assert splits.labels == ("negative", "positive")
    assert splits.info["synthetic"] is False and "Hutto" in splits.info["citation"]
    json.dumps(splits.info)  # stored in the manifest


def test_the_neutral_band_is_an_option(archive):
    wide = load_sentiment(SentimentData(domain="movies", neutral_band=1.45))
    counts = wide.info["domains"]["movies"]
    # positives are 1.0..2.1 (item 0: 2.5), negatives -1.0..-1.6 (dup -2.0)
    assert counts["neutral_dropped"] == 3 + 4 + 5  # 1.1..1.4 and -1.0..-1.4 now neutral
    none = load_sentiment(SentimentData(domain="movies", neutral_band=0.0))
    assert none.info["domains"]["movies"]["neutral_dropped"] == 1  # only the 0.0 rating
    labels = {ex["id"]: ex["label"] for ex in [*none.train, *none.validation, *none.test]}
    assert labels["movies-z1"] == "positive" and labels["movies-z2"] == "negative"


def test_domain_filter_and_all_is_the_union_with_domains_kept(archive):
    everything = load_sentiment(SentimentData())
    assert everything.sizes() == {k: 4 * v for k, v in PER_DOMAIN.items()}
    for split in ("train", "validation", "test"):
        got = Counter(ex["domain"] for ex in getattr(everything, split))
        assert got == {d: PER_DOMAIN[split] for d in SENTIMENT_DOMAINS}
    products = load_sentiment(SentimentData(domain="products"))
    assert {ex["domain"] for ex in products.train + products.test} == {"products"}
    assert set(everything.info["domains"]) == set(SENTIMENT_DOMAINS)
    assert list(products.info["domains"]) == ["products"]


def test_a_domain_split_is_the_same_alone_and_in_all_and_moves_with_the_seed(archive):
    everything = load_sentiment(SentimentData(domain="all"))
    for d in SENTIMENT_DOMAINS:
        alone = load_sentiment(SentimentData(domain=d))
        for split in ("train", "validation", "test"):
            mine = [ex for ex in getattr(everything, split) if ex["domain"] == d]
            assert mine == list(getattr(alone, split)), (d, split)
        test = Counter(ex["label"] for ex in alone.test)
        assert test == {"positive": 2, "negative": 1}  # 20% of each class
        ids = [ex["id"] for ex in alone.train + alone.validation + alone.test]
        assert len(ids) == len(set(ids)) == 19
    assert load_sentiment(SentimentData(domain="tweets")).test == everything.test[:3]
    assert load_sentiment(SentimentData(seed=1)).test != everything.test


def test_subsets_keep_domain_and_class_shares(archive):
    splits = load_sentiment(SentimentData(max_train_examples=28, max_test_examples=8))
    assert len(splits.train) == 28 and len(splits.test) == 8
    per = Counter((ex["domain"], ex["label"]) for ex in splits.train)
    assert len(per) == 8  # every (domain, label) keeps examples
    assert all(4 <= per[d, "positive"] <= 5 and 2 <= per[d, "negative"] <= 3 for d, _ in per)
    assert Counter(ex["domain"] for ex in splits.test) == {d: 2 for d in SENTIMENT_DOMAINS}
    assert splits.info["subset"] is True


def test_the_nested_archive_is_extracted_once_and_only_its_four_files(archive, tmp_path):
    files = sentiment.ground_truth_files()
    assert set(files) == set(SENTIMENT_DOMAINS)
    target = files["tweets"].parent
    assert target.name == "vaderSentiment-3.3.2-hutto_ICWSM_2014"
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [*VADER_FILES.values(), "members.json"]
    )
    archive.unlink()  # the cache answers without the archive
    assert sentiment.ground_truth_files() == files
    files["movies"].write_text("tampered")  # a changed file is extracted again
    sentiment.ground_truth_files()
    assert files["movies"].read_bytes().startswith(b"0\t2.5\tmovies fish")


def test_nested_members_that_are_links_or_missing_are_refused(tmp_path):
    good = {f"hutto_ICWSM_2014/{n}": b"1\t1.0\tok\r\n" for n in VADER_FILES.values()}
    del good["hutto_ICWSM_2014/tweets_GroundTruth.txt"]
    link = {"hutto_ICWSM_2014/tweets_GroundTruth.txt": "/etc/passwd"}
    evil = {**good, "../escape.txt": b"x", "/abs.txt": b"x"}
    linked = tar_gz(tmp_path / "linked.tar.gz", evil, links=link)
    with pytest.raises(DataError, match=r"has no regular file 'hutto_ICWSM_2014/tweets_Gro"):
        extract_nested(linked, tmp_path / "out")
    missing = tar_gz(tmp_path / "missing.tar.gz", good)
    with pytest.raises(DataError, match=r"no regular file .*fix: delete"):
        extract_nested(missing, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "escape.txt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out-")] == []
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a tar")
    with pytest.raises(DataError, match=r"is not a readable tar\.gz"):
        extract_nested(broken, tmp_path / "out")


def test_wrong_archive_checksum_and_missing_local_copy_are_one_line_errors(
    archive, tmp_path, monkeypatch
):
    monkeypatch.setattr(sentiment, "VADER", dataclasses.replace(sentiment.VADER, sha256="0" * 64))
    with pytest.raises(DataError, match=r"customer-service/sentiment: .*not the pinned 0{16}"):
        load_sentiment(SentimentData())
    monkeypatch.setenv("VADAPT_SOURCES_DIR", str(tmp_path / "empty"))
    with pytest.raises(DataError, match=r"holds no vaderSentiment-3\.3\.2\.tar\.gz") as err:
        load_sentiment(SentimentData())
    assert "\n" not in str(err.value) and "pip download" in str(err.value)


def test_your_own_copy_in_data_path(tmp_path):
    folder = write_vader_folder(tmp_path / "hutto", domains=("tweets", "movies"))
    splits = load_sentiment(SentimentData(domain="tweets", path=str(folder)))
    assert splits.sizes() == PER_DOMAIN and splits.info["license"] == "your data"
    with pytest.raises(DataError, match=r"holds no amazonReviewSnippets_GroundTruth\.txt"):
        load_sentiment(SentimentData(path=str(folder)))
    with pytest.raises(DataError, match=r"data\.path .* is not a folder"):
        load_sentiment(SentimentData(path=str(tmp_path / "nope")))
    bad = tmp_path / "bad"
    write_vader_folder(bad, domains=("tweets",))
    with (bad / VADER_FILES["tweets"]).open("ab") as f:
        f.write(b"99\tnot-a-number\tsome text\r\n")
    with pytest.raises(DataError, match=r"tweets_GroundTruth\.txt:24: expected id<TAB>mean"):
        load_sentiment(SentimentData(domain="tweets", path=str(bad)))
    (bad / VADER_FILES["tweets"]).write_bytes(b"1\t2.0\tok\n2\t2.0\tcaf\xe9\n")
    with pytest.raises(DataError, match=r"tweets_GroundTruth\.txt:2: not UTF-8"):
        load_sentiment(SentimentData(domain="tweets", path=str(bad)))


def test_data_options_are_validated():
    with pytest.raises(InvalidConfig, match=r"data\.domain"):
        data_config(SentimentData, {"domain": "news"})
    with pytest.raises(InvalidConfig, match=r"data\.neutral_band"):
        data_config(SentimentData, {"neutral_band": -1})
    described = SentimentData.model_json_schema()["description"]
    assert "neutral" in described and "0.5" in described  # the band, in `vadapt tasks --json`


def test_task_declares_a_valid_domain_stream_whose_experiences_load(archive, hooks):
    assert TASK.labels == ("negative", "positive")
    assert TASK.headline == ("accuracy", "macro_f1") and TASK.metric == "macro_f1"
    review = {t.id: t for t in task_specs()}["customer-service/review-triage"]
    assert TASK.defaults == review.defaults  # the plugin's default recipe
    stream = TASK.streams["domains"]
    assert isinstance(stream, Stream) and stream.kind == "domain"
    assert stream.names == SENTIMENT_DOMAINS
    task = hooks.task(SENTIMENT)
    base = {"seed": 0}
    for exp in stream.experiences:
        assert exp.description and not exp.labels
        config = task.data_model.model_validate({**base, **exp.data})
        splits = hooks.load_data(task, config)
        assert {ex["domain"] for ex in splits.train + splits.test} == {exp.name}
        assert splits.sizes() == PER_DOMAIN


def _encode(texts):  # positive / negative words as a 2-d "embedding"
    from cs_testdata import VADER_NEG, VADER_POS

    v = np.array(
        [
            [sum(w in t for w in VADER_POS) + 0.1, sum(w in t for w in VADER_NEG) + 0.1]
            for t in texts
        ]
    )
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_baselines_run_and_are_scored_like_the_adapter(archive, hooks):
    from vadapt.engine.scoring import compute_baselines

    task = hooks.task(SENTIMENT)
    splits = hooks.load_data(task, SentimentData())
    out, notes = compute_baselines(hooks, task, splits, task.labels, _encode)
    assert set(out) == {"majority", "tfidf-logreg", "zero-shot"}
    for name, metrics in out.items():
        assert {"accuracy", "macro_f1"} <= set(metrics), name
        assert all(math.isfinite(v) for v in metrics.values()), name
    assert out["tfidf-logreg"]["accuracy"] == 1.0  # the toy words separate the classes
    assert out["majority"]["macro_f1"] < 0.5
    assert notes["tfidf-logreg"].startswith("C=")
