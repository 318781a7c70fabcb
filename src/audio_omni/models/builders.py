"""Config -> objects, in one place (the audiocraft habit). Every preset and test model is built here."""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from audio_omni.errors import ConfigError
from audio_omni.models.audio_omni_model import AudioOmniModel, ConditionerSet
from audio_omni.models.codecs.base import AudioCodec
from audio_omni.models.conditioners.base import Conditioner
from audio_omni.models.conditioners.mel import MelConditioner
from audio_omni.models.conditioners.mllm import MLLMConditioner
from audio_omni.models.conditioners.source_frames import SourceFrames
from audio_omni.models.conditioners.source_tags import SourceTags
from audio_omni.models.conditioners.speech_text import SpeechTextConditioner
from audio_omni.models.conditioners.sync import SyncConditioner
from audio_omni.models.conditioners.text_symbols import BUILTIN_PREFIX, SymbolVocabulary
from audio_omni.models.config import (
    OFFICIAL_QWEN_FEATURE_DIM,
    OFFICIAL_SPEECH_TEXT_DIM,
    OFFICIAL_SPEECH_VOCAB_SIZE,
    OFFICIAL_SYNC_FEATURE_DIM,
    OFFICIAL_SYNC_SEQ_DIM,
    ConditionerSpec,
    ModelConfig,
)
from audio_omni.models.dit import GuidedDiT

log = logging.getLogger(__name__)

_DTYPES = {"bfloat16": torch.bfloat16, "float32": torch.float32, "float16": torch.float16}


def _local_dir(value) -> Path | None:
    if value and Path(value).expanduser().is_dir():
        return Path(value).expanduser()
    return None


def _mllm_conditioner(spec: ConditionerSpec, config: ModelConfig, cond_dim: int, mllm_path, load_mllm):
    c = spec.config
    backbone = None
    if spec.type == "qwen_omni":
        official_dim = config.override(f"{spec.id}.qwen_feature_dim", OFFICIAL_QWEN_FEATURE_DIM)
        feature_dim = int(c.get("feature_dim", official_dim))
        directory = _local_dir(mllm_path) or _local_dir(c.get("qwen_omni_model_name"))
        if load_mllm and c.get("backbone") == "tiny-random":
            from audio_omni.models.mllm.qwen_omni import QwenOmniBackbone

            backbone = QwenOmniBackbone.tiny_random(hidden_size=feature_dim, seed=int(c.get("seed", 0)))
        elif load_mllm and directory is not None:
            from audio_omni.models.mllm.qwen_omni import QwenOmniBackbone

            backbone = QwenOmniBackbone.from_config_dir(directory)
        elif load_mllm:
            log.warning(
                "no local Qwen2.5-Omni directory (got %r): the MLLM conditioner accepts precomputed features only",
                mllm_path or c.get("qwen_omni_model_name"),
            )
        dtype = _DTYPES[c.get("feature_dtype", "bfloat16")]
    else:  # gemma3: the small preset's frozen multilingual LLM, from its PyPI packages
        feature_dim = int(c.get("feature_dim", 640))
        if load_mllm:
            from audio_omni.models.mllm.gemma import GemmaBackbone

            backbone = GemmaBackbone.from_directory(mllm_path) if mllm_path else GemmaBackbone.from_installed()
        dtype = _DTYPES[c.get("feature_dtype", "float32")]
    return MLLMConditioner(
        backbone, feature_dim, int(c["pad_length"]), int(c.get("layer_idx", -2)), cond_dim, feature_dtype=dtype,
        standardize=bool(c.get("standardize_features", False)),
    )


def _speech_text_conditioner(spec: ConditionerSpec, config: ModelConfig, cond_dim: int, vocab_file):
    c = spec.config
    text_dim = int(c.get("text_dim", config.override(f"{spec.id}.text_dim", OFFICIAL_SPEECH_TEXT_DIM)))
    vocab = None
    path = str(vocab_file or c.get("vocab_file") or "")
    if path.startswith(BUILTIN_PREFIX):
        vocab = SymbolVocabulary.builtin(path[len(BUILTIN_PREFIX) :])
    elif path and Path(path).is_file():
        vocab = SymbolVocabulary.from_file(path)
    elif vocab_file:
        vocab = SymbolVocabulary.from_file(vocab_file)  # raises a clear AssetError
    vocab_size = int(c.get("vocab_size", len(vocab) if vocab else OFFICIAL_SPEECH_VOCAB_SIZE))
    if vocab is not None and len(vocab) != vocab_size:
        raise ConfigError(f"vocabulary {path} has {len(vocab)} symbols, the config expects {vocab_size}")
    return SpeechTextConditioner(
        vocab, text_dim, int(c["seq_len"]), int(c["proj_seq_len"]), cond_dim, vocab_size, int(c.get("conv_layers", 4))
    )


def build_conditioner(
    spec: ConditionerSpec, config: ModelConfig, vocab_file=None, mllm_path=None, load_mllm=True
) -> Conditioner:
    cond_dim = config.model.conditioning.cond_dim
    c = spec.config
    if spec.type in ("qwen_omni", "gemma3"):
        return _mllm_conditioner(spec, config, cond_dim, mllm_path, load_mllm)
    if spec.type == "tts-f5":
        return _speech_text_conditioner(spec, config, cond_dim, vocab_file)
    if spec.type == "mel_spec":
        return MelConditioner(
            n_frames_out=int(c["seq_len"]),
            sample_rate=int(c.get("target_sample_rate", 44100)),
            n_fft=int(c.get("n_fft", 1024)),
            hop_length=int(c.get("hop_length", 256)),
            win_length=int(c.get("win_length", 1024)),
            n_mels=int(c.get("n_mel_channels", 100)),
            clip_seconds=float(c.get("clip_seconds", 10.0)),
            mask_ratio_start=float(c.get("mask_ratio_start", 0.7)),
            mask_ratio_end=float(c.get("mask_ratio_end", 1.0)),
            cond_dim=cond_dim,
        )
    if spec.type == "source_frames":
        return SourceFrames(config.model.pretransform.latent_dim, config.sample_rate)
    if spec.type == "source_tags":
        return SourceTags(config.sample_rate, config.model.pretransform.downsampling_ratio)
    if spec.type == "sync_feature":
        return SyncConditioner(
            n_tokens_out=int(c.get("sync_output_dim", 128)),
            n_frames_in=int(c.get("sync_seq_dim", OFFICIAL_SYNC_SEQ_DIM)),
            feature_dim=int(c.get("sync_feature_dim", OFFICIAL_SYNC_FEATURE_DIM)),
            cond_dim=cond_dim,
        )
    raise ConfigError(f"unknown conditioner type {spec.type!r}")


def build_codec(config: ModelConfig, load_vocoder: bool = True) -> AudioCodec:
    pre = config.model.pretransform
    if pre.type == "autoencoder":
        from audio_omni.models.codecs.oobleck import OobleckCodec

        return OobleckCodec(pre.autoencoder(), config.sample_rate)
    from audio_omni.models.codecs.mel_vocoder import MelVocoderCodec

    cfg = pre.mel_vocoder()
    kwargs = {"latent_mean": cfg.latent_mean, "latent_std": cfg.latent_std}
    return MelVocoderCodec.from_installed(**kwargs) if load_vocoder else MelVocoderCodec(vocoder=None, **kwargs)


def mllm_hears_audio(config: ModelConfig) -> bool:
    """Whether the model's frozen MLLM takes audio (the Qwen2.5-Omni thinker does; Gemma reads text only), read
    from the config without building anything."""
    from audio_omni.models.mllm.gemma import GemmaBackbone
    from audio_omni.models.mllm.qwen_omni import QwenOmniBackbone

    backbones = {"qwen_omni": QwenOmniBackbone, "gemma3": GemmaBackbone}
    return any(backbones[s.type].accepts_audio for s in config.model.conditioning.configs if s.type in backbones)


def build_model(
    config: ModelConfig,
    vocab_file: str | Path | None = None,
    mllm_path: str | Path | None = None,
    load_mllm: bool = True,
    load_vocoder: bool = True,
) -> AudioOmniModel:
    """Build the full model with freshly initialised trainable weights (frozen parts as configured).

    load_mllm=False leaves the MLLM slot without a backbone (precomputed features only): used to build the
    paper-size model on the meta device, and by training on pre-encoded features.
    """
    conditioners = {
        spec.id: build_conditioner(spec, config, vocab_file, mllm_path, load_mllm)
        for spec in config.model.conditioning.configs
    }
    dit = GuidedDiT(config.model.diffusion.config)
    codec = build_codec(config, load_vocoder)
    for module in conditioners.values():
        if isinstance(module, SourceFrames):
            module.bind_codec(codec.encode)  # the source is encoded by the model's own codec
    return AudioOmniModel(config, ConditionerSet(conditioners), dit, codec)
