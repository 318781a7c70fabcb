"""Edits that change one sound and keep the rest (shared residual): Style Transfer, Replace and Level.

Style Transfer keeps the timing and loudness envelope and changes what makes the sound: music plays the same
score with the part on another instrument, speech says the same words in another voice, a sound becomes another
class shaped to the old one's envelope. Replace puts another class in the same place; Level scales the sound.
"""

from __future__ import annotations

import numpy as np

from audio_omni.data.instructions import text_id
from audio_omni.data.mixer import match_envelope, match_loudness, place, stretch_to
from audio_omni.data.recipes.base import Draw, Pair, Scene, draw_scene, finish_change
from audio_omni.data.tracks import SPEECH_DESCRIPTIONS, SPEECH_LABELS, SPEECH_LABELS_TO_GENDER, PairError, Track

#: GM programs used as "another instrument" in music Style Transfer (a spread of families).
TRANSFER_PROGRAMS = (0, 6, 11, 19, 24, 25, 33, 40, 42, 56, 57, 60, 65, 68, 71, 73, 75, 105)


def style_transfer(draw: Draw) -> Pair:
    scene = draw_scene(draw)
    if draw.domain == "music":
        new = _other_instrument(draw, scene)
    elif draw.domain == "speech":
        new = _other_voice(draw, scene.fg)
        draw.meta["target_speaker"] = new.info.get("speaker")
    else:
        new = _other_sound(draw, scene.fg, shaped=True)
    return _swap(draw, scene, new)


def replace(draw: Draw) -> Pair:
    scene = draw_scene(draw)
    return _swap(draw, scene, _other_sound(draw, scene.fg, shaped=False))


def level(draw: Draw) -> Pair:
    scene = draw_scene(draw)
    fg = scene.fg
    db = float(draw.rng.choice([-1, 1]) * draw.rng.uniform(4.0, 12.0))
    db = round(db, 0) or 6.0
    louder = Track((fg.wave * 10 ** (db / 20)).astype(np.float32), fg.label, fg.description, [], [], fg.span)
    draw.meta["level_db"] = db
    key = "Level/up" if db > 0 else "Level/down"
    return finish_change(draw, scene, louder, {"x": fg.description, "db": f"{abs(db):g}"}, key)


def _swap(draw: Draw, scene: Scene, new: Track) -> Pair:
    """The pair where ``new`` replaces the foreground; both are named in the instruction, so they must differ."""
    fg = scene.fg
    if new.description == fg.description:
        raise PairError("the new sound has the same description as the old one")
    draw.meta["target_description"] = new.description
    pair = finish_change(draw, scene, new, {"x": fg.description, "y": new.description}, draw.task)
    pair.meta["labels"]["new"] = new.label
    return pair


def _span(draw: Draw, fg: Track) -> tuple[int, int]:
    sr = draw.syn.s.sample_rate
    return int(round(fg.span[0] * sr)), int(round(fg.span[1] * sr))


def _other_instrument(draw: Draw, scene: Scene) -> Track:
    """The same score excerpt with the foreground part on another GM program, at the old part's loudness."""
    from audio_omni.data.sources.soundfont import program_name

    recipe, rng = scene.recipe, draw.rng
    current = recipe["programs"][recipe["part"]]
    taken = set(recipe["programs"].values())
    options = [p for p in TRANSFER_PROGRAMS if p not in taken and program_name(p) != program_name(current)]
    program = int(options[int(rng.integers(len(options)))])
    _, _, _, tracks = draw.syn.score_stems(draw.pool, rng, {recipe["part"]: program}, recipe["score"],
                                           recipe["offset"])  # fmt: skip
    new = tracks[recipe["part"]]
    new.wave = match_loudness(new.wave, scene.fg.wave, draw.syn.s.sample_rate)
    return new


def _other_voice(draw: Draw, fg: Track) -> Track:
    """The same words in another voice (of the other gender where there is one), stretched to the same span."""
    syn, sr = draw.syn, draw.syn.s.sample_rate
    start, stop = _span(draw, fg)
    lang, text = fg.info["language"], fg.info["text"]
    voice = syn.pick_voice(draw.pool, lang, draw.rng, gender_not=SPEECH_LABELS_TO_GENDER.get(fg.label, ""),
                           exclude={fg.info["speaker"]})  # fmt: skip
    wave = stretch_to(syn.utterance(text, voice), stop - start, sr)
    track = place(wave, syn.length, start)
    # same words, so the same group as the original (a sentence or a recorded prompt)
    return Track(match_loudness(track, fg.wave, sr), SPEECH_LABELS[voice.gender], SPEECH_DESCRIPTIONS[voice.gender],
                 [f"tts/{voice.id}/{text_id(lang, text)}"], list(fg.groups), fg.span,
                 {"speaker": voice.id, "language": lang, "transcript": text})  # fmt: skip


def _other_sound(draw: Draw, fg: Track, shaped: bool) -> Track:
    """Another sound class in the same place and at the same loudness; ``shaped``: also with fg's envelope."""
    syn, sr = draw.syn, draw.syn.s.sample_rate
    start, stop = _span(draw, fg)
    length_s = max(0.3, (stop - start) / sr)
    new = syn.sound_event(draw.pool, draw.rng, exclude={fg.label} if fg.label else set(), seconds=length_s,
                          start=start)  # fmt: skip
    if shaped:
        seg = stretch_to(new.wave[start:stop][: stop - start], stop - start, sr)
        new.wave = place(match_envelope(seg, fg.wave[start:stop], sr), syn.length, start)
    new.wave = match_loudness(new.wave, fg.wave, sr)
    return new
