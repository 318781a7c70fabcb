"""Scoring free-text answers to the questions of :mod:`audio_omni.eval.question_items`, in six languages.

* ``Presence``: the answer's first yes or no word (yes / ja / oui / sí / 是 / 有 / はい; no / nein / non / 没有 /
  いいえ) against ``extra.expected``; an answer with neither is wrong;
* ``Count``: the first number in the answer (in digits; else a number word up to ten) equals the stem's count;
* ``Timing``: every "a–b" time span in the answer (seconds) is united and compared with the union of the true
  spans: intersection over union (``iou``), ``hit`` when it reaches 0.5;
* ``LanguageID``: the answer names the spoken language (its English, native or question-language name, or
  its ISO code as a word);
* ``Caption``: the fraction of the clip's classes the caption names (:func:`understanding.tagging_scores`), by
  their English class names or by their words in the question's language (:func:`named_in_language`).
"""

from __future__ import annotations

import re

from audio_omni.understanding.lexicon import LANGUAGE_NAMES, SOUND_WORDS

YES_WORDS = ("yes", "ja", "oui", "sí", "si", "是", "有", "はい", "对")
NO_WORDS = ("no", "nein", "non", "没有", "不", "いいえ", "没", "否")
NUMBER_WORDS = {
    w: i
    for i, words in enumerate(
        (
            ("zero", "null", "zéro", "cero", "零", "ゼロ"),
            ("one", "once", "eins", "einmal", "un", "une", "uno", "una", "一"),
            ("two", "twice", "zwei", "deux", "dos", "二", "两"),
            ("three", "drei", "trois", "tres", "三"),
            ("four", "vier", "quatre", "cuatro", "四"),
            ("five", "fünf", "cinq", "cinco", "五"),
            ("six", "sechs", "seis", "六"),
            ("seven", "sieben", "sept", "siete", "七"),
            ("eight", "acht", "huit", "ocho", "八"),
            ("nine", "neun", "neuf", "nueve", "九"),
            ("ten", "zehn", "dix", "diez", "十"),
        )
    )
    for w in words
}
TIMING_HIT_IOU = 0.5
_SPAN = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:s|秒)?\s*[–—\-~〜至到]\s*(\d+(?:[.,]\d+)?)")


def yes_or_no(answer: str) -> str | None:
    """ "yes", "no" or None: whichever word of :data:`YES_WORDS` / :data:`NO_WORDS` comes first."""
    text = (answer or "").lower()
    best: tuple[int, str] | None = None
    for verdict, words in (("yes", YES_WORDS), ("no", NO_WORDS)):
        for word in words:
            pattern = re.escape(word) if not word.isascii() else rf"(?<![\w]){re.escape(word)}(?![\w])"
            m = re.search(pattern, text)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), verdict)
    return None if best is None else best[1]


def first_number(answer: str) -> int | None:
    """The first number written in digits, else the first number word ("un", "one" are also articles, so
    words count only when the answer has no digits)."""
    text = (answer or "").lower()
    m = re.search(r"\d+", text)
    if m:
        return int(m.group())
    candidates = []
    for word, value in NUMBER_WORDS.items():
        m = re.search(re.escape(word) if not word.isascii() else rf"(?<!\w){re.escape(word)}(?!\w)", text)
        if m:
            candidates.append((m.start(), value))
    return min(candidates)[1] if candidates else None


def time_spans(answer: str) -> list[tuple[float, float]]:
    out = []
    for a, b in _SPAN.findall(answer or ""):
        start, end = float(a.replace(",", ".")), float(b.replace(",", "."))
        if end > start:
            out.append((start, end))
    return out


def _union_length(spans) -> float:
    total, last_end = 0.0, None
    for start, end in sorted(spans):
        if last_end is not None and start < last_end:
            if end > last_end:
                total += end - last_end
                last_end = end
        else:
            total += end - start
            last_end = end
    return total


def span_iou(predicted, truth) -> float:
    """Intersection over union of two unions of [start, end] spans (seconds)."""
    predicted, truth = [tuple(s) for s in predicted], [tuple(s) for s in truth]
    union = _union_length(predicted + truth)
    if union <= 0:
        return 0.0
    inter = _union_length(predicted) + _union_length(truth) - union
    return max(0.0, inter) / union


def names_language(answer: str, code: str) -> bool:
    text = (answer or "").lower()
    names = {code} | {table[code].lower() for table in LANGUAGE_NAMES.values() if code in table}
    return any((re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text) if n.isascii() else n in text) for n in names)


def named_in_language(answer: str, label: str, language: str) -> bool:
    """Does ``answer`` name AudioSet class ``label`` by one of its words in ``language`` (the lexicon's
    translations: "chien" for Dog; whole words, or anywhere for Chinese and Japanese)?"""
    text = (answer or "").lower()
    for word in SOUND_WORDS.get(label, {}).get(language, ()):
        word = word.lower()
        if (re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) if word.isascii() else word in text):
            return True
    return False


def score(operation: str, answer: str, expected) -> dict:
    """Scores of one answer (see the module docstring); ``correct`` is the per-item success of every type."""
    if operation == "Presence":
        said = yes_or_no(answer)
        return {"said": said, "correct": said == expected}
    if operation == "Count":
        said = first_number(answer)
        return {
            "said": said,
            "correct": said == int(expected),
            "abs_error": None if said is None else abs(said - int(expected)),
        }
    if operation == "Timing":
        spans = time_spans(answer)
        iou = span_iou(spans, expected)
        return {"spans": [list(s) for s in spans], "iou": iou, "correct": iou >= TIMING_HIT_IOU}
    if operation == "LanguageID":
        return {"correct": names_language(answer, str(expected))}
    raise ValueError(f"{operation!r} is not scored here")
