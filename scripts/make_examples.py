"""Rebuild the example recordings that ship in src/audio_omni/examples/ (the web app's examples, the README's).

Each example mixes real CC0 recordings from the source catalogue that `audio-omni data sources` builds
(~/.cache/audio-omni/sources/catalog.jsonl, from Debian's openttd-opensfx and sonic-pi-samples), at
22.05 kHz mono 16-bit FLAC, a few seconds long, so that an edit has something to add to, remove or extract.
Every clip must be CC0 in the catalogue; its author, its upstream source (from the Debian package's copyright
file where that names one) and its licence are written to examples/ATTRIBUTION; examples/examples.json lists
the edits to try.

    python scripts/make_examples.py            # needs the catalogue; writes src/audio_omni/examples/
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

from audio_omni.atomic import write_text_atomic
from audio_omni.audio.io import load_audio, normalize_loudness, save_audio
from audio_omni.paths import cache_dir

RATE = 22050
OUT = Path(__file__).resolve().parents[1] / "src" / "audio_omni" / "examples"
BEAT = 0.6  # seconds per beat of the drum pattern (100 bpm)

# (file, seconds, [(catalogue id, onsets in s, loudness LUFS)], edits to try). The drum kit is built from
# one-shots of one drummer's kit (menegass on Freesound, CC0), not from a sampled break.
EXAMPLES = [
    ("birds-and-cow.flac", 3.0,
     [("opensfx/072-tropical-bird-2", (0.0,), -26.0), ("opensfx/037-cow", (1.2,), -24.0)],
     [{"operation": "Remove", "description": "cow mooing"}, {"instruction": "Take the cow out of the recording."},
      {"operation": "Extract", "description": "birds singing"}]),
    ("piano-and-drums.flac", 3.0,
     [("sonic-pi/ambi-piano", (0.0,), -24.0),
      ("sonic-pi/drum-bass-hard", tuple(BEAT * b for b in (0, 2, 2.5, 4)), -27.0),
      ("sonic-pi/drum-tom-mid-hard", tuple(BEAT * b for b in (1, 3)), -29.0),
      ("sonic-pi/drum-cymbal-soft", tuple(BEAT * b for b in (0, 1, 2, 3, 4)), -33.0)],
     [{"operation": "Extract", "description": "piano"}, {"operation": "Remove", "description": "drums"},
      {"operation": "Style Transfer", "description": "piano", "target": "violin"}]),
]


def debian_source(entry: dict) -> str:
    """The upstream address the Debian package's copyright file gives for this clip ('' when none)."""
    package = {"sonic-pi": "sonic-pi-samples", "opensfx": "openttd-opensfx"}[entry["source"]]
    copyright_file = cache_dir() / "debian" / package / "usr" / "share" / "doc" / package / "copyright"
    if entry["source"] != "sonic-pi" or not copyright_file.is_file():
        return "https://github.com/OpenTTD/OpenSFX" if entry["source"] == "opensfx" else ""
    stem = entry["id"].split("/", 1)[1].replace("-", "_")
    stanza = re.search(rf"Files: etc/samples/{stem}\.flac\n(.*?)(?:\n\n|\Z)", copyright_file.read_text(), re.S)
    found = re.search(r"(https?://\S+)", stanza.group(1)) if stanza else None
    return found.group(1) if found else ""


def main() -> int:
    catalog = {}
    for line in (cache_dir() / "sources" / "catalog.jsonl").read_text().splitlines():
        entry = json.loads(line)
        catalog[entry["id"]] = entry
    manifest = []
    credits = ["Example recordings of audio-omni. Each is a mix made by scripts/make_examples.py of the real",
               "recordings below; every one of them is CC0 1.0 (public domain dedication), so the mixes are too.",
               ""]
    for name, seconds, parts, edits in EXAMPLES:
        length = int(seconds * RATE)
        mix = np.zeros(length, np.float32)
        credits.append(f"{name} ({seconds:g} s):")
        for clip_id, onsets, lufs in parts:
            entry = catalog[clip_id]
            if entry["licence"] != "CC0-1.0":
                raise SystemExit(f"{clip_id} is {entry['licence']}, not CC0")
            wave, _ = load_audio(entry["path"], sample_rate=RATE, channels=1)
            wave = normalize_loudness(wave[0].numpy(), RATE, lufs)
            for start in onsets:
                at = int(start * RATE)
                take = min(len(wave), length - at)
                mix[at : at + take] += wave[:take]
            source = debian_source(entry)
            credits.append(f"  {entry['caption']}: {entry['attribution']}; licence CC0 1.0"
                           + (f"; source {source}" if source else ""))
        fade = int(0.05 * RATE)
        mix[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
        mix *= min(1.0, 0.9 / float(np.abs(mix).max()))
        save_audio(OUT / name, mix[None], RATE)
        manifest.append({"file": name, "edits": edits})
        credits.append("")
    write_text_atomic(OUT / "examples.json", json.dumps(manifest, indent=1) + "\n")
    write_text_atomic(OUT / "ATTRIBUTION", "\n".join(credits))
    for path in sorted(OUT.iterdir()):
        print(f"{path.stat().st_size:>8} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
