"""Metric checks against known values and against torchmetrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchmetrics.functional.audio import scale_invariant_signal_distortion_ratio as tm_si_sdr

from audio_omni.eval import metrics


def _real_clips(n: int, seconds: float = 2.0, rate: int = 16000) -> list[np.ndarray]:
    from audio_omni.assets import debian_package
    from audio_omni.audio.io import load_audio

    root = debian_package("asterisk-core-sounds-en-wav")
    clips = []
    for path in sorted(root.rglob("*.wav")):
        wave, _ = load_audio(path, sample_rate=rate, channels=1)
        if wave.shape[1] >= seconds * rate:
            clips.append(wave[0, : int(seconds * rate)].numpy())
        if len(clips) == n:
            break
    assert len(clips) == n
    return clips


@pytest.mark.parametrize("zero_mean", [False, True])
def test_si_sdr_equals_torchmetrics(zero_mean):
    gen = torch.Generator().manual_seed(0)
    clean = torch.from_numpy(_real_clips(1)[0]).repeat(2, 1)
    for noise_level in (0.0, 0.01, 0.1, 1.0):
        noisy = 0.7 * clean + noise_level * torch.randn(clean.shape, generator=gen)
        ours = metrics.si_sdr(noisy, clean, zero_mean=zero_mean)
        theirs = float(tm_si_sdr(noisy.double(), clean.double(), zero_mean=zero_mean).mean())
        assert ours == pytest.approx(theirs, abs=1e-6)
    # scale invariance and a known value: 10 dB of white noise against a unit-power reference
    ref = torch.randn(1, 200_000, generator=gen)
    noise = torch.randn(1, 200_000, generator=gen)
    noise = noise - (noise * ref).sum() / (ref * ref).sum() * ref  # orthogonal to the reference
    noise = noise / noise.pow(2).mean().sqrt() * ref.pow(2).mean().sqrt() * 10 ** (-10 / 20)
    assert metrics.si_sdr(3.0 * (ref + noise), ref) == pytest.approx(10.0, abs=1e-6)


def test_spectral_distances_zero_for_identical_and_grow_with_noise():
    clip = _real_clips(1)[0]
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(clip.shape).astype(np.float32)
    assert metrics.log_spectral_distance(clip, clip) == pytest.approx(0.0, abs=1e-9)
    assert metrics.mel_distance(clip, clip, 16000) == pytest.approx(0.0, abs=1e-9)
    lsd = [metrics.log_spectral_distance(clip + a * noise, clip) for a in (0.001, 0.01, 0.1)]
    mel = [metrics.mel_distance(clip + a * noise, clip, 16000) for a in (0.001, 0.01, 0.1)]
    assert lsd == sorted(lsd) and mel == sorted(mel) and lsd[0] > 0


def test_fad_zero_on_itself_and_monotonic_in_noise():
    from audio_omni.judges.yamnet import YamnetTagger

    tagger = YamnetTagger.from_installed()
    clips = _real_clips(12, seconds=3.0)
    rng = np.random.default_rng(0)

    def embed(waves):
        return np.concatenate([tagger.patch_embeddings(w, 16000) for w in waves])

    reference = embed(clips)
    assert metrics.frechet_audio_distance(reference, reference) == pytest.approx(0.0, abs=1e-3)
    values = [0.0]
    # White noise at falling signal-to-noise ratios (dB). While the speech dominates (down to 10 dB) the distance
    # grows with the noise. Below that the clips turn into noise, whose YAMNet embeddings drift towards a "noise"
    # point that is no further from speech: the mean term shrinks again (measured: 95 at 10 dB, 88 at 5 dB, 76 at
    # 0 dB), a property of the embedding, not of the distance, so there the noisy set is only required to stay
    # far from the clean one.
    for snr in (40, 30, 20, 10, 0):
        mixed = []
        for clip in clips:
            noise = rng.standard_normal(clip.shape).astype(np.float32)
            noise *= np.sqrt(np.mean(clip**2) / np.mean(noise**2)) * 10 ** (-snr / 20)
            mix = clip + noise
            mixed.append(mix / max(1.0, float(np.abs(mix).max()) / 0.99))
        values.append(metrics.frechet_audio_distance(reference, embed(mixed)))
    speech_dominated, noise_dominated = values[:-1], values[-1]
    assert all(b > a for a, b in zip(speech_dominated, speech_dominated[1:], strict=False)), values
    assert noise_dominated > 2 * values[1], values  # 0 dB: more than twice the distance of 40 dB


def test_frechet_distance_known_value_and_low_rank_path():
    # two 1-d Gaussians: (mu1 - mu2)^2 + (s1 - s2)^2
    assert metrics.frechet_distance([0.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(9 + 1)
    # the data-matrix path (fewer vectors than dimensions) equals the covariance formula
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((20, 40)), rng.standard_normal((30, 40)) * 1.5 + 0.2
    full = metrics.frechet_distance(*metrics.gaussian_statistics(a), *metrics.gaussian_statistics(b))
    assert metrics.frechet_audio_distance(a, b) == pytest.approx(full, rel=1e-6)


def test_kl_divergence():
    p = np.array([0.9, 0.05, 0.5])
    assert metrics.kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    assert metrics.kl_divergence(p, p[::-1]) > 0.1


def test_word_and_character_error_rates():
    assert metrics.word_error_rate("Hello, world!", "hello world") == 0.0
    assert metrics.word_error_rate("the cat sat", "the cat sat") == 0.0
    assert metrics.word_error_rate("the cat sat", "the dog sat") == pytest.approx(1 / 3)
    assert metrics.character_error_rate("你好世界", "你好世界。") == 0.0
    assert metrics.character_error_rate("你好世界", "你好是界") == pytest.approx(0.25)
    assert metrics.uses_characters("zh") and not metrics.uses_characters("en")


def test_pitch_and_tempo_agreement():
    f0 = np.full(100, 440.0)
    voiced = np.ones(100, bool)
    same = metrics.pitch_agreement(f0, voiced, f0, voiced)
    assert same["raw_pitch_accuracy"] == 1.0 and same["note_accuracy"] == 1.0
    octave = metrics.pitch_agreement(f0 * 2, voiced, f0, voiced)
    assert octave["raw_pitch_accuracy"] == 0.0 and octave["chroma_accuracy"] == 1.0
    # a click track at 100 BPM
    rate = 16000
    x = np.zeros(rate * 12, np.float32)
    for start in np.arange(0, len(x) - 800, int(rate * 0.6)):
        x[start : start + 400] = np.hanning(400) * np.sin(np.arange(400) * 0.5)
    bpm = metrics.estimate_tempo(x, rate)
    assert metrics.tempo_agreement(bpm, 100.0)["tempo_acc1"] == 1.0, bpm
