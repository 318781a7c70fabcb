"""Generation samples: T2A (sound events, maybe over a background, described in one caption), T2M (a rendered
score or a music bed) and TTS (a sentence, with another take of the same voice as the voice reference)."""

from __future__ import annotations

import numpy as np

from audio_omni.data.instructions import text_id
from audio_omni.data.mixer import ExactMix, apply_fades, clipped_fraction, dequantise, excerpt, loop_to
from audio_omni.data.recipes.base import Draw, Pair, uniq
from audio_omni.data.tracks import PairError, Track, sum_tracks


def t2a(draw: Draw) -> Pair:
    syn, pool, rng = draw.syn, draw.pool, draw.rng
    first = syn.sound_event(pool, rng)
    parts = [first]
    if rng.random() < 0.5:
        parts.append(syn.sound_event(pool, rng, exclude={first.label}))
    bed = None
    if pool.beds and rng.random() < 0.5:
        bed = syn.bed(pool, rng, exclude={p.label for p in parts}, music=False)
    caption = " and ".join(p.description for p in parts)
    if bed is not None:
        caption += f", with {bed.description} in the background"
        parts.append(bed)
    target = sum_tracks(parts, caption) if len(parts) > 1 else first
    draw.meta.update(caption=caption, description=caption)
    return _finish(draw, "sound", target, [p.label for p in parts])


def t2m(draw: Draw) -> Pair:
    syn, pool, rng, sr = draw.syn, draw.pool, draw.rng, draw.syn.s.sample_rate
    if pool.scores and (not pool.music_beds or rng.random() < 0.6):
        from audio_omni.data.sources.music import mix as mix_stems

        score, offset, programs, tracks = syn.score_stems(pool, rng)
        instruments = sorted({t.description for t in tracks.values()})
        caption = "a classical piece played by " + (", ".join(instruments[:-1]) + " and " + instruments[-1]
                                                     if len(instruments) > 1 else instruments[0])  # fmt: skip
        wave = mix_stems({k: t.wave for k, t in tracks.items()})
        target = Track(wave, "Music", caption, [c for t in tracks.values() for c in t.clip_ids],
                       [f"music21/{score}"], (0.0, syn.s.seconds))  # fmt: skip
        labels = ["Music"] + sorted({t.label for t in tracks.values()})
        draw.meta["score"] = {"id": score, "offset_s": offset}
    elif pool.music_beds:
        rec = pool.music_beds[int(rng.integers(len(pool.music_beds)))]
        wave = syn.clips.load(rec.path)
        piece = apply_fades(loop_to(excerpt(wave, syn.length, rng), syn.length, sr), sr, 0.05, 0.2)
        caption = rec.caption
        target = Track(piece, rec.label, caption, [rec.id], [rec.group], (0.0, syn.s.seconds), {},
                       clipped_fraction(piece))  # fmt: skip
        labels = [rec.label]
    else:
        raise PairError(f"no music in {pool.split}")
    draw.meta.update(caption=caption, description=caption)
    return _finish(draw, "music", target, labels)


def tts(draw: Draw) -> Pair:
    """A sentence in the instruction's language where there are sentences for it; the voice reference is another
    sentence of the same synthetic voice, or another prompt of the same recorded speaker (same split)."""
    syn, pool, rng, sr, language = draw.syn, draw.pool, draw.rng, draw.syn.s.sample_rate, draw.language
    lang = language if pool.texts.get(language) and pool.voices.get(language) else None
    target = syn.speech(pool, rng, language=lang)
    lang = target.info["language"]
    speaker = target.info["speaker"]
    voices = [v for v in syn.speech_sources(pool, lang) if v.id == speaker]
    others = [t for t in pool.texts.get(lang, []) if t != target.info["text"]]
    takes = [r for r in pool.recorded if r.speaker == speaker and r.id not in target.clip_ids]
    voice = None
    if voices and others:
        ref_text = others[int(rng.integers(len(others)))]
        ref = syn.utterance(ref_text, voices[0])[: syn.length]
        voice = Track(ref, None, "", [f"tts/{speaker}/{text_id(lang, ref_text)}"], [f"text/{text_id(lang, ref_text)}"],
                      (0.0, len(ref) / sr), {"transcript": ref_text})  # fmt: skip
    elif takes:
        take = takes[int(rng.integers(len(takes)))]
        ref = syn.clips.load(take.path)[: syn.length]
        voice = Track(ref, None, "", [take.id], [take.group], (0.0, len(ref) / sr), {"transcript": take.transcript},
                      clipped_fraction(ref))  # fmt: skip
    draw.meta.update(transcript=target.info["transcript"], description=target.description, speaker=speaker,
                     speech_language=lang)  # fmt: skip
    return _finish(draw, "speech", target, [target.label], voice)


def _finish(draw: Draw, domain: str, target: Track, labels: list, voice: Track | None = None) -> Pair:
    """Level the target (and the voice reference, with the same gain) exactly and record what it is made of."""
    syn, meta = draw.syn, draw.meta
    stems = {"target": target.wave}
    if voice is not None:
        stems["voice"] = np.pad(voice.wave, (0, max(0, syn.length - len(voice.wave))))
    mix = ExactMix(stems, syn.s.sample_rate).level([["target"]], draw.target_lufs, syn.s.peak)
    audio = {"target": mix.mix(["target"])}
    if voice is not None:
        audio["voice"] = mix.mix(["voice"])[: len(voice.wave)]
        meta["voice_transcript"] = voice.info["transcript"]
    meta["domain"] = domain
    meta["labels"] = {"target": labels[0] if labels else None, "present_before": [], "present_after": uniq(labels)}
    tracks = [target] if voice is None else [target, voice]
    meta["source_clip_ids"] = uniq([c for t in tracks for c in t.clip_ids])
    meta["source_groups"] = uniq([g for t in tracks for g in t.groups])
    meta["layout"] = None
    meta["mix"] = {"gain": round(mix.gain, 6)}
    fields = {"caption": meta["caption"] or meta["description"], "text": meta.get("transcript") or ""}
    checks = {"foreground": dequantise(audio["target"]), "foreground_label": None, "rest": None,
              "raw_clipping": max(t.raw_clipping for t in tracks), "snr_db": None}  # fmt: skip
    if draw.task == "T2A" and len(labels) == 1:
        checks["foreground_label"] = labels[0]
    return Pair(draw.task, domain, audio, fields, draw.task, meta, checks)
