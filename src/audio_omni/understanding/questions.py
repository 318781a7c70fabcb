"""What a question asks: its language, its kind and the sounds it names.

Kinds (:data:`KINDS`): ``describe`` (what do you hear), ``presence`` (is there X), ``count`` (how many times),
``timing`` (when), ``transcript`` (what is said), ``language`` (which language is spoken), ``tempo``, ``key``,
``pitch``, ``genre``, ``instruments``, ``loudness``, ``duration``; anything else is ``other``.

The language is told by the script (kana: Japanese; Han without kana: Chinese) and, for Latin script, by
counting each language's function words and letters; a question with none of them is ``unknown``. The kind is
the first cue list (in :data:`CUES` order) with a match. Sounds are named through :mod:`.lexicon`, and in
English also by any AudioSet class name (whole words, simple plurals).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from audio_omni.understanding.lexicon import SOUND_WORDS

KINDS = (
    "describe",
    "presence",
    "count",
    "timing",
    "transcript",
    "language",
    "tempo",
    "key",
    "pitch",
    "genre",
    "instruments",
    "loudness",
    "duration",
    "other",
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and letters that mark each Latin-script language (lower case, accents kept).
_MARKERS = {
    "en": _words(
        "is are there what how many when does do you hear the which said can this in it of say times any "
        "sound sounds clip audio language"
    ),
    "de": _words(
        "ist gibt es hörst du wie wann was welche welcher welchem der die das ein eine einen oft wird gesagt "
        "hört man im zu hören sprache sagt mal tonart aufnahme geräusche hund lautstärke"
    ),
    "fr": _words(
        "est ce qu que quel quelle combien quand y il entend entends on le la les un une dans langue dit fois "
        "de des t tonalité extrait chien parlée"
    ),
    "es": _words(
        "hay qué cuántas cuántos cuándo se oye escucha escuchas oyes el la los las un una en idioma dice "
        "veces de algún alguna suena tonalidad perro habla"
    ),
}
_LETTERS = {"de": "äöüß", "fr": "çèêàâîôûœ", "es": "ñ¿¡áíóú"}

# Cue patterns per kind and language, tried in this order (earlier kinds win).
CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "language": {
        "en": (r"\blanguages?\b",),
        "de": (r"\bsprache\b(?!.*\bspricht\b)", r"welche[rn]? sprache"),
        "fr": (r"\blangues?\b",),
        "es": (r"\bidioma\b", r"\blengua\b"),
        "zh": ("语言", "什么语", "哪种语"),
        "ja": ("言語", "何語"),
    },
    "transcript": {
        "en": (
            r"\bwhat (is|was|are|were) (being )?(said|spoken)",
            r"\bwhat does .* say",
            r"\btranscri",
            r"\bwhat did .* say",
            r"\bwhich words\b",
            r"\bwhat (is|are) .* saying",
        ),
        "de": (r"was wird .*gesagt", r"\bwas sagt\b", r"transkrib", r"welche worte"),
        "fr": (
            r"\bque dit\b",
            r"qu.est-ce qu.(il|elle|on) dit",
            r"qu.est-ce qui est dit",
            r"transcri",
            r"\bquels mots\b",
        ),
        "es": (r"qué (se )?dice", r"transcrib", r"qué palabras"),
        "zh": ("说了什么", "说什么", "转写", "讲了什么"),
        "ja": ("何と言", "何を言", "書き起こ", "何て言"),
    },
    "count": {
        "en": (r"\bhow many\b", r"\bhow often\b", r"\bnumber of\b"),
        "de": (r"\bwie oft\b", r"\bwie viele?\b", r"\bwievielmal\b"),
        "fr": (r"\bcombien\b",),
        "es": (r"\bcu[aá]nt[oa]s\b", r"\bcu[aá]ntas veces\b"),
        "zh": ("几次", "多少次", "几声", "多少声", "几下"),
        "ja": ("何回", "何度", "いくつ"),
    },
    "timing": {
        "en": (r"\bwhen\b", r"\bat what time\b", r"\bwhat time\b", r"\bat which point\b"),
        "de": (r"\bwann\b", r"zu welche[mr] zeit"),
        "fr": (r"\bquand\b", r"à quel moment"),
        "es": (r"\bcu[aá]ndo\b", r"en qué momento"),
        "zh": ("什么时候", "何时", "哪个时间"),
        "ja": ("いつ", "何秒に", "どのタイミング"),
    },
    "tempo": {
        "en": (r"\btempo\b", r"\bbpm\b", r"\bhow fast\b", r"beats per minute"),
        "de": (r"\btempo\b", r"wie schnell", r"\bbpm\b"),
        "fr": (r"\btempo\b", r"\bbpm\b", r"quelle vitesse"),
        "es": (r"\btempo\b", r"\bbpm\b", r"qué tan rápid"),
        "zh": ("速度", "节奏", "BPM", "bpm"),
        "ja": ("テンポ", "BPM", "bpm"),
    },
    "key": {
        "en": (r"\bkey\b", r"\btonality\b"),
        "de": (r"\btonart\b",),
        "fr": (r"\btonalité\b",),
        "es": (r"\btonalidad\b",),
        "zh": ("调性", "什么调", "哪个调"),
        "ja": ("調性", "何調", "キー"),
    },
    "pitch": {
        "en": (r"\bpitch\b", r"\brange\b", r"\bhow high\b", r"\bnotes?\b"),
        "de": (r"tonhöhe", r"tonumfang"),
        "fr": (r"\bhauteur\b", r"\btessiture\b", r"\bnotes?\b"),
        "es": (r"\bregistro\b", r"\bnotas?\b", r"\baltura\b"),
        "zh": ("音高", "音域"),
        "ja": ("音高", "音域", "音程"),
    },
    "genre": {
        "en": (r"\bgenre\b", r"\bstyle\b", r"\bkind of music\b", r"\btype of music\b", r"\bmood\b"),
        "de": (r"\bgenre\b", r"musikrichtung", r"\bstil\b", r"\bstimmung\b"),
        "fr": (r"\bgenre\b", r"\bstyle\b", r"\bambiance\b"),
        "es": (r"\bg[eé]nero\b", r"\bestilo\b"),
        "zh": ("风格", "类型的音乐", "流派"),
        "ja": ("ジャンル", "雰囲気"),
    },
    "instruments": {
        "en": (r"\binstruments?\b",),
        "de": (r"\binstrumente?\b",),
        "fr": (r"\binstruments?\b",),
        "es": (r"\binstrumentos?\b",),
        "zh": ("乐器",),
        "ja": ("楽器",),
    },
    "duration": {
        "en": (
            r"\bhow long is (the|this) (clip|audio|recording|file|sound)\b",
            r"\bduration\b",
            r"\blength\b",
            r"\bhow long does (the|this) (clip|audio|recording) last",
        ),
        "de": (r"\bwie lang ist\b", r"\bdauer\b", r"\blänge\b"),
        "fr": (r"\bdurée\b",),
        "es": (r"\bduraci[oó]n\b", r"cuánto dura"),
        "zh": ("多长", "时长"),
        "ja": ("長さ", "何秒間"),
    },
    "loudness": {
        "en": (r"\bhow loud\b", r"\bloudness\b", r"\bvolume\b", r"\blevel\b"),
        "de": (r"\blautstärke\b", r"wie laut"),
        "fr": (r"\bvolume\b", r"\bintensité\b"),
        "es": (r"\bvolumen\b",),
        "zh": ("音量", "响度", "多响"),
        "ja": ("音量", "うるさ"),
    },
    "describe": {
        "en": (
            r"\bwhat (do|can) you hear\b",
            r"\bdescribe\b",
            r"\bwhat (sounds?|is) (is |are )?(in|there)\b",
            r"\bwhich sounds?\b",
            r"\bwhat sounds?\b",
            r"\bcaption\b",
            r"\bwhat is happening\b",
            r"\bwhat'?s in\b",
        ),
        "de": (r"was hörst du", r"was hört man", r"beschreib", r"welche geräusche", r"was ist zu hören"),
        "fr": (r"qu.entend", r"décri", r"quels sons", r"que se passe"),
        "es": (r"qué (oyes|escuchas|se oye|se escucha)", r"describ", r"qué sonidos", r"qué pasa"),
        "zh": ("听到什么", "听到了什么", "描述", "什么声音", "有什么声音", "听见什么"),
        "ja": ("何が聞こえ", "説明", "どんな音", "何の音"),
    },
    "presence": {
        "en": (r"^(is|are|does|do|can|could|was|were|did)\b", r"\bis there\b", r"\bare there\b", r"\bany\b"),
        "de": (r"^(ist|sind|gibt|hörst|hört|kann|kommt|bellt|hat)\b", r"gibt es"),
        "fr": (r"y a-t-il", r"est-ce qu", r"^(entend|entends|on entend)", r"il y a"),
        "es": (r"^¿?(hay|se oye|se escucha|oyes|escuchas|suena|es|está|tiene)\b", r"\bhay\b"),
        "zh": ("有没有", "吗", "是否"),
        "ja": ("ますか", "か？", "か?", "ありますか"),
    },
}


@dataclass(frozen=True)
class Question:
    text: str
    language: str  # en, de, fr, es, zh, ja, or "unknown"
    kind: str  # one of KINDS
    classes: tuple[str, ...] = ()  # AudioSet classes the question names, in the order named

    @property
    def answer_language(self) -> str:
        """The language to answer in (English when the question's is unknown)."""
        return self.language if self.language != "unknown" else "en"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def question_language(text: str) -> str:
    """en / de / fr / es / zh / ja, or ``unknown``."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "zh"
    folded = _fold(text)
    if re.search(r"[^\x00-\u024f\u2000-\u206f\s]", folded):  # another script (Cyrillic, Arabic, Hangul, ...)
        return "unknown"
    words = re.findall(r"[^\W\d_]+", folded)
    scores = {lang: sum(w in markers for w in words) for lang, markers in _MARKERS.items()}
    for lang, letters in _LETTERS.items():
        scores[lang] += 2 * sum(ch in letters for ch in folded)
    best = max(scores, key=lambda k: (scores[k], k == "en"))
    return best if scores[best] > 0 else "unknown"


def question_kind(text: str, language: str) -> str:
    """The first kind whose cues match (English cues also tried for a question in an unknown language)."""
    folded = _fold(text).strip()
    languages = (language, "en") if language not in ("en", "unknown") else ("en",)
    for kind, by_language in CUES.items():
        for lang in languages:
            if any(re.search(cue, folded) for cue in by_language.get(lang, ())):
                return kind
    return "other"


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=1)
def _english_class_phrases(labels: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], str], ...]:
    """(word sequence, class) for every part of every class name and the taxonomy's caption phrases of several
    words, longest first ("police car" before "car")."""
    out = []
    for label in labels:
        bare = re.sub(r"\([^)]*\)", " ", label)
        for part in (bare, *bare.split(",")):
            words = tuple(_singular(w) for w in re.findall(r"[a-z]+", part.lower()))
            if words and words not in (("inside",), ("outside",), ("music",), ("sound",), ("speech",)):
                out.append((words, label))
    # The source taxonomy's caption of a class ("city ambience", "machinery working") is how the project's own
    # instructions and questions name it.
    from audio_omni.data.sources.taxonomy import LABELS

    known = set(labels)
    for label, entry in LABELS.items():
        words = tuple(_singular(w) for w in re.findall(r"[a-z]+", entry.caption.lower()) if w not in ("a", "an", "the"))
        if label in known and len(words) > 1:
            out.append((words, label))
    return tuple(sorted(set(out), key=lambda x: -len(x[0])))


# Words of English questions that are never sounds even when a class is called so ("Sound effect", "Silence").
_NOT_SOUNDS = frozenset({"sound", "effect", "silence", "noise", "clip", "audio", "time", "hear", "music genre"})


def named_classes(text: str, language: str, labels: list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    """AudioSet classes a question names: through the lexicon in its language (and English), and in
    English by any of ``labels`` (the tagger's class names)."""
    folded = _fold(text)
    found: list[tuple[int, int, str]] = []  # (position, lexicon first, class)
    for label, by_language in SOUND_WORDS.items():
        for lang in dict.fromkeys((language, "en")):
            for word in by_language.get(lang, ())[1:] if lang != "zh" and lang != "ja" else by_language.get(lang, ()):
                w = _fold(word)
                if lang in ("zh", "ja"):
                    pos = folded.find(w)
                else:
                    m = re.search(rf"\b{re.escape(w)}(s|es)?\b" if lang == "en" else rf"\b{re.escape(w)}\b", folded)
                    pos = m.start() if m else -1
                if pos >= 0:
                    found.append((pos, 0, label))
    if language in ("en", "unknown") and labels:
        for phrase, label in _english_class_phrases(tuple(labels)):
            if " ".join(phrase) in _NOT_SOUNDS:
                continue
            m = re.search(r"\b" + r"\W+".join(re.escape(w) + "(?:s|es)?" for w in phrase) + r"\b", folded)
            if m:
                found.append((m.start(), 1, label))
    ordered = [label for _, _, label in sorted(found)]
    return tuple(dict.fromkeys(ordered))


def parse_question(text: str, labels: list[str] | tuple[str, ...] = ()) -> Question:
    """Language, kind and named classes of ``text`` (see the module docstring). ``labels``: the tagger's
    class names, for English questions that name a class the lexicon does not list."""
    language = question_language(text)
    kind = question_kind(text, language)
    classes = named_classes(text, language, labels)
    if kind in ("other", "describe") and classes and _asks_yes_no(text, language):
        kind = "presence"
    if kind == "presence" and not classes:
        kind = "other"
    return Question(text=text, language=language, kind=kind, classes=classes)


def _asks_yes_no(text: str, language: str) -> bool:
    folded = _fold(text).strip()
    return any(re.search(cue, folded) for cue in CUES["presence"].get(language, CUES["presence"]["en"]))
