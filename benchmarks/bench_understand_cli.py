"""`audio-omni understand --audio clip.wav "What do you hear?"` with the default model, timed as a user runs it.

A 10 s clip of real recordings (flowing water throughout, glass breaking twice, a recorded English prompt, so
that every listener runs: tagger, Whisper-base and, when the tagger hears music, the music measures) is asked
about by a fresh process each time (imports, loading the frozen models, hearing, answering), with 2 threads.
The processes use a new, empty cache directory (``AUDIO_OMNI_CACHE``): the first run is a fresh install's
first answer (it also unpacks the frozen models from their packages once), the later ones are every answer
after. Printed: wall and CPU seconds of each run (CPU of the child process: on a machine shared with other work the
wall time grows, the CPU time does not), and the CPU of each hearing stage in-process, the tagger at its own
0.48 s hop and at the 0.16 s hop in use side by side.

    PYTHONPATH=src python benchmarks/bench_understand_cli.py [--runs 3] [--clip existing.wav]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RATE = 16_000
QUESTIONS = ("What do you hear?", "Was sagt die Stimme?")


def build_clip(path: Path, seconds: float = 10.0) -> Path:
    import soundfile as sf

    from audio_omni.assets import debian_package
    from audio_omni.audio.io import load_audio

    def first(package: str, name: str) -> np.ndarray:
        wave, _ = load_audio(sorted(debian_package(package).rglob(name))[0], sample_rate=RATE, channels=1)
        return wave[0].numpy()

    n = int(seconds * RATE)
    water = first("minetest-data", "env_sounds_water.1.ogg")
    clip = 0.3 * np.resize(water, n) / max(1e-6, float(np.abs(water).max()))
    glass = first("minetest-data", "default_break_glass.1.ogg")[: int(0.8 * RATE)]
    for onset in (1.0, 8.0):
        start = int(onset * RATE)
        clip[start : start + len(glass)] += glass[: n - start]
    speech = first("asterisk-core-sounds-en-wav", "please-try-call-later.wav")
    start = int(3.0 * RATE)
    clip[start : start + len(speech)] += speech[: n - start]
    clip /= max(1.0, float(np.abs(clip).max()) / 0.9)
    sf.write(path, clip.astype(np.float32), RATE)
    return path


def run_cli(clip: Path, question: str, cache: Path) -> tuple[float, float, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "2", "HF_HUB_OFFLINE": "1", "AUDIO_OMNI_CACHE": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "audio_omni.cli", "understand", "--audio", str(clip), question],
        env=env, capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"the command failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return wall, cpu, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clip", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.clip or build_clip(Path(tmp) / "clip.wav")
        import soundfile as sf

        seconds = sf.info(str(clip)).duration
        print(f"clip: {clip} ({seconds:.1f} s)")
        cache = Path(tmp) / "cache"
        for question in QUESTIONS:
            for k in range(args.runs):
                wall, cpu, answer = run_cli(clip, question, cache)
                print(f"run {k + 1} {question!r}: wall {wall:.1f} s, CPU {cpu:.1f} s ({cpu / seconds:.2f} x real time)")
            print(f"  answer: {answer}")
        stages(clip)
        print(f"load average now: {os.getloadavg()}")


def stages(clip: Path) -> None:
    """CPU seconds of each hearing stage in-process (models loaded), the tagger at its own hop (0.48 s) and at
    the hop in use side by side, as ratios to the clip's duration."""
    import torch

    torch.set_num_threads(2)
    from audio_omni.audio.io import load_audio
    from audio_omni.understanding import AudioUnderstanding, hearing
    from audio_omni.understanding.occurrences import foreground

    ears = AudioUnderstanding()
    ears.hear(clip)  # loads the frozen models
    listener = ears.listener
    wave, _ = load_audio(clip, sample_rate=RATE, channels=1)
    mono = wave[0].numpy()
    duration = len(mono) / RATE
    in_use = hearing.TAGGER_HOP_FRAMES

    def cpu(call) -> float:
        started = time.process_time()
        call()
        return time.process_time() - started

    rows = {}
    for hop in (48, in_use):
        hearing.TAGGER_HOP_FRAMES = hop
        rows[f"tagger segments, hop {hop / 100:.2f} s"] = cpu(lambda: listener._events(mono, duration))
    hearing.TAGGER_HOP_FRAMES = in_use
    rows["spectrogram search (foreground)"] = cpu(lambda: foreground(mono))
    rows["Whisper-base (language, words)"] = cpu(lambda: listener._speech(mono, None))
    rows["whole hearing, fresh cache"] = cpu(lambda: AudioUnderstanding(listener).hear(clip))
    print(f"\nin-process CPU seconds for the {duration:.1f} s clip (models loaded):")
    for name, seconds in rows.items():
        print(f"  {name:34s} {seconds:6.2f} s  ({seconds / duration:.3f} x real time)")


if __name__ == "__main__":
    main()
