"""A built-in benchmark made of real recordings, written in the suite format, covering every operation.

Until the data engine's test split exists, this gives every run a benchmark of real pairs built from clips in
Debian packages (nature/city/game sound effects, drum loops and game music, recorded speech), so that the
ground truth is known to the sample:

* sound edits: a background bed and a repeated event are mixed into exact (source, target[, residual]) pairs
  for Add, Remove, Extract, Style Transfer (an event changed into another), Replace (another event at the
  same places), Level and Region (the event removed inside ``region`` only, with 20 ms fades);
* SpeechEdit: one speaker's recorded prompts (Asterisk, en_US "Allison") joined into sentences that differ in
  one word or phrase ("you have two new messages" -> "... five ..."), ``transcript`` = the target's words;
* generation: T2A (a sound class alone, its description as caption), T2M (drum loops, guitar and ambient
  loops, game-soundtrack excerpts; label ``Music``) and TTS (a recorded prompt with its transcript, another
  prompt of the same speaker as ``voice`` reference; each TTS / SpeechEdit item has its own duration).

Each item is drawn again (other clips, background, level, words; up to ``max_attempts``) until every success
check of :mod:`audio_omni.eval.success` can be judged on the written pair itself, exactly as the evaluation
reads it: the oracle (target) passes and the identity (source) fails; generation: the target passes. The
rejected draws per check key and per operation are written to ``suite.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from audio_omni.atomic import replacing_directory
from audio_omni.audio.io import load_audio
from audio_omni.eval.success import Judges, unjudgeable_keys
from audio_omni.eval.suites import (
    EDIT_OPERATIONS,
    GENERATION_OPERATIONS,
    Suite,
    SuiteItem,
    read_suite,
    save_flac,
    write_manifest,
)


@dataclass(frozen=True)
class ClipClass:
    label: str  # AudioSet / YAMNet class name
    description: str  # the words used in instructions
    package: str  # Debian package holding the clips
    patterns: tuple[str, ...]  # file name globs inside it
    kind: str  # "bed" (continuous, looped) or "event" (repeated with gaps)


CLASSES = (
    ClipClass("Water", "flowing water", "minetest-data", ("env_sounds_water.*.ogg",), "bed"),
    ClipClass("Vehicle", "road traffic", "lincity-ng-data", ("TraficHigh*.wav",), "bed"),
    ClipClass("Music", "a drum loop", "sonic-pi-samples", ("loop_compus.flac", "loop_safari.flac",
                                                          "loop_amen.flac", "loop_breakbeat.flac"), "bed"),
    ClipClass("Fowl", "ducks quacking", "lincity-ng-data", ("ParklandLake*.wav", "Farm3.wav"), "bed"),
    ClipClass("Dog", "a dog growling", "wesnoth-1.16-data", ("wolf-growl-*.ogg",), "event"),
    ClipClass("Glass", "glass breaking", "minetest-data", ("default_break_glass.*.ogg",), "event"),
    ClipClass("Explosion", "an explosion", "wesnoth-1.16-data", ("lightning.ogg", "cave-in.ogg"), "event"),
    ClipClass("Speech", "a woman speaking", "asterisk-core-sounds-en-wav",
              ("agent-pass.wav", "vm-intro.wav", "conf-onlyperson.wav", "vm-goodbye.wav"), "event"),
)
#: T2A: one of these classes alone (events repeated across the clip, beds looped).
T2A_LABELS = ("Dog", "Glass", "Explosion", "Water", "Vehicle", "Fowl")


@dataclass(frozen=True)
class MusicClip:
    package: str
    file: str  # file name inside the package
    caption: str
    loop: bool  # a loop (tiled to the clip length) or a piece (a random excerpt)


#: T2M targets. YAMNet hears "Music" at >= 0.9 on each (sonic-pi loops tiled to 5 s, Wesnoth excerpts).
MUSIC = (
    MusicClip("sonic-pi-samples", "loop_amen.flac", "the amen break, a funk drum loop", True),
    MusicClip("sonic-pi-samples", "loop_tabla.flac", "a tabla rhythm", True),
    MusicClip("sonic-pi-samples", "guit_em9.flac", "an electric guitar playing an E minor ninth chord", True),
    MusicClip("wesnoth-1.16-music", "battle-epic.ogg", "an epic orchestral battle theme", False),
    MusicClip("sonic-pi-samples", "loop_garzul.flac", "an electronic drum machine groove", True),
    MusicClip("sonic-pi-samples", "loop_breakbeat.flac", "a breakbeat drum loop", True),
    MusicClip("sonic-pi-samples", "ambi_haunted_hum.flac", "an eerie ambient synthesizer hum", True),
    MusicClip("wesnoth-1.16-music", "sad.ogg", "a sad, slow orchestral piece", False),
    MusicClip("sonic-pi-samples", "loop_mika.flac", "a percussion groove", True),
    MusicClip("sonic-pi-samples", "guit_e_fifths.flac", "an electric guitar playing fifths", True),
    MusicClip("wesnoth-1.16-music", "the_city_falls.ogg", "a dramatic orchestral piece", False),
    MusicClip("sonic-pi-samples", "loop_compus.flac", "an electronic drum loop", True),
)

SPEECH_PACKAGE = "asterisk-core-sounds-en-wav"
#: TTS targets and voice references: whole sentences that Whisper-base reads without error on their own.
TTS_PROMPTS = (
    "all-circuits-busy-now", "cannot-complete-as-dialed", "check-number-dial-again", "conf-extended",
    "conf-full", "conf-leaderhasleft", "conf-placeintoconf", "conf-waitforleader", "conf-now-recording",
    "demo-echodone", "feature-not-avail-line", "number-not-answering", "pls-hold-while-try",
    "please-try-call-later", "vm-msgsaved", "vm-nobodyavail", "vm-tooshort", "vm-passchanged", "vm-msgforwarded",
    "queue-thankyou", "something-terribly-wrong", "conf-noempty", "dir-nomatch", "ss-noservice",
)


@dataclass(frozen=True)
class SpeechTemplate:
    """A sentence of prompts with one slot; two different ``choices`` for the slot make a SpeechEdit pair."""

    before: tuple[str, ...]
    choices: tuple[tuple[str, ...], ...]
    after: tuple[str, ...] = ()


def _digits(*numbers: int) -> tuple[tuple[str, ...], ...]:
    return tuple((f"digits/{d}",) for d in numbers)


SPEECH_TEMPLATES = (
    SpeechTemplate(("vm-youhave",), _digits(2, 3, 4, 5, 6, 7, 8, 9), ("vm-INBOX", "vm-messages")),
    SpeechTemplate(("vm-theperson", "digits/2", "digits/0", "digits/4"), (("vm-isunavail",), ("vm-isonphone",))),
    SpeechTemplate(("conf-thereare",), _digits(2, 3, 4, 5, 6, 7, 8, 9), ("conf-otherinparty",)),
    SpeechTemplate(("at-tone-time-exactly",), _digits(*range(1, 13)), ("digits/oclock",)),
    SpeechTemplate(("vm-youhave", "digits/3"), (("vm-INBOX",), ("vm-Old",)), ("vm-messages",)),
    SpeechTemplate(("queue-thereare",), _digits(*range(1, 10))),
    SpeechTemplate(("queue-holdtime", "queue-less-than"), _digits(2, 3, 4, 5, 10, 15, 20), ("queue-minutes",)),
    SpeechTemplate(("vm-youhave",), _digits(2, 3, 4, 5, 6, 7, 8, 9), ("vm-Old", "vm-messages")),
)

OPERATIONS = EDIT_OPERATIONS + GENERATION_OPERATIONS
#: The order items are drawn in (one random stream): the first five operations as in debian-edit-v1, so
#: their pairs are unchanged for a given seed; the manifest lists items in ``OPERATIONS`` order.
BUILD_ORDER = ("Add", "Remove", "Extract", "Style Transfer", "Level", "Replace", "Region", "SpeechEdit",
               "T2A", "T2M", "TTS")
BENCHMARK_RATE = 22_050
BENCHMARK_SECONDS = 5.0
DEFAULT_PER_OPERATION = 8
BED_RMS_DB = -26.0
MUSIC_RMS_DB = -20.0
REGION_FADE_SECONDS = 0.02
SPEECH_PEAK = 0.8
SPEECH_GAP_SECONDS = 0.08  # between joined prompts
SPEECH_PAD_SECONDS = 0.25  # silence before and after an utterance


def _clips(cls: ClipClass, rate: int) -> list[np.ndarray]:
    from audio_omni.assets import debian_package

    root = debian_package(cls.package)
    files = sorted({p for pattern in cls.patterns for p in root.rglob(pattern)})
    waves = []
    for path in files:
        wave, _ = load_audio(path, sample_rate=rate, channels=1)
        x = wave[0].numpy().astype(np.float64)
        if np.sqrt(np.mean(x**2)) > 1e-4:
            waves.append(x)
    if not waves:
        raise FileNotFoundError(f"no clip of {cls.label} in {cls.package} ({cls.patterns})")
    return waves


def _rms_db(x: np.ndarray) -> float:
    active = x[np.abs(x) > 1e-3 * np.abs(x).max()] if np.any(x) else x
    return 20 * np.log10(np.sqrt(np.mean(active**2)) + 1e-12)


def _bed(wave: np.ndarray, n: int, rng: np.random.Generator, rms_db: float = BED_RMS_DB) -> np.ndarray:
    start = int(rng.integers(0, max(1, len(wave) - n))) if len(wave) > n else 0
    reps = int(np.ceil((n + start) / len(wave)))
    out = np.tile(wave, reps)[start : start + n]
    return out * 10 ** ((rms_db - _rms_db(out)) / 20)


def _events(wave: np.ndarray, n: int, rate: int, rng: np.random.Generator, onsets: list[int] | None = None):
    """The event repeated across the clip with short random gaps (so every tagger window hears it), or placed
    at given ``onsets`` (samples). Returns (wave, onsets)."""
    out = np.zeros(n)
    if onsets is not None:
        for pos in onsets:
            take = wave[: n - pos]
            out[pos : pos + len(take)] += take
        return out, list(onsets)
    placed = []
    pos = int(rng.uniform(0.0, 0.3) * rate)
    while pos < n:
        take = wave[: n - pos]
        out[pos : pos + len(take)] += take
        placed.append(pos)
        pos += len(wave) + int(rng.uniform(0.4, 1.2) * rate)
    return out, placed


def _scaled_event(wave, n, rate, rng, snr_db, onsets=None) -> tuple[np.ndarray, list[int]]:
    ev, placed = _events(wave, n, rate, rng, onsets)
    return ev * 10 ** ((BED_RMS_DB + snr_db - _rms_db(ev)) / 20), placed


def _quoted(description: str) -> str:
    return f"'{description}'"


def _seconds(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------------------------------------------------------
# Material
# ---------------------------------------------------------------------------------------------------------


class _Material:
    """The clips: sound classes loaded at once, music and recorded prompts on first use (mono float64, ``rate``)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.pools = {c.label: _clips(c, rate) for c in CLASSES}
        self._music: dict[str, np.ndarray] = {}
        self._prompts: dict[str, np.ndarray] = {}

    def music(self, clip: MusicClip, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` samples of a music clip: a loop tiled from a random point, or an excerpt of a piece."""
        from audio_omni.assets import debian_package

        if clip.file not in self._music:
            root = debian_package(clip.package)
            found = sorted(root.rglob(clip.file))
            if not found:
                raise FileNotFoundError(f"no {clip.file} in {clip.package}")
            wave, _ = load_audio(found[0], sample_rate=self.rate, channels=1, max_seconds=None)
            self._music[clip.file] = wave[0].numpy().astype(np.float64)
        wave = self._music[clip.file]
        if clip.loop:
            out = _bed(wave, n, rng, MUSIC_RMS_DB)
        else:  # a piece: an excerpt away from its first and last seconds (fades, silence)
            margin = min(len(wave) // 4, 5 * self.rate)
            start = int(rng.integers(margin, max(margin + 1, len(wave) - n - margin)))
            out = np.tile(wave, int(np.ceil((start + n) / len(wave))))[start : start + n]
            out = out * 10 ** ((MUSIC_RMS_DB - _rms_db(out)) / 20)
        return out

    @property
    def transcripts(self) -> dict[str, str]:
        return _prompt_transcripts()

    def prompt(self, name: str) -> np.ndarray:
        """A recorded prompt with its leading and trailing silence cut (30 ms kept)."""
        if name not in self._prompts:
            wave, _ = load_audio(_prompt_dir() / f"{name}.wav", sample_rate=self.rate, channels=1)
            x = wave[0].numpy().astype(np.float64)
            loud = np.nonzero(np.abs(x) > np.abs(x).max() * 10 ** (-40 / 20))[0]
            margin = int(0.03 * self.rate)
            self._prompts[name] = x[max(0, loud[0] - margin) : loud[-1] + margin]
        return self._prompts[name]

    def utterance(self, names) -> np.ndarray:
        """Prompts joined with short pauses, with silence before and after (not yet levelled)."""
        gap, pad = np.zeros(int(SPEECH_GAP_SECONDS * self.rate)), np.zeros(int(SPEECH_PAD_SECONDS * self.rate))
        parts = [pad]
        for i, name in enumerate(names):
            parts += [gap] if i else []
            parts.append(self.prompt(name))
        return np.concatenate(parts + [pad])

    def words(self, names) -> str:
        """What the joined prompts say, from the Asterisk transcript list."""
        pieces = [self.transcripts[name].strip().strip(".…").strip() for name in names]
        return re.sub(r"\s+", " ", " ".join(p for p in pieces if p))


@lru_cache(maxsize=1)
def _prompt_dir() -> Path:
    from audio_omni.assets import debian_package

    root = debian_package(SPEECH_PACKAGE) / "usr/share/asterisk/sounds"
    voices = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not voices:
        raise FileNotFoundError(f"{SPEECH_PACKAGE} holds no sound directory under {root}")
    return voices[0]  # en_US_f_Allison


@lru_cache(maxsize=1)
def _prompt_transcripts() -> dict[str, str]:
    from audio_omni.data.sources.speech import _read_transcripts

    return _read_transcripts("en")


def _sentence(words: str) -> str:
    return words[:1].upper() + words[1:] + ("" if words.endswith((".", "!", "?")) else ".")


# ---------------------------------------------------------------------------------------------------------
# One draw per operation
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _Draw:
    waves: dict  # source / target / residual / voice -> mono float64 (None where absent)
    labels: dict
    instruction: str
    description: str
    extra: dict
    domain: str = "sound"
    region: list[float] | None = None
    transcript: str | None = None


def _levelled(waves: dict, peak: float = 0.9) -> dict:
    """One gain for every stem (so source == target + residual still holds), peaks at most ``peak``."""
    present = [w for w in waves.values() if w is not None]
    top = max(float(np.abs(w).max()) for w in present) if present else 0.0
    gain = min(1.0, peak / top) if top > 0 else 1.0
    return {k: None if w is None else w * gain for k, w in waves.items()}


def _draw_sound(op: str, k: int, attempt: int, m: _Material, n: int, rng: np.random.Generator) -> _Draw:
    """Add / Remove / Extract / Style Transfer / Level / Replace / Region: a bed and a repeated event."""
    rate, pools = m.rate, m.pools
    beds = [c for c in CLASSES if c.kind == "bed"]
    events = [c for c in CLASSES if c.kind == "event"]
    bed_cls = beds[(k + BUILD_ORDER.index(op) + attempt) % len(beds)]
    ev_cls = events[k % len(events)]
    bed = _bed(pools[bed_cls.label][rng.integers(len(pools[bed_cls.label]))], n, rng)
    snr = float(rng.uniform(0.0, 6.0))
    ev, onsets = _scaled_event(pools[ev_cls.label][rng.integers(len(pools[ev_cls.label]))], n, rate, rng, snr)
    desc, label, extra = ev_cls.description, ev_cls.label, {"snr_db": round(snr, 2)}
    labels_extra: dict = {}
    residual, region = None, None
    if op == "Add":
        source, target = bed, bed + ev
        before, after = [bed_cls.label], [bed_cls.label, ev_cls.label]
        instruction = f"Add the sound of {_quoted(desc)} to the input audio."
    elif op == "Remove":
        source, target, residual = bed + ev, bed, ev
        before, after = [bed_cls.label, ev_cls.label], [bed_cls.label]
        instruction = f"Remove the sound of {_quoted(desc)} from the input audio."
    elif op == "Extract":
        source, target, residual = bed + ev, ev, bed
        before, after = [bed_cls.label, ev_cls.label], [ev_cls.label]
        instruction = f"Extract the sound of {_quoted(desc)} from the input audio."
    elif op in ("Style Transfer", "Replace"):
        shift = 1 if op == "Style Transfer" else 2
        other = events[(k + shift + attempt) % len(events)]
        if other.label == ev_cls.label:
            other = events[(events.index(ev_cls) + 1) % len(events)]
        # Style Transfer: the new sound with its own timing; Replace: the new sound where the old one was
        ev2, _ = _scaled_event(pools[other.label][rng.integers(len(pools[other.label]))], n, rate, rng, snr,
                               onsets=onsets if op == "Replace" else None)
        source, target, residual = bed + ev, bed + ev2, (bed if op == "Replace" else None)
        before, after = [bed_cls.label, ev_cls.label], [bed_cls.label, other.label]
        extra["target_description"] = other.description
        if op == "Style Transfer":
            instruction = f"Change the sound of {_quoted(desc)} to {_quoted(other.description)}."
            label = other.label
        else:
            instruction = f"Replace {_quoted(desc)} with {_quoted(other.description)}."
            labels_extra["new"] = other.label
    elif op == "Level":
        gain_db = float(rng.choice([-12.0, 12.0]))
        source, target = bed + ev, bed + ev * 10 ** (gain_db / 20)
        before = after = [bed_cls.label, ev_cls.label]
        word = "louder" if gain_db > 0 else "quieter"
        instruction = f"Make the sound of {_quoted(desc)} {word} by {abs(gain_db):g} dB."
        extra["gain_db"] = gain_db
    else:  # Region: the event removed between A and B only, with short fades inside the region's edges
        from audio_omni.data.mixer import region_window

        region = _region_around(onsets, n, rate, rng)
        w = region_window(n, int(round(region[0] * rate)), int(round(region[1] * rate)),
                          int(REGION_FADE_SECONDS * rate)).astype(np.float64)
        source, target, residual = bed + ev, bed + ev * (1 - w), ev * w
        before = after = [bed_cls.label, ev_cls.label]
        instruction = (f"Remove the sound of {_quoted(desc)} between {_seconds(region[0])} s and "
                       f"{_seconds(region[1])} s.")
        extra["region_operation"] = "Remove"
    return _Draw(
        waves=_levelled({"source": source, "target": target, "residual": residual}),
        labels={"target": label, "present_before": before, "present_after": after, **labels_extra},
        instruction=instruction, description=desc, extra=extra, region=region,
    )


@lru_cache(maxsize=1)
def _material(rate: int) -> _Material:
    return _Material(rate)


def sound_edit_draw(op: str, k: int, seed: int, rate: int = BENCHMARK_RATE, seconds: float = BENCHMARK_SECONDS):
    """One sound edit of ``debian-edit``'s kind drawn on its own (``k`` picks the event class: Dog, Glass,
    Explosion, Speech; ``seed`` the clips, their gaps and levels): ``(source, target, labels, instruction)``,
    mono float64 at ``rate``. For smoke tests that need a real edit pair without building the suite."""
    draw = _draw_sound(op, k, 0, _material(rate), int(seconds * rate), np.random.default_rng(seed))
    return draw.waves["source"], draw.waves["target"], draw.labels, draw.instruction


def _region_around(onsets: list[int], n: int, rate: int, rng: np.random.Generator) -> list[float]:
    """[A, B] in seconds (0.1 s steps), 1.5-2.5 s long where the clip allows, starting shortly before an
    occurrence of the event, inside the clip with at least 0.1 s outside it."""
    duration = n / rate
    usable = [o / rate for o in onsets if o / rate < duration - 1.0] or [onsets[0] / rate]
    later = [o for o in usable if o >= 0.5]  # a region with audio to preserve on both sides where possible
    usable = later or usable
    onset = usable[int(rng.integers(len(usable)))]
    length = float(rng.uniform(1.5, 2.5))
    start = max(0.1, round(onset - float(rng.uniform(0.05, 0.4)), 1))
    end = min(round(start + length, 1), round(duration - 0.1, 1))
    if end - start < 1.5:  # near the end of the clip: move the region back rather than shorten it
        start = max(0.1, round(end - length, 1))
    return [round(start, 1), round(end, 1)]


def _draw_speech_edit(k: int, attempt: int, m: _Material, rng: np.random.Generator) -> _Draw:
    template = SPEECH_TEMPLATES[(k + attempt) % len(SPEECH_TEMPLATES)]
    i, j = rng.choice(len(template.choices), size=2, replace=False)
    old_slot, new_slot = template.choices[int(i)], template.choices[int(j)]
    src_names = template.before + old_slot + template.after
    tgt_names = template.before + new_slot + template.after
    source, target = m.utterance(src_names), m.utterance(tgt_names)
    n = max(len(source), len(target))  # one length: the edit changes words, not the clip
    source, target = np.pad(source, (0, n - len(source))), np.pad(target, (0, n - len(target)))
    old, new = m.words(old_slot), m.words(new_slot)
    return _Draw(
        waves=_levelled({"source": source, "target": target}, SPEECH_PEAK),
        labels={"target": "Speech", "present_before": ["Speech"], "present_after": ["Speech"]},
        instruction=f"Replace {_quoted(old)} with {_quoted(new)} in the speech.",
        description="a woman speaking", domain="speech", transcript=_sentence(m.words(tgt_names)),
        extra={"source_transcript": _sentence(m.words(src_names)), "old": old, "new": new,
               "prompts": {"source": list(src_names), "target": list(tgt_names)}, "speaker": "asterisk-en"},
    )


def _draw_tts(k: int, attempt: int, m: _Material, rng: np.random.Generator, order: list[int]) -> _Draw:
    name = TTS_PROMPTS[order[(k + attempt * 7) % len(order)]]
    others = [p for p in TTS_PROMPTS if p != name]
    voice_name = others[int(rng.integers(len(others)))]
    words = m.transcripts[name].strip()
    waves = {"target": m.utterance([name]), "voice": m.utterance([voice_name])}
    waves = {role: w * (SPEECH_PEAK / np.abs(w).max()) for role, w in waves.items()}
    return _Draw(
        waves={"source": None, **waves},
        labels={"target": "Speech", "present_before": [], "present_after": ["Speech"]},
        instruction=words, description="a woman speaking", domain="speech", transcript=words,
        extra={"prompt": name, "voice_prompt": voice_name, "speaker": "asterisk-en"},
    )


def _draw_generation(op: str, k: int, attempt: int, m: _Material, n: int, rng: np.random.Generator) -> _Draw:
    """T2A: one sound class alone; T2M: a music clip."""
    if op == "T2A":
        cls = next(c for c in CLASSES if c.label == T2A_LABELS[(k + attempt) % len(T2A_LABELS)])
        clip = m.pools[cls.label][rng.integers(len(m.pools[cls.label]))]
        wave = _bed(clip, n, rng) if cls.kind == "bed" else _scaled_event(clip, n, m.rate, rng, 0.0)[0]
        label, caption, domain = cls.label, cls.description, "sound"
        instruction = f"Generate the sound of {caption}."
        extra = {"caption": caption, "clip_kind": cls.kind}
    else:
        music = MUSIC[(k + attempt) % len(MUSIC)]
        wave = m.music(music, n, rng)
        label, caption, domain = "Music", music.caption, "music"
        instruction = f"Generate music: {caption}."
        extra = {"caption": caption, "clip": f"{music.package}/{music.file}"}
    return _Draw(
        waves=_levelled({"source": None, "target": wave}),
        labels={"target": label, "present_before": [], "present_after": [label]},
        instruction=instruction, description=caption, domain=domain, extra=extra,
    )


# ---------------------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------------------

_ROLES = ("source", "target", "residual", "voice")


def _write_item(root: Path, key: str, op: str, draw: _Draw, rate: int) -> SuiteItem:
    paths = {}
    for role in _ROLES:
        path = root / "audio" / f"{key}.{role}.flac"
        path.unlink(missing_ok=True)
        if draw.waves.get(role) is not None:
            paths[role] = f"audio/{key}.{role}.flac"
            save_flac(root / paths[role], draw.waves[role], rate)
    length = len(draw.waves["target"])
    return SuiteItem(
        id=key, operation=op, instruction=draw.instruction, language="en", source=paths.get("source"),
        target=paths["target"], labels=draw.labels, region=draw.region, transcript=draw.transcript,
        voice=paths.get("voice"),
        extra={"domain": draw.domain, "description": draw.description, "sample_rate": rate,
               "duration": round(length / rate, 3), "residual": paths.get("residual"), **draw.extra},
    )


def build_debian_benchmark(
    out: str | Path,
    per_operation: int = DEFAULT_PER_OPERATION,
    seconds: float = BENCHMARK_SECONDS,
    rate: int = BENCHMARK_RATE,
    seed: int = 0,
    verify: bool = True,
    max_attempts: int = 40,
) -> Suite:
    """Write ``per_operation`` real-recording items for each operation of the suite format to ``out``.

    Sound and music items last ``seconds``; TTS and SpeechEdit items last as long as their recorded words.
    ``verify``: draw each item again (up to ``max_attempts``) until every success check can be judged on the
    written pair itself (the target passes, the unchanged source fails), so that instruction success is
    measurable on every item; the draws rejected per check key and per operation are written to
    ``suite.json``, with the items of which no draw passed (``unverified_items``, kept as last drawn). Without
    verification (or for those items), the runner's calibration flags what cannot be judged.
    """
    out = Path(out)
    rng = np.random.default_rng(seed)
    judges = Judges() if verify else None
    material = _Material(rate)
    n = int(seconds * rate)
    rejected: dict[str, int] = {}
    rejected_ops: dict[str, int] = {}
    unverified: list[str] = []  # items of which no draw could be judged (kept as drawn last)
    items: list[SuiteItem] = []
    with replacing_directory(out) as tmp:
        (tmp / "audio").mkdir()
        for op in BUILD_ORDER:
            tts_order = [int(i) for i in rng.permutation(len(TTS_PROMPTS))] if op == "TTS" else []
            for k in range(per_operation):
                key = f"{op.lower().replace(' ', '_')}-{k:03d}"
                for attempt in range(max_attempts):
                    if op == "SpeechEdit":
                        draw = _draw_speech_edit(k, attempt, material, rng)
                    elif op == "TTS":
                        draw = _draw_tts(k, attempt, material, rng, tts_order)
                    elif op in ("T2A", "T2M"):
                        draw = _draw_generation(op, k, attempt, material, n, rng)
                    else:
                        draw = _draw_sound(op, k, attempt, material, n, rng)
                    item = _write_item(tmp, key, op, draw, rate)
                    failed = unjudgeable_keys(item, tmp, judges) if judges is not None else []
                    if not failed:
                        break
                    for check in failed:
                        rejected[check] = rejected.get(check, 0) + 1
                    rejected_ops[op] = rejected_ops.get(op, 0) + 1
                else:
                    unverified.append(key)
                items.append(item)
        items.sort(key=lambda i: (OPERATIONS.index(i.operation), i.id))
        write_manifest(tmp, items)
        (tmp / "suite.json").write_text(json.dumps({
            "name": "debian-real-pairs", "operations": list(OPERATIONS), "per_operation": per_operation,
            "seconds": seconds, "sample_rate": rate, "seed": seed, "verified": verify,
            "rejected_draws_per_check": dict(sorted(rejected.items())),
            "rejected_draws_per_operation": {op: rejected_ops[op] for op in OPERATIONS if op in rejected_ops},
            "unverified_items": unverified,
            "classes": [c.__dict__ for c in CLASSES],
            "music": [c.__dict__ for c in MUSIC],
            "speech": {"package": SPEECH_PACKAGE, "speaker": _prompt_dir().name, "tts_prompts": list(TTS_PROMPTS),
                       "speech_edit_templates": [t.__dict__ for t in SPEECH_TEMPLATES]},
            "licence_note": "clips from Debian packages minetest-data, lincity-ng-data, sonic-pi-samples (CC0), "
                            "wesnoth-1.16-data, wesnoth-1.16-music, asterisk-core-sounds-en-wav; see each "
                            "package's copyright file",
        }, indent=2))
    return read_suite(out)
