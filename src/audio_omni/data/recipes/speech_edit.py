"""SpeechEdit: the same voice says the same sentence with one word changed, in the same place (shared residual)."""

from __future__ import annotations

import numpy as np

from audio_omni.data.instructions import swap_word, word_swaps
from audio_omni.data.mixer import gain_for_snr
from audio_omni.data.recipes.base import Draw, Pair, Scene, finish_change, rest_for, snr_scale
from audio_omni.data.tracks import PairError


def speech_edit(draw: Draw) -> Pair:
    syn, pool, rng, sr = draw.syn, draw.pool, draw.rng, draw.syn.s.sample_rate
    langs = [lang for lang in ([draw.language] + sorted(pool.texts))
             if any(word_swaps(lang, t) for t in pool.texts.get(lang, []))]  # fmt: skip
    langs = [lang for lang in langs if pool.voices.get(lang)]
    if not langs:
        raise PairError(f"no sentence with a word to swap in {pool.split}")
    lang = langs[0]
    texts = [t for t in pool.texts[lang] if word_swaps(lang, t)]
    text = texts[int(rng.integers(len(texts)))]
    swaps = word_swaps(lang, text)
    old, new_word = swaps[int(rng.integers(len(swaps)))]
    voice = syn.pick_voice(pool, lang, rng)
    fg = syn.spoken(text, lang, voice, rng)
    start = int(round(fg.span[0] * sr))
    new_text = swap_word(lang, text, old, new_word)
    new_length = len(syn.utterance(new_text, voice))
    if start + new_length > syn.length:  # the new sentence must fit from the same start: move both earlier
        start = max(0, syn.length - new_length)
        fg = syn.spoken(text, lang, voice, rng, start=start)
    changed = syn.spoken(new_text, lang, voice, rng, start=start)
    changed.clip_ids, changed.groups = fg.clip_ids + [changed.clip_ids[0]], fg.groups
    rest = rest_for("speech", syn, pool, rng, fg) if rng.random() < 0.6 else None
    snr = snr_scale(fg, rest, rng, syn, "speech")
    changed.wave = (changed.wave * gain_for_snr(changed.wave, fg.wave, 0.0, sr)).astype(np.float32)
    draw.meta.update(transcript=new_text, source_transcript=text, speaker=voice.id, speech_language=lang,
                     description=fg.description, target_description=changed.description)  # fmt: skip
    return finish_change(draw, Scene(fg, rest, snr), changed, {"old": old, "new": new_word}, "SpeechEdit")
