"""Augmentations that keep medical data plausible.

Options come from ``augment.options`` (flat, or under a ``medical`` sub-dict):

images (medical/imaging*), on HxW / HxWxC uint8 arrays, each applied with
probability ``p`` (0.5):
    max_rotation  degrees, default 10 (small: anatomy keeps its orientation)
    flip          "none" (default) | "horizontal" | "vertical" | "both" — chest
                  films have laterality (the heart sits left), so flips are off
                  unless the data allows them (dermoscopy, histology patches)
    brightness    intensity units (0-255 scale), default 10: uniform shift ±
    contrast      fraction, default 0.1: scale around the image mean by 1 ± c
    noise_sigma   intensity units, default 3: Gaussian noise
clinical text (medical/clinical-text):
    abbreviation_p   per-occurrence probability of swapping a term with its
                     abbreviation or expansion, default 0.3
serialised rows (medical/tumor-diagnosis):
    field_dropout    per-field probability of dropping "name value" fields,
                     default 0.1 (at least one field is kept)
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

# A small table of common clinical abbreviations (abbreviation, expansion).
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("BP", "blood pressure"),
    ("HR", "heart rate"),
    ("RR", "respiratory rate"),
    ("SOB", "shortness of breath"),
    ("CP", "chest pain"),
    ("MI", "myocardial infarction"),
    ("CHF", "congestive heart failure"),
    ("CAD", "coronary artery disease"),
    ("COPD", "chronic obstructive pulmonary disease"),
    ("HTN", "hypertension"),
    ("DM", "diabetes mellitus"),
    ("CVA", "cerebrovascular accident"),
    ("UTI", "urinary tract infection"),
    ("URI", "upper respiratory infection"),
    ("GERD", "gastroesophageal reflux disease"),
    ("CKD", "chronic kidney disease"),
    ("DVT", "deep vein thrombosis"),
    ("PE", "pulmonary embolism"),
    ("NKDA", "no known drug allergies"),
    ("Hx", "history"),
    ("Dx", "diagnosis"),
    ("Tx", "treatment"),
    ("Rx", "prescription"),
    ("Sx", "symptoms"),
    ("pt", "patient"),
    ("yo", "year-old"),
    ("b.i.d.", "twice a day"),
    ("t.i.d.", "three times a day"),
    ("p.r.n.", "as needed"),
    ("p.o.", "by mouth"),
    ("EKG", "electrocardiogram"),
    ("CT", "computed tomography"),
    ("MRI", "magnetic resonance imaging"),
    ("ER", "emergency room"),
)
_TERMS: dict[str, str] = {}
for _abbr, _full in ABBREVIATIONS:
    _TERMS[_abbr.lower()] = _full
    _TERMS[_full.lower()] = _abbr
# Longest first, so "congestive heart failure" wins over "heart"; abbreviations
# match case-sensitively on word boundaries ("pt", "PE"), expansions ignore case.
_PATTERN = re.compile(
    "|".join(
        [
            rf"(?i:\b{re.escape(full)}\b)"
            for _, full in sorted(ABBREVIATIONS, key=lambda t: -len(t[1]))
        ]
        + [
            rf"(?<![\w.]){re.escape(abbr)}(?![\w])"
            for abbr, _ in sorted(ABBREVIATIONS, key=lambda t: -len(t[0]))
        ]
    )
)


def _opts(config: Any) -> dict[str, Any]:
    options = dict(getattr(config, "options", None) or {})
    nested = options.pop("medical", None)
    if isinstance(nested, dict):
        options.update(nested)
    return options


def swap_abbreviations(text: str, rng: np.random.Generator, p: float) -> str:
    def repl(m: re.Match[str]) -> str:
        term = m.group(0)
        if rng.random() >= p:
            return term
        return _TERMS.get(term.lower(), term)

    return _PATTERN.sub(repl, text)


def drop_fields(text: str, rng: np.random.Generator, p: float) -> str:
    fields = text.split(", ")
    keep = [f for f in fields if rng.random() >= p]
    if not keep:
        keep = [fields[int(rng.integers(len(fields)))]]
    return ", ".join(keep)


def augment_image(img: np.ndarray, rng: np.random.Generator, opts: dict[str, Any]) -> np.ndarray:
    from PIL import Image

    p = float(opts.get("p", 0.5))
    squeezed = img.ndim == 3 and img.shape[2] == 1
    base = img[..., 0] if squeezed else img
    out = base.astype(np.float32)
    max_rot = float(opts.get("max_rotation", 10.0))
    if max_rot > 0 and rng.random() < p:
        angle = float(rng.uniform(-max_rot, max_rot))
        border = np.concatenate([base[0], base[-1], base[:, 0], base[:, -1]])
        fill: Any = (
            int(np.median(border))
            if base.ndim == 2
            else tuple(int(v) for v in np.median(border, axis=0))
        )
        rotated = Image.fromarray(base).rotate(
            angle, resample=Image.Resampling.BILINEAR, fillcolor=fill
        )
        out = np.asarray(rotated, dtype=np.float32)
    flip = str(opts.get("flip", "none"))
    if flip not in ("none", "horizontal", "vertical", "both"):
        from vadapt import InvalidConfig

        raise InvalidConfig(
            f"augment.options.flip={flip!r} (plugin medical)",
            fix="use none, horizontal, vertical or both",
        )
    if flip in ("horizontal", "both") and rng.random() < 0.5:
        out = out[:, ::-1]
    if flip in ("vertical", "both") and rng.random() < 0.5:
        out = out[::-1]
    contrast = float(opts.get("contrast", 0.1))
    if contrast > 0 and rng.random() < p:
        mean = out.mean()
        out = (out - mean) * float(rng.uniform(1 - contrast, 1 + contrast)) + mean
    brightness = float(opts.get("brightness", 10.0))
    if brightness > 0 and rng.random() < p:
        out = out + float(rng.uniform(-brightness, brightness))
    sigma = float(opts.get("noise_sigma", 3.0))
    if sigma > 0 and rng.random() < p:
        out = out + rng.normal(0.0, sigma, out.shape)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out[..., None] if squeezed else out


def augment(
    task_id: str,
    modality: str,
    examples: list[dict[str, Any]],
    rng: np.random.Generator,
    config: Any,
) -> list[dict[str, Any]]:
    opts = _opts(config)
    if modality == "image":
        return [
            {**ex, "image": augment_image(np.asarray(ex["image"]), rng, opts)} for ex in examples
        ]
    if task_id == "medical/tumor-diagnosis":
        p = float(opts.get("field_dropout", 0.1))
        return [{**ex, "text": drop_fields(ex["text"], rng, p)} for ex in examples]
    p = float(opts.get("abbreviation_p", 0.3))
    return [{**ex, "text": swap_abbreviations(ex["text"], rng, p)} for ex in examples]
