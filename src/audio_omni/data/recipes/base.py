"""What every recipe shares: one attempt's context (:class:`Draw`), the foreground scene an edit starts from
(:func:`draw_scene`), and the exact mix that turns named stems into a finished :class:`Pair` (:func:`finish_edit`).

The order of the random draws is part of the build's contract (a build with the same seed is the same, byte for
byte), so a change here that draws in another order changes every build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from audio_omni.data.material import SplitPool
from audio_omni.data.mixer import ExactMix, dequantise, gain_for_snr
from audio_omni.data.tracks import Synthesizer, Track, labels_of, sum_tracks

#: How source, target and residual of each edit relate (exactly, as integers); see :mod:`audio_omni.data.pairs`.
LAYOUTS = {
    "Add": "target=source+residual",
    "Remove": "source=target+residual",
    "Extract": "source=target+residual",
    "Region": "source=target+residual",
    "Style Transfer": "shared-residual",
    "Replace": "shared-residual",
    "Level": "shared-residual",
    "SpeechEdit": "shared-residual",
}


@dataclass
class Pair:
    """A finished pair before instructions and encoding: 24-bit integer audio and its metadata."""

    task: str
    domain: str
    audio: dict[str, np.ndarray]  # "source" | "target" | "residual" | "voice" -> int32 24-bit samples
    fields: dict  # template fields: x, y, db, start, end, old, new, caption, text
    template_key: str
    meta: dict
    checks: dict  # inputs of the quality filters


@dataclass
class Draw:
    """One attempt at a pair of ``task``: its material, its randomness and the metadata gathered so far."""

    task: str
    language: str
    syn: Synthesizer
    pool: SplitPool
    rng: np.random.Generator
    domain: str
    target_lufs: float
    meta: dict


@dataclass
class Scene:
    """The sound an edit is about (``fg``), what it is mixed into (``rest``, or None) and their SNR."""

    fg: Track
    rest: Track | None
    snr: float
    recipe: dict = field(default_factory=dict)  # music: the score, offset, programs and part of ``fg``

    @property
    def rest_stems(self) -> list[str]:
        """The stem names of the rest, to put in front of a mixture (empty without a rest)."""
        return ["rest"] if self.rest is not None else []

    def stems(self, **others: np.ndarray) -> dict[str, np.ndarray]:
        """``fg`` and ``rest`` as named stems, with ``others`` added."""
        stems = {"fg": self.fg.wave}
        if self.rest is not None:
            stems["rest"] = self.rest.wave
        return {**stems, **others}


def rest_for(domain: str, syn: Synthesizer, pool: SplitPool, rng, fg: Track) -> Track | None:
    """What the foreground is mixed into: ambience and/or another event (sound), a bed (speech)."""
    exclude = {fg.label} if fg.label else set()
    parts: list[Track] = []
    if domain == "sound":
        if pool.beds and rng.random() < 0.8:
            parts.append(syn.bed(pool, rng, exclude))
        if not parts or rng.random() < 0.4:
            parts.append(syn.sound_event(pool, rng, exclude | {p.label for p in parts if p.label}))
    elif domain == "speech":
        if pool.beds and rng.random() < 0.85:
            parts.append(syn.bed(pool, rng, exclude))
        else:
            parts.append(syn.sound_event(pool, rng, exclude, seconds=syn.s.seconds))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    described = " and ".join(p.description for p in parts)
    return sum_tracks(parts, described)


def snr_scale(fg: Track, rest: Track | None, rng, syn: Synthesizer, domain: str) -> float:
    """Scale ``fg`` (in place) to a random SNR against ``rest``; returns that SNR in dB (0 without a rest)."""
    if rest is None:
        return 0.0
    if domain == "music":  # stems are already balanced by the renderer; a small random lift or cut
        snr = float(rng.uniform(-3.0, 3.0))
        fg.wave = (fg.wave * 10 ** (snr / 20)).astype(np.float32)
        return snr
    lo, hi = syn.s.snr_db
    snr = float(rng.uniform(lo, hi))
    fg.wave = (fg.wave * gain_for_snr(fg.wave, rest.wave, snr, syn.s.sample_rate)).astype(np.float32)
    return snr


def draw_scene(draw: Draw) -> Scene:
    """The foreground of an edit in the draw's domain, mixed into its rest; records what it is in the metadata."""
    syn, pool, rng, domain, meta = draw.syn, draw.pool, draw.rng, draw.domain, draw.meta
    if domain == "music":
        fg, rest, recipe = syn.music(pool, rng)
    else:
        fg = syn.sound_event(pool, rng) if domain == "sound" else syn.speech(pool, rng)
        rest, recipe = rest_for(domain, syn, pool, rng, fg), {}
    snr = snr_scale(fg, rest, rng, syn, domain)
    meta["description"] = fg.description
    if domain == "speech":
        meta.update(transcript=fg.info.get("transcript"), speaker=fg.info.get("speaker"),
                    speech_language=fg.info.get("language"))  # fmt: skip
    if recipe.get("score"):
        meta["score"] = {"id": recipe["score"], "offset_s": recipe["offset"], "part": recipe["part"]}
    return Scene(fg, rest, snr, recipe)


@dataclass
class EditLayout:
    """Which named stems make the source, the target and the residual of an edit, and the labels heard in each."""

    stems: dict[str, np.ndarray]
    source: list[str]
    target: list[str]
    residual: list[str]
    before: list[str]  # labels present in the source
    after: list[str]  # labels present in the target
    foreground: str = "fg"  # the stem the quality filters hear as the edited sound


def finish_edit(draw: Draw, scene: Scene, layout: EditLayout, fields: dict, key: str,
                new: Track | None = None) -> Pair:  # fmt: skip
    """Mix the layout exactly (one gain, 24-bit stems summed as integers) and record what the pair is made of.

    ``new`` is the sound that replaces ``scene.fg`` in the target (shared-residual edits), if any.
    """
    syn, meta, fg, rest = draw.syn, draw.meta, scene.fg, scene.rest
    mix = ExactMix(layout.stems, syn.s.sample_rate).level([layout.source, layout.target], draw.target_lufs,
                                                           syn.s.peak)  # fmt: skip
    audio = {"source": mix.mix(layout.source), "target": mix.mix(layout.target)}
    if layout.residual:
        audio["residual"] = mix.mix(layout.residual)
    meta["labels"] = {"target": fg.label, "present_before": uniq(layout.before), "present_after": uniq(layout.after)}
    tracks = [t for t in (fg, new, rest) if t is not None]
    meta["source_clip_ids"] = uniq([c for t in tracks for c in t.clip_ids])
    meta["source_groups"] = uniq([g for t in tracks for g in t.groups])
    meta["layout"] = LAYOUTS[draw.task]
    meta["mix"] = {"gain": round(mix.gain, 6), "snr_db": round(scene.snr, 2), "span": [round(v, 3) for v in fg.span],
                   "effects": [t.info for t in tracks if t.info.get("effect")]}  # fmt: skip
    voicings = [t.info["voicing"] for t in tracks if t.info.get("voicing")]
    if voicings:  # builds without --vary keep their metadata as it was
        meta["mix"]["voicings"] = voicings
    checks = {
        "foreground": dequantise(mix.stems[layout.foreground]),
        "foreground_label": fg.label if draw.domain == "sound" else None,
        "rest": dequantise(mix.stems["rest"]) if rest is not None else None,
        "new": dequantise(mix.stems["fg2"]) if "fg2" in mix.stems else None,
        "raw_clipping": max(t.raw_clipping for t in tracks),
        "snr_db": scene.snr if rest is not None else None,
    }
    return Pair(draw.task, draw.domain, audio, fields, key, meta, checks)


def finish_change(draw: Draw, scene: Scene, new: Track, fields: dict, key: str) -> Pair:
    """A shared-residual edit: ``new`` takes the place of ``scene.fg``; the rest is the residual of both."""
    rest = scene.rest_stems
    before = labels_of(scene.rest) + labels_of(scene.fg)
    after = labels_of(scene.rest) + labels_of(new)
    layout = EditLayout(scene.stems(fg2=new.wave), source=rest + ["fg"], target=rest + ["fg2"], residual=rest,
                        before=before, after=after)  # fmt: skip
    return finish_edit(draw, scene, layout, fields, key, new)


def uniq(items: list) -> list:
    """The items in first-seen order, without None and repeats."""
    seen: dict = {}
    for item in items:
        if item is not None and item not in seen:
            seen[item] = True
    return list(seen)
