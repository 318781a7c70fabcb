"""The catalogue head: its pooling, its file, how its classes join the tagger's, and the shipped head on real
audio of a class the tagger does not name."""

from __future__ import annotations

import numpy as np
import pytest

from audio_omni.understanding.catalog_head import HEAD_FILE, CatalogHead, linear_softmax, merge_tagger
from audio_omni.understanding.events import NOT_EVENTS


def test_linear_softmax_lies_between_the_mean_and_the_peak_and_keeps_one_window():
    p = np.array([[0.9, 0.0], [0.1, 0.0], [0.2, 0.0]])
    pooled = linear_softmax(p)
    assert p[:, 0].mean() < pooled[0] < p[:, 0].max()
    assert pooled[1] == 0.0  # no window hears it: no division by zero
    np.testing.assert_allclose(linear_softmax(p[:1]), p[0])


def _head(labels=("Soundtrack music", "Outside, urban or manmade", "Not a tagger class")) -> CatalogHead:
    rng = np.random.default_rng(0)
    k, d = len(labels), 8
    return CatalogHead(tuple(labels), rng.normal(size=d).astype(np.float32), np.ones(d, np.float32),
                       rng.normal(size=(k, d)).astype(np.float32), np.zeros(k, np.float32), {"note": "test"})


def test_a_head_survives_its_file_and_a_mismatched_file_is_refused(tmp_path):
    head = _head()
    path = head.save(tmp_path / "head.safetensors")
    back = CatalogHead.load(path)
    assert back.labels == head.labels and back.info == {"note": "test"}
    x = np.random.default_rng(1).normal(size=(5, 8)).astype(np.float32)
    # the weights are stored in fp16: probabilities agree to that precision
    np.testing.assert_allclose(back.window_probabilities(x), head.window_probabilities(x), atol=5e-3)
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically, nothing left beside it
    wrong = CatalogHead(("one",), head.mean, head.scale, head.weight, head.bias, {})
    with pytest.raises(ValueError, match="does not match"):
        CatalogHead.load(wrong.save(tmp_path / "wrong.safetensors"))


def test_head_classes_raise_the_taggers_replace_its_scene_classes_and_add_new_ones():
    tagger_labels = ["Music", "Soundtrack music", "Outside, urban or manmade"]
    tagger = np.array([[0.9, 0.05, 0.8], [0.9, 0.6, 0.1]])
    head = np.array([[0.7, 0.2, 0.4], [0.1, 0.3, 0.6]])
    merged, labels = merge_tagger(tagger, tagger_labels, head, _head().labels, untrusted=NOT_EVENTS)
    assert labels == [*tagger_labels, "Not a tagger class"]
    np.testing.assert_allclose(merged[:, 0], tagger[:, 0])  # a class the head lacks is untouched
    np.testing.assert_allclose(merged[:, 1], [0.7, 0.6])  # the larger of the two
    np.testing.assert_allclose(merged[:, 2], [0.2, 0.3])  # a scene class: the head's alone
    np.testing.assert_allclose(merged[:, 3], [0.4, 0.6])


def test_the_scene_classes_are_named_apart_and_the_evaluation_hears_which():
    from audio_omni.eval.understanding import class_named
    from audio_omni.understanding.lexicon import sound_word

    urban, rural = "Outside, urban or manmade", "Outside, rural or natural"
    assert sound_word(urban, "en") == "outside (urban or manmade)" and sound_word("Chicken, rooster", "en") == "chicken"
    caption = f"6.0 s: {sound_word(rural, 'en')} (4.5-6.0 s)."
    assert class_named(caption, rural) and not class_named(caption, urban)


def test_the_shipped_head_names_what_the_tagger_cannot():
    """A game score of the Debian music packages (catalogue class "Soundtrack music") is only "Music" to the
    tagger; with the head the Listener names its genre. A recorded prompt stays speech."""
    from audio_omni.assets import debian_package
    from audio_omni.understanding.hearing import Listener

    assert HEAD_FILE.exists()
    head = CatalogHead.installed()
    assert "Soundtrack music" in head.labels and head.info["validation"]["peak"]["balanced_accuracy"] > 0.7
    root = debian_package("wesnoth-1.16-music")
    track = sorted(root.rglob("*.ogg"))[0]
    from audio_omni.audio.io import load_audio

    wave, rate = load_audio(track, sample_rate=16_000, channels=1, max_seconds=None)
    clip = wave[0, 20 * rate : 26 * rate].numpy()
    with_head, alone = Listener(), Listener(head=None)
    assert "Soundtrack music" in with_head.hear(clip, rate).labels()
    assert "Soundtrack music" not in alone.hear(clip, rate).labels()
