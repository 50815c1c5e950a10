"""customer-service/sentiment: the VADER ground truth, four domains, for continual learning.

Bundled data (fetched once, never committed): ``additional_resources/hutto_ICWSM_2014.tar.gz``
inside the ``vaderSentiment==3.3.2`` source archive on PyPI (``vadapt.kit.sources``; the
wheel lacks it). That nested archive holds the sentence-level ground truth of Hutto &
Gilbert (ICWSM 2014): ``id<TAB>mean rating<TAB>text``, the mean of at least 20 raters on
-4..+4, for 4,200 tweets, 10,605 movie-review snippets, 3,708 Amazon product-review
snippets and 5,190 NYT editorial snippets. Its four ``*_GroundTruth.txt`` members (and
nothing else: no link, no other path) are extracted once next to the core's cache of the
source archive, each file's sha256 recorded and checked on later loads.

Texts are UTF-8 (checked strictly), HTML entities unescaped (``&amp;`` ...) and whitespace
collapsed. Labels: mean < -neutral_band ``negative``, > +neutral_band ``positive``; the
rest is neutral and dropped. Exact duplicate texts within a domain (47 in the real data
at the default band, none with conflicting labels) keep their first occurrence only, so
no test text is trained on. Each domain is split on its own (stratified by label,
seeded): a domain's test set is the same whether it is loaded alone or in ``all``.
Snippets of one review or editorial (ids ``<doc>_<sentence>`` in products and
editorials) may land in different splits: the protocol is sentence-level, as in the paper.

``data.path``: a folder holding your own copy of the ``*_GroundTruth.txt`` files instead.
No index reachable: put ``vaderSentiment-3.3.2.tar.gz`` in a folder named by
``$VADAPT_SOURCES_DIR`` (its sha256 is checked).
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import Any

from vadapt import Splits
from vadapt.kit.data import DataError
from vadapt.kit.sources import PackageSource, fetch_members

from vadapt_customer_service.split import stratified_split, stratified_subsample
from vadapt_customer_service.tasks import (
    SENTIMENT,
    SENTIMENT_DOMAINS,
    SENTIMENT_LABELS,
    SentimentData,
)

NESTED = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
INNER = "hutto_ICWSM_2014"
FILES = {
    "tweets": "tweets_GroundTruth.txt",
    "movies": "movieReviewSnippets_GroundTruth.txt",
    "products": "amazonReviewSnippets_GroundTruth.txt",
    "editorials": "nytEditorialSnippets_GroundTruth.txt",
}
VADER = PackageSource(
    name="vaderSentiment",
    version="3.3.2",
    sha256="5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
    members=(NESTED,),
    licence="MIT (vaderSentiment's LICENSE.txt, (c) 2016 C.J. Hutto); only the four "
    "*_GroundTruth.txt files of additional_resources/hutto_ICWSM_2014.tar.gz are read",
    citation="Hutto, C.J. & Gilbert, E.E. (2014). VADER: A Parsimonious Rule-based Model for "
    "Sentiment Analysis of Social Media Text. Eighth International Conference on Weblogs and "
    "Social Media (ICWSM-14), Ann Arbor, MI",
)
INDEX_FILE = "members.json"
MAX_RATING = 4.0


def ground_truth_files(cache: str | Path | None = None) -> dict[str, Path]:
    """``domain -> *_GroundTruth.txt`` from the pinned source archive (fetched once)."""
    nested = fetch_members(VADER, cache=cache, task=SENTIMENT)[NESTED]
    root = nested.parents[len(Path(NESTED).parts)]  # <cache>/sources/vaderSentiment-3.3.2/
    target = root.parent / f"{root.name}-{INNER}"
    return extract_nested(nested, target)


def extract_nested(archive: Path, target: Path) -> dict[str, Path]:
    """The four ground-truth members of the nested ``hutto_ICWSM_2014.tar.gz`` as files
    under ``target``: from there when the recorded hashes (of the nested archive and each
    file) still match, else extracted again. Only those four regular files are read,
    each written by us under its base name (no link, no member path is ever followed)."""
    digest = _sha256(archive.read_bytes())
    out = {d: target / name for d, name in FILES.items()}
    try:
        index = json.loads((target / INDEX_FILE).read_text())
        if index.get(archive.name) == digest and all(
            index.get(f.name) == _sha256_file(f) for f in out.values()
        ):
            return out
    except (OSError, ValueError, AttributeError):
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        index = {archive.name: digest}
        for domain, data in _read_members(archive).items():
            (work / FILES[domain]).write_bytes(data)
            index[FILES[domain]] = _sha256(data)
        (work / INDEX_FILE).write_text(json.dumps(index, indent=1, sort_keys=True))
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _read_members(archive: Path) -> dict[str, bytes]:
    where = f"{SENTIMENT}: {archive.name} in {VADER.pin}"
    fix = f"delete {archive.parent} (vadapt's cache) and load again to fetch {VADER.pin} anew"
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, "r:gz") as t:
            for domain, name in FILES.items():
                member = f"{INNER}/{name}"
                try:
                    info = t.getmember(member)
                except KeyError:
                    info = None
                f = t.extractfile(info) if info is not None and info.isfile() else None
                if f is None:
                    raise DataError(f"{where} has no regular file {member!r}", fix=fix)
                found[domain] = f.read()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        kind = type(exc).__name__
        raise DataError(f"{where} is not a readable tar.gz ({kind})", fix=fix) from None
    return found


def parse_ground_truth(path: Path, domain: str, neutral_band: float) -> tuple[list[dict], int]:
    """(binarised examples, neutral count) of one ``id<TAB>mean<TAB>text`` file."""
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{SENTIMENT}: {path}:{line}: not UTF-8 text",
            fix="save the file as UTF-8 (the VADER files are)",
        ) from None
    out, neutral = [], 0
    for n, line in enumerate(raw.split("\n"), 1):  # not splitlines(): \x0b etc. are text
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        rating = _float(parts[1]) if len(parts) == 3 else None
        if rating is None or not -MAX_RATING <= rating <= MAX_RATING:
            raise DataError(
                f"{SENTIMENT}: {path}:{n}: expected id<TAB>mean rating (-4..4)<TAB>text",
                fix="fix or remove the line",
            )
        text = " ".join(html.unescape(parts[2]).split())
        if not text:
            raise DataError(f"{SENTIMENT}: {path}:{n}: empty text", fix="remove the line")
        if abs(rating) <= neutral_band:
            neutral += 1
            continue
        label = SENTIMENT_LABELS[rating > 0]
        ex = {"id": f"{domain}-{parts[0].strip()}", "text": text, "label": label}
        out.append({**ex, "domain": domain, "rating": rating})
    return out, neutral


def _float(value: str) -> float | None:
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _files(config: SentimentData, domains: tuple[str, ...]) -> dict[str, Path]:
    if config.path is None:
        return ground_truth_files()
    folder = Path(config.path).expanduser()
    if not folder.is_dir():
        raise DataError(
            f"{SENTIMENT}: data.path {str(folder)!r} is not a folder",
            fix="point data.path at the folder holding the *_GroundTruth.txt files "
            f"(the unpacked {INNER}/), or drop it to use the pinned {VADER.pin} archive",
        )
    out = {}
    for d in domains:
        f = folder / FILES[d]
        if not f.is_file():
            raise DataError(
                f"{SENTIMENT}: data.path {str(folder)!r} holds no {FILES[d]} (domain {d})",
                fix=f"put {FILES[d]} there, set data.domain to a domain you have, or drop "
                f"data.path to use the pinned {VADER.pin} archive",
            )
        out[d] = f
    return out


def load_sentiment(config: SentimentData) -> Splits:
    domains = SENTIMENT_DOMAINS if config.domain == "all" else (config.domain,)
    files = _files(config, domains)
    train: list[dict[str, Any]] = []
    validation: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    counts: dict[str, dict[str, Any]] = {}
    for d in domains:
        examples, neutral = parse_ground_truth(files[d], d, config.neutral_band)
        kept, seen = [], set()
        for ex in examples:
            if ex["text"] not in seen:
                seen.add(ex["text"])
                kept.append(ex)
        rest, d_test = stratified_split(kept, config.test_fraction, config.seed)
        share = config.validation_fraction / (1.0 - config.test_fraction)
        d_train, d_val = stratified_split(rest, share, config.seed)
        train += d_train
        validation += d_val
        test += d_test
        counts[d] = {
            "rated": len(examples) + neutral,
            "neutral_dropped": neutral,
            "duplicates_dropped": len(examples) - len(kept),
            "kept": len(kept),
            "negative": sum(ex["label"] == "negative" for ex in kept),
            "positive": sum(ex["label"] == "positive" for ex in kept),
            "train": len(d_train),
            "validation": len(d_val),
            "test": len(d_test),
        }

    def key(ex: dict[str, Any]) -> tuple[str, str]:
        return ex["domain"], ex["label"]

    train = stratified_subsample(train, config.max_train_examples, config.seed, key)
    validation = stratified_subsample(validation, config.max_validation_examples, config.seed, key)
    test = stratified_subsample(test, config.max_test_examples, config.seed, key)
    limits = (config.max_train_examples, config.max_validation_examples, config.max_test_examples)
    own = config.path is not None
    return Splits(
        train=train,
        validation=validation,
        test=test,
        labels=SENTIMENT_LABELS,
        info={
            "source": f"your copy in {config.path}"
            if own
            else f"{VADER.pin}:{NESTED} — VADER ground truth (Hutto & Gilbert, ICWSM 2014)",
            "license": "your data" if own else VADER.licence,
            "citation": VADER.citation,
            "synthetic": False,
            "domain": config.domain,
            "neutral_band": config.neutral_band,
            "labelling": f"mean rating < -{config.neutral_band:g}: negative, > "
            f"{config.neutral_band:g}: positive, |mean| <= {config.neutral_band:g}: neutral, "
            "dropped",
            "split": f"per domain, stratified by label, seed {config.seed}: test "
            f"{config.test_fraction:.0%}, validation {config.validation_fraction:.0%}, the rest "
            "train; exact duplicate texts within a domain dropped (first kept)"
            + ("; stratified subsets (by domain and label)" if any(limits) else ""),
            "domains": counts,
            "subset": any(v is not None for v in limits),
            "intended_use": "Tell negative from positive English short texts (customer "
            "messages, reviews, posts), and study how an adapter keeps or forgets that skill "
            "across text domains (stream 'domains').",
            "notes": "Neutral texts are dropped, so a deployed classifier sees none of them in "
            "training or test; ratings are of single sentences, by crowd raters. VADER's own "
            "lexicon was validated on these ratings, so VADER scores on them are not an "
            "independent reference.",
        },
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except OSError:
        return None
