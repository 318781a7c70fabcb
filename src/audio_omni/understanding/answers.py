"""Answers from the facts alone: a caption, and one template per question kind in six languages.

Nothing is said that the facts do not hold. Every sound an answer names comes from a tagger segment, and the
answer gives that segment's times as its evidence; a sound that was asked about and not heard is answered
"no" (or "0 times"), with what was heard instead.
"""

from __future__ import annotations

import functools

from audio_omni.understanding.events import SoundSegment
from audio_omni.understanding.hearing import SPEECH_CLASSES, AudioFacts
from audio_omni.understanding.lexicon import ALSO_CONFIRMS, key_name, language_name, sound_word
from audio_omni.understanding.occurrences import joined_spans, occurrences
from audio_omni.understanding.questions import Question

#: At most this many sound classes in a caption, the most confident first.
CAPTION_CLASSES = 8
#: A segment covering this share of the clip is "throughout".
THROUGHOUT = 0.9
#: A musical part goes on over rests shorter than this: its segments closer than this are one span.
PART_GAP_S = 2.0
#: The Music subtree of the AudioSet ontology (instruments, genres, moods), first and last in class-map order.
MUSIC_SUBTREE = ("Music", "Scary music")
#: Ancestors too broad to confirm a specific sound ("Animal" does not mean a dog).
_BROAD = frozenset(
    {
        "Animal",
        "Domestic animals, pets",
        "Livestock, farm animals, working animals",
        "Wild animals",
        "Vehicle",
        "Music",
        "Musical instrument",
        "Liquid",
        "Engine",
        "Tools",
        "Mechanisms",
        "Speech",
        "Bang",
        "Outside, urban or manmade",
        "Outside, rural or natural",
    }
)
_EXTRA_CONFIRMS = {
    "Fowl": ("Duck", "Quack", "Chicken, rooster", "Cluck", "Goose", "Honk", "Turkey", "Gobble"),
    "Duck": ("Quack", "Fowl"),
    "Speech": SPEECH_CLASSES,
}

T = {
    "en": {
        "silent": "The clip is silent ({d}): I hear nothing.",
        "heard": "I hear {x}.",
        "nothing": "nothing I can name",
        "yes": "Yes: {x} at {t}.",
        "no": "No, I do not hear {x}. I hear {h}.",
        "count": "{x}: {n} time(s), at {t}.",
        "count0": "I do not hear {x} (0 times). I hear {h}.",
        "when": "{x} at {t}.",
        "said": 'The speech says: "{s}" ({lang}, {t}).',
        "nospeech": "I hear no speech.",
        "lang": "The speech is in {lang} (probability {p}).",
        "tempo": "About {bpm} BPM.",
        "notempo": "I hear no steady beat.",
        "key": "{k} (fit {c}).",
        "nokey": "No key fits clearly.",
        "pitch": "From {lo} to {hi}.",
        "nopitch": "I cannot follow a clear pitch.",
        "nomusic": "I hear no music.",
        "genre": "It sounds like {g}.",
        "nogenre": "I cannot tell the genre.",
        "instr": "I hear {i}.",
        "noinstr": "I cannot name the instruments.",
        "loud": "{lufs} LUFS integrated, peak {peak} dBFS: {q}.",
        "q": ("quiet", "moderate", "loud"),
        "dur": "The clip lasts {d}.",
        "throughout": "throughout",
        "and": " and ",
        "sounds": "{d}: {x}.",
        "speech_cap": 'Speech in {lang}: "{s}".',
        "music_cap": "Music{m}.",
        "other": "I can only answer from what I heard. {c}",
        "unknown": "I could not tell the language of the question (I answer in English, German, French, Spanish, "
        "Chinese and Japanese). What I hear: {c}",
    },
    "de": {
        "silent": "Die Aufnahme ist still ({d}): ich höre nichts.",
        "heard": "Ich höre {x}.",
        "nothing": "nichts Benennbares",
        "yes": "Ja: {x} bei {t}.",
        "no": "Nein, ich höre kein(e) {x}. Ich höre {h}.",
        "count": "{x}: {n} Mal, bei {t}.",
        "count0": "Ich höre kein(e) {x} (0 Mal). Ich höre {h}.",
        "when": "{x} bei {t}.",
        "said": 'Gesagt wird: "{s}" ({lang}, {t}).',
        "nospeech": "Ich höre keine Sprache.",
        "lang": "Gesprochen wird {lang} (Wahrscheinlichkeit {p}).",
        "tempo": "Etwa {bpm} BPM.",
        "notempo": "Ich höre keinen gleichmäßigen Takt.",
        "key": "{k} (Übereinstimmung {c}).",
        "nokey": "Keine Tonart passt eindeutig.",
        "pitch": "Von {lo} bis {hi}.",
        "nopitch": "Ich kann keiner klaren Tonhöhe folgen.",
        "nomusic": "Ich höre keine Musik.",
        "genre": "Es klingt nach {g}.",
        "nogenre": "Das Genre kann ich nicht bestimmen.",
        "instr": "Ich höre {i}.",
        "noinstr": "Die Instrumente kann ich nicht benennen.",
        "loud": "{lufs} LUFS integriert, Spitze {peak} dBFS: {q}.",
        "q": ("leise", "mittel", "laut"),
        "dur": "Die Aufnahme dauert {d}.",
        "throughout": "durchgehend",
        "and": " und ",
        "sounds": "{d}: {x}.",
        "speech_cap": 'Sprache ({lang}): "{s}".',
        "music_cap": "Musik{m}.",
        "other": "Ich kann nur aus dem Gehörten antworten. {c}",
    },
    "fr": {
        "silent": "L'extrait est silencieux ({d}) : je n'entends rien.",
        "heard": "J'entends {x}.",
        "nothing": "rien que je puisse nommer",
        "yes": "Oui : {x} à {t}.",
        "no": "Non, je n'entends pas {x}. J'entends {h}.",
        "count": "{x} : {n} fois, à {t}.",
        "count0": "Je n'entends pas {x} (0 fois). J'entends {h}.",
        "when": "{x} à {t}.",
        "said": "On entend : « {s} » ({lang}, {t}).",
        "nospeech": "Je n'entends pas de parole.",
        "lang": "La parole est en {lang} (probabilité {p}).",
        "tempo": "Environ {bpm} BPM.",
        "notempo": "Je n'entends pas de pulsation régulière.",
        "key": "{k} (accord {c}).",
        "nokey": "Aucune tonalité ne se dégage.",
        "pitch": "De {lo} à {hi}.",
        "nopitch": "Je ne peux pas suivre une hauteur nette.",
        "nomusic": "Je n'entends pas de musique.",
        "genre": "Cela ressemble à {g}.",
        "nogenre": "Je ne peux pas dire le genre.",
        "instr": "J'entends {i}.",
        "noinstr": "Je ne peux pas nommer les instruments.",
        "loud": "{lufs} LUFS intégrés, crête {peak} dBFS : {q}.",
        "q": ("faible", "moyen", "fort"),
        "dur": "L'extrait dure {d}.",
        "throughout": "tout du long",
        "and": " et ",
        "sounds": "{d} : {x}.",
        "speech_cap": "Parole en {lang} : « {s} ».",
        "music_cap": "Musique{m}.",
        "other": "Je ne peux répondre qu'à partir de ce que j'ai entendu. {c}",
    },
    "es": {
        "silent": "El clip está en silencio ({d}): no oigo nada.",
        "heard": "Oigo {x}.",
        "nothing": "nada que pueda nombrar",
        "yes": "Sí: {x} en {t}.",
        "no": "No, no oigo {x}. Oigo {h}.",
        "count": "{x}: {n} vez/veces, en {t}.",
        "count0": "No oigo {x} (0 veces). Oigo {h}.",
        "when": "{x} en {t}.",
        "said": "Se dice: «{s}» ({lang}, {t}).",
        "nospeech": "No oigo habla.",
        "lang": "Se habla en {lang} (probabilidad {p}).",
        "tempo": "Unos {bpm} BPM.",
        "notempo": "No oigo un pulso regular.",
        "key": "{k} (ajuste {c}).",
        "nokey": "Ninguna tonalidad encaja con claridad.",
        "pitch": "De {lo} a {hi}.",
        "nopitch": "No puedo seguir una altura clara.",
        "nomusic": "No oigo música.",
        "genre": "Suena a {g}.",
        "nogenre": "No puedo decir el género.",
        "instr": "Oigo {i}.",
        "noinstr": "No puedo nombrar los instrumentos.",
        "loud": "{lufs} LUFS integrados, pico {peak} dBFS: {q}.",
        "q": ("bajo", "medio", "alto"),
        "dur": "El clip dura {d}.",
        "throughout": "todo el tiempo",
        "and": " y ",
        "sounds": "{d}: {x}.",
        "speech_cap": "Habla en {lang}: «{s}».",
        "music_cap": "Música{m}.",
        "other": "Solo puedo responder a partir de lo que oí. {c}",
    },
    "zh": {
        "silent": "这段音频是静音的（{d}）：什么也听不到。",
        "heard": "我听到{x}。",
        "nothing": "无法命名的声音",
        "yes": "是的：{x}，在{t}。",
        "no": "没有，我没有听到{x}。我听到{h}。",
        "count": "{x}：{n}次，在{t}。",
        "count0": "我没有听到{x}（0次）。我听到{h}。",
        "when": "{x}在{t}。",
        "said": "说的是：“{s}”（{lang}，{t}）。",
        "nospeech": "我没有听到说话声。",
        "lang": "说的是{lang}（概率{p}）。",
        "tempo": "大约{bpm} BPM。",
        "notempo": "我听不到稳定的节拍。",
        "key": "{k}（匹配度{c}）。",
        "nokey": "没有明确的调性。",
        "pitch": "从{lo}到{hi}。",
        "nopitch": "听不出清晰的音高。",
        "nomusic": "我没有听到音乐。",
        "genre": "听起来像{g}。",
        "nogenre": "无法判断风格。",
        "instr": "我听到{i}。",
        "noinstr": "无法分辨乐器。",
        "loud": "综合响度{lufs} LUFS，峰值{peak} dBFS：{q}。",
        "q": ("安静", "中等", "响亮"),
        "dur": "这段音频长{d}。",
        "throughout": "全程",
        "and": "和",
        "sounds": "{d}：{x}。",
        "speech_cap": "{lang}说话：“{s}”。",
        "music_cap": "音乐{m}。",
        "other": "我只能根据听到的内容回答。{c}",
    },
    "ja": {
        "silent": "この音声は無音です（{d}）：何も聞こえません。",
        "heard": "{x}が聞こえます。",
        "nothing": "名前の分からない音",
        "yes": "はい：{x}（{t}）。",
        "no": "いいえ、{x}は聞こえません。聞こえるのは{h}です。",
        "count": "{x}：{n}回（{t}）。",
        "count0": "{x}は聞こえません（0回）。聞こえるのは{h}です。",
        "when": "{x}は{t}です。",
        "said": "「{s}」と言っています（{lang}、{t}）。",
        "nospeech": "話し声は聞こえません。",
        "lang": "{lang}です（確率{p}）。",
        "tempo": "約{bpm} BPMです。",
        "notempo": "一定のビートは聞こえません。",
        "key": "{k}です（一致度{c}）。",
        "nokey": "はっきりした調はありません。",
        "pitch": "{lo}から{hi}までです。",
        "nopitch": "はっきりした音高は追えません。",
        "nomusic": "音楽は聞こえません。",
        "genre": "{g}のように聞こえます。",
        "nogenre": "ジャンルは分かりません。",
        "instr": "{i}が聞こえます。",
        "noinstr": "楽器は特定できません。",
        "loud": "統合ラウドネス{lufs} LUFS、ピーク{peak} dBFS：{q}。",
        "q": ("静か", "普通", "大きい"),
        "dur": "長さは{d}です。",
        "throughout": "全体",
        "and": "と",
        "sounds": "{d}：{x}。",
        "speech_cap": "{lang}の話し声：「{s}」。",
        "music_cap": "音楽{m}。",
        "other": "聞こえた内容からしか答えられません。{c}",
    },
}


def _seconds(value: float, lang: str) -> str:
    return f"{value:.1f}秒" if lang in ("zh", "ja") else f"{value:.1f} s"


def _span(start: float, end: float, lang: str) -> str:
    unit = "秒" if lang in ("zh", "ja") else " s"
    return f"{start:.1f}–{end:.1f}{unit}"


def _spans(places: list[tuple[float, float]], lang: str) -> str:
    """When the sound is (the evidence an answer gives)."""
    return ", ".join(_span(a, b, lang) for a, b in places)


def _join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    sep = "、" if lang in ("zh", "ja") else ", "
    return sep.join(items[:-1]) + T[lang]["and"] + items[-1]


def confirming_classes(label: str) -> frozenset[str]:
    """Tagger classes whose segments confirm that ``label`` was heard: the class, its specific relatives in the
    source taxonomy, and the lexicon's extra ones (never broad ancestors such as "Animal")."""
    from audio_omni.data.sources.taxonomy import LABELS

    related = LABELS[label].related if label in LABELS else ()
    extra = ALSO_CONFIRMS.get(label, ()) + _EXTRA_CONFIRMS.get(label, ())
    return frozenset({label, *(r for r in (*related, *extra) if r not in _BROAD)})


@functools.cache
def _music_classes() -> frozenset[str]:
    from audio_omni.data.sources.taxonomy import LABELS
    from audio_omni.judges.yamnet import yamnet_class_names

    names = yamnet_class_names()
    subtree = names[names.index(MUSIC_SUBTREE[0]) : names.index(MUSIC_SUBTREE[1]) + 1]
    return frozenset(subtree) | {k for k, v in LABELS.items() if v.domain == "music"}


def plays_a_part(label: str) -> bool:
    """Whether ``label`` is music (an instrument, a genre, a mood): a part that plays on through rests, not a
    sound that occurs and recurs."""
    return label in _music_classes()


def evidence(facts: AudioFacts, label: str) -> list[SoundSegment]:
    """The segments of the confirming class heard with the highest confidence (one class, so that its
    segments do not double-count an event that several related classes also cover)."""
    found = facts.segments_of(confirming_classes(label))
    if not found:
        return []
    best = max(found, key=lambda s: s.confidence).label
    return [s for s in found if s.label == best]


def _sound_list(facts: AudioFacts, lang: str, limit: int = CAPTION_CLASSES) -> list[str]:
    out = []
    for label in facts.labels()[:limit]:
        segs = facts.segments_of([label])
        covered = sum(s.end - s.start for s in segs)
        # music: its own segments as one part over short rests (a relative's are listed under its own name)
        if plays_a_part(label):
            places = joined_spans(((s.start, s.end) for s in segs), PART_GAP_S)
        else:
            places = where(facts, segs)
        when = T[lang]["throughout"] if covered >= THROUGHOUT * facts.duration else _spans(places, lang)
        out.append(f"{sound_word(label, lang)} ({when})")
    return out


def caption(facts: AudioFacts, lang: str = "en") -> str:
    """A short description: duration, the sounds with their times, what is said, the music's descriptors."""
    t = T.get(lang, T["en"])
    duration = _seconds(facts.duration, lang)
    if facts.silent:
        return t["silent"].format(d=duration)
    sounds = _sound_list(facts, lang)
    parts = [t["sounds"].format(d=duration, x=", ".join(sounds) if sounds else t["nothing"])]
    if facts.speech is not None:
        parts.append(t["speech_cap"].format(lang=language_name(facts.speech.language, lang), s=facts.speech.transcript))
    if facts.music is not None:
        parts.append(t["music_cap"].format(m=_music_summary(facts, lang)))
    return " ".join(parts)


def _music_summary(facts: AudioFacts, lang: str) -> str:
    m = facts.music
    bits = []
    if m.tempo_bpm is not None:
        bits.append(f"{m.tempo_bpm:.0f} BPM")
    if m.key is not None:
        bits.append(key_name(m.key, lang))
    bits += [sound_word(n, lang) for n, _ in m.instruments[:3]]
    sep = "：" if lang in ("zh", "ja") else ": "
    return (sep + ", ".join(bits)) if bits else ""


def _heard(facts: AudioFacts, lang: str) -> str:
    sounds = [sound_word(label, lang) for label in facts.labels()[:4]]
    return _join(sounds, lang) if sounds else T[lang]["nothing"]


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%"


def answer(question: Question, facts: AudioFacts) -> str:
    """The rule-based answer to a parsed question (see the module docstring)."""
    lang = question.answer_language
    t = T[lang]
    kind = question.kind
    if question.language == "unknown" and kind in ("other", "describe", "presence"):
        return T["en"]["unknown"].format(c=caption(facts, "en"))
    if facts.silent:
        if kind == "duration":
            return t["dur"].format(d=_seconds(facts.duration, lang))
        return t["silent"].format(d=_seconds(facts.duration, lang))
    if kind == "describe":
        return caption(facts, lang)
    if kind in ("presence", "count", "timing"):
        return _about_sounds(question, facts, lang)
    if kind in ("transcript", "language"):
        if facts.speech is None:
            return t["nospeech"]
        s = facts.speech
        if kind == "language":
            return t["lang"].format(lang=language_name(s.language, lang), p=_pct(s.language_probability))
        span = f"{s.segments[0].start:.1f}–{s.segments[-1].end:.1f}{'秒' if lang in ('zh', 'ja') else ' s'}"
        return t["said"].format(s=s.transcript, lang=language_name(s.language, lang), t=span)
    if kind in ("tempo", "key", "pitch", "genre", "instruments"):
        return _about_music(kind, facts, lang)
    if kind == "loudness":
        lufs = facts.loudness_lufs if facts.loudness_lufs is not None else float("-inf")
        quality = t["q"][0 if lufs < -30 else 1 if lufs < -16 else 2]
        return t["loud"].format(lufs=f"{lufs:.1f}", peak=f"{facts.peak_dbfs:.1f}", q=quality)
    if kind == "duration":
        return t["dur"].format(d=_seconds(facts.duration, lang))
    return t["other"].format(c=caption(facts, lang))


def _about_sounds(question: Question, facts: AudioFacts, lang: str) -> str:
    t = T[lang]
    label = question.classes[0] if question.classes else None
    if label is None:
        return caption(facts, lang)
    # Music and speech are also heard through their own analyses, not only as a tagger segment.
    found = evidence(facts, label)
    name = sound_word(label, lang)
    if not found:
        if question.kind == "count":
            return t["count0"].format(x=name, h=_heard(facts, lang))
        return t["no"].format(x=name, h=_heard(facts, lang))
    places = where(facts, found, label)
    spans = _spans(places, lang)
    if question.kind == "presence":
        return t["yes"].format(x=name, t=spans)
    if question.kind == "count":
        # without a spectrogram (facts built elsewhere) the segments' burst counts are the count, but for music:
        # its parts are what is counted
        n = len(places) if facts.foreground is not None or plays_a_part(label) else sum(s.count for s in found)
        return t["count"].format(x=name, n=n, t=spans)
    return t["when"].format(x=name, t=spans)


def where(facts: AudioFacts, found: list[SoundSegment], label: str | None = None) -> list[tuple[float, float]]:
    """When a confirmed sound occurs: speech where Whisper transcribed it; music (``label`` plays a part) where
    the tagger hears it or its musical relatives, over rests shorter than ``PART_GAP_S`` (a held note has no
    repeats to find, and a template of one phrase finds only that phrase); other sounds at their occurrences in
    the clip's spectrogram (:mod:`.occurrences`), found from the most confident segment; else (no spectrogram
    kept) the segments' bursts."""
    if facts.speech is not None and any(s.label in SPEECH_CLASSES for s in found):
        return [(s.start, s.end) for s in facts.speech.segments]
    if label is not None and plays_a_part(label):
        heard = facts.segments_of(c for c in confirming_classes(label) if plays_a_part(c)) or found
        return joined_spans(((s.start, s.end) for s in heard), PART_GAP_S)
    if facts.foreground is not None:
        best = max(found, key=lambda s: s.confidence)
        places = occurrences(facts.foreground, best.start, best.end)
        if places:
            return places
    return [span for s in found for span in s.spans]


def _about_music(kind: str, facts: AudioFacts, lang: str) -> str:
    t = T[lang]
    m = facts.music
    if m is None:
        return t["nomusic"]
    if kind == "tempo":
        return t["tempo"].format(bpm=f"{m.tempo_bpm:.0f}") if m.tempo_bpm is not None else t["notempo"]
    if kind == "key":
        return t["key"].format(k=key_name(m.key, lang), c=f"{m.key_confidence:.2f}") if m.key else t["nokey"]
    if kind == "pitch":
        return t["pitch"].format(lo=m.pitch_range[0], hi=m.pitch_range[1]) if m.pitch_range else t["nopitch"]
    if kind == "genre":
        names = [sound_word(n, lang) for n, _ in (m.genres + m.moods)[:3]]
        return t["genre"].format(g=_join(names, lang)) if names else t["nogenre"]
    names = [sound_word(n, lang) for n, _ in m.instruments[:4]]
    return t["instr"].format(i=_join(names, lang)) if names else t["noinstr"]
