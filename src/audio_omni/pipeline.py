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

import numpy as np
import torch

from audio_omni.audio.io import load_audio, prepare_audio, save_audio
from audio_omni.errors import AudioInputError, AudioOmniError, InstructionError
from audio_omni.models.audio_omni_model import AudioOmniModel
from audio_omni.models.builders import build_model
from audio_omni.models.checkpoints import load_official_checkpoint, load_state_dict_into, read_state_dict
from audio_omni.models.config import ModelConfig
from audio_omni.models.flow import SAMPLERS
from audio_omni.models.locate import DEFAULT_MODEL, resolve_model
from audio_omni.models.requests import (
    ConditionRequest,
    condition_inputs,
    frame_layout,
    prefix_frames,
    source_rate,
    starts_from_source,
)
from audio_omni.outputs import check_output_file
from audio_omni.task_prompts import PromptTemplates, canonical_task, check_text, edit_instruction
from audio_omni.tasks import FREE_FORM_EDIT, GENERATION_TASKS, INSTRUCTION_EDITS
from audio_omni.validation import (
    MIN_SECONDS,
    check_edit,
    check_generation,
    check_max_tokens,
    check_sampling,
    check_sync_features,
    pick_device,
)

log = logging.getLogger(__name__)

AudioLike = str | Path | torch.Tensor | np.ndarray
# Frame-layout models run window by window; these bound what one call may ask for (memory, not quality).
MAX_EDIT_SECONDS = 600.0
WINDOW_BATCH = 4  # windows of a long edit sampled together (memory grows with it; speed barely beyond 4)
MAX_GENERATION_SECONDS = 300.0


@dataclass
class AudioResult:
    """Generated or edited audio [channels, samples] (float32, CPU), its sample rate and the seed used;
    `source` is the file an edit read, which `save` refuses to overwrite."""

    audio: torch.Tensor
    sample_rate: int
    seed: int
    source: Path | None = None

    @property
    def duration(self) -> float:
        return self.audio.shape[-1] / self.sample_rate

    def save(self, path: str | Path) -> Path:
        """Write atomically; audio peaking above full scale is scaled down rather than clipped."""
        check_output_file(path, inputs=(self.source,))
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


def crossfade_weights(length: int, fade_in: int, fade_out: int) -> torch.Tensor:
    """Per-frame weights of one window: linear ramps over the frames it shares with its neighbours, so that
    overlapping windows sum to a smooth blend (the caller divides by the summed weights)."""
    weights = torch.ones(length)
    if fade_in:
        weights[:fade_in] = torch.linspace(0, 1, fade_in + 2)[1:-1]
    if fade_out:
        weights[length - fade_out :] = torch.linspace(1, 0, fade_out + 2)[1:-1]
    return weights


class AudioOmni:
    def __init__(self, model: AudioOmniModel, device: torch.device | None = None, templates=None):
        self.device = pick_device(device)
        self.model = model.to(self.device).eval().requires_grad_(False)
        self.config: ModelConfig = model.config
        self.templates = templates or PromptTemplates()
        self.roles = model.conditioner.role_ids()  # role -> conditioner id

    # Loading ---------------------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls,
        path_or_preset: str | Path = DEFAULT_MODEL,
        device: str | torch.device | None = None,
        *,
        config: str | Path | ModelConfig | None = None,
        vocab_file: str | Path | None = None,
        mllm_path: str | Path | None = None,
        random_init: bool = False,
        strict: bool = True,
    ) -> AudioOmni:
        """Load a model from our checkpoint directory, an official checkpoint file, or a preset name (see
        models.locate: a preset's trained weights come from $AUDIO_OMNI_WEIGHTS, the cache, or the weights
        shipped with the package; `random_init=True` builds it untrained). `vocab_file` and `mllm_path` point at
        the official vocab.txt and the local Qwen2.5-Omni directory (nothing is fetched from a hub)."""
        found = resolve_model(path_or_preset, config, random_init)
        model = build_model(found.config, vocab_file=vocab_file, mllm_path=mllm_path)
        if found.format == "ours":
            load_state_dict_into(model, read_state_dict(found.weights), strict=strict, source=str(found.weights))
        elif found.format == "official":
            report = load_official_checkpoint(model, found.weights, strict=strict)
            if not report.clean:
                log.warning("partial load of %s: %s", found.weights, report.describe())
        return cls(model, device)

    # Shared helpers --------------------------------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        return self.model.sample_rate

    @property
    def max_duration(self) -> float:
        """The model's window in seconds. Frame-layout models go beyond it in overlapping windows."""
        return self.config.sample_size / self.config.sample_rate

    @property
    def windowed(self) -> bool:
        """Whether inputs and outputs longer than the window are made window by window."""
        return frame_layout(self.model)

    def _latent_frames(self, duration: float | None, limit: float) -> tuple[int, int]:
        """Requested duration (s) -> (latent frames, output samples)."""
        ratio = self.model.pretransform.downsampling_ratio
        if duration is None:
            frames = self.config.latent_length
            return frames, frames * ratio
        if not math.isfinite(duration) or duration <= 0:
            raise AudioInputError(f"duration must be a positive number of seconds, got {duration}")
        samples = int(round(duration * self.sample_rate))
        if samples < ratio:
            raise AudioInputError(
                f"duration {duration:g} s is shorter than one latent frame ({ratio / self.sample_rate:.3f} s)"
            )
        # Durations are compared in samples: a duration equal to the window is accepted, not lost to rounding.
        if samples > int(round(limit * self.sample_rate)):
            raise AudioInputError(f"duration {duration:g} s is longer than this model's limit of {limit:.4g} s")
        return math.ceil(samples / ratio), samples

    def _load_mono(self, audio: AudioLike, sample_rate: int | None, what: str, max_seconds: float) -> torch.Tensor:
        """Source or voice audio -> mono waveform [T] at the conditioners' rate. Longer inputs are refused from
        the file header, before anything is decoded."""
        rate = source_rate(self.model)
        if isinstance(audio, (str, Path)):
            wave, _ = load_audio(audio, sample_rate=rate, channels=1, max_seconds=max_seconds, min_seconds=MIN_SECONDS)
        else:
            if sample_rate is None:
                raise AudioInputError(f"{what}: an in-memory array needs its sample_rate")
            wave, _ = prepare_audio(audio, sample_rate, rate, channels=1, max_seconds=max_seconds, name=what,
                                    min_seconds=MIN_SECONDS)  # fmt: skip
        return wave[0]

    def _progress(self, progress: bool | Callable[[int, int], None], total: int):
        """(on_step callback, bar to close or None) for `total` sampling steps over all windows."""
        if callable(progress):
            return progress, None
        if progress is not True:
            return None, None
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="sampling", unit="step")
        return (lambda done, steps: bar.update(1)), bar

    def _sample_window(
        self, request: ConditionRequest, noise: torch.Tensor, cfg_scale: float, steps: int, sampler: str, on_step
    ) -> torch.Tensor:
        """Latents [1, D, frames] for one window; `noise` [1, D, frames] is drawn by the caller."""
        return self._sample_windows([request], noise, cfg_scale, steps, sampler, on_step)

    def _sample_windows(
        self, requests: list[ConditionRequest], noise: torch.Tensor, cfg_scale: float, steps: int, sampler: str,
        on_step,
    ) -> torch.Tensor:
        """Latents [N, D, frames] for N windows of one length, sampled as one batch."""
        items = [condition_inputs(self.model, request, self.templates) for request in requests]
        cond = self.model.condition(items, frames=noise.shape[-1])
        from_source = torch.tensor([starts_from_source(self.model, request) for request in requests])
        return self.model.sample_latents(
            cond, noise.to(self.device), steps, cfg_scale, sampler, on_step=on_step, from_source=from_source
        )

    def _finish(
        self, latents: torch.Tensor, samples: int, seed: int, source: torch.Tensor | None = None
    ) -> AudioResult:
        codec = self.model.pretransform
        with torch.inference_mode():
            if source is None:
                audio = codec.decode(latents)[0].float().cpu()
            else:
                audio = codec.decode_edit(latents, source.reshape(1, 1, -1).to(self.device))[0].float().cpu()
        audio = audio[:, :samples]
        if audio.shape[-1] < samples:  # a source that ends inside its last latent frame
            audio = torch.nn.functional.pad(audio, (0, samples - audio.shape[-1]))
        if not torch.isfinite(audio).all():
            raise AudioOmniError("the model produced non-finite audio (NaN/Inf); check the checkpoint")
        return AudioResult(audio.contiguous(), codec.sample_rate, seed)

    def _settings(self, steps: int | None, sampler: str | None, edit: bool = False) -> tuple[int, str]:
        """Unset steps/sampler take the model's defaults (``sampling.edit_steps`` for edits, when set); both are
        checked before any work is done."""
        steps = self.config.sampling.default_steps(edit) if steps is None else int(steps)
        sampler = sampler or self.config.sampling.sampler
        if steps < 1:
            raise AudioOmniError(f"steps must be at least 1, got {steps}")
        if sampler not in SAMPLERS:
            raise AudioOmniError(f"unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
        return steps, sampler

    def _overlap_frames(self) -> int:
        ratio = self.model.pretransform.downsampling_ratio
        seconds = self.config.sampling.overlap_seconds
        return max(1, min(self.config.latent_length // 2, round(seconds * self.sample_rate / ratio)))

    def _windows(self, frames: int) -> list[tuple[int, int]]:
        """(start, end) latent frames of the windows covering `frames`: one window when it fits, else windows
        of the model's length overlapping by `sampling.overlap_seconds`, the last one aligned to the end."""
        size = self.config.latent_length
        if frames <= size:
            return [(0, frames)]
        hop = size - self._overlap_frames()
        starts = list(range(0, frames - size, hop)) + [frames - size]
        return [(s, s + size) for s in starts]

    # Requests: user arguments -> what the conditioners are given (models.requests; training uses the same) -----
    def generation_request(
        self,
        task: str,
        prompt: str = "",
        voice: AudioLike | None = None,
        voice_sample_rate: int | None = None,
        voice_text: str | None = None,
        sync_features: torch.Tensor | None = None,
    ) -> ConditionRequest:
        task = canonical_task(task)
        if task not in GENERATION_TASKS:
            raise InstructionError(f"{task!r} is an edit operation: use edit()")
        request = ConditionRequest(task, prompt, sync=sync_features)
        if task == "TTS":
            request.text = ""
            request.transcript = check_text(prompt, "transcript")
            if voice is not None:
                request.voice = self._load_mono(voice, voice_sample_rate, "voice reference", self.max_duration)
                request.voice_transcript = voice_text
        return request

    def edit_request(
        self, audio: AudioLike, instruction: str | tuple | list, sample_rate: int | None = None
    ) -> ConditionRequest:
        """The whole source (any length) and the instruction; an (operation, description[, target]) tuple becomes
        the official template's sentence."""
        task = FREE_FORM_EDIT
        if isinstance(instruction, (tuple, list)):
            if not 2 <= len(instruction) <= 3:
                raise InstructionError("an edit is (operation, description) or (operation, description, target)")
            task = canonical_task(instruction[0])
            instruction = edit_instruction(*instruction)
        instruction = check_text(instruction, "edit instruction")
        source = self._load_mono(audio, sample_rate, "source audio", MAX_EDIT_SECONDS)
        return ConditionRequest(task, instruction, source=source)

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
        video: str | Path | None = None,
        synchformer: str | Path | None = None,
        steps: int | None = None,
        cfg_scale: float | None = None,
        sampler: str | None = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        progress: bool | Callable[[int, int], None] = False,
    ) -> AudioResult:
        """T2A / T2M (prompt = caption), TTS (prompt = transcript, optional voice to clone), V2A / V2M
        (video = a video file, with synchformer = the path of synchformer_state_dict.pth, or sync_features =
        Synchformer features [240, 768] of the clip; prompt = optional hint). With a video the MLLM sees its
        frames and the audio has the video's length (at most the model's window).

        Frame-layout models (audio-omni-small) make durations beyond their window by continuing each window from
        the end of the previous one; the paper model makes at most its window."""
        steps, cfg_scale, sampler, seed = check_sampling(steps, cfg_scale, sampler, seed)
        check_generation(task, prompt, duration=duration, voice=voice, voice_text=voice_text,
                         sync_features=sync_features, video=video)  # fmt: skip
        if sync_features is not None and "sync" in self.roles:
            sync = self.model.conditioner.conditioners[self.roles["sync"]]
            sync_features = check_sync_features(sync_features, sync.n_frames_in, sync.feature_dim)
        steps, sampler = self._settings(steps, sampler)
        request = self.generation_request(task, prompt, voice, voice_sample_rate, voice_text, sync_features)
        task = request.task
        if video is not None:
            from audio_omni.video.conditions import read_video_conditions

            # The longest audio one window makes: whole latent frames (10.96 s for the paper model).
            window = self.config.latent_length * self.model.pretransform.downsampling_ratio / self.sample_rate
            clip = read_video_conditions(
                self.model, video, synchformer, device=self.device, max_seconds=window, need_sync=request.sync is None
            )
            request.sync = clip.sync_features if request.sync is None else request.sync
            request.video_frames = clip.mllm_frames
            duration = clip.seconds if duration is None else duration
        limit = MAX_GENERATION_SECONDS if self.windowed and task != "TTS" else self.max_duration
        frames, samples = self._latent_frames(duration, limit)
        prefix = prefix_frames(self.model, request)
        if prefix and duration is None:  # the default duration is what the window leaves after the voice
            frames = max(1, self.config.latent_length - prefix)
            samples = frames * self.model.pretransform.downsampling_ratio
        # The paper model makes at most its window in one pass; a duration equal to the window can need one frame
        # more than sample_size // ratio (the last, partial one), which its DiT (no fixed length) takes.
        size = self.config.latent_length if self.windowed else max(self.config.latent_length, frames)
        if prefix + frames > size and task == "TTS":
            raise AudioInputError(
                f"the voice reference ({prefix * self.model.pretransform.downsampling_ratio / self.sample_rate:.2f}"
                f" s) and the speech ({samples / self.sample_rate:.2f} s) together exceed this model's window of "
                f"{self.max_duration:.2f} s; use a shorter reference or duration"
            )
        generator, seed = _seeded_generator(seed, generator)
        cfg = self.config.sampling.cfg_scale if cfg_scale is None else cfg_scale
        overlap = self._overlap_frames()
        windows = 1 + max(0, math.ceil((prefix + frames - size) / (size - overlap)))
        on_step, bar = self._progress(progress, windows * steps)
        codec = self.model.pretransform
        # Noise first, then the conditioners: the official order, so a seed means the same noise.
        noise = torch.randn((1, codec.latent_dim, prefix + frames), generator=generator)
        try:
            with torch.inference_mode():
                first = min(prefix + frames, size)
                made = self._sample_window(request, noise[..., :first], cfg, steps, sampler, on_step)[..., prefix:]
                while made.shape[-1] < frames:  # continuation: each window starts from the last `overlap` frames
                    want = min(size, overlap + frames - made.shape[-1])
                    start = prefix + made.shape[-1] - overlap
                    nxt = ConditionRequest(task, prompt, transcript=request.transcript, prefix=made[0, :, -overlap:])
                    out = self._sample_window(nxt, noise[..., start : start + want], cfg, steps, sampler, on_step)
                    made = torch.cat([made, out[..., overlap:]], dim=-1)
        finally:
            if bar is not None:
                bar.close()
        return self._finish(made[..., :frames], samples, seed)

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

        The output has the source's duration. A source longer than the model's window is edited in windows that
        overlap by `sampling.overlap_seconds` and are cross-faded in the latent space, then decoded at once."""
        steps, cfg_scale, sampler, seed = check_sampling(steps, cfg_scale, sampler, seed)
        check_edit(audio, instruction)
        steps, sampler = self._settings(steps, sampler, edit=True)
        whole = self.edit_request(audio, instruction, sample_rate)
        source, instruction = whole.source, whole.text
        ratio = self.model.pretransform.downsampling_ratio
        rate = source_rate(self.model)
        samples = int(round(source.shape[-1] * self.sample_rate / rate))
        if samples < ratio:
            shortest = ratio / self.sample_rate
            raise AudioInputError(f"the source audio is shorter than one latent frame ({shortest:.3f} s)")
        frames = math.ceil(samples / ratio)
        windows = self._windows(frames)
        generator, seed = _seeded_generator(seed, generator)
        cfg = self.config.sampling.edit_cfg_scale if cfg_scale is None else cfg_scale
        codec = self.model.pretransform
        noise = torch.randn((1, codec.latent_dim, frames), generator=generator)
        latents = torch.zeros(1, codec.latent_dim, frames)
        weights = torch.zeros(frames)
        per_frame = rate * ratio // self.sample_rate  # source samples per latent frame
        source = torch.nn.functional.pad(source, (0, frames * per_frame - source.shape[-1]))
        batches = [windows[i : i + WINDOW_BATCH] for i in range(0, len(windows), WINDOW_BATCH)]
        on_step, bar = self._progress(progress, len(batches) * steps)
        try:
            with torch.inference_mode():
                if self.windowed:  # the frame layout reads latents: encode the whole source once, slice per window
                    source_latents = self.model.conditioner.conditioners[self.roles["frames"]].encode(
                        source.to(self.device)
                    )
                for batch in batches:  # windows of equal length run as one batch
                    requests = []
                    for start, end in batch:
                        request = ConditionRequest(whole.task, instruction)
                        if self.windowed:
                            request.source_latents = source_latents[:, start:end]
                        else:
                            request.source = source[start * per_frame : end * per_frame]
                        requests.append(request)
                    window_noise = torch.cat([noise[..., start:end] for start, end in batch])
                    out = self._sample_windows(requests, window_noise, cfg, steps, sampler, on_step).cpu()
                    for (start, end), window in zip(batch, out, strict=True):
                        i = windows.index((start, end))
                        fade_in = windows[i - 1][1] - start if i > 0 else 0
                        fade_out = end - windows[i + 1][0] if i + 1 < len(windows) else 0
                        fade = crossfade_weights(end - start, fade_in, fade_out)
                        latents[..., start:end] += window * fade
                        weights[start:end] += fade
        finally:
            if bar is not None:
                bar.close()
        latents = (latents / weights.clamp(min=1e-6)).to(self.device)
        # Rendered relative to the source where the codec can (what the edit keeps keeps its own samples).
        result = self._finish(latents, samples, seed, source=source if self.windowed else None)
        if isinstance(audio, (str, Path)):
            result.source = Path(audio).expanduser()
        return result

    def understand(
        self, question: str, audio: AudioLike | None = None, video=None, *, sample_rate: int | None = None,
        max_new_tokens: int = 128,
    ) -> str:
        """Answer a question, optionally about audio, with the frozen MLLM alone (the DiT is not involved). A
        text-only MLLM (the small preset's) hands questions about audio to :mod:`audio_omni.understanding`."""
        max_new_tokens = check_max_tokens(max_new_tokens)
        backbone = self.model.conditioner.conditioners[self.roles["mllm"]].model
        if backbone is None:
            raise AudioOmniError("this model was loaded without its MLLM; pass mllm_path to from_pretrained")
        if audio is not None and video is None and not backbone.accepts_audio:
            from audio_omni.understanding import shared

            return shared().answer(question, audio, sample_rate=sample_rate)
        if video is not None:
            raise AudioOmniError("video questions are not supported yet (the video processor needs torchvision)")
        wave = None
        if audio is not None:
            rate = backbone.audio_rate
            if isinstance(audio, (str, Path)):
                wave, _ = load_audio(audio, sample_rate=rate, channels=1, max_seconds=300.0, min_seconds=MIN_SECONDS)
            else:
                if sample_rate is None:
                    raise AudioInputError("audio: an in-memory array needs its sample_rate")
                wave, _ = prepare_audio(audio, sample_rate, rate, channels=1, max_seconds=300.0, name="audio",
                                        min_seconds=MIN_SECONDS)  # fmt: skip
        own_format = backbone.question_prompt(check_text(question, "question")) if wave is None else None
        if own_format is not None:
            prompt = own_format
        else:
            prompt = self.templates.question(question, with_audio=wave is not None)
        with torch.inference_mode():
            return backbone.answer(prompt, max_new_tokens=max_new_tokens, audio=None if wave is None else wave[0])


__all__ = ["AudioOmni", "AudioResult", "INSTRUCTION_EDITS", "GENERATION_TASKS", "pick_device"]
