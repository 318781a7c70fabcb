"""Instruction templates: the paper's wording, six languages for every operation, held-out rules."""

from __future__ import annotations

import numpy as np
import pytest

from audio_omni.data.instructions import (
    HELD_OUT_LANGUAGES,
    LANGUAGES,
    SPEECH_TEXTS,
    TASKS,
    choose,
    render,
    swap_word,
    templates,
    word_swaps,
)
from audio_omni.errors import InstructionError

KEYS = [t for t in TASKS if t != "Level"] + ["Level/up", "Level/down"]


def test_paper_templates_are_verbatim():
    first = {t.task: t for t in templates("en") if t.id.endswith("/0")}
    assert first["Add"].text == "Add the sound of '{x}' to the input audio."
    assert first["Remove"].text == "Remove the sound of '{x}' from the input audio."
    assert first["Extract"].text == "Extract the sound of '{x}' from the input audio."
    assert first["Style Transfer"].text == "Change the sound of '{x}' to '{y}'."
    assert all(first[k].paper and not first[k].held_out for k in ("Add", "Remove", "Extract", "Style Transfer"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_operation_has_templates_in_every_language(language):
    for key in KEYS:
        items = templates(language, key)
        assert len(items) >= (3 if language != "en" or key in ("TTS",) else 4), (language, key)
        assert len({t.text for t in items}) == len(items)


def test_english_has_many_paraphrases_per_paper_operation():
    for key in ("Add", "Remove", "Extract"):
        assert len(templates("en", key)) >= 8
    assert len(templates("en", "Style Transfer")) >= 6


def test_held_out_rules():
    assert {"es"} == HELD_OUT_LANGUAGES
    assert all(t.held_out for t in templates("es"))
    for language in set(LANGUAGES) - HELD_OUT_LANGUAGES:
        for key in KEYS:
            flags = [t.held_out for t in templates(language, key)]
            assert not all(flags) and (any(flags) or len(flags) < 3), (language, key)


def test_choose_never_gives_training_a_held_out_template():
    rng = np.random.default_rng(0)
    for key in KEYS:
        for language in ("en", "zh", "ja", "de", "fr"):
            assert not any(choose(key, language, rng, allow_held_out=False).held_out for _ in range(20))
    with pytest.raises(InstructionError):
        choose("Add", "es", rng, allow_held_out=False)
    picked = [choose("Add", "de", rng, allow_held_out=True).held_out for _ in range(200)]
    assert 50 < sum(picked) < 150  # evaluation sees both seen and unseen phrasings


def test_render_fills_every_field():
    fields = {"x": "a dog barking", "y": "a cat meowing", "db": "6", "start": 1.25, "end": 3.0, "old": "red",
              "new": "blue", "caption": "rain on a roof", "text": "Hello."}  # fmt: skip
    for t in templates():
        out = render(t, **fields)
        assert "{" not in out and "}" not in out, t.id
    t = templates("en", "Region")[0]
    assert render(t, x="a bell", start=1.0, end=2.5) == "Remove the sound of 'a bell' between 1.0 s and 2.5 s."
    with pytest.raises(InstructionError):
        render(templates("en", "Style Transfer")[0], x="only x")


def test_word_swaps_match_whole_words():
    assert ("funny", "sad") in word_swaps("en", "Our teacher told us a funny story.")
    assert ("tea", "coffee") not in word_swaps("en", "Our teacher told us a funny story.")
    assert swap_word("en", "Could you bring me a cup of tea?", "tea", "coffee") == "Could you bring me a cup of coffee?"
    assert swap_word("zh", "她每天早上喝一杯咖啡。", "咖啡", "茶") == "她每天早上喝一杯茶。"
    for language, texts in SPEECH_TEXTS.items():
        assert sum(bool(word_swaps(language, t)) for t in texts) >= len(texts) // 2, language
