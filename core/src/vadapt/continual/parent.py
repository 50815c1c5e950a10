"""The adapter a run continues from: its weights, labels and continual state.

A :class:`ParentState` comes from the registry (``vadapt adapt --from NAME@V``,
:func:`load_parent`) or from the previous experience of a stream in memory
(:func:`state_of`). :func:`warm_start` puts it into a freshly built model: the method's
weights as they were, the head's rows of the old labels kept in place and rows for new
labels freshly initialised (class-incremental learning grows the head).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vadapt_registry.errors import CorruptAdapter, IncompatibleBaseModel, InvalidConfig

from vadapt.types import HeadKind, Splits, TaskSpec

FISHER_FILE = "fisher.safetensors"
REPLAY_FILE = "replay.json"
REPLAY_ARRAYS = "replay.safetensors"  # the replay buffer's array fields (images)
TENSOR_REF = "__tensor__"


@dataclass
class ParentState:
    """What continuing needs of the adapter continued from."""

    ref: str | None  # name@version when it is stored; None for an in-memory experience
    task: str
    labels: tuple[str, ...]
    method_cfg: Any
    peft_config: Any
    fingerprint: str
    adapter: dict[str, Any]  # the method's tensors (``Adaptation.adapter_state``)
    head: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)  # the data section it was trained on
    fisher: dict[str, Any] = field(default_factory=dict)  # ewc: accumulated diagonal Fisher
    replay: dict[str, Any] | None = None  # replay: {"seen": int, "examples": [...]}
    record: dict[str, Any] = field(default_factory=dict)  # its manifest's training.continual
    test_metrics: dict[str, float] = field(default_factory=dict)  # its stored test figures


def load_parent(ref: str, *, registry: Any = None, hooks: Any = None) -> ParentState:
    """The stored adapter ``ref`` (verified; its backbone installed with the same
    fingerprint, else ``IncompatibleBaseModel``) as a :class:`ParentState`."""
    from vadapt.engine.load import resolve_adapter
    from vadapt.engine.save import HEAD_FILE
    from vadapt.methods.base import read_tensors

    src = resolve_adapter(ref, registry=registry, hooks=hooks)
    files, m = src.stored.files, src.manifest
    adapter = _adapter_tensors(src)
    replay = read_buffer(files, m.ref) if REPLAY_FILE in files else None
    return ParentState(
        ref=m.ref,
        task=m.task,
        labels=tuple(m.labels),
        method_cfg=src.method_cfg,
        peft_config=trainable_config(src.peft_config),
        fingerprint=m.backbone.fingerprint,
        adapter=adapter,
        head=read_tensors(files, HEAD_FILE, m.ref),
        data=dict(src.config.data),
        fisher=read_tensors(files, FISHER_FILE, m.ref) if FISHER_FILE in files else {},
        replay=replay,
        record=dict(m.training.get("continual") or {}),
        test_metrics={k: v for k, v in m.metrics.test.items() if v is not None},
    )


def read_buffer(files: Any, ref: str) -> dict[str, Any]:
    """A stored replay buffer: ``replay.json`` with its array fields put back from
    ``replay.safetensors``."""
    import json

    data = json.loads(files[REPLAY_FILE])
    arrays: dict[str, Any] = {}
    if REPLAY_ARRAYS in files:
        from safetensors.numpy import load

        arrays = load(files[REPLAY_ARRAYS])
    for ex in data.get("examples", []):
        for key, value in ex.items():
            if isinstance(value, dict) and TENSOR_REF in value:
                name = value[TENSOR_REF]
                if name not in arrays:
                    raise CorruptAdapter(
                        f"adapter {ref}: its replay buffer names array {name!r}, which "
                        f"{REPLAY_ARRAYS} lacks",
                        fix="retrain the parent, or continue with another strategy",
                    )
                ex[key] = arrays[name]
    return data


def trainable_config(peft_config: Any) -> Any:
    """A copy of a stored peft config with ``inference_mode`` off: peft saves adapters
    frozen, and a model built from that config would train only its head."""
    if peft_config is None:
        return None
    import copy

    out = copy.deepcopy(peft_config)
    out.inference_mode = False
    return out


def _adapter_tensors(src: Any) -> dict[str, Any]:
    """The stored method tensors, read the way the method's ``load`` reads them."""
    from vadapt.methods.base import WEIGHTS_FILE, read_tensors

    files, ref = src.stored.files, src.manifest.ref
    name = "adapter_model.safetensors" if "adapter_model.safetensors" in files else WEIGHTS_FILE
    if name not in files:
        return {}  # a method with no tensors (zero-shot)
    return read_tensors(files, name, ref)


def state_of(run: Any, method_cfg: Any, data: dict, test_metrics: dict) -> ParentState:
    """The in-memory :class:`ParentState` of a just-trained run (``engine.run.Run``): the
    next experience of a stream continues from it, with the run's strategy state (an EWC
    Fisher estimate, a replay buffer, O-LoRA's ranks) as a stored parent would carry."""
    model, plan = run.model, run.continual
    strategy = plan.strategy if plan is not None else None
    buffer = getattr(strategy, "buffer", None)
    return ParentState(
        ref=None,
        task=run.ctx.task.id,
        labels=tuple(run.ctx.labels),
        method_cfg=method_cfg,
        peft_config=getattr(model.adaptation, "peft_config", None),
        fingerprint=run.fingerprint,
        adapter={k: v.detach().cpu().clone() for k, v in model.adaptation.adapter_state().items()},
        head={k: v.detach().cpu().clone() for k, v in model.head.state_dict().items()},
        data=dict(data),
        fisher=dict(getattr(strategy, "fisher", None) or {}),
        replay=None if buffer is None else {"seen": strategy.seen, "examples": list(buffer)},
        record=plan.record() if plan is not None else {},
        test_metrics={k: v for k, v in test_metrics.items() if v is not None},
    )


def check_backbone(parent: ParentState, fingerprint: str, backbone: str) -> None:
    if parent.fingerprint != fingerprint:
        raise IncompatibleBaseModel(
            f"--from {parent.ref or 'the parent'}: it was trained on a backbone with "
            f"fingerprint {parent.fingerprint[:12]}, but this run's backbone {backbone!r} has "
            f"{fingerprint[:12]}",
            fix="continue on the parent's backbone (drop --backbone), or train a new adapter",
        )


def merged_labels(
    task: TaskSpec, parent: ParentState, data_labels: Sequence[str]
) -> tuple[str, ...]:
    """The continued model's labels: the parent's, in its order, then the data's new ones.

    A task that declares a fixed label set must keep every parent label (else an error
    listing the dropped ones); head kinds without labels keep none.
    """
    if task.head in (HeadKind.REGRESSION, HeadKind.RANKING):
        return ()
    if task.labels:
        dropped = [lab for lab in parent.labels if lab not in task.labels]
        if dropped:
            raise InvalidConfig(
                f"--from {parent.ref}: task {task.id!r} has no label(s) {dropped} that the "
                "parent predicts; continuing would drop them",
                fix="continue on a task whose label set includes the parent's labels",
            )
    new = [lab for lab in data_labels if lab not in parent.labels]
    return (*parent.labels, *new)


def continued_splits(splits: Splits, parent: ParentState) -> Splits:
    """The parent's labels the new training data lacks are learnt already: they are not
    required in train (class-incremental data brings only the new classes)."""
    present: set[str] = set()
    for ex in splits.train:
        lab = ex.get("label")
        present.update(str(x) for x in (lab if isinstance(lab, (list, tuple)) else [lab]))
    kept = [lab for lab in parent.labels if lab not in present]
    return dataclasses.replace(
        splits, untrained_labels=tuple(dict.fromkeys((*splits.untrained_labels, *kept)))
    )


def warm_start(model: Any, parent: ParentState, labels: Sequence[str], load: Any) -> dict[str, int]:
    """Load ``parent``'s method weights (``load(model, parent)``, the strategy's) and head
    into ``model`` (built for ``labels``).

    Head tensors whose first dimension counts labels are copied row by row to the old
    labels' positions; new labels keep their fresh initialisation. Returns how many
    labels were old and new, for the record."""
    load(model, parent)
    old, new = list(parent.labels), list(labels)
    rows = [new.index(lab) for lab in old]
    target = model.head.state_dict()
    state: dict[str, Any] = {}
    for key, fresh in target.items():
        given = parent.head.get(key)
        if given is None:
            raise IncompatibleBaseModel(
                f"--from {parent.ref}: its head has no tensor {key!r}",
                fix="continue with the task and head the parent was trained with",
            )
        state[key] = _grown(key, fresh, given, rows, parent.ref)
    model.head.load_state_dict(state)
    return {"old_labels": len(old), "new_labels": len(new) - len(old)}


def _grown(key: str, fresh: Any, given: Any, rows: list[int], ref: str | None) -> Any:
    if tuple(fresh.shape) == tuple(given.shape):
        return given.to(fresh.dtype)
    same_rest = tuple(fresh.shape[1:]) == tuple(given.shape[1:])
    if not same_rest or given.shape[0] != len(rows) or fresh.shape[0] < len(rows):
        raise IncompatibleBaseModel(
            f"--from {ref}: head tensor {key!r} has shape {tuple(given.shape)}, the "
            f"continued head needs {tuple(fresh.shape)}",
            fix="continue with the head and method options the parent was trained with",
        )
    out = fresh.detach().clone()
    out[rows] = given.to(out.dtype)
    return out
