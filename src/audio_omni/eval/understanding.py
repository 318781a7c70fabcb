"""Understanding evaluation: a system answers a question (``instruction``) about the ``source`` audio.

Operations (``suites.UNDERSTANDING_OPERATIONS``):

* ``Tagging``: which sound events are in the audio. The expected classes are ``labels.present_after`` (or
  ``labels.target``). The answer is free text; an expected AudioSet class counts as *named* when the answer
  contains its name or one of its comma-separated parts ("Violin, fiddle" is named by "a fiddle"), as whole
  words, ignoring case, punctuation and simple plurals (:func:`class_named`). Per item: ``tag_recall`` (the
  fraction of expected classes named) and ``tag_hit`` (at least one named).
* ``ASR``: transcribe the speech. Against ``transcript``: WER, CER and ``error``, the primary one for the
  spoken language (``extra["speech_language"]`` or ``language``; CER for languages written without spaces,
  :func:`audio_omni.eval.metrics.uses_characters`); ``exact`` when that error is 0. An answer that quotes the
  words ("The speech says: "..." (English, 0.0-2.5 s)") is scored on the quoted words or on the whole answer,
  whichever is closer (a short quote is shorter than the evidence around it; a bare transcript may quote a few
  words itself).
* ``Presence``, ``Count``, ``Timing``, ``LanguageID`` (``extra["expected"]``) and ``Caption`` (classes as for
  Tagging, also named by their words in the question's language): questions with exact answers from the
  stems, in six languages (:mod:`.question_items`), scored by :mod:`.question_scores`; ``accuracy`` per type
  (Timing: mean IoU too), also per question language.

An answer system is called as ``system(item, audio, rate, seed) -> str | None`` with ``audio`` the source as
float32 ``[C, T]`` numpy at ``rate``; None means it has no answer for that item. Reference systems
(:data:`ANSWER_BASELINES`): ``oracle`` (the ground truth as text: an upper bound that checks the scoring),
``empty`` (answers "": the floor, 0 recall and WER 1), ``tagger`` (YAMNet's top-3 class names for Tagging and
Caption; for Presence "yes" when the asked class is among them) and ``whisper`` (Whisper-base in the item's
spoken language for ASR; its detected language for LanguageID). A model checkpoint or preset answers
through :meth:`audio_omni.AudioOmni.understand` (:class:`ModelAnswerSystem`).

Suites without understanding items can be given some from their own references, without new audio:
:func:`understanding_items` turns T2A / T2M targets into Tagging items and TTS / speech Extract targets with a
transcript into ASR items.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from audio_omni.errors import AudioOmniError
from audio_omni.eval import metrics, question_scores
from audio_omni.eval.suites import Suite, SuiteItem

log = logging.getLogger(__name__)

AnswerSystem = Callable[..., "str | None"]

ANSWERS_FILE = "answers.jsonl"
TAGGING_QUESTION = "Which sound events can you hear in this audio?"
#: Question types with one exact answer in ``extra["expected"]``, scored by :mod:`.question_scores`.
QUESTION_TYPES = ("Presence", "Count", "Timing", "LanguageID")
ASR_QUESTION = "Transcribe the speech in this audio."
#: How many of YAMNet's most probable classes the ``tagger`` baseline names.
TAGGER_TOP_K = 3
#: First parts shared by several AudioSet classes ("Inside, small room", "Inside, public space"): alone they
#: do not say which class is meant, so they never name a class on their own.
_AMBIGUOUS_PARTS = frozenset({"inside", "outside"})


# ---------------------------------------------------------------------------------------------------------
# Ground truth of an item
# ---------------------------------------------------------------------------------------------------------


def expected_classes(item: SuiteItem) -> list[str]:
    """Tagging: the classes in the audio, ``labels.present_after``, else ``[labels.target]`` (deduplicated)."""
    labels = item.labels or {}
    classes = list(labels.get("present_after") or [])
    if not classes and labels.get("target"):
        classes = [labels["target"]]
    return list(dict.fromkeys(str(c).strip() for c in classes if c and str(c).strip()))


def reference_transcript(item: SuiteItem) -> str | None:
    """ASR: the words spoken in the source."""
    text = item.transcript or item.extra.get("transcript")
    return text if isinstance(text, str) and text.strip() else None


def spoken_language(item: SuiteItem) -> str:
    """The language of the speech (the question's ``language`` may differ from it)."""
    return str(item.extra.get("speech_language") or item.language or "en")


# ---------------------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------------------


def _stem(word: str) -> str:
    """A simple English singular: dogs -> dog, glasses -> glass, bodies -> body (glass, bus stay)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in metrics.normalize_text(text).split()]


@functools.lru_cache(maxsize=4096)
def class_name_variants(name: str) -> tuple[tuple[str, ...], ...]:
    """The word sequences (singular) that name an AudioSet class: the whole name, the name without its
    parenthesis ("Police car (siren)" -> "police car") and every comma-separated part outside parentheses,
    except the ambiguous "inside" / "outside"."""
    bare = re.sub(r"\([^)]*\)", " ", name)
    out: list[tuple[str, ...]] = []
    for variant in (name, bare, *bare.split(",")):
        words = tuple(_words(variant))
        if words and words not in out and not (len(words) == 1 and words[0] in _AMBIGUOUS_PARTS):
            out.append(words)
    return tuple(out)


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1))


def class_named(answer: str, name: str) -> bool:
    """Does the free-text ``answer`` name the AudioSet class ``name``? Whole words, any case, simple plurals."""
    words = _words(answer or "")
    return any(_contains(words, phrase) for phrase in class_name_variants(name))


def named_classes(answer: str, expected: list[str], language: str = "en") -> list[str]:
    """The expected classes that the answer names (in English, or by their words in ``language``:
    :func:`audio_omni.eval.question_scores.named_in_language`)."""
    return [name for name in expected
            if class_named(answer, name) or question_scores.named_in_language(answer, name, language)]


def tagging_scores(answer: str, expected: list[str], language: str = "en") -> dict:
    """``tag_recall``: fraction of the expected classes named (``metrics.tag_accuracy`` on free text, with the
    matching above); ``tag_hit``: at least one named; ``named``: which."""
    named = named_classes(answer, expected, language)
    if not expected:
        return {"tag_recall": None, "tag_hit": None, "named": []}
    return {"tag_recall": len(named) / len(expected), "tag_hit": bool(named), "named": named}


def asr_scores(answer: str, reference: str, language: str) -> dict:
    """WER, CER, ``error`` (CER for zh/ja/ko/th/yue, else WER) and ``exact`` (error 0)."""
    wer = metrics.word_error_rate(reference, answer or "")
    cer = metrics.character_error_rate(reference, answer or "")
    error = cer if metrics.uses_characters(language) else wer
    return {"wer": wer, "cer": cer, "error": error, "exact": error == 0.0}


# ---------------------------------------------------------------------------------------------------------
# Answer systems
# ---------------------------------------------------------------------------------------------------------


def oracle(item: SuiteItem, audio, rate: int, seed: int = 0) -> str | None:
    """The ground truth as text: the expected class names joined with ", ", the transcript, or the expected
    answer (yes / no, the count, the spans as "a-b s", the language code)."""
    if item.operation in ("Tagging", "Caption"):
        return ", ".join(expected_classes(item))
    if item.operation == "ASR":
        return reference_transcript(item)
    expected = item.extra.get("expected")
    if item.operation == "Timing":
        return ", ".join(f"{a}-{b} s" for a, b in expected)
    return None if expected is None else str(expected)


def empty(item: SuiteItem, audio, rate: int, seed: int = 0) -> str | None:
    """Always "": the floor (no class named, every word deleted)."""
    return ""


@functools.cache
def _judges():
    """The evaluation's frozen judges (loaded on first use), shared by the reference answer systems."""
    from audio_omni.eval.success import Judges

    return Judges()


def tagger(item: SuiteItem, audio, rate: int, seed: int = 0) -> str | None:
    """YAMNet's top-3 class names ("Breaking, Crack, Glass") for Tagging and Caption; "yes" / "no" for Presence
    (is the asked class among them); no answer otherwise."""
    if item.operation not in ("Tagging", "Caption", "Presence"):
        return None
    top = [name for name, _ in _judges().tagger.top(np.asarray(audio, np.float32), rate, TAGGER_TOP_K)]
    if item.operation == "Presence":
        return "yes" if item.labels.get("target") in top else "no"
    return ", ".join(top)


def whisper(item: SuiteItem, audio, rate: int, seed: int = 0) -> str | None:
    """Whisper-base's transcript in the item's spoken language (auto-detected when Whisper lacks it); for
    LanguageID the language it detects (its code)."""
    if item.operation == "LanguageID":
        return _judges().whisper.language(np.asarray(audio, np.float32), rate)[0]
    if item.operation != "ASR":
        return None
    judge = _judges().whisper
    language = spoken_language(item).split("-")[0].lower()
    supported = getattr(judge.model, "supported_languages", None)
    if supported is not None and language not in supported:
        language = None
    return judge.transcribe(np.asarray(audio, np.float32), rate, language=language).text


ANSWER_BASELINES: dict[str, AnswerSystem] = {"oracle": oracle, "empty": empty, "tagger": tagger, "whisper": whisper}


class ModelAnswerSystem:
    """An :class:`audio_omni.AudioOmni` checkpoint or preset answering through ``understand()`` (its frozen
    MLLM, or for a text-only MLLM the frozen listeners of :mod:`audio_omni.understanding`; the DiT is not
    involved, so sampling steps do not apply)."""

    def __init__(self, model: str, random_init: bool = False, device=None, max_new_tokens: int = 128,
                 pipe=None) -> None:
        """``pipe``: an already loaded :class:`audio_omni.AudioOmni` (e.g. the edit adapter's ``.pipe``) to
        reuse instead of loading ``model`` again."""
        self.name = model
        self.max_new_tokens = max_new_tokens
        if pipe is None:
            from audio_omni import AudioOmni

            pipe = AudioOmni.from_pretrained(model, device=device, random_init=random_init)
        self.pipe = pipe
        reason = self._cannot_hear()
        if reason:
            raise AudioOmniError(f"model {model!r} cannot answer questions about audio: {reason}")

    def _cannot_hear(self) -> str | None:
        """Why ``understand(question, audio=...)`` would refuse, read from the loaded model (None: it can hear).
        The same conditions as ``AudioOmni.understand``."""
        try:
            backbone = self.pipe.model.conditioner.conditioners[self.pipe.roles["mllm"]].model
        except (AttributeError, KeyError, IndexError, TypeError):
            return None  # an unfamiliar layout: let the first call tell
        if backbone is None:
            return "it was loaded without its MLLM (pass mllm_path)"
        return None  # a text-only MLLM answers through audio_omni.understanding

    def __call__(self, item: SuiteItem, audio, rate: int, seed: int = 0) -> str | None:
        import torch

        wave = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
        try:
            answer = self.pipe.understand(item.instruction, audio=wave, sample_rate=rate,
                                          max_new_tokens=self.max_new_tokens)
        except AudioOmniError as exc:
            message = " ".join(str(exc).split())
            raise AudioOmniError(f"model {self.name!r}: {message}") from None
        return None if answer is None else str(answer)


def make_answer_system(name: str, steps: int | None = None, random_init: bool = False) -> tuple[str, AnswerSystem]:
    """A baseline by name (:data:`ANSWER_BASELINES`), else a model checkpoint/preset. ``steps`` is accepted
    for symmetry with :func:`audio_omni.eval.baselines.make_system` and ignored (answers are not sampled by
    the DiT). Loading failures are one-line :class:`AudioOmniError` s."""
    if name in ANSWER_BASELINES:
        return name, ANSWER_BASELINES[name]
    try:
        return name, ModelAnswerSystem(name, random_init=random_init)
    except AudioOmniError:
        raise
    except Exception as exc:  # a broken checkpoint should read as one line, not a traceback
        message = " ".join(str(exc).split())
        raise AudioOmniError(
            f"cannot load model {name!r}: {message} (answer baselines: {', '.join(ANSWER_BASELINES)})"
        ) from exc


# ---------------------------------------------------------------------------------------------------------
# Running a suite
# ---------------------------------------------------------------------------------------------------------


def _clean(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


def answer_item(item: SuiteItem, suite: Suite, system: AnswerSystem, seed: int = 0) -> dict:
    """Ask one question and score the answer. Raises on failures; :func:`run_understanding` records them."""
    from audio_omni.audio.io import load_audio

    record: dict = {"id": item.id, "operation": item.operation, "language": item.language,
                    "question": item.instruction}
    if item.operation in ("Tagging", "Caption"):
        expected: list[str] | str | None = expected_classes(item)
        if not expected:
            raise AudioOmniError("the item names no class (labels.present_after / labels.target)")
    elif item.operation == "ASR":
        expected = reference_transcript(item)
        record["speech_language"] = spoken_language(item)
        if expected is None:
            raise AudioOmniError("the item has no transcript")
    elif item.operation in QUESTION_TYPES:
        expected = item.extra.get("expected")
        if expected is None:
            raise AudioOmniError(f"the {item.operation} item has no extra.expected answer")
    else:
        raise AudioOmniError(f"{item.operation!r} is not an understanding operation")
    record["expected"] = expected
    wave, rate = load_audio(suite.path(item.source), max_seconds=None)
    started = time.perf_counter()
    answer = system(item, wave.numpy(), rate, seed)
    record["seconds"] = round(time.perf_counter() - started, 3)
    if answer is None:
        record.update(status="no output", answer=None)
        return record
    answer = str(answer)
    scores = answer_scores(item, answer, expected)
    record.update(status="ok", answer=answer, scores={k: _clean(v) for k, v in scores.items()})
    return record


def answer_scores(item: SuiteItem, answer: str, expected) -> dict:
    """The scores of one answer to an understanding item (see the module docstring)."""
    if item.operation in ("Tagging", "Caption"):
        return tagging_scores(answer, expected, item.language or "en")
    if item.operation == "ASR":
        # The quote (however short next to its evidence) or the whole answer, whichever is closer: a wrong
        # transcript stays wrong either way, a right one is not charged for the times and language around it.
        language = spoken_language(item)
        return min((asr_scores(text, expected, language) for text in transcript_candidates(answer)),
                   key=lambda s: s["error"] if s["error"] is not None else float("inf"))
    return question_scores.score(item.operation, answer, expected)


def transcript_candidates(answer: str) -> list[str]:
    """The whole answer and every quote it holds, outermost first: what an ASR answer may give as its words."""
    text = answer or ""
    out = [text]
    for pattern in (r'"(.+)"', r"“(.+)”", r"«\s*(.+?)\s*»", r"「(.+)」"):
        m = re.search(pattern, text, re.DOTALL)
        if m and m.group(1) not in out:
            out.append(m.group(1))
    return out


def _mean(values) -> float | None:
    values = [float(v) for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _primary(op: str, scores: dict):
    """The per-item number a question type is ranked by."""
    if op in ("Tagging", "Caption"):
        return scores.get("tag_recall")
    if op == "ASR":
        return scores.get("error")
    return scores.get("correct")


def _by_language(op: str, done: list[dict]) -> dict:
    """{question language: mean of the primary number} (accuracy, tag recall, or ASR error)."""
    per: dict[str, list] = defaultdict(list)
    for r in done:
        per[r.get("language") or "en"].append(_primary(op, r["scores"]))
    return {lang: _mean(values) for lang, values in sorted(per.items())}


def summarize(records: list[dict]) -> dict:
    """Per-operation means over the answered items (status ok)."""
    per_op: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        per_op[r["operation"]].append(r)
    operations = {}
    for op, rows in sorted(per_op.items()):
        done = [r for r in rows if r.get("status") == "ok"]
        entry: dict = {"items": len(rows), "evaluated": len(done)}
        if op in ("Tagging", "Caption"):
            entry["tag_recall"] = _mean(r["scores"].get("tag_recall") for r in done)
            entry["tag_hit_rate"] = _mean(r["scores"].get("tag_hit") for r in done)
        elif op in QUESTION_TYPES:
            entry["accuracy"] = _mean(r["scores"].get("correct") for r in done)
            if op == "Timing":
                entry["iou"] = _mean(r["scores"].get("iou") for r in done)
            if op == "Count":
                entry["abs_error"] = _mean(r["scores"].get("abs_error") for r in done)
        else:
            for key in ("wer", "cer", "error"):
                entry[key] = _mean(r["scores"].get(key) for r in done)
            entry["exact_rate"] = _mean(r["scores"].get("exact") for r in done)
        entry["seconds_per_item"] = _mean(r.get("seconds") for r in rows) or 0.0
        entry["by_language"] = _by_language(op, done)
        operations[op] = entry
    return {"operations": operations}


def write_answers(out_dir: str | Path, records: list[dict]) -> Path:
    """``out_dir/answers.jsonl``, one record per line, replaced atomically."""
    from audio_omni.atomic import write_text_atomic

    path = Path(out_dir) / ANSWERS_FILE
    text = "".join(json.dumps(r, ensure_ascii=False, default=float) + "\n" for r in records)
    write_text_atomic(path, text)
    return path


def run_understanding(system: AnswerSystem, suite: Suite, out_dir: str | Path, seed: int = 0,
                      progress: bool = True) -> tuple[list[dict], dict]:
    """Answer every understanding item of ``suite`` (other items are ignored); returns (per-item records,
    summary) and writes ``out_dir/answers.jsonl``. Items that fail are recorded (``status: error: ...``),
    not fatal."""
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items = [item for item in suite.items if item.is_understanding]
    records = []
    started = time.perf_counter()
    for item in tqdm(items, desc=f"understand {suite.name}", unit="item", disable=not progress):
        try:
            records.append(answer_item(item, suite, system, seed))
        except Exception as exc:  # one bad item (or a model that refuses) must not end the run
            message = " ".join(str(exc).split())
            if not isinstance(exc, AudioOmniError):
                message = f"{type(exc).__name__}: {message}"
            log.warning("item %s failed: %s", item.id, message, exc_info=log.isEnabledFor(logging.DEBUG))
            records.append({"id": item.id, "operation": item.operation, "language": item.language,
                            "status": f"error: {message}", "answer": None})
    summary = summarize(records)
    summary["wall_seconds"] = round(time.perf_counter() - started, 2)
    write_answers(out_dir, records)
    return records, summary


# ---------------------------------------------------------------------------------------------------------
# Understanding items from an existing suite's references
# ---------------------------------------------------------------------------------------------------------


def understanding_items(items: list[SuiteItem]) -> list[SuiteItem]:
    """Questions about the ground-truth audio of generation / edit items, without new audio.

    T2A / T2M -> ``Tagging`` of the target (expected classes: ``labels.present_after``, else the caption's
    class ``labels.target``); TTS and speech-domain Extract items with a transcript -> ``ASR`` of the target.
    The ids get ``-tagging`` / ``-asr``; the paths stay relative to the same suite directory, and
    ``extra["derived_from"]`` names the original item. Items without a target, or without classes or a
    transcript, give nothing.
    """
    derived = []
    for item in items:
        if item.target is None or item.is_understanding:
            continue
        extra = {"domain": item.domain, "derived_from": item.id}
        if item.operation in ("T2A", "T2M"):
            classes = expected_classes(item)
            if not classes:
                continue
            derived.append(SuiteItem(
                id=f"{item.id}-tagging", operation="Tagging", instruction=TAGGING_QUESTION, language="en",
                source=item.target, labels={"target": item.labels.get("target"), "present_before": [],
                                            "present_after": classes},
                extra=extra,
            ))
        elif item.operation == "TTS" or (item.operation == "Extract" and item.domain == "speech"):
            transcript = reference_transcript(item)
            if transcript is None:
                continue
            language = spoken_language(item)
            derived.append(SuiteItem(
                id=f"{item.id}-asr", operation="ASR", instruction=ASR_QUESTION, language=language,
                source=item.target, labels={"target": None, "present_before": [], "present_after": []},
                transcript=transcript, extra={**extra, "speech_language": language},
            ))
    return derived


# ---------------------------------------------------------------------------------------------------------
# What the command prints and what report.md shows
# ---------------------------------------------------------------------------------------------------------


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def console_lines(summary: dict) -> list[str]:
    """One line per understanding operation, in the style of ``audio-omni eval``'s edit lines."""
    lines = []
    for op, e in summary["operations"].items():
        answered = f"{e['evaluated']}/{e['items']} answered"
        if op in ("Tagging", "Caption"):
            lines.append(f"{op:15s} tag recall {_pct(e.get('tag_recall')):>5s}  "
                         f"hit {_pct(e.get('tag_hit_rate')):>5s}  {answered}")
        elif op in QUESTION_TYPES:
            iou = f"  IoU {e['iou']:.2f}" if e.get("iou") is not None else ""
            lines.append(f"{op:15s} accuracy {_pct(e.get('accuracy')):>5s}{iou}  {answered}")
        else:
            lines.append(f"{op:15s} error {_pct(e.get('error')):>5s}  WER {_pct(e.get('wer')):>5s}  "
                         f"CER {_pct(e.get('cer')):>5s}  {answered}")
    return lines


MARKDOWN_NOTE = (
    "Tagging: an expected AudioSet class (`labels.present_after`, else `labels.target`) counts as named when "
    "the answer contains its name or one of its comma-separated parts as whole words (case, punctuation and "
    "simple plurals ignored); `tag recall` is the fraction of expected classes named, `hit` the share of items "
    "with at least one named. ASR: `error` is CER for zh/ja/ko/th/yue and WER otherwise, against the item's "
    "transcript; `exact` is the share of items read without error. Answers are in `answers.jsonl`."
)


def markdown_section(summary: dict) -> str:
    """The ``## Understanding`` section of report.md (one table, one row per operation)."""
    ops = summary["operations"]
    lines = ["## Understanding", "", MARKDOWN_NOTE, "",
             "| operation | items | answered | tag recall | hit | error | WER | CER | exact | accuracy | IoU "
             "| s/item |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for op, e in ops.items():
        cells = [_pct(e.get(k)) for k in ("tag_recall", "tag_hit_rate", "error", "wer", "cer", "exact_rate",
                                          "accuracy")]
        iou = "-" if e.get("iou") is None else f"{e['iou']:.2f}"
        lines.append(f"| {op} | {e['items']} | {e['evaluated']} | " + " | ".join(cells)
                     + f" | {iou} | {e.get('seconds_per_item', 0.0):.2f} |")
    if not ops:
        lines.append("| (no understanding items) | 0 | 0 | - | - | - | - | - | - | - | - | - |")
    languages = sorted({lang for e in ops.values() for lang in e.get("by_language", {})})
    if len(languages) > 1:
        lines += ["", "Per question language (accuracy; tag recall for Tagging and Caption; error for ASR):", "",
                  "| operation | " + " | ".join(languages) + " |", "|---|" + "---:|" * len(languages)]
        for op, e in ops.items():
            by = e.get("by_language", {})
            lines.append(f"| {op} | " + " | ".join(_pct(by.get(lang)) for lang in languages) + " |")
    return "\n".join(lines) + "\n"
