"""The tagger's side of instruction success: which classes must appear, disappear or stay, and whether they do.

A class counts as present in a clip when its probability reaches ``PRESENCE_THRESHOLD`` in at least one
non-silent 0.96 s tagger window (events in a mixture are short; a clip-level mean would dilute them). A class
that must disappear is looked for where the event was (the windows the removed stem, source minus target,
sounds in), so that a bed that resembles it elsewhere does not hide the removal.
What must appear and disappear follows from the item's labels:

* appear = ``present_after`` - ``present_before`` (+ the target class for Add);
* disappear = ``present_before`` - ``present_after`` (+ the target class for Remove);
* present = the target class for Extract (it was there before and must remain, alone);
* keep = classes present before and after, other than the target (preservation, not success).

``Level`` is judged by loudness instead: the output must move at least half-way from the source's
loudness towards the target's. The checks of every operation are assembled in :mod:`audio_omni.eval.success`.

Whether a check can be judged is decided per item on its reference pair: treating the ground-truth target
as the output must pass it, and (for the checks of what changes) treating the unchanged source as the output
must fail it. A check that fails this test is dropped for that item only; :func:`calibrate` summarises the
keys that are often dropped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

PRESENCE_THRESHOLD = 0.3
SILENT_WINDOW_DB = -60.0
#: A class is flagged when fewer than this fraction of its items can be judged on the reference pair.
MIN_JUDGEABLE_FRACTION = 0.8
#: A class that should stay is still heard when the output has it in at least this fraction of the windows in
#: which the ground truth has it (one loud window of a noise output is not "kept music").
KEEP_RATIO = 0.5


def still_heard(view: TagView, reference: TagView, index: int) -> bool:
    """A kept class: heard in the output in at least ``KEEP_RATIO`` of the ground truth's share of windows."""
    wanted = reference.heard_fraction(index)
    return wanted > 0 and view.heard_fraction(index) >= KEEP_RATIO * wanted


@dataclass
class TagView:
    """Tagger output for one clip: per-window probabilities and which windows carry sound."""

    patches: np.ndarray  # [P, K]
    active: np.ndarray  # [P] bool

    def presence(self, index: int) -> float:
        rows = self.patches[self.active] if self.active.any() else self.patches
        return float(rows[:, index].max())

    def within(self, windows: np.ndarray | None) -> TagView:
        """The same clip judged only in ``windows`` (where an event is); unchanged when none of them sounds."""
        if windows is None or len(windows) != len(self.active) or not (self.active & windows).any():
            return self
        return TagView(patches=self.patches, active=self.active & windows)

    def heard_fraction(self, index: int, threshold: float = PRESENCE_THRESHOLD) -> float:
        """Fraction of the non-silent windows in which the class reaches ``threshold``."""
        rows = self.patches[self.active] if self.active.any() else self.patches
        return float((rows[:, index] >= threshold).mean()) if len(rows) else 0.0

    def clip_probabilities(self) -> np.ndarray:
        rows = self.patches[self.active] if self.active.any() else self.patches
        return rows.mean(0)


TAGGER_HOP, TAGGER_WINDOW = 7680, 15600  # 0.48 s hop, 0.975 s window at 16 kHz
#: A window holds an event when the event's own level there is within this many dB of its loudest window.
EVENT_RANGE_DB = 20.0


def _window_db(wave, sample_rate: int, count: int) -> np.ndarray:
    """Level (dB RMS) of the first ``count`` tagger windows of a clip ([C, T] or [T])."""
    from audio_omni.audio.io import prepare_audio

    x = prepare_audio(wave, sample_rate, 16000, channels=1, max_seconds=None, name="tagger input")[0][0].numpy()
    starts = np.arange(count) * TAGGER_HOP
    rms = np.array([np.sqrt(np.mean(x[s : s + TAGGER_WINDOW] ** 2)) if s < len(x) else 0.0 for s in starts])
    return 20 * np.log10(np.maximum(rms, 1e-10))


def tag_view(tagger, wave, sample_rate: int) -> TagView:
    """Run the tagger once on a clip ([C, T] or [T])."""
    from audio_omni.audio.io import prepare_audio

    mono, _ = prepare_audio(wave, sample_rate, 16000, channels=1, max_seconds=None, name="tagger input")
    patches = tagger.patch_probabilities(mono[0].numpy(), 16000)
    db = _window_db(mono[0].numpy(), 16000, len(patches))
    active = (db > SILENT_WINDOW_DB) & (db > db.max() - 50.0)
    return TagView(patches=patches, active=active)


def event_windows(stem, sample_rate: int, count: int) -> np.ndarray | None:
    """Which of ``count`` tagger windows hold an event, from the event's own stem (None: no audible event)."""
    db = _window_db(stem, sample_rate, count)
    if db.max() <= SILENT_WINDOW_DB:
        return None
    return db >= db.max() - EVENT_RANGE_DB


@dataclass
class Expectation:
    appear: list[str] = field(default_factory=list)  # absent before, present after
    disappear: list[str] = field(default_factory=list)  # present before, absent after
    present: list[str] = field(default_factory=list)  # must be present after (Extract: the isolated class)
    keep: list[str] = field(default_factory=list)  # should stay (preservation, not success)

    @property
    def judged(self) -> bool:
        return bool(self.appear or self.disappear or self.present)

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.appear) | set(self.disappear) | set(self.present))


# Taxonomy labels the tagger has no class for, judged through the class that contains them.
TAGGER_ALIASES = {"Male speech, man speaking": "Speech", "Female speech, woman speaking": "Speech"}


def tagger_label(label: str | None) -> str | None:
    return TAGGER_ALIASES.get(label, label) if label else label


def expectation(operation: str, labels: dict) -> Expectation:
    before = list(dict.fromkeys(tagger_label(c) for c in labels.get("present_before") or []))
    after = list(dict.fromkeys(tagger_label(c) for c in labels.get("present_after") or []))
    target = tagger_label(labels.get("target"))
    appear = [c for c in after if c not in before]
    disappear = [c for c in before if c not in after]
    present = []
    if target and operation == "Add" and target not in appear:
        appear.append(target)
    if target and operation == "Extract" and target not in appear:
        present.append(target)
    if target and operation == "Remove" and target not in disappear:
        disappear.append(target)
    if operation == "Level":
        appear, disappear, present = [], [], []
    judged = set(appear) | set(disappear) | set(present)
    keep = [c for c in before if c in after and c != target and c not in judged]
    return Expectation(appear=appear, disappear=disappear, present=present, keep=keep)


def kept_fraction(view: TagView, exp: Expectation, index: dict[str, int], reference: TagView | None = None,
                  threshold=PRESENCE_THRESHOLD):
    """Fraction of the classes that should stay which the tagger still hears in ``view``; with a ``reference``
    (the ground truth), only over the classes it hears there, so that the oracle keeps 100% by construction."""
    keep = [c for c in exp.keep if c in index]
    if reference is not None:
        keep = [c for c in keep if reference.presence(index[c]) >= threshold]
    if not keep:
        return None
    return float(np.mean([view.presence(index[c]) >= threshold for c in keep]))


def level_success(out_lufs: float, source_lufs: float, target_lufs: float) -> bool | None:
    if not all(np.isfinite([out_lufs, source_lufs, target_lufs])) or abs(target_lufs - source_lufs) < 1.0:
        return None
    return abs(out_lufs - target_lufs) <= 0.5 * abs(source_lufs - target_lufs)


@dataclass
class ClassFlag:
    label: str
    judgeable: int
    total: int
    reason: str


def calibrate(checks: list[dict]) -> dict[str, ClassFlag]:
    """Summarise the check keys (tagger classes, ``ASR (lang)``, ``speaker``, ...) that the reference pairs
    often cannot judge.

    ``checks`` are the records of every item's checks (:meth:`audio_omni.eval.success.Check.record`).
    Returns {key: flag} for the keys judgeable on fewer than ``MIN_JUDGEABLE_FRACTION`` of their items. The
    flag only summarises: each item drops the checks its own reference pair cannot judge and is judged by the
    rest (:func:`audio_omni.eval.success.item_success`).
    """
    per_class: dict[str, list[dict]] = defaultdict(list)
    for check in checks:
        if check["direction"] not in ("preserve", "balance"):  # output-sanity checks are summarised apart
            per_class[check["class"]].append(check)
    flags = {}
    for label, results in sorted(per_class.items()):
        total = len(results)
        judgeable = sum(r["judgeable"] for r in results)
        if any(r.get("unknown") for r in results):
            flags[label] = ClassFlag(label, 0, total, "not a class of the tagger's label set")
        elif judgeable < MIN_JUDGEABLE_FRACTION * total:
            parts = []
            missed = sum(not r["target_ok"] for r in results)
            unseen = sum(not r["source_ok"] for r in results)
            if missed:
                parts.append(f"the ground-truth target is misjudged in {missed}/{total} items (oracle fails)")
            if unseen:
                parts.append(f"the source already looks edited in {unseen}/{total} items (the judge hears no "
                             "change between source and target: class not heard in the mixture, or already there)")
            flags[label] = ClassFlag(label, judgeable, total, "; ".join(parts))
    return flags
