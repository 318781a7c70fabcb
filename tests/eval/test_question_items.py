"""The question suite is built from a suite's stems with exact answers: balanced presence, the event's count
and times from its stem alone, and recorded speech for language identification and ASR."""

from __future__ import annotations

import numpy as np
import pytest

from audio_omni.eval import question_scores as qs
from audio_omni.eval.question_items import QUESTION_LANGUAGES, build_question_suite
from audio_omni.eval.suites import SuiteItem, read_suite, save_flac, write_manifest

RATE = 16_000


def _burst(onset: float, seconds: float, clip: np.ndarray) -> None:
    t = np.arange(int(seconds * RATE)) / RATE
    start = int(onset * RATE)
    clip[start : start + t.size] += (0.5 * np.sin(2 * np.pi * 1500 * t) * np.exp(-4 * t)).astype(np.float32)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("edit-suite")
    rng = np.random.default_rng(0)
    bed = 0.01 * rng.standard_normal(4 * RATE).astype(np.float32)
    event = np.zeros_like(bed)
    for onset in (0.5, 2.0, 3.2):
        _burst(onset, 0.4, event)
    save_flac(root / "mix.flac", bed + event, RATE)
    save_flac(root / "bed.flac", bed, RATE)
    save_flac(root / "event.flac", event, RATE)
    labels = {"target": "Glass", "present_before": ["Water", "Glass"], "present_after": ["Water"]}
    write_manifest(root, [SuiteItem("remove-0", "Remove", "Remove the glass.", source="mix.flac",
                                    target="bed.flac", labels=labels, extra={"residual": "event.flac"})])
    return build_question_suite(tmp_path_factory.mktemp("questions"), read_suite(root), speech_languages=("en",))


def test_answers_come_from_the_stems(built):
    by_op = {}
    for item in built.items:
        by_op.setdefault(item.operation, []).append(item)
    presence = sorted(i.extra["expected"] for i in by_op["Presence"])
    assert presence == ["no", "yes"]  # balanced
    asked = {i.extra["expected"]: i.labels["target"] for i in by_op["Presence"]}
    assert asked["yes"] in ("Water", "Glass") and asked["no"] not in ("Water", "Glass")
    assert by_op["Count"][0].extra["expected"] == 3
    spans = by_op["Timing"][0].extra["expected"]
    assert qs.span_iou(spans, [[0.5, 0.9], [2.0, 2.4], [3.2, 3.6]]) > 0.8, spans
    assert by_op["Caption"][0].labels["present_after"] == ["Water", "Glass"]
    assert {i.language for i in built.items} <= set(QUESTION_LANGUAGES) and len({i.language for i in built.items}) > 3


def test_recorded_speech_gives_language_and_transcript_items(built):
    language = [i for i in built.items if i.operation == "LanguageID"]
    asr = [i for i in built.items if i.operation == "ASR"]
    assert len(language) == len(asr) >= 1
    assert all(i.extra["expected"] == "en" for i in language)
    assert all(i.transcript and i.extra["speech_language"] == "en" for i in asr)
    assert all((built.root / i.source).is_file() for i in built.items)


def test_a_calibration_split_asks_about_other_clips(tmp_path):
    rng = np.random.default_rng(1)
    items = []
    for k in range(2):
        event = np.zeros(3 * RATE, np.float32)
        _burst(0.5 + k, 0.4, event)
        save_flac(tmp_path / f"mix{k}.flac", event + 0.01 * rng.standard_normal(event.size).astype(np.float32), RATE)
        save_flac(tmp_path / f"event{k}.flac", event, RATE)
        labels = {"target": "Glass", "present_before": ["Water", "Glass"], "present_after": ["Glass"]}
        items.append(SuiteItem(f"extract-{k}", "Extract", "Extract the glass.", source=f"mix{k}.flac",
                               target=f"event{k}.flac", labels=labels))
    write_manifest(tmp_path, items)
    source = read_suite(tmp_path)
    reported = build_question_suite(tmp_path / "reported", source, per_operation=1, speech_languages=())
    other = build_question_suite(tmp_path / "other", source, per_operation=1, speech_languages=(), skip_per_operation=1)
    assert {i.extra["derived_from"] for i in reported.items} == {"extract-0"}
    assert {i.extra["derived_from"] for i in other.items} == {"extract-1"}
    (timing,) = [i for i in other.items if i.operation == "Timing"]
    assert qs.span_iou(timing.extra["expected"], [[1.5, 1.9]]) > 0.8


def test_classes_of_the_engine_catalogue_are_asked_about_in_english_and_no_means_unrelated(tmp_path):
    """The engine's test split names classes without phrases of their own: they are asked in English by the
    taxonomy's caption, and a "no" question never names a relative of a class in the clip (a harp in music)."""
    from audio_omni.data.sources.taxonomy import LABELS
    from audio_omni.eval.question_items import _unrelated

    rng = np.random.default_rng(2)
    items = []
    for k in range(3):
        event = np.zeros(3 * RATE, np.float32)
        _burst(0.5 + 0.5 * k, 0.4, event)
        bed = 0.01 * rng.standard_normal(event.size).astype(np.float32)
        save_flac(tmp_path / f"mix{k}.flac", bed + event, RATE)
        save_flac(tmp_path / f"bed{k}.flac", bed, RATE)
        save_flac(tmp_path / f"frog{k}.flac", event, RATE)
        music = "Soundtrack music"
        labels = {"target": "Frog", "present_before": [music, "Frog"], "present_after": [music]}
        items.append(SuiteItem(f"remove-{k}", "Remove", "Remove the frogs.", source=f"mix{k}.flac",
                               target=f"bed{k}.flac", labels=labels, extra={"residual": f"frog{k}.flac"}))
    write_manifest(tmp_path, items)
    built = build_question_suite(tmp_path / "q", read_suite(tmp_path), per_operation=3, speech_languages=(),
                                 name="engine-questions")
    assert built.root.name == "q"
    count = [i for i in built.items if i.operation == "Count"]
    assert len(count) == 3 and all(i.extra["expected"] == 1 for i in count)
    assert all(i.language == "en" and LABELS["Frog"].caption in i.instruction for i in count)
    for item in built.items:
        if item.operation == "Presence" and item.extra["expected"] == "no":
            assert _unrelated(item.labels["target"], ["Soundtrack music", "Frog"]), item.labels["target"]
    assert not _unrelated("Harp", ["Classical music"]) and not _unrelated("Dog", ["Bark"])
    assert _unrelated("Dog", ["Classical music"])
