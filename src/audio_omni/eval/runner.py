"""Run a system over a suite: per-item judgements and metrics, aggregated per operation.

Per item: the system's output is saved, resampled to the target's rate and compared with the target
(SI-SDR, log-spectral and mel distance, loudness), the checks of :mod:`audio_omni.eval.success` judge
instruction success (tagger, loudness, ASR or speaker by operation, and the reference-based edit progress and
output-sanity checks of :mod:`audio_omni.eval.spectral`), preservation is measured (classes that should stay;
outside an edit region, the waveform against the source), and speech / music items get ASR error rates,
speaker similarity, pitch and tempo agreement. Identity and oracle successes are computed on every item from
the reference pair, so each report carries both; a model's report also carries its ceiling (the targets
through its own codec).
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from audio_omni.audio.io import load_audio, prepare_audio
from audio_omni.eval import judging, metrics, success
from audio_omni.eval.success import Judges
from audio_omni.eval.suites import Suite, SuiteItem, save_flac

log = logging.getLogger(__name__)


def _load(suite: Suite, rel: str | None):
    if rel is None:
        return None, None
    wave, rate = load_audio(suite.path(rel))
    return wave.numpy(), rate


def _finite(x):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


def _outside(wave: np.ndarray, rate: int, region) -> np.ndarray:
    start, end = (int(round(t * rate)) for t in region)
    return np.concatenate([wave[..., :start], wave[..., end:]], axis=-1)


def evaluate_item(item: SuiteItem, suite: Suite, system, judges: Judges, out_dir: Path, seed: int,
                  ceiling=None) -> dict:
    """Run ``system`` on one item and judge its output; with ``ceiling`` (a system, e.g. the target through
    the model's codec) the same judgement of the ceiling's output is recorded beside it."""
    waves, rate, voice_rate = success.load_waves(item, suite.root)
    source, target, residual = waves["source"], waves["target"], waves["residual"]
    record: dict = {"id": item.id, "operation": item.operation, "language": item.language, "domain": item.domain,
                    "labels": item.labels, "region": item.region}
    if item.extra.get("held_out") is not None:  # the engine split marks held-out instruction templates
        record["held_out"] = bool(item.extra["held_out"])
    window = getattr(system, "max_duration", None)  # a model's longest input: judge that excerpt of the pair
    if window is not None:
        keep = int(window * rate)
        longest = max(x.shape[-1] for x in (source, target) if x is not None)
        if longest > keep:
            source, target, residual = (None if x is None else x[..., :keep] for x in (source, target, residual))
            record["cropped_to_seconds"] = round(keep / rate, 3)
            if item.region is not None and item.region[0] * rate >= keep - rate // 10:
                record["status"] = "skipped: the edit region lies beyond the model's window"
                return record
    started = time.perf_counter()
    answer = system(item, source, target, rate, seed)
    record["seconds"] = round(time.perf_counter() - started, 3)
    if answer is None:
        record["status"] = "no output"
        return record
    out = _as_output(answer, rate)
    out_path = out_dir / "audio" / f"{item.id}.flac"
    wave = np.asarray(answer[0], np.float32)  # saved as made, at its own rate
    peak = float(np.abs(wave).max()) if wave.size else 0.0
    save_flac(out_path, wave * (0.99 / peak) if peak > 1 else wave, answer[1])
    record["output"] = str(out_path.relative_to(out_dir))
    record["status"] = "ok"

    waves = {**waves, "output": out, "source": source, "target": target, "residual": residual}
    evidence = success.Evidence(item, waves, rate, judges, voice_rate=voice_rate)
    checks = success.checks_for(evidence)
    record["reference_checks"] = [c.record() for c in checks]
    record["dropped_checks"] = {c.key: c.why_not for c in checks if not c.judgeable} or None
    scores = _scores(item, evidence, checks, judges, full=True)
    if item.is_generation and target is not None:
        record["_embeddings"] = (judges.tagger.patch_embeddings(out.mean(0), rate),
                                 judges.tagger.patch_embeddings(target.mean(0), rate))
    record["scores"] = {k: _finite(v) for k, v in scores.items()}
    record["top_classes"] = judges.tagger.top_from_probabilities(evidence.view("output").clip_probabilities(), 3)
    if ceiling is not None and target is not None:
        best = ceiling(item, source, target, rate, seed)
        if best is not None:
            ceiling_evidence = evidence.with_output(_as_output(best, rate))
            ceiling_scores = _scores(item, ceiling_evidence, success.checks_for(ceiling_evidence), judges, full=False)
            record["ceiling_scores"] = {k: _finite(v) for k, v in ceiling_scores.items()}
    return record


def _as_output(answer, rate: int) -> np.ndarray:
    """A system's (wave, rate) as float32 [C, T] at the item's rate."""
    out, out_rate = answer
    out = np.asarray(out, np.float32)
    if out.ndim == 1:
        out = out[None]
    if out_rate != rate:
        out = prepare_audio(out, out_rate, rate, name="output", max_seconds=None)[0].numpy()
    return out


#: Per-item values of the spectral checks, reported as scores (see eval/spectral.py).
SPECTRAL_SCORES = {"edit progress": "edit_progress", "preserved": "preserved_db", "spectral balance": "balance_db"}


def _scores(item: SuiteItem, evidence: success.Evidence, checks: list, judges: Judges, full: bool) -> dict:
    """Success and metrics of ``evidence``'s output. ``full``: also the costly speech, music and generation
    scores (Whisper, speaker encoder, CREPE, embeddings)."""
    out, source, target = (evidence.waves[k] for k in ("output", "source", "target"))
    rate = evidence.rate
    scores: dict = dict(success.item_success(checks))
    for check in checks:
        if check.key in SPECTRAL_SCORES and check.detail.get("value") is not None:
            value = check.detail["value"]
            scores[SPECTRAL_SCORES[check.key]] = max(value, -1.0) if check.kind == "progress" else value
    if not item.is_generation and source is not None:
        exp = success.edit_expectation(item)
        reference = evidence.view("target", item.region) if target is not None else None
        scores["kept_classes"] = judging.kept_fraction(evidence.view("output", item.region), exp,
                                                       judges.tagger.index, reference)
        if item.region is not None:  # preservation outside the edited region
            outside_src, outside_out = _outside(source, rate, item.region), _outside(out, rate, item.region)
            if outside_src.shape[-1] > rate // 10:
                scores["outside_region_si_sdr"] = metrics.si_sdr(outside_out, outside_src)
                scores["outside_region_mel_distance"] = metrics.mel_distance(outside_out, outside_src, rate)
    if target is not None:
        scores["si_sdr"] = metrics.si_sdr(out, target)
        scores["log_spectral_distance"] = metrics.log_spectral_distance(out, target)
        scores["mel_distance"] = metrics.mel_distance(out, target, rate)
        scores["loudness_difference"] = metrics.loudness_difference(out, target, rate)
        if item.is_generation and full:
            p_out, p_tgt = evidence.view("output").clip_probabilities(), evidence.view("target").clip_probabilities()
            scores["kl"] = metrics.kl_divergence(p_tgt, p_out)
    if full:  # the ceiling skips these: its success checks already ran the judges its operation needs
        _speech_scores(item, evidence, scores)
        _music_scores(item, out, rate, target, judges, scores)
    return scores


#: Operations whose target still holds the item's speech (after Remove / Replace there is nothing to read).
SPEECH_KEPT = ("Add", "Extract", "Level", "Style Transfer", "SpeechEdit", "TTS")


def _speech_scores(item, evidence: success.Evidence, scores) -> None:
    transcript = item.transcript or item.extra.get("transcript")
    if item.domain != "speech" and item.operation not in ("TTS", "SpeechEdit"):
        return
    if transcript and item.operation in SPEECH_KEPT:
        heard = evidence.transcript("output")
        scores["asr_text"] = heard
        scores["wer"] = metrics.word_error_rate(transcript, heard)
        scores["cer"] = metrics.character_error_rate(transcript, heard)
        scores["asr_error"] = evidence.error_rate(transcript, heard)  # CER for zh/ja/ko/th, else WER
    if evidence.waves["voice"] is not None:
        scores["speaker_similarity"] = evidence.similarity("output", evidence.waves["voice"], evidence.voice_rate)
    elif evidence.waves["target"] is not None:
        scores["speaker_similarity"] = evidence.similarity("output", evidence.waves["target"])


def _music_scores(item, out, rate, target, judges, scores) -> None:
    if item.domain != "music" or target is None:
        return
    t_out, t_ref = judges.pitch.track(out, rate), judges.pitch.track(target, rate)
    scores.update(metrics.pitch_agreement(t_out.f0, t_out.voiced(), t_ref.f0, t_ref.voiced()))
    scores.update(metrics.tempo_agreement(metrics.estimate_tempo(out, rate), metrics.estimate_tempo(target, rate)))


AGGREGATED = ("si_sdr", "log_spectral_distance", "mel_distance", "loudness_difference", "kept_classes",
              "edit_progress", "preserved_db", "balance_db",
              "outside_region_si_sdr", "outside_region_mel_distance", "wer", "cer", "asr_error", "speaker_similarity",
              "raw_pitch_accuracy", "note_accuracy", "tempo_acc1", "tempo_acc2", "kl")


def _means(rows: list[dict], prefix: str = "") -> dict:
    out = {}
    for key in AGGREGATED:
        values = [r[key] for r in rows if r.get(key) is not None]
        if values:
            out[prefix + key] = float(np.mean(values))
    return out


def aggregate(records: list[dict]) -> dict:
    """Per-operation means; success rates over the items that their own reference pair can judge.

    Each item drops the checks its reference pair cannot judge (listed in its record with the reason) and is
    judged by the others; ``judged`` counts the items left with a check that tells an edit from no edit.
    With a ceiling (the targets through the model's codec), its rates and means sit beside the oracle's.
    """
    checks = [c for r in records for c in r.get("reference_checks", [])]
    flags = judging.calibrate(checks)
    dropped: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for c in checks:
        if not c["judgeable"]:
            dropped[c["class"]][c["why_not"]] += 1
    per_op: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        per_op[r["operation"]].append(r)
    operations = {}
    for op, rows in sorted(per_op.items()):
        done = [r for r in rows if r.get("status") == "ok"]
        entry: dict = {"items": len(rows), "evaluated": len(done)}
        judged = [r for r in done if r["scores"].get("success") is not None]
        entry["judged"] = len(judged)
        entry["judged_fraction"] = len(judged) / len(done) if done else None
        for key in ("success", "identity_success", "oracle_success"):
            values = [float(r["scores"][key]) for r in judged if r["scores"].get(key) is not None]
            entry[f"{key}_rate"] = float(np.mean(values)) if values else None
        ceiling = [r["ceiling_scores"] for r in judged if r.get("ceiling_scores")]
        if ceiling:
            values = [float(c["success"]) for c in ceiling if c.get("success") is not None]
            entry["ceiling_success_rate"] = float(np.mean(values)) if values else None
            entry.update(_means([r["ceiling_scores"] for r in done if r.get("ceiling_scores")], "ceiling_"))
        entry.update(_means([r["scores"] for r in done]))
        entry["seconds_per_item"] = float(np.mean([r["seconds"] for r in rows if "seconds" in r] or [0.0]))
        operations[op] = entry
    flagged = [{"class": f.label, "judgeable_items": f.judgeable, "items": f.total, "reason": f.reason}
               for f in flags.values()]
    return {"operations": operations, "flagged_classes": flagged,
            "dropped_checks": {k: dict(v) for k, v in sorted(dropped.items())}}


def generation_summary(records: list[dict]) -> dict | None:
    pairs = [r.pop("_embeddings") for r in records if "_embeddings" in r]
    if not pairs:
        return None
    out_emb = np.concatenate([p[0] for p in pairs])
    ref_emb = np.concatenate([p[1] for p in pairs])
    kls = [r["scores"]["kl"] for r in records if r.get("scores", {}).get("kl") is not None]
    summary = {"items": len(pairs), "kl": float(np.mean(kls)) if kls else None, "fad": None}
    if len(out_emb) >= 2 and len(ref_emb) >= 2:
        summary["fad"] = metrics.frechet_audio_distance(ref_emb, out_emb)
        summary["fad_embedding"] = "YAMNet 1024-d patch embeddings (0.96 s windows)"
    return summary


def run_suite(system, suite: Suite, out_dir: Path, seed: int = 0, progress: bool = True,
              ceiling=None) -> tuple[list[dict], dict]:
    """Evaluate every item; returns (per-item records, summary). Items that fail are recorded, not fatal.

    ``ceiling``: a system judged beside ``system`` on every item (the targets through the model's codec)."""
    from tqdm.auto import tqdm

    from audio_omni.errors import AudioOmniError

    judges = Judges()
    records = []
    started = time.perf_counter()
    items = [item for item in suite.items if not item.is_understanding]  # questions: eval/understanding.py
    for item in tqdm(items, desc=f"eval {suite.name}", unit="item", disable=not progress):
        try:
            records.append(evaluate_item(item, suite, system, judges, out_dir, seed, ceiling=ceiling))
        except AudioOmniError as exc:
            log.warning("item %s failed: %s", item.id, exc)
            records.append({"id": item.id, "operation": item.operation, "status": f"error: {exc}"})
    summary = aggregate(records)
    summary["generation"] = generation_summary(records)
    summary["wall_seconds"] = round(time.perf_counter() - started, 2)
    return records, summary
