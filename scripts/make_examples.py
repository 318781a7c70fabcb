"""Rebuild the example recordings that ship in src/audio_omni/examples/ (the web app's examples, the README's).

Each example mixes two CC0 clips from the source catalogue that `audio-omni data sources` builds
(~/.cache/audio-omni/sources/catalog.jsonl, from Debian's openttd-opensfx and sonic-pi-samples), at
22.05 kHz mono 16-bit FLAC, so that an edit has something to add to, remove or extract. The clips, their
authors and licences are written to examples/ATTRIBUTION; examples/examples.json lists the edits to try.

    python scripts/make_examples.py            # needs the catalogue; writes src/audio_omni/examples/
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from audio_omni.atomic import write_text_atomic
from audio_omni.audio.io import load_audio, normalize_loudness, save_audio
from audio_omni.paths import cache_dir

RATE = 22050
OUT = Path(__file__).resolve().parents[1] / "src" / "audio_omni" / "examples"

# (file, seconds, [(catalogue id, start s, loudness LUFS)], edits to try)
EXAMPLES = [
    ("birds-and-cow.flac", 3.0, [("opensfx/072-tropical-bird-2", 0.0, -26.0), ("opensfx/037-cow", 1.2, -24.0)],
     [{"operation": "Remove", "description": "cow mooing"}, {"instruction": "Take the cow out of the recording."},
      {"operation": "Extract", "description": "birds singing"}]),
    ("piano-and-drums.flac", 2.8, [("sonic-pi/ambi-piano", 0.0, -24.0), ("sonic-pi/loop-amen", 0.4, -27.0)],
     [{"operation": "Extract", "description": "piano"}, {"operation": "Remove", "description": "drum kit"},
      {"operation": "Style Transfer", "description": "piano", "target": "violin"}]),
]


def main() -> int:
    catalog = {}
    for line in (cache_dir() / "sources" / "catalog.jsonl").read_text().splitlines():
        entry = json.loads(line)
        catalog[entry["id"]] = entry
    manifest, credits = [], ["Example recordings of audio-omni: mixes of the CC0 clips below (public domain).", ""]
    for name, seconds, parts, edits in EXAMPLES:
        length = int(seconds * RATE)
        mix = np.zeros(length, np.float32)
        credits.append(f"{name}:")
        for clip_id, start, lufs in parts:
            entry = catalog[clip_id]
            if entry["licence"] != "CC0-1.0":
                raise SystemExit(f"{clip_id} is {entry['licence']}, not CC0")
            wave, _ = load_audio(entry["path"], sample_rate=RATE, channels=1)
            wave = normalize_loudness(wave[0].numpy(), RATE, lufs)
            at = int(start * RATE)
            take = min(len(wave), length - at)
            mix[at : at + take] += wave[:take]
            credits.append(f"  {entry['caption']} ({clip_id}), {entry['licence']}: {entry['attribution']}")
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
