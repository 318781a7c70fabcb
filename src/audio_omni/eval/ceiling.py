"""``codec-ceiling``: the target passed through a model's own codec, the best that model can ever output.

A model writes audio through its codec (the small preset: a 22.05 kHz 80-band log-mel decoded by the frozen
HiFi-GAN; the paper preset: the Oobleck VAE), so no number it reaches can beat the same number measured on
the target encoded and decoded by that codec. Only the codec is used, never the model's trained weights:

* ``codec-ceiling`` or ``codec-ceiling:audio-omni-small``: the small preset's codec (installed vocoder);
* ``codec-ceiling:DIR`` (one of our checkpoint directories) or ``codec-ceiling:FILE`` (an official
  ``model.ckpt`` / ``.safetensors``): the codec of that checkpoint's config, with the VAE weights stored in it
  (``pretransform.*``) when the codec has weights of its own;
* ``codec-ceiling:audio-omni`` (the paper preset by name) is refused: its VAE's weights come only with the
  official checkpoint.

A model evaluated with ``audio-omni eval`` gets the same ceiling from its own codec, reported beside the oracle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from audio_omni.errors import AudioOmniError

DEFAULT_PRESET = "audio-omni-small"
PREFIX = "codec-ceiling"
VAE_PREFIX = "pretransform."


class CodecCeiling:
    """A system that returns the target encoded and decoded by ``codec`` (deterministically)."""

    def __init__(self, codec, described: str) -> None:
        self.codec = codec.eval()
        self.described = described

    def __call__(self, item, source, target, sample_rate, seed=0):
        if target is None:
            return None
        edit = item is not None and not item.is_generation
        return reconstruct(self.codec, target, sample_rate, source=source if edit else None)


def reconstruct(codec, wave: np.ndarray, sample_rate: int, source: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """``wave`` ([C, T] at ``sample_rate``) encoded and decoded by ``codec``; returns (audio, codec rate). With
    the edit's ``source``, the latents are rendered relative to it (``codec.decode_edit``), as the model renders
    its own edits."""
    from audio_omni.audio.io import prepare_audio
    from audio_omni.models.codecs.base import VariationalCodec

    def fit(audio: np.ndarray, name: str) -> torch.Tensor:
        x, _ = prepare_audio(audio, sample_rate, codec.sample_rate, channels=codec.audio_channels,
                             max_seconds=None, name=name)
        return x

    x = fit(wave, "target")
    length = x.shape[-1]
    ratio = codec.downsampling_ratio
    x = torch.nn.functional.pad(x, (0, -length % ratio))  # whole latent frames
    param = next(codec.parameters(), None)
    device = param.device if param is not None else "cpu"
    x = x[None].to(device)
    with torch.no_grad():
        # A VAE's posterior mean: a ceiling must not depend on a draw.
        latents = codec.posterior(x)[0] if isinstance(codec, VariationalCodec) else codec.encode(x)
        if source is None:
            audio = codec.decode(latents)
        else:
            s = fit(source, "source")[..., : x.shape[-1]]
            s = torch.nn.functional.pad(s, (0, x.shape[-1] - s.shape[-1]))[None].to(device)
            audio = codec.decode_edit(latents, s)
    return audio[0, :, :length].float().cpu().numpy(), codec.sample_rate


def load_ceiling(spec: str) -> CodecCeiling:
    """The ``codec-ceiling[:NAME_OR_PATH]`` baseline (see the module docstring)."""
    from audio_omni.models.builders import build_codec
    from audio_omni.models.checkpoints import CONFIG_NAME, read_pretrained_config, read_state_dict
    from audio_omni.models.presets import PRESETS, preset_config

    what = spec[len(PREFIX) + 1 :] if spec.startswith(PREFIX + ":") else DEFAULT_PRESET
    path = Path(what).expanduser()
    weights = None
    if path.is_dir():
        config = read_pretrained_config(path)
        weights = path / "model.safetensors"
    elif path.is_file():
        config = read_pretrained_config(path.parent) if (path.parent / CONFIG_NAME).is_file() \
            else preset_config("audio-omni")
        weights = path
    elif what in PRESETS:
        config = preset_config(what)
    else:
        raise AudioOmniError(f"{spec!r}: {what!r} is neither a preset ({', '.join(PRESETS)}), a checkpoint "
                             "directory nor a checkpoint file")
    if config.model.pretransform.type != "autoencoder":
        return CodecCeiling(build_codec(config), f"{config.name or what}: log-mel + HiFi-GAN vocoder")
    if weights is None or not weights.is_file():
        raise AudioOmniError(
            f"{spec!r}: the codec of {what!r} is the Oobleck VAE, whose weights come only with a checkpoint; "
            f"pass {PREFIX}:/path/to/model.ckpt (the official release) or a checkpoint directory")
    state = {k[len(VAE_PREFIX):]: v for k, v in read_state_dict(weights).items() if k.startswith(VAE_PREFIX)}
    if not state:
        raise AudioOmniError(f"{weights} holds no VAE weights ({VAE_PREFIX}*)")
    codec = build_codec(config)
    try:
        codec.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise AudioOmniError(f"the VAE weights in {weights} do not fit the codec of its config: {exc}") from None
    return CodecCeiling(codec, f"{what}: Oobleck VAE")
