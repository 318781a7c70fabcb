"""Questions in six languages: language, kind and the sounds they name (no model needed)."""

from __future__ import annotations

import pytest

from audio_omni.judges.yamnet import YamnetTagger
from audio_omni.understanding import check_question
from audio_omni.understanding.questions import parse_question


@pytest.fixture(scope="module")
def labels():
    return YamnetTagger.from_installed().labels


@pytest.mark.parametrize(
    ("text", "language", "kind", "first"),
    [
        ("What do you hear?", "en", "describe", None),
        ("Is there a dog growling?", "en", "presence", "Dog"),
        ("How many times does the dog bark?", "en", "count", "Dog"),
        ("When does the glass break?", "en", "timing", "Glass"),
        ("Which language is spoken?", "en", "language", None),
        ("Transcribe the speech in this audio.", "en", "transcript", "Speech"),
        ("What is the tempo?", "en", "tempo", None),
        ("Is there a police car siren?", "en", "presence", "Police car (siren)"),  # any AudioSet class, in English
        ("Hörst du einen Hund?", "de", "presence", "Dog"),
        ("Wie oft hört man eine Explosion?", "de", "count", "Explosion"),
        ("Welche Sprache wird gesprochen?", "de", "language", None),
        ("Y a-t-il un chien ?", "fr", "presence", "Dog"),
        ("Quand entend-on une explosion ?", "fr", "timing", "Explosion"),
        ("¿Cuántas veces se oye un perro?", "es", "count", "Dog"),
        ("¿Qué idioma se habla?", "es", "language", "Speech"),
        ("有狗吗？", "zh", "presence", "Dog"),
        ("什么时候能听到爆炸声？", "zh", "timing", "Explosion"),
        ("犬は何回聞こえますか？", "ja", "count", "Dog"),
        ("何語が話されていますか？", "ja", "language", None),
        ("Что ты слышишь?", "unknown", "other", None),
    ],
)
def test_language_kind_and_named_sound(labels, text, language, kind, first):
    q = parse_question(text, labels)
    assert (q.language, q.kind) == (language, kind)
    assert (q.classes[0] if q.classes else None) == first


def test_a_yes_no_question_about_nothing_known_is_not_a_presence_question(labels):
    q = parse_question("Is it a good recording?", labels)
    assert q.kind == "other" and not q.classes


@pytest.mark.parametrize("bad", ["", "   ", None, "x" * 2001])
def test_bad_questions_are_refused(bad):
    from audio_omni.errors import InstructionError

    with pytest.raises(InstructionError):
        check_question(bad)


@pytest.mark.parametrize(
    ("text", "first"),
    [("Is there city ambience in this clip?", "Outside, urban or manmade"),
     ("How many times do you hear machinery working?", "Mechanisms")],
)
def test_the_taxonomy_caption_of_a_class_names_it(labels, text, first):
    """The engine's own phrases for its classes (its instructions and question suites use them)."""
    assert parse_question(text, labels).classes[0] == first
