"""report.json (everything) and report.md (one table per operation, flagged classes, settings)."""

from __future__ import annotations

import json
from pathlib import Path

from audio_omni.atomic import write_text_atomic


def _fmt(value, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.0f}%" if pct else f"{value:.2f}"


COLUMNS = (
    ("success_rate", "success", True),
    ("identity_success_rate", "identity", True),
    ("oracle_success_rate", "oracle", True),
    ("ceiling_success_rate", "ceiling", True),
    ("edit_progress", "progress", False),
    ("ceiling_edit_progress", "ceiling progress", False),
    ("preserved_db", "preserved dB", False),
    ("si_sdr", "SI-SDR dB", False),
    ("ceiling_si_sdr", "ceiling SI-SDR", False),
    ("log_spectral_distance", "LSD dB", False),
    ("mel_distance", "mel dist", False),
    ("ceiling_mel_distance", "ceiling mel dist", False),
    ("kept_classes", "kept", True),
    ("outside_region_si_sdr", "outside SI-SDR", False),
    ("asr_error", "ASR err", True),
    ("speaker_similarity", "spk sim", False),
    ("note_accuracy", "note acc", True),
    ("tempo_acc2", "tempo", True),
    ("seconds_per_item", "s/item", False),
)


def _sampling(sampling: dict | None) -> str:
    return f"{sampling['steps']} {sampling['sampler']} steps, " if sampling else ""


def by_language(records: list[dict]) -> list[tuple[str, int, float, float, float | None]]:
    """(row, judged edits, success, identity success, mean progress) per instruction language, then for the
    held-out and the seen instruction templates where the suite marks them; editing items with a verdict only."""
    from audio_omni.eval.suites import EDIT_OPERATIONS

    judged = [r for r in records if r.get("operation") in EDIT_OPERATIONS
              and (r.get("scores") or {}).get("success") is not None]
    groups: dict[str, list[dict]] = {}
    for r in judged:
        groups.setdefault(r.get("language") or "?", []).append(r)
    for r in judged:
        if r.get("held_out") is not None:
            groups.setdefault("held-out templates" if r["held_out"] else "seen templates", []).append(r)
    rows = []
    for name, group in groups.items():
        progress = [r["scores"]["edit_progress"] for r in group if r["scores"].get("edit_progress") is not None]
        rows.append((name, len(group), sum(bool(r["scores"]["success"]) for r in group) / len(group),
                     sum(bool(r["scores"].get("identity_success")) for r in group) / len(group),
                     sum(progress) / len(progress) if progress else None))
    return rows


def markdown(report: dict) -> str:
    ops = report["summary"]["operations"]
    used = [c for c in COLUMNS if any(ops[o].get(c[0]) is not None for o in ops)]
    lines = [
        f"# Evaluation: `{report['model']}` on `{report['suite']}`",
        "",
        f"{report['items']} items, seed {report['seed']}, {_sampling(report.get('sampling'))}"
        f"{report['summary']['wall_seconds']:.0f} s wall time ({report['device']}).",
        "",
    ]
    if ops:
        lines += [
            "Success: the YAMNet tagger hears the instructed class appear / disappear / stay isolated / be swapped "
            "(inside the region for Region; the caption's class for T2A/T2M); Level by loudness; SpeechEdit by "
            "Whisper (closer to the target's words than the source's); speech Style Transfer by the speaker "
            "encoder (closer to the new voice); TTS by intelligibility and voice similarity relative to the "
            "ground truth. Every edit with a ground truth must also make at least half the way from the source to "
            "the target in a band picture (`progress`) and keep what the edit keeps (`preserved dB`, median "
            "difference on the unchanged cells). Each item drops the checks its own reference pair cannot judge; "
            "rates are over the items left with a check that tells an edit from no edit (`judged`). `identity` "
            "and `oracle` are the same judgement applied to the unchanged source and to the ground-truth target; "
            "`ceiling` to the target through the model's own codec (the best the model can reach).",
            "",
            "| operation | items | judged | " + " | ".join(c[1] for c in used) + " |",
            "|---|---:|---:|" + "---:|" * len(used),
        ]
    for op, entry in ops.items():
        cells = [_fmt(entry.get(key), pct) for key, _, pct in used]
        lines.append(f"| {op} | {entry['items']} | {entry['judged']} | " + " | ".join(cells) + " |")
    languages = by_language(report.get("records") or [])
    if len({row[0] for row in languages} - {"held-out templates", "seen templates"}) > 1 or any(
        row[0] == "held-out templates" for row in languages
    ):
        lines += ["", "Editing by instruction language (and template):", "",
                  "| language | judged | success | identity | progress |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {name} | {n} | {_fmt(rate, True)} | {_fmt(identity, True)} | {_fmt(progress)} |"
                  for name, n, rate, identity, progress in languages]
    if report["summary"].get("understanding"):
        from audio_omni.eval.understanding import markdown_section

        lines += ["", markdown_section(report["summary"]["understanding"]).rstrip()]
    if report.get("notes"):
        lines += [""] + [f"Note: {note}." for note in report["notes"]]
    gen = report["summary"].get("generation")
    if gen:
        lines += ["", f"Generation: FAD {_fmt(gen.get('fad'))} ({gen.get('fad_embedding', '')}), "
                      f"KL {_fmt(gen.get('kl'))} over {gen['items']} items."]
    flagged = report["summary"]["flagged_classes"]
    if report.get("ceiling"):
        lines += ["", f"Ceiling: {report['ceiling']}."]
    if ops:
        lines += ["", "## Checks often dropped", "",
                  "Each item drops only the checks its own reference pair cannot judge and is judged by the others; "
                  "these keys were dropped on more than a fifth of their items.", ""]
    if flagged:
        lines += [f"- **{f['class']}** ({f['judgeable_items']}/{f['items']} judgeable): {f['reason']}" for f in flagged]
    elif ops:
        lines.append("None: the judges recognised every instructed change on the reference pairs.")
    if report.get("skipped"):
        lines += ["", "## Suite entries skipped", ""]
        lines += [f"- {where}: {why}" for where, why in report["skipped"]]
    plots = report.get("plots") or []
    if plots:
        lines += ["", "## Plots", ""] + [f"![{Path(p).stem}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def write_report(out: Path, report: dict) -> tuple[Path, Path]:
    json_path, md_path = out / "report.json", out / "report.md"
    write_text_atomic(json_path, json.dumps(report, indent=2, ensure_ascii=False, default=float))
    write_text_atomic(md_path, markdown(report))
    return json_path, md_path
