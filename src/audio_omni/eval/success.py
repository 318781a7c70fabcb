"""Instruction success for every operation: one list of checks per item, each judged three times.

Every check is applied to the system's output, to the unchanged source (what the ``identity`` baseline
would score) and to the ground-truth target (what the ``oracle`` scores). An item succeeds when all its
judgeable checks pass. A check is *judgeable* on an item when the oracle passes it and the identity does not
(for generation, which has no source, when the oracle passes; checks of what is kept are passed by both);
:func:`audio_omni.eval.judging.calibrate` summarises the keys that are often not judgeable.

Checks by operation:

* Add / Remove / Extract / Replace / Style Transfer (sound, music): tagger classes appear, disappear, stay
  present (:func:`audio_omni.eval.judging.expectation`), and the classes that should stay and that the
  tagger hears in the ground truth are still heard (key ``<class> (kept)``). Region: the same for the
  region's own operation (``region_operation``, Remove by default), inside the region only.
* Style Transfer of speech (a voice changed into another voice, same words): the output's speaker embedding
  is closer to the new voice than to the old one. The voices are the speech stems (mixture minus
  ``residual``) when the item has a residual, else the target and source mixtures.
* SpeechEdit (words changed): the output's transcript is closer to the judge's transcript of the target
  than to its transcript of the source. Comparing with the judge's own readings, not with the intended text,
  cancels the recogniser's systematic errors on synthetic voices; the item is judgeable when the judge
  hears the target and source differently.
* TTS: two checks against the ground-truth recording read by the same judges: intelligibility (error rate
  against the intended text at most ``ASR_MARGIN`` above the target's; judgeable when the judge reads the
  target with error at most ``ASR_READABLE``) and, with a voice reference, voice similarity (at most
  ``SPEAKER_MARGIN`` below the target's).
* T2A / T2M: the caption's class (``labels.target``) is present.
* Level: loudness moves at least half-way from the source's towards the target's.
* Every edit with a ground truth, in a band picture of its reference pair (:mod:`audio_omni.eval.spectral`):
  ``edit progress`` (at least half-way from the source to the target on the cells the edit changes; not for
  SpeechEdit and voice conversion, whose timing may change) and the output-sanity checks ``preserved`` (the
  cells the edit keeps are kept) and ``spectral balance`` (the long-term spectrum is the target's). The
  sanity checks are passed by the source too, and fail noise, silence, gain, low-passed or shuffled outputs.

A check that the item's own reference pair cannot judge is dropped for that item only (:func:`item_success`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_omni.eval import judging, metrics, spectral

#: TTS: the target must be read with at most this error rate for its intelligibility to be judged.
ASR_READABLE = 0.5
#: TTS: the output may be read with at most this much more error than the target.
ASR_MARGIN = 0.2
#: TTS: the output's similarity to the voice reference may be at most this much below the target's.
SPEAKER_MARGIN = 0.1
ROLES = ("output", "source", "target")


class Judges:
    """Frozen judges, loaded on first use (Whisper, the speaker encoder and CREPE only when needed)."""

    def __init__(self) -> None:
        self._tagger = self._whisper = self._speaker = self._pitch = None

    @property
    def tagger(self):
        if self._tagger is None:
            from audio_omni.judges.yamnet import YamnetTagger

            self._tagger = YamnetTagger.from_installed()
        return self._tagger

    @property
    def whisper(self):
        if self._whisper is None:
            from audio_omni.judges.whisper import WhisperJudge

            self._whisper = WhisperJudge.from_installed()
        return self._whisper

    @property
    def speaker(self):
        if self._speaker is None:
            from audio_omni.judges.speaker import SpeakerEncoder

            self._speaker = SpeakerEncoder.from_installed()
        return self._speaker

    @property
    def pitch(self):
        if self._pitch is None:
            from audio_omni.judges.pitch import CrepePitch

            self._pitch = CrepePitch.from_installed("tiny")
        return self._pitch


#: Check kinds the unchanged source may pass: what an edit keeps ("present": Extract's class; "keep": a class
#: that stays) and the output-sanity checks of :mod:`audio_omni.eval.spectral` ("preserve", "balance").
SOURCE_MAY_PASS = ("present", "keep", "preserve", "balance")
SANITY = ("preserve", "balance")


@dataclass
class Check:
    """One criterion of an item's success, judged on the output, the source (identity) and the target."""

    key: str  # what is judged: a tagger class, "loudness", "ASR (ja)", "voice", "edit progress", ...
    # appear | disappear | present | keep | loudness | words | intelligibility | voice | speaker | progress |
    # preserve | balance
    kind: str
    output: bool | None
    identity: bool | None  # None: no source (generation)
    oracle: bool | None
    detail: dict = field(default_factory=dict)
    reason: str | None = None  # why this item's reference pair cannot judge the check (set: dropped)

    @property
    def judgeable(self) -> bool:
        # Kinds in SOURCE_MAY_PASS are passed by the source too; the changing parts of the same item are what
        # the identity fails.
        return self.reason is None and bool(self.oracle) and (
            self.kind in SOURCE_MAY_PASS or self.identity is not True)

    @property
    def why_not(self) -> str | None:
        """Why the reference pair cannot judge this check (None when it can)."""
        if self.judgeable:
            return None
        if self.reason:
            return self.reason
        if self.detail.get("unknown"):
            return "not a class of the tagger's label set"
        if not self.oracle:
            return "the ground-truth target fails it (oracle fails)"
        return "the unchanged source already passes it (identity passes)"

    def record(self) -> dict:
        """The form :func:`audio_omni.eval.judging.calibrate` reads (``class`` = the key)."""
        return {"class": self.key, "direction": self.kind, "target_ok": self.reason is None and bool(self.oracle),
                "source_ok": self.kind in SOURCE_MAY_PASS or self.identity is not True,
                "judgeable": self.judgeable, "unknown": self.detail.get("unknown", False),
                "output_ok": self.output, "why_not": self.why_not,
                **{k: v for k, v in self.detail.items() if k != "unknown"}}


def _all(values: list[bool | None]) -> bool | None:
    return None if not values or any(v is None for v in values) else all(values)


def item_success(checks: list[Check]) -> dict:
    """success / identity_success / oracle_success of an item over its judgeable checks (None where there is
    nothing to judge).

    Checks the item's own reference pair cannot judge are dropped for this item only. The item is judged when
    a judgeable check remains that the unchanged source fails (for generation, which has no source: any), so
    that the remaining checks tell an edit from no edit.
    """
    kept = [c for c in checks if c.judgeable]
    tells = any(c.identity is False for c in kept) or bool(kept and all(c.identity is None for c in kept))
    if not kept or not tells:
        return {"success": None, "identity_success": None, "oracle_success": None}
    outputs = [c.output for c in kept]  # a failed check decides even where another could not be measured
    return {"success": False if False in outputs else _all(outputs),
            "identity_success": _all([c.identity for c in kept]),
            "oracle_success": _all([c.oracle for c in kept])}


def _crop(wave: np.ndarray | None, rate: int, region) -> np.ndarray | None:
    if wave is None or region is None:
        return wave
    start, end = (int(round(t * rate)) for t in region)
    return wave[..., start:end]


class Evidence:
    """The audio of one item and what the judges make of it, each computed at most once.

    ``waves`` maps ``output`` / ``source`` / ``target`` / ``residual`` / ``voice`` to float32 ``[C, T]``
    arrays at ``rate`` (``voice`` may have its own rate in ``voice_rate``); any may be None.
    """

    def __init__(self, item, waves: dict, rate: int, judges, voice_rate: int | None = None) -> None:
        self.item, self.waves, self.rate, self.judges = item, waves, rate, judges
        self.voice_rate = voice_rate or rate
        self._views: dict = {}
        self._texts: dict = {}
        self._pair: spectral.SpectralPair | None = None
        self._pair_built = False  # the item may have no pair (generation): build (or not) once

    def with_output(self, wave: np.ndarray | None) -> Evidence:
        """The same item with another output; what the judges made of the references is shared, not redone."""
        other = Evidence(self.item, {**self.waves, "output": wave}, self.rate, self.judges, self.voice_rate)
        other._views = {k: v for k, v in self._views.items() if k[0] != "output"}
        other._texts = {k: v for k, v in self._texts.items() if k != "output"}
        other._pair, other._pair_built = self._pair, self._pair_built
        return other

    @property
    def spectral(self) -> spectral.SpectralPair | None:
        """The reference pair in the band picture of :mod:`audio_omni.eval.spectral` (edits with a target)."""
        if not self._pair_built:
            source, target = self.waves.get("source"), self.waves.get("target")
            if not self.item.is_generation and source is not None and target is not None:
                self._pair = spectral.SpectralPair(source, target, self.rate,
                                                   timing_free=self.item.operation in spectral.TIMING_FREE)
            self._pair_built = True
        return self._pair

    def view(self, role: str, region=None) -> judging.TagView | None:
        key = (role, tuple(region) if region else None)
        if key not in self._views:
            wave = _crop(self.waves.get(role), self.rate, region)
            self._views[key] = None if wave is None else judging.tag_view(self.judges.tagger, wave, self.rate)
        return self._views[key]

    @property
    def spoken_language(self) -> str:
        # The instruction's language is not always the speech's (a German request can edit English speech).
        return self.item.extra.get("speech_language") or self.item.language

    def transcript(self, role: str) -> str | None:
        if role not in self._texts:
            wave = self.waves.get(role)
            self._texts[role] = None if wave is None else self.judges.whisper.transcribe(
                wave, self.rate, language=self.spoken_language).text
        return self._texts[role]

    def error_rate(self, reference: str, hypothesis: str) -> float:
        if metrics.uses_characters(self.spoken_language):
            return metrics.character_error_rate(reference, hypothesis)
        return metrics.word_error_rate(reference, hypothesis)

    def similarity(self, role: str, reference: np.ndarray, reference_rate: int | None = None) -> float | None:
        wave = self.waves.get(role)
        if wave is None:
            return None
        return float(self.judges.speaker.similarity(wave, self.rate, reference, reference_rate or self.rate))


def load_waves(item, root: Path) -> tuple[dict, int | None, int | None]:
    """An item's reference audio as float32 ``[C, T]`` arrays, source and residual at the target's rate.

    Returns (waves without ``output``, rate, voice_rate).
    """
    from audio_omni.audio.io import load_audio, prepare_audio

    def load(rel):
        if rel is None:
            return None, None
        wave, rate = load_audio(Path(root) / rel)
        return wave.numpy(), rate

    waves, rates = {}, {}
    for role in ("target", "source", "residual", "voice"):
        rel = getattr(item, role) if role != "residual" else item.extra.get("residual")
        waves[role], rates[role] = load(rel)
    rate = rates["target"] or rates["source"]
    for role in ("source", "residual"):
        if waves[role] is not None and rates[role] != rate:
            waves[role] = prepare_audio(waves[role], rates[role], rate, name=role)[0].numpy()
    return waves, rate, rates["voice"]


def reference_checks(item, root: Path, judges: Judges) -> list[Check]:
    """The item's checks on its reference pair alone (no output): what suite verification keeps or drops."""
    waves, rate, voice_rate = load_waves(item, root)
    return checks_for(Evidence(item, {**waves, "output": None}, rate, judges, voice_rate=voice_rate))


def unjudgeable_keys(item, root: Path, judges: Judges) -> list[str]:
    """Keys of the item's checks that its written reference pair cannot judge (empty: keep the item).

    The output-sanity checks (``preserve``, ``balance``) never reject a pair: they are required where they can
    be measured and dropped for the item where they cannot."""
    return [c.key for c in reference_checks(item, root, judges) if not c.judgeable and c.kind not in SANITY]


def edit_expectation(item) -> judging.Expectation:
    """What the tagger expects of an edit item; Region edits follow their own operation (Remove by default)."""
    op = (item.extra.get("region_operation") or "Remove") if item.operation == "Region" else item.operation
    return judging.expectation(op, item.labels)


def checks_for(evidence: Evidence) -> list[Check]:
    """All success checks of the evidence's item (empty when nothing about it can be judged)."""
    item = evidence.item
    op = item.operation
    if op == "Level":
        return [_loudness_check(evidence), *_spectral_checks(evidence, progress=True)]
    if op == "SpeechEdit":  # the words may change length: no in-place progress, the transcript decides
        return [_words_check(evidence), *_spectral_checks(evidence, progress=False)]
    if op == "TTS":
        return _tts_checks(evidence)
    checks = _tagger_checks(evidence)
    changes = [c for c in checks if c.kind != "keep"]
    voice = op == "Style Transfer" and item.domain == "speech" and not changes
    if voice:  # voice to voice: the tagger hears "Speech" before and after; the speaker encoder decides
        checks.append(_voice_change_check(evidence))
    checks += _spectral_checks(evidence, progress=not voice)
    return [c for c in checks if c is not None]


def _spectral_checks(ev: Evidence, progress: bool) -> list[Check]:
    """Edit progress (the instructed change, measured against the reference pair) and the output-sanity checks
    every edit must pass (:mod:`audio_omni.eval.spectral`); none for generation."""
    pair = ev.spectral
    if pair is None:
        return []
    out = pair.picture(ev.waves.get("output"), ev.rate)
    measures = [("preserved", "preserve", pair.preserved(out), lambda v: v <= spectral.PRESERVE_MAX_DB),
                ("spectral balance", "balance", pair.balance(out), lambda v: v <= spectral.BALANCE_MAX_DB)]
    if progress:
        measures.insert(0, ("edit progress", "progress", pair.progress(out), lambda v: v >= spectral.PROGRESS_MIN))
    checks = []
    for key, kind, m, passes in measures:
        detail = {"value": None if m.output is None else round(m.output, 3), "source_value": round(m.identity, 3)}
        checks.append(Check(key, kind, None if m.output is None else bool(passes(m.output)),
                            bool(passes(m.identity)), bool(passes(m.oracle)), detail, reason=m.reason))
    return checks


def _passes(view: judging.TagView | None, index: int, kind: str) -> bool | None:
    if view is None:
        return None
    present = view.presence(index) >= judging.PRESENCE_THRESHOLD
    return not present if kind == "disappear" else present


def _tagger_checks(ev: Evidence) -> list[Check]:
    item = ev.item
    if item.is_generation:
        target = judging.tagger_label(item.labels.get("target"))
        exp = judging.Expectation(present=[target] if target else [])
        region = None
    else:
        exp = edit_expectation(item)
        region = item.region
    index = ev.judges.tagger.index
    checks = []
    removed = None if item.is_generation else _removed_windows(ev, region)
    for label in exp.classes:
        kind = "appear" if label in exp.appear else "present" if label in exp.present else "disappear"
        if label not in index:
            checks.append(Check(label, kind, None, None, False, {"unknown": True}))
            continue
        i = index[label]
        views = {role: ev.view(role, region) for role in ROLES}
        if kind == "disappear":  # judged where the event was, not where the bed may resemble it
            views = {role: None if v is None else v.within(removed) for role, v in views.items()}
        detail = {f"{role}_presence": round(views[role].presence(i), 4) for role in ("source", "target")
                  if views[role] is not None}
        identity = None if item.is_generation else _passes(views["source"], i, kind)
        checks.append(Check(label, kind, _passes(views["output"], i, kind), identity,
                            _passes(views["target"], i, kind), detail))
    # What must stay must still be heard (an editor that wipes the mix does not "remove" anything), checked
    # for the kept classes the tagger hears in the ground truth, in a share of the windows comparable to the
    # ground truth's (judging.still_heard); their own key keeps class calibration clean.
    target_view = ev.view("target", region)
    for label in exp.keep:
        if item.is_generation or label not in index or target_view is None:
            continue
        i = index[label]
        if _passes(target_view, i, "present"):
            def kept(role, i=i):
                view = ev.view(role, region)
                return None if view is None else judging.still_heard(view, target_view, i)

            checks.append(Check(f"{label} (kept)", "keep", kept("output"), kept("source"), True,
                                {"target_windows": round(target_view.heard_fraction(i), 3)}))
    return checks


def _removed_windows(ev: Evidence, region) -> np.ndarray | None:
    """The tagger windows in which the removed sound (source minus target) sounds, when the pair is aligned."""
    source, target, view = ev.waves.get("source"), ev.waves.get("target"), ev.view("source", region)
    if source is None or target is None or view is None or source.shape != target.shape:
        return None
    return judging.event_windows(_crop(source - target, ev.rate, region), ev.rate, len(view.active))


def _loudness_check(ev: Evidence) -> Check:
    from audio_omni.audio.io import loudness_lufs

    def lufs(role):
        wave = ev.waves.get(role)
        if wave is None:
            return float("nan")
        try:
            return float(loudness_lufs(wave, ev.rate))
        except Exception:
            return float("nan")

    src, tgt = lufs("source"), lufs("target")
    values = {role: judging.level_success(lufs(role) if role == "output" else v, src, tgt)
              for role, v in (("output", None), ("source", src), ("target", tgt))}
    if values["output"] is None and values["target"] is not None and ev.waves.get("output") is not None:
        values["output"] = False  # an output too quiet to meter (silence) has not reached the target's level
    return Check("loudness", "loudness", values["output"], values["source"], values["target"],
                 {"source_lufs": round(src, 2), "target_lufs": round(tgt, 2)})


def _words_check(ev: Evidence) -> Check:
    """SpeechEdit: is the output read closer to the target's words than to the source's?"""
    heard = {role: ev.transcript(role) for role in ROLES}
    key = f"ASR ({ev.spoken_language})"
    if heard["source"] is None or heard["target"] is None:
        return Check(key, "words", None, None, False, {"reason": "no source or target audio"})

    def closer(text: str | None) -> bool | None:
        if text is None:
            return None
        return ev.error_rate(heard["target"], text) < ev.error_rate(heard["source"], text)

    return Check(key, "words", closer(heard["output"]), closer(heard["source"]), closer(heard["target"]),
                 {"heard_source": heard["source"], "heard_target": heard["target"]})


def _tts_checks(ev: Evidence) -> list[Check]:
    item = ev.item
    checks = []
    text = item.transcript or item.extra.get("transcript")
    if text and ev.waves.get("target") is not None:
        target_error = ev.error_rate(text, ev.transcript("target"))
        out = ev.transcript("output")
        output_ok = None if out is None else ev.error_rate(text, out) <= target_error + ASR_MARGIN
        checks.append(Check(f"ASR ({ev.spoken_language})", "intelligibility", output_ok, None,
                            target_error <= ASR_READABLE, {"target_error": round(target_error, 3)}))
    voice = ev.waves.get("voice")
    if voice is not None and ev.waves.get("target") is not None:
        target_sim = ev.similarity("target", voice, ev.voice_rate)
        out_sim = ev.similarity("output", voice, ev.voice_rate)
        output_ok = None if out_sim is None else out_sim >= target_sim - SPEAKER_MARGIN
        checks.append(Check("voice", "voice", output_ok, None, True, {"target_similarity": round(target_sim, 3)}))
    return checks


def _voice_change_check(ev: Evidence) -> Check:
    """Speech Style Transfer: is the output's voice closer to the new voice than to the old one?"""
    source, target, residual = (ev.waves.get(k) for k in ("source", "target", "residual"))
    if source is None or target is None:
        return Check("speaker", "speaker", None, None, False, {"reason": "no source or target audio"})
    if residual is not None and residual.shape == source.shape == target.shape:
        old, new, stems = source - residual, target - residual, "speech stems"
    else:
        old, new, stems = source, target, "mixtures"

    def closer(role: str) -> bool | None:
        to_new, to_old = ev.similarity(role, new), ev.similarity(role, old)
        return None if to_new is None else to_new > to_old

    return Check("speaker", "speaker", closer("output"), closer("source"), closer("target"), {"voices_from": stems})
