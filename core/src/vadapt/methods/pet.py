"""``pet``: LoRA trained on the verbalizer objective (PET-style cloze fine-tuning,
Schick & Schuetze 2021, "Exploiting Cloze Questions for Few Shot Text Classification").

The forward is ``lm-zero-shot``'s: each text becomes the task's prompt and a label's score
is the log-likelihood of its word after it (``vadapt.methods.verbalizer``). Training is
the engine's loop: cross-entropy over those scores (plus one learnt bias per label,
``LabelBias``), with LoRA on the causal LM's attention. The LM head is not trained and
no new head is learnt, so the model starts from its zero-shot answers and k examples
adjust the words' likelihoods instead of fitting a classifier from scratch.

Not done here: PET's auxiliary masked-LM loss on unlabelled text, its ensemble of
prompt patterns and the distillation into a classifier (iPET): one pattern, one model.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from vadapt_registry.errors import InvalidConfig

from vadapt.methods.lora import LoraConfig, lora_peft_config
from vadapt.methods.peft_methods import PeftAdaptation, reload_peft
from vadapt.methods.registry import Method
from vadapt.methods.similarity import check_task
from vadapt.methods.verbalizer import Verbalizer, check_causal, check_length
from vadapt.types import Modality


class PetConfig(LoraConfig):
    name: Literal["pet"] = Field("pet", description="adaptation method")  # type: ignore[assignment]
    verbalizer: dict[str, str] = Field(
        default_factory=dict,
        description="label -> the word scored after the prompt (default: the task's "
        "label_words, else the label's name)",
    )


class PetAdaptation(Verbalizer, PeftAdaptation):
    """A LoRA-wrapped causal LM whose features are the label words' log-likelihoods."""

    def __init__(self, cfg: Any, loaded: Any, peft_config: Any, **kw: Any) -> None:
        check_causal(loaded, cfg.name)
        super().__init__(cfg, loaded, peft_config, **kw)
        self.cfg = cfg
        self.setup_scoring(cfg, loaded)

    def bind(self, task: Any, labels: Any, cfg: Any) -> None:
        super().bind(task, labels, cfg)
        check_length(self, self.name)
        if cfg.adversarial.enabled:
            raise InvalidConfig(
                "method 'pet' scores label words with its own forward; adversarial steps "
                "perturb the pooled encoder input and would do nothing here",
                fix="set adversarial.enabled=false, or use lora for adversarial training",
            )


def apply_pet(cfg: PetConfig, loaded: Any) -> PetAdaptation:
    check_causal(loaded, cfg.name)
    return PetAdaptation(cfg, loaded, lora_peft_config(cfg, loaded))


def prior_head(task: Any, backbone: Any, labels: Any, cfg: Any) -> Any:
    from vadapt.engine.model import LabelBias

    check_task(task, cfg.method.name)
    return LabelBias(len(labels))


METHOD = Method(
    name="pet",
    config=PetConfig,
    description="PET-style cloze fine-tuning: LoRA on a causal LM trained through the "
    "likelihood of each label's word after the task's prompt (few labels)",
    apply=apply_pet,
    default_lr=1e-3,
    modalities=(Modality.TEXT,),
    library="peft",
    serving="peft",
    reload=reload_peft,
    head=prior_head,
    peft_class=PetAdaptation,
)
