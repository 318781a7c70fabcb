"""Which answering step for understanding on the CPU: templates, SmolLM2-135M-Instruct or Gemma-3-270M?

All three read the same facts (each clip is heard once by the frozen listeners of audio_omni.understanding);
the reference answer systems of the evaluation (oracle, empty, tagger, whisper) run beside them. One run, the
same items, scored by the evaluation's own scoring: accuracy per question type and per question language,
and the time of the answering step alone (hearing is shared and timed separately, per clip).

    PYTHONPATH=src python benchmarks/bench_understanding_answers.py --out /tmp/answers [--llm-items 6]
    PYTHONPATH=src python benchmarks/bench_understanding_answers.py --out /tmp/engine --questions-from SPLIT \
        --systems rules,oracle,empty,tagger

``--questions-from``: build the question suite from another suite that keeps its stems (the data engine's test
split, ``audio-omni data suite``) instead of the built-in one: presence, count, timing and caption questions
about its first clips of each operation (no recorded speech: the built-in suite has it).

``--llm-items``: the language models answer only the first N items of each question type (they are slow);
the templates and baselines answer every item. The table compares each system on the items it answered.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--suite", default="debian-questions")
    parser.add_argument("--questions-from", type=Path, help="a suite with stems to build the questions from")
    parser.add_argument("--per-operation", type=int, default=4, help="clips per operation (--questions-from)")
    parser.add_argument("--skip-per-operation", type=int, default=0,
                        help="leave out the first clips of each operation (--questions-from): a calibration split")
    parser.add_argument("--llm-items", type=int, default=6, help="items per question type for the language models")
    parser.add_argument("--systems", default="rules,oracle,empty,tagger,whisper,smollm2,gemma")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(2)
    from audio_omni.eval import understanding
    from audio_omni.eval.command import resolve_suite
    from audio_omni.eval.suites import read_suite
    from audio_omni.understanding import AudioUnderstanding, answer_from_facts
    from audio_omni.understanding.llm import FactsLLM

    if args.questions_from:
        from audio_omni.eval.question_items import build_question_suite

        source = read_suite(args.questions_from)
        suite = build_question_suite(args.out / "suite", source, per_operation=args.per_operation,
                                     skip_per_operation=args.skip_per_operation, speech_languages=(),
                                     name=f"{source.root.name}-questions")
    else:
        suite = read_suite(resolve_suite(args.suite))
    ears = AudioUnderstanding(remember=10_000)  # every clip heard once, for every system
    hearing: dict[str, dict] = {}  # source -> {"wall", "cpu"} of its first hearing
    answer_time: dict[str, dict[str, float]] = {}

    def facts_for(item, audio, rate):
        started, cpu = time.perf_counter(), time.process_time()
        facts = ears.hear(audio.copy(), rate)
        if item.source not in hearing:
            hearing[item.source] = {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                                    "duration": facts.duration, "stages": facts.timings}
        return facts

    def system_from(name, reply):
        taken: dict[str, int] = {}

        def system(item, audio, rate, seed=0):
            if reply is None:
                return None
            if name in ("smollm2", "gemma"):
                taken[item.operation] = taken.get(item.operation, 0) + 1
                if taken[item.operation] > args.llm_items:
                    return None
            facts = facts_for(item, audio, rate)
            started, cpu = time.perf_counter(), time.process_time()
            text = reply(item.instruction, facts)
            answer_time.setdefault(name, {})[item.id] = time.process_time() - cpu
            answer_time.setdefault(name + ":wall", {})[item.id] = time.perf_counter() - started
            return text

        return system

    def make(name):
        if name == "rules":
            return system_from("rules", lambda q, f: answer_from_facts(ears.parse(q), f))
        if name in ("smollm2", "gemma"):
            started = time.perf_counter()
            llm = {"smollm2": FactsLLM.smollm2, "gemma": FactsLLM.gemma}[name]()
            print(f"{name}: loaded in {time.perf_counter() - started:.1f} s", flush=True)
            return system_from(name, llm.answer)
        return understanding.ANSWER_BASELINES[name]

    results = {}
    for name in args.systems.split(","):
        system = make(name)
        started = time.perf_counter()
        records, summary = understanding.run_understanding(system, suite, args.out / name, progress=False)
        results[name] = {"summary": summary, "answer_cpu_s": answer_time.get(name, {}),
                         "answer_wall_s": answer_time.get(name + ":wall", {})}
        print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)
        for line in understanding.console_lines(summary):
            print("   ", line, flush=True)
        (args.out / "hearing.json").write_text(json.dumps(hearing, indent=1))  # after each system: a long run
        (args.out / "results.json").write_text(json.dumps(results, indent=1, default=float))  # can be read early
    print(table(results, hearing))


def _cell(entry: dict | None) -> str:
    if not entry or not entry.get("evaluated"):
        return "-"
    for key in ("accuracy", "tag_recall"):
        if entry.get(key) is not None:
            extra = f" (IoU {entry['iou']:.2f})" if entry.get("iou") is not None else ""
            return f"{100 * entry[key]:.0f}%{extra} n={entry['evaluated']}"
    if entry.get("error") is not None:
        return f"err {100 * entry['error']:.0f}% n={entry['evaluated']}"
    return "-"


def table(results: dict, hearing: dict) -> str:
    import numpy as np

    names = list(results)
    ops = sorted({op for r in results.values() for op in r["summary"]["operations"]})
    lines = ["| question type | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for op in ops:
        cells = [_cell(results[n]["summary"]["operations"].get(op)) for n in names]
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    cpu = {n: list(r["answer_cpu_s"].values()) for n, r in results.items() if r["answer_cpu_s"]}
    lines.append("| answer step, CPU s (mean) | " + " | ".join(
        f"{np.mean(cpu[n]):.3f}" if n in cpu else "-" for n in names) + " |")
    langs = sorted({lang for r in results.values() for e in r["summary"]["operations"].values()
                    for lang in e.get("by_language", {})})
    lines += ["", "Per question language (mean of the primary number over every question type but ASR):", "",
              "| system | " + " | ".join(langs) + " |", "|---|" + "---|" * len(langs)]
    for n in names:
        cells = []
        for lang in langs:
            values = [e["by_language"][lang] for op, e in results[n]["summary"]["operations"].items()
                      if op != "ASR" and e.get("by_language", {}).get(lang) is not None]
            cells.append(f"{100 * np.mean(values):.0f}%" if values else "-")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    if hearing:
        wall = [h["wall"] for h in hearing.values()]
        cpu_h = [h["cpu"] for h in hearing.values()]
        dur = [h["duration"] for h in hearing.values()]
        lines += ["", f"Hearing: {len(hearing)} clips, {np.mean(dur):.1f} s long on average; "
                      f"CPU {np.mean(cpu_h):.2f} s (max {np.max(cpu_h):.2f}), "
                      f"wall {np.mean(wall):.2f} s (max {np.max(wall):.2f}) per clip"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
