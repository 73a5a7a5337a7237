"""Name the optimum model class that runs a transformers pipeline task on an accelerator.

``model_class("feature-extraction")`` picks the accelerator as ``select_accelerator()`` does
and returns, e.g., ``OVModelForFeatureExtraction`` or ``ORTModelForFeatureExtraction``, so a
program needs no ``if accelerator == "ov": from optimum.intel import ...`` ladder. Only the
chosen integration is imported, and only when the function is called.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from accelprobe import backends
from accelprobe._facts import ACCELERATOR_FACTS

__all__ = ["TASKS", "ModelClass", "model_class"]


class ModelClass(Protocol):
    """What ``model_class()`` returns, as a type checker sees it: an optimum model class.

    ``ORTModelForFeatureExtraction``, ``OVModelForCausalLM``, ...: their own types live in
    the optimum integration, which accelprobe never imports to type-check. Load a model with
    ``from_pretrained``; its result (an optimum model) is ``Any``.
    """

    __name__: str

    def from_pretrained(self, *args: object, **kwargs: object) -> Any:  # noqa: ANN401 - optimum's
        """Load a model: ``model_class(task).from_pretrained(model_id, export=True)``."""


# Pipeline task -> {accelerator: class names, the first one the installed integration has
# wins}. Checked against optimum-onnx 0.1 and optimum 1.26/1.27 (ort), optimum-intel 2.1/2.2
# (ov) and optimum-intel 1.27 (ipex), and their own pipeline task tables.
# automatic-speech-recognition gives the sequence-to-sequence class (Whisper and the like);
# CTC models (wav2vec2) use ``...ModelForCTC``.
_CLASSES: dict[str, dict[str, tuple[str, ...]]] = {
    "audio-classification": {
        "ov": ("OVModelForAudioClassification",),
        "ort": ("ORTModelForAudioClassification",),
        "ipex": ("IPEXModelForAudioClassification",),
    },
    "automatic-speech-recognition": {
        "ov": ("OVModelForSpeechSeq2Seq",),
        "ort": ("ORTModelForSpeechSeq2Seq",),
    },
    "feature-extraction": {
        "ov": ("OVModelForFeatureExtraction",),
        "ort": ("ORTModelForFeatureExtraction",),
        "ipex": ("IPEXModel",),
    },
    "fill-mask": {
        "ov": ("OVModelForMaskedLM",),
        "ort": ("ORTModelForMaskedLM",),
        "ipex": ("IPEXModelForMaskedLM",),
    },
    "image-classification": {
        "ov": ("OVModelForImageClassification",),
        "ort": ("ORTModelForImageClassification",),
        "ipex": ("IPEXModelForImageClassification",),
    },
    "image-segmentation": {"ort": ("ORTModelForSemanticSegmentation",)},
    "image-text-to-text": {"ov": ("OVModelForVisualCausalLM",)},
    "image-to-image": {"ort": ("ORTModelForImageToImage",)},
    "image-to-text": {
        # optimum-intel 2 maps image-to-text to OVModelForImageTextToText; 1.x to Vision2Seq.
        "ov": ("OVModelForImageTextToText", "OVModelForVision2Seq"),
        "ort": ("ORTModelForVision2Seq",),
    },
    "question-answering": {
        "ov": ("OVModelForQuestionAnswering",),
        "ort": ("ORTModelForQuestionAnswering",),
        "ipex": ("IPEXModelForQuestionAnswering",),
    },
    "summarization": {
        "ov": ("OVModelForSeq2SeqLM",),
        "ort": ("ORTModelForSeq2SeqLM",),
        "ipex": ("IPEXModelForSeq2SeqLM",),
    },
    "text-classification": {
        "ov": ("OVModelForSequenceClassification",),
        "ort": ("ORTModelForSequenceClassification",),
        "ipex": ("IPEXModelForSequenceClassification",),
    },
    "text-generation": {
        "ov": ("OVModelForCausalLM",),
        "ort": ("ORTModelForCausalLM",),
        "ipex": ("IPEXModelForCausalLM",),
    },
    "text-to-audio": {"ov": ("OVModelForTextToSpeechSeq2Seq",)},
    "text2text-generation": {
        "ov": ("OVModelForSeq2SeqLM",),
        "ort": ("ORTModelForSeq2SeqLM",),
        "ipex": ("IPEXModelForSeq2SeqLM",),
    },
    "token-classification": {
        "ov": ("OVModelForTokenClassification",),
        "ort": ("ORTModelForTokenClassification",),
        "ipex": ("IPEXModelForTokenClassification",),
    },
    "translation": {
        "ov": ("OVModelForSeq2SeqLM",),
        "ort": ("ORTModelForSeq2SeqLM",),
        "ipex": ("IPEXModelForSeq2SeqLM",),
    },
    "zero-shot-classification": {
        "ov": ("OVModelForSequenceClassification",),
        "ort": ("ORTModelForSequenceClassification",),
        "ipex": ("IPEXModelForSequenceClassification",),
    },
    "zero-shot-image-classification": {
        "ov": ("OVModelForZeroShotImageClassification",),
        "ort": ("ORTModelForZeroShotImageClassification",),
    },
}

# transformers' pipeline aliases (transformers.pipelines.TASK_ALIASES)
_ALIASES = {
    "sentiment-analysis": "text-classification",
    "ner": "token-classification",
    "text-to-speech": "text-to-audio",
}

TASKS: tuple[str, ...] = tuple(sorted(_CLASSES))
"""The pipeline tasks ``model_class`` knows, sorted; aliases and ``translation_XX_to_YY`` too."""


def _task(task: object) -> str:
    """The canonical pipeline task for ``task``, or ``ValueError`` listing the known ones."""
    name = task.strip().lower() if isinstance(task, str) else ""
    name = _ALIASES.get(name, name)
    if name.startswith("translation_"):  # translation_en_to_fr, as transformers spells it
        name = "translation"
    if name not in _CLASSES:
        aliases = ", ".join(f"{alias} ({target})" for alias, target in _ALIASES.items())
        msg = (
            f"unknown task {task!r}; expected one of: {', '.join(TASKS)}, "
            f"translation_XX_to_YY, or the aliases {aliases}"
        )
        raise ValueError(msg)
    return name


def model_class(task: str, accelerator: str | None = None) -> ModelClass:
    """The optimum model class that runs pipeline ``task`` on ``accelerator``.

    ``accelerator`` defaults to ``select_accelerator()`` and accepts its names and aliases;
    an accelerator that is not available raises its ``ImportError`` (what to install).
    Imports only the chosen accelerator's optimum integration. Raises ``ValueError`` for an unknown
    task or one the accelerator has no class for, and ``ImportError`` naming the
    integration, its version and the upgrade command when the installed integration lacks
    the class.
    """
    name = _task(task)
    chosen = backends.select_accelerator(accelerator)
    classes = _CLASSES[name].get(chosen)
    if classes is None:
        runs_on = ", ".join(key for key in backends.ACCELERATORS if key in _CLASSES[name])
        supported = ", ".join(key for key in TASKS if chosen in _CLASSES[key])
        msg = (
            f"optimum has no {chosen} model class for the task {name!r} (it runs on: "
            f"{runs_on}); tasks on {chosen}: {supported}"
        )
        raise ValueError(msg)
    facts = ACCELERATOR_FACTS[chosen]
    module_name, command = facts.integration, f"pip install --upgrade {facts.requirement}"
    integration = backends.detection(facts.optimum)  # available: select_accelerator() checked
    installed = f"{integration.distribution} {integration.version}"
    import importlib

    class_name = ""
    try:
        module = importlib.import_module(module_name)
        for class_name in classes:  # a lazy module imports the class's own module here
            found = getattr(module, class_name, None)
            if isinstance(found, type):
                return cast("ModelClass", found)
    except ImportError as error:
        what = f" {class_name}" if class_name else ""
        msg = (
            f"{module_name} ({installed}) failed to import{what}: {error}; "
            f"reinstall with: {command}"
        )
        raise ImportError(msg, name=module_name) from error
    msg = (
        f"{module_name} ({installed}) has no {' or '.join(classes)} for the task {name!r}; "
        f"upgrade with: {command}"
    )
    raise ImportError(msg, name=module_name)
