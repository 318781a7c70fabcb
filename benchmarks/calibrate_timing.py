"""Calibrate when-and-how-often (the tagger's hop, the occurrence extents) on clips the reported suite never uses.

The built-in ``debian-questions`` suite asks about the first 4 clips of each debian-edit operation; this
script builds the same kind of questions about the next 4 (``build_question_suite(skip_per_operation=4)``, no
recorded speech) and, on that split only:

1. hears every clip with the tagger's windows every 48, 16 and 8 frames (0.48 / 0.16 / 0.08 s) and scores
   Presence, Caption, Count and Timing with the rule answers (``--hops``);
2. at the hop in use (``hearing.TAGGER_HOP_FRAMES``), answers Count and Timing again for every combination of
   the occurrence constants (``EXTENT_DROP_DB``, ``NOISE_MARGIN_DB``, ``MIN_PARTIAL_S``) from the same hearing
   (only the spectrogram search changes), best mean Timing IoU first.

    PYTHONPATH=src python benchmarks/calibrate_timing.py --out /tmp/calibration [--hops 48,16,8]
"""

from __future__ import annotations

import argparse
import itertools
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

GRID = {
    "EXTENT_DROP_DB": (30.0, 40.0, 50.0),
    "NOISE_MARGIN_DB": (None, 0.0, 3.0, 6.0),
    "MIN_PARTIAL_S": (0.2, 0.4, None),
}
OFF = {"NOISE_MARGIN_DB": -1e9, "MIN_PARTIAL_S": 1e9}  # None in the grid: no noise floor, no partial matches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--hops", default="48,16,8")
    args = parser.parse_args()

    import numpy as np
    import torch

    torch.set_num_threads(2)
    from audio_omni.eval import understanding
    from audio_omni.eval.command import resolve_suite
    from audio_omni.eval.question_items import build_question_suite
    from audio_omni.eval.question_scores import score
    from audio_omni.eval.suites import Suite, read_suite
    from audio_omni.understanding import AudioUnderstanding, answer_from_facts, hearing, occurrences

    split = args.out / "split"
    if not (split / "manifest.jsonl").is_file():
        build_question_suite(split, read_suite(resolve_suite("debian-edit")), skip_per_operation=4, speech_languages=())
    suite = read_suite(split)
    asked = Suite(suite.root, [i for i in suite.items if i.operation in ("Presence", "Caption", "Count", "Timing")])
    chosen = hearing.TAGGER_HOP_FRAMES
    heard = {}
    for hop in [int(h) for h in args.hops.split(",")]:
        hearing.TAGGER_HOP_FRAMES = hop
        ears = AudioUnderstanding(remember=1000)

        def rules(item, audio, rate, seed=0, ears=ears, keep=hop == chosen):
            facts = ears.hear(audio.copy(), rate)
            if keep:  # the hearing the occurrence constants are calibrated on
                heard[item.id] = facts
            return answer_from_facts(ears.parse(item.instruction), facts)

        _, summary = understanding.run_understanding(rules, asked, args.out / f"hop{hop}", progress=False)
        print(f"tagger hop {hop} frames ({hop / 100:.2f} s):", flush=True)
        for line in understanding.console_lines(summary):
            print("   ", line, flush=True)
    hearing.TAGGER_HOP_FRAMES = chosen
    if not heard:
        return
    ears = AudioUnderstanding()
    timed = [i for i in asked.items if i.operation in ("Count", "Timing") and i.id in heard]
    rows, kept = [], {name: getattr(occurrences, name) for name in GRID}
    for values in itertools.product(*GRID.values()):
        for name, value in zip(GRID, values, strict=True):
            setattr(occurrences, name, OFF[name] if value is None else value)
        per_op: dict[str, list[float]] = {"Count": [], "Timing": []}
        for item in timed:
            s = score(item.operation, answer_from_facts(ears.parse(item.instruction), heard[item.id]),
                      item.extra["expected"])
            per_op[item.operation].append(s["iou"] if item.operation == "Timing" else float(s["correct"]))
        rows.append((float(np.mean(per_op["Timing"])), float(np.mean(per_op["Count"])), values))
    for name, value in kept.items():
        setattr(occurrences, name, value)
    print(f"\noccurrence constants at hop {chosen} ({len(timed)} Count/Timing items; None: off), best first:")
    print("| " + " | ".join(GRID) + " | Timing IoU | Count accuracy |\n|---|---|---|---|---|")
    for iou, count, values in sorted(rows, key=lambda r: (-r[0], -r[1])):
        print("| " + " | ".join(str(v) for v in values) + f" | {iou:.3f} | {100 * count:.0f}% |")


if __name__ == "__main__":
    main()
