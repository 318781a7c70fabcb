"""A request -> the conditioners' inputs: the one mapping the facade (pipeline.AudioOmni) and training
(training/data.py) both use, so a model is trained on exactly the inputs it is later run on.

A :class:`ConditionRequest` holds what a user (or a training pair) asks for in raw form: the task, its text, the
audio it refers to. :func:`condition_inputs` turns it into one batch item (conditioner id -> input) for the
model's conditioner layout: the official one (source/voice log-mel prepended as tokens) or the small preset's
(source latents per frame, voice/continuation as a latent prefix).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from audio_omni.errors import InstructionError
from audio_omni.models.conditioners.mel import MelInput
from audio_omni.models.conditioners.mllm import MLLMFeatures, MLLMPrompt
from audio_omni.models.conditioners.source_frames import FrameInput
from audio_omni.models.conditioners.source_tags import TagInput
from audio_omni.task_prompts import SENTENCE_END, PromptTemplates, check_text
from audio_omni.tasks import GENERATION_TASKS, is_edit


@dataclass
class ConditionRequest:
    task: str  # canonical name (audio_omni.tasks)
    text: str = ""  # caption (T2A/T2M), instruction (edits), optional hint (V2A/V2M); unused by TTS
    transcript: str | None = None  # TTS: the words to say
    voice_transcript: str | None = None  # TTS: the words spoken in `voice` (cloning)
    source: torch.Tensor | None = None  # edits: mono waveform at source_rate(model)
    voice: torch.Tensor | None = None  # TTS: mono waveform of the voice to clone, at source_rate(model)
    sync: torch.Tensor | None = None  # V2A/V2M: Synchformer features [240, 768]
    video_frames: torch.Tensor | None = None  # V2A/V2M: uint8 frames [T, 3, H, W] the MLLM sees
    prefix: torch.Tensor | None = None  # latents [D, K] to continue from (long-form generation, frame layout)
    # Pre-encoded training data carries the frozen parts' outputs instead of raw inputs:
    source_latents: torch.Tensor | None = None  # [D, L] the codec's latents of `source` (frame layout)
    voice_latents: torch.Tensor | None = None  # [D, K] the codec's latents of `voice` (frame layout)
    source_tags: torch.Tensor | None = None  # [521, P] the tagger's class probabilities of `source` (tags role)
    prompt_features: MLLMFeatures | None = None  # the MLLM's features of the templated prompt

    @property
    def has_voice(self) -> bool:
        return self.voice is not None or self.voice_latents is not None


def speech_text(transcript: str, voice_transcript: str | None, has_voice: bool) -> str:
    """The speech-text encoder's input: with a voice to clone, its transcript comes first (F5-style
    `reference. target`), so the model reads the words it hears and then the words it must say."""
    transcript = check_text(transcript, "transcript")
    if has_voice and voice_transcript and voice_transcript.strip():
        reference = check_text(voice_transcript, "voice transcript")
        if reference[-1] not in SENTENCE_END:
            reference += "."
        return f"{reference} {transcript}"
    return transcript


def source_rate(model) -> int:
    """The rate source and voice audio must have for this model's conditioners."""
    roles = model.conditioner.role_ids()
    for role in ("frames", "mel"):
        if role in roles:
            return int(model.conditioner.conditioners[roles[role]].sample_rate)
    return int(model.sample_rate)


def frame_layout(model) -> bool:
    return "frames" in model.conditioner.role_ids()


def prefix_frames(model, request: ConditionRequest) -> int:
    """Leading latent frames a frame-layout model is given rather than asked to make (voice, continuation):
    the facade makes that many more frames and drops them; training puts the prefix in front of its target."""
    if not frame_layout(model):
        return 0
    if request.prefix is not None:
        return int(request.prefix.shape[-1])
    if request.task == "TTS" and request.voice_latents is not None:
        return int(request.voice_latents.shape[-1])
    if request.task == "TTS" and request.voice is not None:
        return int(request.voice.shape[-1]) // model.pretransform.downsampling_ratio
    return 0


def condition_inputs(
    model, request: ConditionRequest, templates: PromptTemplates | None = None
) -> dict[str, Any]:
    """One batch item for `model.condition`: conditioner id -> raw input (None where absent)."""
    templates = templates or PromptTemplates()
    roles = model.conditioner.role_ids()
    item: dict[str, Any] = {cond_id: None for cond_id in roles.values()}
    task = request.task
    frames_role = roles.get("frames")
    ratio = model.pretransform.downsampling_ratio
    edit = is_edit(task)
    if not edit and task not in GENERATION_TASKS:
        raise InstructionError(f"unknown task {task!r}")
    if request.prompt_features is not None:
        item[roles["mllm"]] = request.prompt_features
    elif edit:
        item[roles["mllm"]] = MLLMPrompt(templates.edit(request.text))
    else:
        text = templates.generation(task, request.text, with_video=request.video_frames is not None)
        item[roles["mllm"]] = MLLMPrompt(text, video=request.video_frames)
    if edit:
        if request.source is None and request.source_latents is None:
            raise InstructionError(f"{task} edits a source recording; none was given")
        if frames_role:
            item[frames_role] = _frames(request.source, request.source_latents, ratio)
            if "tags" in roles:
                wave = None if request.source_tags is not None else item[frames_role].wave
                item[roles["tags"]] = TagInput(wave=wave, tags=request.source_tags)
        else:
            item[roles["mel"]] = MelInput(request.source, False)
        return item
    if task == "TTS":
        if "speech_text" not in roles:
            raise InstructionError("this model has no speech-text encoder, so it cannot speak a transcript")
        item[roles["speech_text"]] = speech_text(request.transcript or "", request.voice_transcript, request.has_voice)
        if not frames_role:
            item[roles["mel"]] = MelInput(request.voice, True)
    if task in ("V2A", "V2M"):
        if "sync" not in roles:
            raise InstructionError(f"this model has no video-sync conditioner, so it cannot do {task}")
        if request.sync is None:
            raise InstructionError(f"{task} needs sync features (Synchformer features of the video)")
        item[roles["sync"]] = torch.as_tensor(request.sync, dtype=torch.float32)
    if frames_role:
        if request.prefix is not None:
            item[frames_role] = FrameInput(latents=request.prefix)
        elif task == "TTS" and request.has_voice:
            item[frames_role] = _frames(request.voice, request.voice_latents, ratio)
    return item


def _frames(wave: torch.Tensor | None, latents: torch.Tensor | None, ratio: int) -> FrameInput:
    """Latents as they are; a waveform cut to whole latent frames (what the frames it covers hold)."""
    if latents is not None:
        return FrameInput(latents=latents)
    return FrameInput(wave=wave[: wave.shape[-1] // ratio * ratio])


def starts_from_source(model, request: ConditionRequest) -> bool:
    """Whether this request's flow starts at its source (edits of models configured so) rather than noise."""
    return model.config.flow.edit_start == "source" and is_edit(request.task)
