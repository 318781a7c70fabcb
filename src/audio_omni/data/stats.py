"""What a pair build holds (``audio-omni data stats``), as tables and plots.

Distributions of target class, operation, instruction language, domain, split, duration and loudness, read from
the build's ``manifest.jsonl`` (plus the filter counts of ``stats.json`` when present). Plots are PNG files made
with matplotlib's Agg backend (no display needed), each written atomically.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from audio_omni.atomic import atomic_path
from audio_omni.errors import AudioOmniError

__all__ = ["PLOTS", "load_manifest", "summarize", "plot_summary"]

PLOTS = ("classes", "operations", "languages", "durations", "loudness")


def load_manifest(data: Path) -> list[dict]:
    """The records of ``data/manifest.jsonl`` (``data`` may also be the manifest file itself)."""
    path = Path(data)
    path = path / "manifest.jsonl" if path.is_dir() else path
    if not path.is_file():
        raise AudioOmniError(f"no manifest at {path}: build pairs first (`audio-omni data build --out DIR ...`)")
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise AudioOmniError(f"{path}:{number} is not valid JSON ({exc.msg})") from None
    if not records:
        raise AudioOmniError(f"{path} holds no pairs")
    return records


def _counts(values) -> dict:
    return dict(sorted(Counter(values).items(), key=lambda kv: (-kv[1], str(kv[0]))))


def summarize(records: list[dict]) -> dict:
    durations = np.array([float(r.get("duration") or 0.0) for r in records])
    loud = {
        k: np.array([r["loudness"][k] for r in records if k in (r.get("loudness") or {})]) for k in ("source", "target")
    }

    def describe(values: np.ndarray) -> dict:
        if values.size == 0:
            return {}
        return {"mean": round(float(values.mean()), 2), "min": round(float(values.min()), 2),
                "max": round(float(values.max()), 2), "p10": round(float(np.percentile(values, 10)), 2),
                "p90": round(float(np.percentile(values, 90)), 2)}  # fmt: skip

    return {
        "pairs": len(records),
        "per_split": _counts(r.get("split") for r in records),
        "per_task": _counts(r.get("task") for r in records),
        "per_language": _counts(r.get("language") for r in records),
        "per_domain": _counts(r.get("domain") for r in records),
        "held_out": _counts(bool(r.get("held_out")) for r in records),
        "per_class": _counts((r.get("labels") or {}).get("target") or "(none)" for r in records),
        "duration_s": describe(durations),
        "loudness_lufs": {k: describe(v) for k, v in loud.items()},
        "_durations": durations,
        "_loudness": loud,
    }


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    return path


def plot_summary(summary: dict, out: Path, top_classes: int = 30) -> list[Path]:
    """One PNG per distribution in ``out``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def bars(name: str, counts: dict, title: str, horizontal: bool = False) -> None:
        labels = [str(k) for k in counts]
        values = list(counts.values())
        fig, ax = plt.subplots(figsize=(8, max(3, 0.28 * len(labels))) if horizontal else (8, 4))
        if horizontal:
            ax.barh(labels[::-1], values[::-1], color="#4c72b0")
            ax.set_xlabel("pairs")
        else:
            ax.bar(labels, values, color="#4c72b0")
            ax.set_ylabel("pairs")
            ax.tick_params(axis="x", rotation=30)
        ax.set_title(title)
        written.append(_save(fig, out / f"{name}.png"))
        plt.close(fig)

    classes = dict(list(summary["per_class"].items())[:top_classes])
    bars("classes", classes, f"target class (top {len(classes)} of {len(summary['per_class'])})", horizontal=True)
    bars("operations", summary["per_task"], "operation")
    bars("languages", summary["per_language"], "instruction language")

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.hist(summary["_durations"], bins=30, color="#55a868")
    ax.set_xlabel("duration (s)")
    ax.set_ylabel("pairs")
    ax.set_title("duration")
    written.append(_save(fig, out / "durations.png"))
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    for key, color in (("source", "#c44e52"), ("target", "#4c72b0")):
        values = summary["_loudness"].get(key)
        if values is not None and values.size:
            ax.hist(values, bins=30, alpha=0.6, label=key, color=color)
    ax.set_xlabel("integrated loudness (LUFS)")
    ax.set_ylabel("pairs")
    ax.set_title("loudness")
    ax.legend()
    written.append(_save(fig, out / "loudness.png"))
    plt.close(fig)
    return written
