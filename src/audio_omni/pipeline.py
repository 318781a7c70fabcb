"""The AudioOmni facade: generate, edit and understand audio with one loaded model.

    model = AudioOmni.from_pretrained("path/to/checkpoint-dir")       # ours: config.json + model.safetensors
    model = AudioOmni.from_pretrained("model.ckpt", vocab_file=..., mllm_path=...)   # the official release
    out = model.generate("T2A", "rain on a tin roof", duration=5, seed=1)
    out = model.edit("mix.wav", ("Remove", "dog barking"), seed=1)
    out.save("out.wav")
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from audio_omni.audio.io import load_audio, prepare_audio, save_audio
from audio_omni.errors import AudioInputError, AudioOmniError, CheckpointError, InstructionError
from audio_omni.models.audio_omni_model import AudioOmniModel
from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import (
    CONFIG_NAME,
    WEIGHTS_NAME,
    load_official_checkpoint,
    load_state_dict_into,
    read_pretrained_config,
    read_state_dict,
)
from audio_omni.models.conditioners.mel import MelInput
from audio_omni.models.conditioners.mllm import MLLMPrompt
from audio_omni.models.config import ModelConfig, load_config
from audio_omni.models.presets import PRESETS, preset_config
from audio_omni.paths import cache_dir
from audio_omni.task_prompts import (
    EDIT_OPERATIONS,
    GENERATION_TASKS,
    PromptTemplates,
    canonical_task,
    check_text,
    edit_instruction,
)

log = logging.getLogger(__name__)

AudioLike = str | Path | torch.Tensor | np.ndarray


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """cuda -> mps -> cpu, unless the caller names one."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass
class AudioResult:
    """Generated or edited audio [channels, samples] (float32, CPU), its sample rate and the seed used."""

    audio: torch.Tensor
    sample_rate: int
    seed: int

    @property
    def duration(self) -> float:
        return self.audio.shape[-1] / self.sample_rate

    def save(self, path: str | Path) -> Path:
        """Write atomically; audio peaking above full scale is scaled down rather than clipped."""
        audio = self.audio
        peak = float(audio.abs().max()) if audio.numel() else 0.0
        if peak > 1.0:
            audio = audio * (0.99 / peak)
        return save_audio(path, audio, self.sample_rate)


def _seeded_generator(seed: int | None, generator: torch.Generator | None) -> tuple[torch.Generator, int]:
    if generator is not None:
        return generator, int(generator.initial_seed())
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little") & 0x7FFFFFFF
    return torch.Generator().manual_seed(int(seed)), int(seed)


def _weights_file(directory: Path) -> Path | None:
    for name in (WEIGHTS_NAME, "model.ckpt"):
        if (directory / name).is_file():
            return directory / name
    return None


class AudioOmni:
    def __init__(self, model: AudioOmniModel, device: torch.device | None = None, templates=None):
        self.device = pick_device(device)
        self.model = model.to(self.device).eval().requires_grad_(False)
        self.config: ModelConfig = model.config
        self.templates = templates or PromptTemplates()
        self.roles = model.conditioner.role_ids()

    # Loading ---------------------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls,
        path_or_preset: str | Path,
        device: str | torch.device | None = None,
        *,
        config: str | Path | ModelConfig | None = None,
        vocab_file: str | Path | None = None,
        mllm_path: str | Path | None = None,
        random_init: bool = False,
        strict: bool = True,
    ) -> AudioOmni:
        """Load a model from our checkpoint directory, an official checkpoint file, or a preset name.

        - directory with config.json: our format (config + model.safetensors), or an official file in it.
        - a .ckpt/.safetensors file: official key names; its config comes from `config`, a config.json beside
          it, or the paper-scale preset. `vocab_file` and `mllm_path` point at the official vocab.txt and the
          local Qwen2.5-Omni directory (nothing is fetched from a hub).
        - a preset name: its trained weights from $AUDIO_OMNI_WEIGHTS/<name> or the cache; `random_init=True`
          builds it untrained (tests, training from scratch).
        """
        source = Path(str(path_or_preset)).expanduser()
        weights: Path | None = None
        if isinstance(config, ModelConfig):
            cfg = config
        elif config is not None:
            cfg = load_config(config)
        elif source.is_dir():
            cfg = read_pretrained_config(source)
        elif source.is_file():
            beside = source.parent / CONFIG_NAME
            cfg = read_pretrained_config(source.parent) if beside.is_file() else preset_config("audio-omni")
        elif str(path_or_preset) in PRESETS:
            cfg = preset_config(str(path_or_preset))
        else:
            raise CheckpointError(
                f"{path_or_preset!r} is neither a checkpoint directory, a checkpoint file nor a preset "
                f"({', '.join(PRESETS)})"
            )
        if source.is_dir():
            weights = _weights_file(source)
            if weights is None:
                raise CheckpointError(f"{source} has a config but no {WEIGHTS_NAME}")
        elif source.is_file():
            weights = source
        elif not random_init:
            name = str(path_or_preset)
            for root in filter(None, (os.environ.get("AUDIO_OMNI_WEIGHTS"), cache_dir() / "models")):
                candidate = Path(root) / name
                if candidate.is_dir() and _weights_file(candidate):
                    return cls.from_pretrained(candidate, device, vocab_file=vocab_file, mllm_path=mllm_path)
            raise CheckpointError(
                f"no trained weights for preset {name!r} (looked in $AUDIO_OMNI_WEIGHTS and "
                f"{cache_dir() / 'models'}); pass random_init=True for an untrained model"
            )
        model = build_model(cfg, vocab_file=vocab_file, mllm_path=mllm_path)
        if weights is not None:
            if weights.name == WEIGHTS_NAME and source.is_dir():
                load_state_dict_into(model, read_state_dict(weights), strict=strict, source=str(weights))
            else:
                report = load_official_checkpoint(model, weights, strict=strict)
                if not report.clean:
                    log.warning("partial load of %s: %s", weights, report.describe())
        return cls(model, device)

    # Shared helpers --------------------------------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        return self.model.sample_rate

    @property
    def max_duration(self) -> float:
        return self.config.sample_size / self.config.sample_rate

    def _latent_frames(self, duration: float | None) -> tuple[int, int]:
        """Requested duration (s) -> (latent frames, output samples)."""
        ratio = self.model.pretransform.downsampling_ratio
        if duration is None:
            frames = self.config.latent_length
            return frames, frames * ratio
        if not math.isfinite(duration) or duration <= 0:
            raise AudioInputError(f"duration must be a positive number of seconds, got {duration}")
        samples = int(round(duration * self.sample_rate))
        # Compared in samples, and the window shown to 4 digits: a duration equal to the window is accepted, and a
        # refusal never reads "0.01 s is longer than 0.01 s".
        if samples > self.config.sample_size:
            raise AudioInputError(
                f"duration {duration:g} s is longer than this model's window of {self.max_duration:.4g} s"
            )
        return max(1, math.ceil(samples / ratio)), samples

    def _mel_input(self, audio: AudioLike | None, sample_rate: int | None, is_voice: bool, what: str):
        """Load/convert source or voice audio to the mel conditioner's rate, mono, within the window."""
        if audio is None:
            return None
        mel = self.model.conditioner.conditioners[self.roles["mel"]]
        # Longer inputs are refused from the file header, before anything is decoded.
        limit = max(mel.clip_samples / mel.sample_rate, self.max_duration) + 0.05
        if isinstance(audio, (str, Path)):
            wave, _ = load_audio(audio, sample_rate=mel.sample_rate, channels=1, max_seconds=limit)
        else:
            if sample_rate is None:
                raise AudioInputError(f"{what}: an in-memory array needs its sample_rate")
            wave, _ = prepare_audio(audio, sample_rate, mel.sample_rate, channels=1, max_seconds=limit, name=what)
        return MelInput(wave[0], is_voice), wave.shape[-1] / mel.sample_rate

    def _run(
        self,
        item: dict[str, Any],
        duration: float | None,
        steps: int | None,
        cfg_scale: float,
        sampler: str | None,
        seed: int | None,
        generator: torch.Generator | None,
        progress: bool | Callable[[int, int], None],
    ) -> AudioResult:
        """Sample one item: unset steps/sampler take the model's defaults."""
        frames, samples = self._latent_frames(duration)
        generator, seed = _seeded_generator(seed, generator)
        steps = steps or self.config.sampling.steps
        sampler = sampler or self.config.sampling.sampler
        codec = self.model.pretransform
        # Noise first, then the conditioners: the official order, so a seed means the same noise.
        noise = torch.randn((1, codec.latent_dim, frames), generator=generator).to(self.device)
        bar = None
        on_step = progress if callable(progress) else None
        if progress is True:
            from tqdm.auto import tqdm

            bar = tqdm(total=steps, desc="sampling", unit="step")

            def on_step(done, total):
                bar.update(1)

        try:
            with torch.inference_mode():
                cond = self.model.condition([item])
                latents = self.model.sample_latents(cond, noise, steps, cfg_scale, sampler, on_step=on_step)
                audio = codec.decode(latents)[0].float().cpu()
        finally:
            if bar is not None:
                bar.close()
        audio = audio[:, :samples]
        if not torch.isfinite(audio).all():
            raise AudioOmniError("the model produced non-finite audio (NaN/Inf); check the checkpoint")
        return AudioResult(audio.contiguous(), codec.sample_rate, seed)

    def _base_item(self) -> dict[str, Any]:
        return {self.roles[r]: None for r in ("mllm", "speech_text", "mel", "sync") if r in self.roles}

    # Public API ------------------------------------------------------------------------------------------
    def generate(
        self,
        task: str,
        prompt: str = "",
        *,
        duration: float | None = None,
        voice: AudioLike | None = None,
        voice_sample_rate: int | None = None,
        voice_text: str | None = None,
        sync_features: torch.Tensor | None = None,
        steps: int | None = None,
        cfg_scale: float | None = None,
        sampler: str | None = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        progress: bool | Callable[[int, int], None] = False,
    ) -> AudioResult:
        """T2A / T2M (prompt = caption), TTS (prompt = transcript, optional voice to clone), V2A / V2M
        (sync_features = Synchformer features [240, 768] of the clip; prompt = optional hint)."""
        task = canonical_task(task)
        if task not in GENERATION_TASKS:
            raise InstructionError(f"{task!r} is an edit operation: use edit()")
        item = self._base_item()
        if task == "TTS":
            text = check_text(prompt, "transcript")
            if voice is not None and voice_text:
                text = f"{check_text(voice_text, 'voice transcript')}. {text}"
            item[self.roles["speech_text"]] = text
            loaded = self._mel_input(voice, voice_sample_rate, True, "voice reference")
            item[self.roles["mel"]] = loaded[0] if loaded else MelInput(None, True)
        elif task in ("V2A", "V2M"):
            if sync_features is None:
                raise InstructionError(f"{task} needs sync_features (Synchformer features of the video)")
            item[self.roles["sync"]] = torch.as_tensor(sync_features, dtype=torch.float32)
        item[self.roles["mllm"]] = MLLMPrompt(self.templates.generation(task, prompt))
        cfg = self.config.sampling.cfg_scale if cfg_scale is None else cfg_scale
        return self._run(item, duration, steps, cfg, sampler, seed, generator, progress)

    def edit(
        self,
        audio: AudioLike,
        instruction: str | tuple | list,
        *,
        sample_rate: int | None = None,
        steps: int | None = None,
        cfg_scale: float | None = None,
        sampler: str | None = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        progress: bool | Callable[[int, int], None] = False,
    ) -> AudioResult:
        """Edit `audio` (a path, or an array with `sample_rate`) by a free-form instruction or by
        (operation, description[, target]) with operation in Add / Remove / Extract / Style Transfer.
        The output has the source's duration (at most the model's window)."""
        if isinstance(instruction, (tuple, list)):
            if not 2 <= len(instruction) <= 3:
                raise InstructionError("an edit is (operation, description) or (operation, description, target)")
            instruction = edit_instruction(*instruction)
        item = self._base_item()
        item[self.roles["mllm"]] = MLLMPrompt(self.templates.edit(instruction))
        source, seconds = self._mel_input(audio, sample_rate, False, "source audio")
        item[self.roles["mel"]] = source
        cfg = self.config.sampling.edit_cfg_scale if cfg_scale is None else cfg_scale
        return self._run(item, min(seconds, self.max_duration), steps, cfg, sampler, seed, generator, progress)

    def understand(
        self, question: str, audio: AudioLike | None = None, video=None, *, sample_rate: int | None = None,
        max_new_tokens: int = 128,
    ) -> str:
        """Answer a question, optionally about audio, with the frozen MLLM alone (the DiT is not involved)."""
        backbone = self.model.conditioner.conditioners[self.roles["mllm"]].model
        if backbone is None:
            raise AudioOmniError("this model was loaded without its MLLM; pass mllm_path to from_pretrained")
        if video is not None:
            raise AudioOmniError("video questions are not supported yet (the video processor needs torchvision)")
        wave = None
        if audio is not None:
            if not getattr(backbone, "accepts_audio", False):
                raise AudioOmniError(
                    f"this model's language model ({type(backbone).__name__}) reads text only; questions about "
                    "audio need the paper-scale model with the Qwen2.5-Omni thinker"
                )
            rate = getattr(backbone, "audio_rate", 16000)
            if isinstance(audio, (str, Path)):
                wave, _ = load_audio(audio, sample_rate=rate, channels=1, max_seconds=300.0)
            else:
                if sample_rate is None:
                    raise AudioInputError("audio: an in-memory array needs its sample_rate")
                wave, _ = prepare_audio(audio, sample_rate, rate, channels=1, max_seconds=300.0, name="audio")
        own_format = getattr(backbone, "question_prompt", None)  # e.g. a base LM that does not chat
        if own_format is not None and wave is None:
            prompt = own_format(check_text(question, "question"))
        else:
            prompt = self.templates.question(question, with_audio=wave is not None)
        with torch.inference_mode():
            return backbone.answer(prompt, max_new_tokens=max_new_tokens, audio=None if wave is None else wave[0])


__all__ = ["AudioOmni", "AudioResult", "EDIT_OPERATIONS", "GENERATION_TASKS", "pick_device"]
