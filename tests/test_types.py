"""The typed hook results validate themselves with errors that name the object."""

from __future__ import annotations

import pytest
from vadapt import BackboneSpec, Splits, TaskSpec


def task(**kw):
    return TaskSpec(**{"id": "legal/clause", "modality": "text", "head": "classification",
                       "description": "x", **kw})  # fmt: skip


def test_task_spec_normalises_and_is_hashable():
    spec = task(labels=["a", "b"], label_descriptions={"a": "the first"})
    assert spec.labels == ("a", "b") and spec.vertical == "legal" and spec.name == "clause"
    assert spec.modality == "text" and spec.head == "classification"
    assert {spec, task(labels=("a", "b"))} == {spec, task(labels=("a", "b"))}


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"id": "Legal/Clause"}, "id must be 'vertical/task'"),
        ({"id": "clause"}, "id must be 'vertical/task'"),
        ({"modality": "audio"}, "modality 'audio' is not one of text, image"),
        ({"head": "softmax"}, "head 'softmax' is not one of classification"),
        ({"labels": "ab"}, "labels must be a sequence of names"),
        ({"labels": ("a", "a")}, "labels contain duplicates"),
        ({"metric_mode": "up"}, "metric_mode must be 'max' or 'min'"),
        ({"data_model": dict}, "data_model must be a pydantic BaseModel subclass"),
        ({"labels": ("a",), "label_descriptions": {"b": "?"}}, "unknown labels ['b']"),
    ],
)
def test_task_spec_rejects_bad_values_naming_the_task(kw, message):
    with pytest.raises(ValueError, match="TaskSpec") as err:
        task(**kw)
    assert message in str(err.value)


def test_backbone_spec_and_splits_validate():
    with pytest.raises(ValueError, match="BackboneSpec 'Big Model'"):
        BackboneSpec(name="Big Model", modality="text", description="", loader=print, files=list)
    with pytest.raises(ValueError, match="modality 'video'"):
        BackboneSpec(name="vid", modality="video", description="", loader=print, files=list)
    with pytest.raises(ValueError, match=r"Splits.test\[1\] is str, expected a dict"):
        Splits(train=[{}], validation=[{}], test=[{}, "oops"])
    with pytest.raises(ValueError, match=r"Splits\.train must be a list"):
        Splits(train="abc", validation=[], test=[])
    splits = Splits(train=[{}], validation=[], test=[{}, {}], labels=["x"])
    assert splits.sizes() == {"train": 1, "validation": 0, "test": 2} and splits.labels == ("x",)
