"""Understanding evaluation (Tagging / ASR) on real recordings with the real judges: the reference systems
bound the scores, the text matcher reads AudioSet names in free text, and models answer or refuse cleanly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from audio_omni.errors import AudioOmniError
from audio_omni.eval import understanding as u
from audio_omni.eval.suites import SuiteItem, read_suite, write_manifest

SOUNDS = "usr/share/games/minetest/games/minetest_game/mods"
#: Clear prompts of the Asterisk voice (en_US, Allison) and their words.
PROMPTS = {
    "conf-onlyperson": "You are currently the only person in this conference.",
    "all-circuits-busy-now": "All circuits are busy now.",
}


def _clip(package: str, name: str) -> Path:
    from audio_omni.assets import debian_package

    found = sorted(debian_package(package).rglob(name))
    assert found, f"{name} not in {package}"
    return found[0]


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """Two Tagging items (breaking glass, flowing water), two ASR items (real speech), one edit item that the
    understanding run must ignore, and generation items to derive questions from."""
    root = tmp_path_factory.mktemp("understanding-suite")
    (root / "audio").mkdir()
    files = {
        "glass": _clip("minetest-data", "default_break_glass.1.ogg"),
        "water": _clip("minetest-data", "env_sounds_water.3.ogg"),
        **{key: _clip("asterisk-core-sounds-en-wav", f"{key}.wav") for key in PROMPTS},
    }
    rel = {}
    for key, path in files.items():
        rel[key] = f"audio/{key}{path.suffix}"
        shutil.copy(path, root / rel[key])
    speech = list(PROMPTS)
    items = [
        SuiteItem("glass", "Tagging", u.TAGGING_QUESTION, source=rel["glass"],
                  labels={"target": None, "present_before": [], "present_after": ["Glass"]}),
        SuiteItem("water", "Tagging", u.TAGGING_QUESTION, source=rel["water"],
                  labels={"target": "Water", "present_before": [], "present_after": []}),
        *[SuiteItem(f"asr-{key}", "ASR", u.ASR_QUESTION, source=rel[key], transcript=PROMPTS[key])
          for key in speech],
        SuiteItem("remove-1", "Remove", "Remove the water.", source=rel["water"], target=rel["glass"]),
        SuiteItem("t2a-1", "T2A", "glass breaking", target=rel["glass"],
                  labels={"target": "Glass", "present_before": [], "present_after": []}),
        SuiteItem("tts-1", "TTS", PROMPTS[speech[0]], target=rel[speech[0]], transcript=PROMPTS[speech[0]]),
    ]
    write_manifest(root, items)
    return read_suite(root)


def test_text_matcher_reads_audioset_names_in_free_text():
    assert u.class_named("I can hear a FIDDLE.", "Violin, fiddle")
    assert u.class_named("Violins and a cello", "Violin, fiddle")
    assert u.class_named("two dogs barking", "Dog") and u.class_named("Glasses clinking", "Glass")
    assert u.class_named("a man speaking loudly", "Male speech, man speaking")
    assert u.class_named("a police car passing", "Police car (siren)")
    assert not u.class_named("a hotdog stand", "Dog")  # whole words only
    assert not u.class_named("inside a hall", "Inside, small room")  # "inside" alone is ambiguous
    assert not u.class_named("", "Dog")
    assert u.named_classes("Breaking, Crack, Glass", ["Glass", "Water"]) == ["Glass"]
    assert u.tagging_scores("birds and rain", ["Bird", "Rain", "Dog"]) == pytest.approx(
        {"tag_recall": 2 / 3, "tag_hit": True, "named": ["Bird", "Rain"]})
    scores = u.asr_scores("你好世界", "你好世界", "zh")
    assert scores["error"] == scores["cer"] == 0 and scores["exact"]
    assert u.asr_scores("hello", "hello world", "en")["error"] == pytest.approx(0.5)


def test_oracle_and_empty_bound_the_scores(suite, tmp_path):
    records, summary = u.run_understanding(u.oracle, suite, tmp_path / "oracle", progress=False)
    assert {r["id"] for r in records} == {"glass", "water", "asr-conf-onlyperson", "asr-all-circuits-busy-now"}
    ops = summary["operations"]
    assert ops["Tagging"]["tag_recall"] == 1 and ops["Tagging"]["tag_hit_rate"] == 1
    assert ops["ASR"]["wer"] == 0 and ops["ASR"]["error"] == 0 and ops["ASR"]["exact_rate"] == 1
    assert ops["Tagging"]["items"] == ops["Tagging"]["evaluated"] == 2
    lines = (tmp_path / "oracle" / u.ANSWERS_FILE).read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == [r["id"] for r in records]

    _, floor = u.run_understanding(u.empty, suite, tmp_path / "empty", progress=False)
    assert floor["operations"]["Tagging"]["tag_recall"] == 0 and floor["operations"]["Tagging"]["tag_hit_rate"] == 0
    assert floor["operations"]["ASR"]["wer"] == 1 and floor["operations"]["ASR"]["error"] == 1
    text = "\n".join(u.console_lines(floor)) + u.markdown_section(floor)
    assert "tag recall    0%" in text and "| ASR | 2 | 2 |" in text


def test_tagger_and_whisper_are_real_reference_systems(suite, tmp_path):
    name, tagger = u.make_answer_system("tagger")
    records, summary = u.run_understanding(tagger, suite, tmp_path / "tagger", progress=False)
    by_id = {r["id"]: r for r in records}
    assert by_id["glass"]["scores"]["named"] == ["Glass"], by_id["glass"]["answer"]
    assert by_id["water"]["scores"]["named"] == ["Water"], by_id["water"]["answer"]
    assert by_id["asr-conf-onlyperson"]["status"] == "no output"  # a tagger does not transcribe
    assert summary["operations"]["Tagging"]["tag_recall"] == 1 and summary["operations"]["ASR"]["evaluated"] == 0

    _, whisper = u.make_answer_system("whisper")
    records, summary = u.run_understanding(whisper, suite, tmp_path / "whisper", progress=False)
    asr = [r for r in records if r["operation"] == "ASR"]
    assert all(r["status"] == "ok" and r["scores"]["wer"] < 0.5 for r in asr), asr
    assert all(r["status"] == "no output" for r in records if r["operation"] == "Tagging")
    assert summary["operations"]["ASR"]["error"] < 0.5


def test_derived_questions_about_generation_targets(suite, tmp_path):
    derived = u.understanding_items(suite.items)
    assert [(i.id, i.operation) for i in derived] == [("t2a-1-tagging", "Tagging"), ("tts-1-asr", "ASR")]
    tagging, asr = derived
    assert tagging.source == "audio/glass.ogg" and tagging.labels["present_after"] == ["Glass"]
    assert asr.transcript == PROMPTS["conf-onlyperson"] and asr.extra["derived_from"] == "tts-1"
    extract = SuiteItem("x", "Extract", "Extract the voice.", source="a", target="b", transcript="hi",
                        extra={"domain": "speech", "speech_language": "de"})
    assert u.understanding_items([extract])[0].language == "de"
    assert u.understanding_items([SuiteItem("y", "Extract", "Extract the dog.", source="a", target="b")]) == []

    from audio_omni.eval.suites import Suite

    _, summary = u.run_understanding(u.oracle, Suite(suite.root, derived), tmp_path, progress=False)
    assert summary["operations"]["Tagging"]["tag_recall"] == 1 and summary["operations"]["ASR"]["wer"] == 0


def test_tag_recall_of_a_known_answer(suite, tmp_path):
    """A system that hears glass everywhere: right on the glass item, wrong on the water item, no words."""

    def hears_glass(item, audio, rate, seed=0):
        return "I hear breaking glass."

    records, summary = u.run_understanding(hears_glass, suite, tmp_path, progress=False)
    tagging, asr = summary["operations"]["Tagging"], summary["operations"]["ASR"]
    assert (tagging["tag_recall"], tagging["tag_hit_rate"]) == (0.5, 0.5)
    by_id = {r["id"]: r["scores"] for r in records}
    assert by_id["glass"]["named"] == ["Glass"] and by_id["water"]["named"] == []
    # "i hear breaking glass" against "all circuits are busy now": 4 substitutions and 1 deletion of 5 words
    assert by_id["asr-all-circuits-busy-now"]["wer"] == 1.0 and asr["evaluated"] == 2


def test_failures_are_recorded_not_fatal(suite, tmp_path):
    from audio_omni.eval.suites import Suite

    no_text = SuiteItem("mute", "ASR", u.ASR_QUESTION, source=suite.items[2].source)

    def broken(item, audio, rate, seed=0):
        assert audio.dtype == np.float32 and audio.ndim == 2
        raise RuntimeError("out of memory")

    records, summary = u.run_understanding(broken, Suite(suite.root, [*suite.items[:2], no_text]), tmp_path,
                                           progress=False)
    statuses = [r["status"] for r in records]
    assert statuses[:2] == ["error: RuntimeError: out of memory"] * 2
    assert statuses[2] == "error: the item has no transcript"
    assert summary["operations"]["Tagging"] == {"items": 2, "evaluated": 0, "tag_recall": None,
                                                "tag_hit_rate": None, "seconds_per_item": 0.0, "by_language": {}}


def test_models_answer_or_refuse_in_one_line(suite, tmp_path):
    """The debug preset's tiny random Qwen thinker hears audio and answers gibberish, which is scored; the
    small preset's text-only language model hands the questions to the frozen listeners, which name the glass
    and the water and read the prompts; an unknown name is one line."""
    name, model = u.make_answer_system("debug", random_init=True)
    model.max_new_tokens = 8
    records, summary = u.run_understanding(model, suite, tmp_path, progress=False)
    assert [r["status"] for r in records] == ["ok"] * 4, records
    assert all(isinstance(r["answer"], str) for r in records)
    # the summary is the mean of what the matcher reads in each of the model's own answers
    classes = {"glass": ["Glass"], "water": ["Water"]}
    recalls = [u.tagging_scores(r["answer"], classes[r["id"]])["tag_recall"] for r in records if r["id"] in classes]
    assert summary["operations"]["Tagging"]["tag_recall"] == pytest.approx(sum(recalls) / 2)
    assert summary["operations"]["ASR"]["wer"] > 0

    _, small = u.make_answer_system("audio-omni-small", random_init=True)
    records, summary = u.run_understanding(small, suite, tmp_path / "small", progress=False)
    assert [r["status"] for r in records] == ["ok"] * 4, records
    assert summary["operations"]["Tagging"]["tag_recall"] == 1.0, records
    # ASR of these short prompts is not asserted: Whisper's language detection on a 1.5 s clip can miss
    assert summary["operations"]["ASR"]["evaluated"] == 2, records
    with pytest.raises(AudioOmniError) as err:
        u.make_answer_system("no-such-model")
    assert "\n" not in str(err.value)


def test_one_command_evaluates_edits_and_questions(suite, tmp_path):
    """`audio-omni eval` on a mixed suite: the oracle does both; an editing baseline skips the questions and an
    answer baseline skips the edits, each saying so; questions are derived from the suite's own targets."""
    from audio_omni.eval.command import run_evaluation, with_questions

    oracle = run_evaluation("oracle", suite.root, tmp_path / "oracle", progress=False)
    assert oracle["summary"]["operations"]["Remove"]["evaluated"] == 1
    assert oracle["summary"]["understanding"]["operations"]["Tagging"]["tag_recall"] == 1.0
    assert "## Understanding" in (tmp_path / "oracle" / "report.md").read_text()
    identity = run_evaluation("identity", suite.root, tmp_path / "identity", progress=False)
    assert "understanding" not in identity["summary"] and "answers no questions" in identity["notes"][0]
    tagger = run_evaluation("tagger", suite.root, tmp_path / "tagger", progress=False)
    assert tagger["records"] == [] and "edit" in tagger["notes"][0]
    assert tagger["summary"]["understanding"]["operations"]["Tagging"]["tag_hit_rate"] > 0
    assert "| judged |" not in (tmp_path / "tagger" / "report.md").read_text()  # no empty edit table
    copy = tmp_path / "copy"
    shutil.copytree(suite.root, copy)
    before = len(read_suite(copy).items)
    derived = with_questions(read_suite(copy))
    assert {i.id for i in derived.items} >= {"t2a-1-tagging", "tts-1-asr"} and len(derived.items) == before + 2
    assert len(with_questions(derived).items) == before + 2  # asking again adds nothing


def test_an_asr_answer_is_scored_on_the_transcript_it_quotes():
    transcript = 'Dial 4 to send this caller to a polite "don\'t call" menu.'
    assert u.transcript_candidates(transcript)[0] == transcript  # a bare transcript quoting a few words itself
    answer = f'The speech says: "{transcript}" (English, 0.0–4.2 s).'
    assert transcript in u.transcript_candidates(answer)
    said = "今日はいい天気ですね、散歩に行きましょう"
    assert said in u.transcript_candidates(f"「{said}」と言っています。")


def test_a_short_quoted_transcript_is_not_charged_for_its_evidence():
    """A short sentence with its language and times around it (longer than the quote) scores as the quote."""
    item = SuiteItem("tts-0-asr", "ASR", u.ASR_QUESTION, source="a.flac", language="en",
                     transcript="Please try your call again later.")
    right = 'The speech says: "Please try your call again later." (English, 0.0–2.0 s).'
    wrong = 'The speech says: "Please hold the line." (English, 0.0–2.0 s).'
    bare = 'Dial 4 for the "do not call" menu.'
    scored = {a: u.answer_scores(item, a, item.transcript)["error"] for a in (right, wrong)}
    assert scored[right] == 0.0 and scored[wrong] > 0.3
    bare_item = SuiteItem("x-asr", "ASR", u.ASR_QUESTION, source="a.flac", language="en", transcript=bare)
    assert u.answer_scores(bare_item, bare, bare)["error"] == 0.0
