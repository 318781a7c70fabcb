"""One recipe per task: a function ``Draw -> Pair`` that draws its material and mixes the pair exactly.

``mixture`` (Add, Remove, Extract: the official triplet), ``change`` (Style Transfer, Replace, Level),
``region`` (Region), ``speech_edit`` (SpeechEdit), ``generation`` (T2A, T2M, TTS); ``base`` holds what they share.
:func:`audio_omni.data.pairs.synthesize_pair` picks the recipe by task name.
"""

from __future__ import annotations

from collections.abc import Callable

from audio_omni.data.recipes.base import Draw, Pair
from audio_omni.data.recipes.change import level, replace, style_transfer
from audio_omni.data.recipes.generation import t2a, t2m, tts
from audio_omni.data.recipes.mixture import add, extract, remove
from audio_omni.data.recipes.region import region
from audio_omni.data.recipes.speech_edit import speech_edit

Recipe = Callable[[Draw], Pair]

RECIPES: dict[str, Recipe] = {
    "Add": add,
    "Remove": remove,
    "Extract": extract,
    "Style Transfer": style_transfer,
    "Replace": replace,
    "Level": level,
    "Region": region,
    "SpeechEdit": speech_edit,
    "T2A": t2a,
    "T2M": t2m,
    "TTS": tts,
}
