"""Answers from facts in six languages, scored by the evaluation's own scoring (no model needed)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from audio_omni.eval import question_scores as qs
from audio_omni.understanding.answers import answer, caption
from audio_omni.understanding.events import SoundSegment
from audio_omni.understanding.hearing import AudioFacts, SpeechFacts, SpeechSegment
from audio_omni.understanding.music import MusicFacts
from audio_omni.understanding.questions import parse_question

TONE = (0.1 * np.sin(2 * np.pi * 1000 * np.arange(5 * 16000) / 16000)).astype(np.float32)  # -23.7 LUFS
FACTS = AudioFacts(
    duration=5.0, peak_dbfs=-20.0, silent=False, mono=TONE,
    events=(SoundSegment("Water", 0.0, 5.0, 0.8), SoundSegment("Dog", 1.0, 1.9, 0.7, count=1),
            SoundSegment("Growling", 1.2, 1.9, 0.5), SoundSegment("Dog", 3.1, 3.8, 0.6, count=2),
            SoundSegment("Speech", 2.0, 2.9, 0.9)),
    speech=SpeechFacts("fr", 0.93, "Bonjour à tous.", (SpeechSegment("Bonjour à tous.", 2.0, 2.9),)),
    music=MusicFacts(tempo_bpm=96.2, key="A minor", key_confidence=0.81, pitch_range=("A3", "E5"),
                     instruments=(("Guitar", 0.4),), genres=(("Folk music", 0.2),), moods=()),
)
SILENT = AudioFacts(duration=2.0, peak_dbfs=-90.0, silent=True)
QUESTIONS = {
    "presence_dog": {"en": "Is there a dog?", "de": "Hört man einen Hund?", "fr": "Y a-t-il un chien ?",
                     "es": "¿Hay un perro?", "zh": "有狗吗？", "ja": "犬は聞こえますか？"},
    "presence_cat": {"en": "Is there a cat?", "de": "Hört man eine Katze?", "fr": "Y a-t-il un chat ?",
                     "es": "¿Hay un gato?", "zh": "有猫吗？", "ja": "猫は聞こえますか？"},
    "count_dog": {"en": "How many times do you hear a dog?", "de": "Wie oft hört man einen Hund?",
                  "fr": "Combien de fois entend-on un chien ?", "es": "¿Cuántas veces se oye un perro?",
                  "zh": "狗出现了几次？", "ja": "犬は何回聞こえますか？"},
    "timing_dog": {"en": "When do you hear a dog?", "de": "Wann hört man einen Hund?",
                   "fr": "Quand entend-on un chien ?",
                   "es": "¿Cuándo se oye un perro?", "zh": "什么时候能听到狗？", "ja": "犬はいつ聞こえますか？"},
    "language": {"en": "Which language is spoken?", "de": "Welche Sprache wird gesprochen?",
                 "fr": "Quelle langue est parlée ?", "es": "¿Qué idioma se habla?", "zh": "说的是什么语言？",
                 "ja": "何語が話されていますか？"},
}
LANGS = ("en", "de", "fr", "es", "zh", "ja")


def _ask(text, facts=FACTS):
    return answer(parse_question(text), facts)


@pytest.mark.parametrize("lang", LANGS)
def test_questions_are_answered_in_kind_with_their_evidence(lang):
    yes = _ask(QUESTIONS["presence_dog"][lang])
    assert qs.yes_or_no(yes) == "yes" and "1.0–1.9" in yes and "3.1–3.8" in yes  # the evidence: segment times
    no = _ask(QUESTIONS["presence_cat"][lang])
    assert qs.yes_or_no(no) == "no"
    assert qs.first_number(_ask(QUESTIONS["count_dog"][lang])) == 3  # bursts counted inside the segments
    assert qs.span_iou(qs.time_spans(_ask(QUESTIONS["timing_dog"][lang])), [[1.0, 1.9], [3.1, 3.8]]) == 1.0
    assert qs.names_language(_ask(QUESTIONS["language"][lang]), "fr")


def test_answers_never_name_a_sound_the_facts_do_not_hold():
    no = _ask("Is there a cat?")
    assert "cat" in no and no.startswith("No") and "dog" in no  # says what it hears instead
    assert qs.first_number(_ask("How many times do you hear a cat?")) == 0
    assert qs.time_spans(_ask("When do you hear a cat?")) == []


def test_an_instrument_plays_a_part_through_its_rests():
    # A cello heard in two stretches 1.2 s apart, with a violin (a relative that confirms it) after them: one
    # part from the first note to the last; a dog's two barks 1.2 s apart stay two occurrences.
    facts = AudioFacts(
        duration=6.0, peak_dbfs=-20.0, silent=False,
        events=(SoundSegment("Cello", 0.0, 1.5, 0.9), SoundSegment("Cello", 2.7, 4.0, 0.6),
                SoundSegment("Violin, fiddle", 4.5, 5.8, 0.8), SoundSegment("Dog", 1.0, 1.5, 0.7),
                SoundSegment("Dog", 2.7, 3.1, 0.7)),
    )
    from audio_omni.judges.yamnet import yamnet_class_names

    def ask(text):  # the tagger's class names: the parser's vocabulary beyond the lexicon ("cello")
        return answer(parse_question(text, list(yamnet_class_names())), facts)

    assert qs.time_spans(ask("When do you hear a cello?")) == [(0.0, 5.8)]
    assert qs.time_spans(ask("When do you hear a dog?")) == [(1.0, 1.5), (2.7, 3.1)]
    assert qs.first_number(ask("How many times do you hear a cello?")) == 1


def test_music_and_speech_answers_quote_the_facts():
    assert "96 BPM" in _ask("What is the tempo?")
    assert _ask("In what key is this?").startswith("A minor") and _ask("In welcher Tonart?").startswith("A-Moll")
    assert "\"Bonjour à tous.\"" in _ask("What is said?") and "French" in _ask("What is said?")
    assert _ask("What is said?", SILENT) != _ask("What is the tempo?", FACTS)


def test_caption_names_every_heard_class_and_the_music():
    text = caption(FACTS)
    for word in ("water (throughout)", "dog (1.0–1.9 s, 3.1–3.8 s)", "growling", "speech", "96 BPM", "A minor"):
        assert word in text
    assert "狗" in caption(FACTS, "zh") and "秒" in caption(FACTS, "zh")


def test_silence_and_unknown_languages_are_answered_cleanly():
    for text in ("What do you hear?", "Is there a dog?", "When does the dog bark?", "What is said?", "有狗吗？"):
        reply = _ask(text, SILENT)
        assert "silent" in reply or "静音" in reply
    assert _ask("How long is the clip?", SILENT) == "The clip lasts 2.0 s."
    reply = _ask("Что ты слышишь?")
    assert reply.startswith("I could not tell the language of the question") and "dog" in reply


def test_loudness_is_measured_from_the_clip_when_asked():
    said = answer(parse_question("How loud is it?"), FACTS)
    lufs = float(re.search(r"(-?\d+\.\d) LUFS", said).group(1))
    assert lufs == pytest.approx(20 * np.log10(0.1 / np.sqrt(2)) - 0.691, abs=1.0), said
    assert FACTS.to_json()["loudness_lufs"] == round(lufs, 1) and SILENT.loudness_lufs is None
