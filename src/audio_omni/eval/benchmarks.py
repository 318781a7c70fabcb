"""A built-in editing benchmark made of real recordings, written in the suite format.

Until the data engine's test split exists, this gives every run a benchmark of real pairs: real clips from
Debian packages (nature/city/game sound effects, drum loops, recorded speech) are mixed into exact
(source, target) pairs for Add, Remove, Extract, Style Transfer and Level, so that the ground truth is known
to the sample. Each class below was checked against the YAMNet tagger on its own clips; the suite runner
still checks every pair and flags classes the tagger cannot tell apart in a mixture.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio_omni.atomic import replacing_directory
from audio_omni.audio.io import load_audio
from audio_omni.eval.suites import Suite, SuiteItem, read_suite, save_flac, write_manifest


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
OPERATIONS = ("Add", "Remove", "Extract", "Style Transfer", "Level")
BENCHMARK_RATE = 22_050
BENCHMARK_SECONDS = 5.0
DEFAULT_PER_OPERATION = 8
BED_RMS_DB = -26.0


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


def _bed(wave: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    start = int(rng.integers(0, max(1, len(wave) - n))) if len(wave) > n else 0
    reps = int(np.ceil((n + start) / len(wave)))
    out = np.tile(wave, reps)[start : start + n]
    return out * 10 ** ((BED_RMS_DB - _rms_db(out)) / 20)


def _events(wave: np.ndarray, n: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    """The event repeated across the clip with short random gaps (so every tagger window hears it)."""
    out = np.zeros(n)
    pos = int(rng.uniform(0.0, 0.3) * rate)
    while pos < n:
        take = wave[: n - pos]
        out[pos : pos + len(take)] += take
        pos += len(wave) + int(rng.uniform(0.4, 1.2) * rate)
    return out


def _scaled_event(wave, n, rate, rng, snr_db) -> np.ndarray:
    ev = _events(wave, n, rate, rng)
    return ev * 10 ** ((BED_RMS_DB + snr_db - _rms_db(ev)) / 20)


def _quoted(description: str) -> str:
    return f"'{description}'"


def _verifier():
    from audio_omni.eval import judging
    from audio_omni.judges.yamnet import YamnetTagger

    tagger = YamnetTagger.from_installed()

    def judgeable(op: str, labels: dict, source: np.ndarray, target: np.ndarray, rate: int) -> bool:
        exp = judging.expectation(op, labels)
        if not exp.judged:
            return True
        src, tgt = judging.tag_view(tagger, source, rate), judging.tag_view(tagger, target, rate)
        return all(c["judgeable"] for c in judging.reference_checks(src, tgt, exp, tagger.index))

    return judgeable


def _draw_pair(op: str, k: int, attempt: int, pools, n: int, rate: int, rng: np.random.Generator) -> dict:
    """One (source, target[, residual]) pair of operation ``op``; ``attempt`` rotates the background class."""
    beds = [c for c in CLASSES if c.kind == "bed"]
    events = [c for c in CLASSES if c.kind == "event"]
    bed_cls = beds[(k + OPERATIONS.index(op) + attempt) % len(beds)]
    ev_cls = events[k % len(events)]
    bed = _bed(pools[bed_cls.label][rng.integers(len(pools[bed_cls.label]))], n, rng)
    snr = float(rng.uniform(0.0, 6.0))
    ev = _scaled_event(pools[ev_cls.label][rng.integers(len(pools[ev_cls.label]))], n, rate, rng, snr)
    desc, label, extra = ev_cls.description, ev_cls.label, {"snr_db": round(snr, 2)}
    residual = None
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
    elif op == "Style Transfer":
        other = events[(k + 1 + attempt) % len(events)]
        if other.label == ev_cls.label:
            other = events[(events.index(ev_cls) + 1) % len(events)]
        ev2 = _scaled_event(pools[other.label][rng.integers(len(pools[other.label]))], n, rate, rng, snr)
        source, target = bed + ev, bed + ev2
        before, after = [bed_cls.label, ev_cls.label], [bed_cls.label, other.label]
        instruction = f"Change the sound of {_quoted(desc)} to {_quoted(other.description)}."
        extra["target_description"] = other.description
        label = other.label
    else:  # Level
        gain_db = float(rng.choice([-12.0, 12.0]))
        source, target = bed + ev, bed + ev * 10 ** (gain_db / 20)
        before = after = [bed_cls.label, ev_cls.label]
        word = "louder" if gain_db > 0 else "quieter"
        instruction = f"Make the sound of {_quoted(desc)} {word} by {abs(gain_db):g} dB."
        extra["gain_db"] = gain_db
    peak = max(np.abs(source).max(), np.abs(target).max())
    gain = min(1.0, 0.9 / peak)  # one gain for every stem, so source == target + residual holds
    return {
        "source": source * gain, "target": target * gain, "residual": None if residual is None else residual * gain,
        "labels": {"target": label, "present_before": before, "present_after": after},
        "instruction": instruction, "description": desc, "extra": extra,
    }


def build_debian_benchmark(
    out: str | Path,
    per_operation: int = DEFAULT_PER_OPERATION,
    seconds: float = BENCHMARK_SECONDS,
    rate: int = BENCHMARK_RATE,
    seed: int = 0,
    verify: bool = True,
    max_attempts: int = 40,
) -> Suite:
    """Write ``per_operation`` real-clip pairs for each of Add/Remove/Extract/Style Transfer/Level to ``out``.

    ``verify``: draw each pair again (other clips, background and level; up to ``max_attempts``) until the
    tagger can see the instructed change on the pair itself, so that instruction success is measurable on
    every item; the draws rejected per class are written to ``suite.json``. Without it (or when no draw
    passes), the runner's class calibration flags what the tagger cannot judge.
    """
    out = Path(out)
    rng = np.random.default_rng(seed)
    judgeable = _verifier() if verify else None
    pools = {c.label: _clips(c, rate) for c in CLASSES}
    n = int(seconds * rate)
    rejected: dict[str, int] = {}
    items: list[SuiteItem] = []
    with replacing_directory(out) as tmp:
        (tmp / "audio").mkdir()
        for op in OPERATIONS:
            for k in range(per_operation):
                for attempt in range(max_attempts):
                    pair = _draw_pair(op, k, attempt, pools, n, rate, rng)
                    if judgeable is None or judgeable(op, pair["labels"], pair["source"], pair["target"], rate):
                        break
                    rejected[pair["labels"]["target"]] = rejected.get(pair["labels"]["target"], 0) + 1
                key = f"{op.lower().replace(' ', '_')}-{k:03d}"
                paths = {}
                for role in ("source", "target", "residual"):
                    if pair[role] is not None:
                        paths[role] = f"audio/{key}.{role}.flac"
                        save_flac(tmp / paths[role], pair[role], rate)
                items.append(SuiteItem(
                    id=key, operation=op, instruction=pair["instruction"], language="en",
                    source=paths["source"], target=paths["target"], labels=pair["labels"],
                    extra={"domain": "sound", "description": pair["description"], "sample_rate": rate,
                           "duration": seconds, "residual": paths.get("residual"), **pair["extra"]},
                ))
        write_manifest(tmp, items)
        (tmp / "suite.json").write_text(json.dumps({
            "name": "debian-real-pairs", "per_operation": per_operation, "seconds": seconds, "sample_rate": rate,
            "seed": seed, "tagger_verified": verify, "rejected_draws_per_class": rejected,
            "classes": [c.__dict__ for c in CLASSES],
            "licence_note": "clips from Debian packages minetest-data, lincity-ng-data, sonic-pi-samples (CC0), "
                            "wesnoth-1.16-data, asterisk-core-sounds-en-wav; see each package's copyright file",
        }, indent=2))
    return read_suite(out)
