"""A question suite with exact answers: presence, counting, timing, language, captions and ASR about real clips.

Built from a suite whose items keep their stems (``debian-edit``, or the data engine's test split: a background
plus an event, the event alone in ``residual`` or ``target``) and from recorded speech (Asterisk prompts in
en / es / fr with their transcripts). The ground truth comes from the stems, never from a model:

* ``Presence``: balanced, one question about a class in the mixture (``labels.present_before``) and one about
  a class of the suite that is not in it, per clip; ``extra.expected`` is "yes" / "no";
* ``Count`` / ``Timing``: the event stem's loud bursts (envelope above its peak - ``BURST_DROP_DB``, gaps of
  at least ``MIN_GAP_S`` separate two, bursts under ``MIN_BURST_S`` ignored) give the number of occurrences
  and their [start, end] seconds;
* ``Caption``: the classes of the mixture; ``LanguageID`` and ``ASR``: the recording's language and transcript.

Questions rotate through English, German, French, Spanish, Chinese and Japanese (``language``). A class with
no phrase in ``CLASS_PHRASES`` (the engine's catalogue has hundreds) is asked about in English, by the source
taxonomy's caption phrase ("a dog barking"); a "no" question names a class unrelated to every class in the clip.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from audio_omni.eval.suites import Suite, SuiteItem, read_suite, save_flac, write_manifest

QUESTION_LANGUAGES = ("en", "de", "fr", "es", "zh", "ja")
BURST_DROP_DB = 30.0
MIN_GAP_S = 0.15
MIN_BURST_S = 0.05  # shorter blips (a click in a decaying tail) are not an occurrence
FRAME_S = 0.01
#: Recorded prompts used for language identification and ASR, per language (the longest first).
SPEECH_PER_LANGUAGE = 6
SPEECH_MIN_SECONDS = 2.0

#: How each question names the suite's classes, per language.
CLASS_PHRASES = {
    "Water": {
        "en": "flowing water",
        "de": "fließendes Wasser",
        "fr": "de l'eau qui coule",
        "es": "agua corriendo",
        "zh": "流水声",
        "ja": "水の流れる音",
    },
    "Vehicle": {
        "en": "road traffic",
        "de": "Straßenverkehr",
        "fr": "la circulation",
        "es": "tráfico",
        "zh": "交通噪音",
        "ja": "交通の音",
    },
    "Music": {"en": "music", "de": "Musik", "fr": "de la musique", "es": "música", "zh": "音乐", "ja": "音楽"},
    "Fowl": {
        "en": "ducks quacking",
        "de": "Enten",
        "fr": "des canards",
        "es": "patos",
        "zh": "鸭子叫",
        "ja": "アヒルの鳴き声",
    },
    "Dog": {"en": "a dog growling", "de": "einen Hund", "fr": "un chien", "es": "un perro", "zh": "狗", "ja": "犬"},
    "Glass": {
        "en": "glass breaking",
        "de": "Glas",
        "fr": "du verre",
        "es": "vidrio",
        "zh": "玻璃碎裂声",
        "ja": "ガラスの割れる音",
    },
    "Explosion": {
        "en": "an explosion",
        "de": "eine Explosion",
        "fr": "une explosion",
        "es": "una explosión",
        "zh": "爆炸声",
        "ja": "爆発音",
    },
    "Speech": {
        "en": "someone speaking",
        "de": "jemanden sprechen",
        "fr": "quelqu'un qui parle",
        "es": "a alguien que habla",
        "zh": "有人说话",
        "ja": "人の話し声",
    },
}
TEMPLATES = {
    "Presence": {
        "en": "Is there {x} in this clip?",
        "de": "Hört man {x}?",
        "fr": "Y a-t-il {x} ?",
        "es": "¿Hay {x}?",
        "zh": "有{x}吗？",
        "ja": "{x}は聞こえますか？",
    },
    "Count": {
        "en": "How many times do you hear {x}?",
        "de": "Wie oft hört man {x}?",
        "fr": "Combien de fois entend-on {x} ?",
        "es": "¿Cuántas veces se oye {x}?",
        "zh": "{x}出现了几次？",
        "ja": "{x}は何回聞こえますか？",
    },
    "Timing": {
        "en": "When do you hear {x}?",
        "de": "Wann hört man {x}?",
        "fr": "Quand entend-on {x} ?",
        "es": "¿Cuándo se oye {x}?",
        "zh": "什么时候能听到{x}？",
        "ja": "{x}はいつ聞こえますか？",
    },
    "LanguageID": {
        "en": "Which language is spoken?",
        "de": "Welche Sprache wird gesprochen?",
        "fr": "Quelle langue est parlée ?",
        "es": "¿Qué idioma se habla?",
        "zh": "说的是什么语言？",
        "ja": "何語が話されていますか？",
    },
    "Caption": {
        "en": "Describe this audio.",
        "de": "Beschreibe diese Aufnahme.",
        "fr": "Décris cet extrait.",
        "es": "Describe este audio.",
        "zh": "描述这段音频。",
        "ja": "この音声を説明してください。",
    },
}
ASR_QUESTION = "Transcribe the speech in this audio."


def event_spans(stem: np.ndarray, rate: int) -> list[list[float]]:
    """[[start, end]] seconds of the loud bursts of an isolated event (see the module docstring)."""
    x = np.asarray(stem, np.float64).reshape(-1)
    hop = max(1, int(FRAME_S * rate))
    n = len(x) // hop
    if n == 0 or not np.any(x):
        return []
    level = 20 * np.log10(np.maximum(np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1)), 1e-9))
    loud = level >= level.max() - BURST_DROP_DB
    spans: list[list[float]] = []
    start = None
    for i, flag in enumerate(np.append(loud, False)):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if spans and (start * FRAME_S - spans[-1][1]) < MIN_GAP_S:
                spans[-1][1] = i * FRAME_S
            else:
                spans.append([start * FRAME_S, i * FRAME_S])
            start = None
    return [[round(a, 2), round(b, 2)] for a, b in spans if b - a >= MIN_BURST_S]


def _question(kind: str, lang: str, label: str | None = None) -> str:
    template = TEMPLATES[kind][lang]
    return template.format(x=CLASS_PHRASES[label][lang]) if label else template


def _ask(w: _Writer, kind: str, label: str) -> tuple[str, str]:
    """(language, question) about ``label``: the next language of the rotation, English for a class that has
    no phrases of its own (its AudioSet name, which the English questions understand)."""
    from audio_omni.data.sources.taxonomy import LABELS

    lang = w.next_language()
    if label in CLASS_PHRASES:
        return lang, _question(kind, lang, label)
    phrase = LABELS[label].caption if label in LABELS else label.lower()
    return "en", TEMPLATES[kind]["en"].format(x=phrase)


def _unrelated(candidate: str, present: list[str]) -> bool:
    """Whether a clip holding ``present`` surely lacks ``candidate``: no class of one is the other's ancestor or
    close relative in the source taxonomy (a clip of soundtrack music may hold a harpsichord; it holds no dog).
    The phrased classes are distinct by choice."""
    from audio_omni.data.sources.taxonomy import LABELS

    if candidate in CLASS_PHRASES and all(c in CLASS_PHRASES for c in present):
        return True

    def family(label: str) -> set[str]:
        return {label, *(LABELS[label].related if label in LABELS else ())}

    return not family(candidate) & set().union(*(family(c) for c in present))


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root, self.items, self.rotation = root, [], 0

    def next_language(self) -> str:
        self.rotation += 1
        return QUESTION_LANGUAGES[(self.rotation - 1) % len(QUESTION_LANGUAGES)]

    def audio(self, key: str, wave: np.ndarray, rate: int) -> str:
        rel = f"audio/{key}.flac"
        save_flac(self.root / rel, wave, rate)
        return rel

    def add(self, key: str, op: str, source: str, lang: str, question: str, labels=None, **extra) -> None:
        self.items.append(
            SuiteItem(
                id=key,
                operation=op,
                instruction=question,
                language=lang,
                source=source,
                labels=labels or {"target": None, "present_before": [], "present_after": []},
                transcript=extra.pop("transcript", None),
                extra=extra,
            )
        )


def _clip_questions(
    w: _Writer,
    key: str,
    item: SuiteItem,
    wave: np.ndarray,
    stem: np.ndarray | None,
    rate: int,
    classes: list[str],
    rng: np.random.Generator,
) -> None:
    present = [c for c in item.labels.get("present_before") or item.labels.get("present_after") or [] if c in classes]
    if not present:
        return
    source = w.audio(key, wave, rate)
    duration = round(len(wave) / rate, 3)
    common = {"derived_from": item.id, "duration": duration}
    asked = present[int(rng.integers(len(present)))]
    absent = [c for c in classes if c not in present and _unrelated(c, present)]
    balanced = [("yes", asked)]  # one question about a class in the clip, one about a class not in it
    if absent:
        balanced.append(("no", absent[int(rng.integers(len(absent)))]))
    for expected, label in balanced:
        lang, question = _ask(w, "Presence", label)
        w.add(
            f"{key}-presence-{expected}",
            "Presence",
            source,
            lang,
            question,
            {"target": label, "present_before": present, "present_after": present},
            expected=expected,
            **common,
        )
    lang = w.next_language()
    w.add(
        f"{key}-caption",
        "Caption",
        source,
        lang,
        _question("Caption", lang),
        {"target": None, "present_before": present, "present_after": present},
        **common,
    )
    event = item.labels.get("target")
    if stem is not None and event in classes:
        spans = event_spans(stem, rate)
        if spans:
            for kind in ("Count", "Timing"):
                lang, question = _ask(w, kind, event)
                w.add(
                    f"{key}-{kind.lower()}",
                    kind,
                    source,
                    lang,
                    question,
                    {"target": event, "present_before": present, "present_after": present},
                    expected=len(spans) if kind == "Count" else spans,
                    segments=spans,
                    **common,
                )


def _stem_of(item: SuiteItem, suite: Suite) -> np.ndarray | None:
    """The event alone: the residual of Remove, the target of Extract, the target of an event-only T2A."""
    from audio_omni.audio.io import load_audio

    rel = {"Remove": item.extra.get("residual"), "Extract": item.target}.get(item.operation)
    if item.operation == "T2A" and item.extra.get("clip_kind") == "event":
        rel = item.target
    if not rel:
        return None
    wave, _ = load_audio(suite.path(rel), max_seconds=None)
    return wave[0].numpy()


def build_question_suite(
    out: str | Path,
    source_suite: Suite,
    per_operation: int = 4,
    seed: int = 0,
    speech_languages=("en", "es", "fr"),
    skip_per_operation: int = 0,
    name: str = "debian-questions",
) -> Suite:
    """Write the question suite into ``out`` (audio copied beside its manifest) and return it.

    ``skip_per_operation``: leave out the first clips of each operation; the built-in suite takes the first
    ``per_operation``, so skipping as many gives a split of other clips to calibrate on."""
    from audio_omni.atomic import replacing_directory
    from audio_omni.audio.io import load_audio
    from audio_omni.data.sources.speech import recorded_speech

    rng = np.random.default_rng(seed)
    # The classes questions may name: those with phrases in every language, then the rest of the suite's own
    # (an absent class is drawn from these, so a "no" question names a sound of the same catalogue).
    own = {c for i in source_suite.items for k in ("present_before", "present_after") for c in i.labels.get(k) or []}
    classes = list(CLASS_PHRASES) + sorted(own - set(CLASS_PHRASES))
    out = Path(out)
    with replacing_directory(out) as tmp:
        (tmp / "audio").mkdir()
        w = _Writer(tmp)
        taken: dict[str, int] = {}
        seen: dict[str, int] = {}
        for item in source_suite.items:
            # mixtures (Remove, Extract), a bed alone (Add: its event is absent), one class alone (T2A, T2M)
            role = {"Add": "source", "Remove": "source", "Extract": "source", "T2A": "target", "T2M": "target"}
            if item.operation not in role or taken.get(item.operation, 0) >= per_operation:
                continue
            seen[item.operation] = seen.get(item.operation, 0) + 1
            if seen[item.operation] <= skip_per_operation:
                continue
            taken[item.operation] = taken.get(item.operation, 0) + 1
            rel = item.source if role[item.operation] == "source" else item.target
            wave, rate = load_audio(source_suite.path(rel), channels=1, max_seconds=None)
            labels = dict(item.labels)
            if item.operation == "Add":  # the source is the bed: the added event is not in it yet
                labels["target"] = None
            elif item.operation in ("T2A", "T2M"):
                labels["present_before"] = labels.get("present_after") or []
            view = SuiteItem(item.id, item.operation, item.instruction, labels=labels, extra=item.extra)
            _clip_questions(w, f"q-{item.id}", view, wave[0].numpy(), _stem_of(item, source_suite), rate, classes, rng)
        for lang in speech_languages:
            clips = sorted(
                (r for r in recorded_speech((lang,)) if r.duration >= SPEECH_MIN_SECONDS),
                key=lambda r: (-r.duration, r.id),
            )[:SPEECH_PER_LANGUAGE]
            for k, record in enumerate(clips):
                wave, rate = load_audio(record.path, channels=1, max_seconds=None)
                source = w.audio(f"speech-{lang}-{k:02d}", wave[0].numpy(), rate)
                common = {"speech_language": lang, "duration": round(record.duration, 3), "clip": record.id}
                qlang = w.next_language()
                w.add(
                    f"speech-{lang}-{k:02d}-language",
                    "LanguageID",
                    source,
                    qlang,
                    _question("LanguageID", qlang),
                    expected=lang,
                    **common,
                )
                w.add(
                    f"speech-{lang}-{k:02d}-asr",
                    "ASR",
                    source,
                    lang,
                    ASR_QUESTION,
                    transcript=record.transcript,
                    **common,
                )
        write_manifest(tmp, w.items)
        (tmp / "suite.json").write_text(
            json.dumps(
                {
                    "name": name,
                    "from": str(source_suite.root),
                    "per_operation": per_operation,
                    "seed": seed,
                    "skip_per_operation": skip_per_operation,
                    "languages": list(QUESTION_LANGUAGES),
                    "speech_languages": list(speech_languages),
                    "counts": {
                        op: sum(i.operation == op for i in w.items)
                        for op in dict.fromkeys(i.operation for i in w.items)
                    },
                },
                indent=2,
            )
        )
    return read_suite(out)
